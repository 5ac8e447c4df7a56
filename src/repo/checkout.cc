// Workspace operations that read the cache back into the workspace: status, checkout, ls.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <map>
#include <set>

#include "core/error.h"
#include "core/progress.h"
#include "core/thread_pool.h"
#include "repo/repo_lock.h"
#include "repo/workspace.h"

namespace plinth::repo {
namespace fs = std::filesystem;

namespace {

// One file the checkout will write or delete.
struct FileAction {
  std::string rel;  // repo-relative
  std::string md5;  // empty: delete
  bool isexec = false;
  bool legacy = false;
};

struct CheckoutPlan {
  std::vector<FileAction> actions;
  std::vector<std::string> whole_paths_to_delete;  // a file where a directory belongs, etc.
  std::vector<std::string> missing, corrupted, conflicts;
  CheckoutSummary summary;
};

std::string first_lines(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < 10; ++i) out += "\n  " + items[i];
  if (items.size() > 10) out += "\n  ... and " + std::to_string(items.size() - 10) + " more";
  return out;
}

}  // namespace

std::string Workspace::output_state(const std::string& rel, const Output& out) {
  if (out.cache && !out.md5.empty()) {
    bool in_cache = cache_->check(out.md5, out.legacy) == ObjectState::kOk;
    if (in_cache && out.is_dir()) {
      // One stat per file of the directory: spread over the cores, as hashing is.
      std::vector<ManifestEntry> entries = load_manifest(out.md5, out.legacy);
      std::atomic<bool> all_ok{true};
      core::ThreadPool pool;
      pool.parallel_for(entries.size(), [&](size_t i) {
        if (all_ok && cache_->check(entries[i].md5, out.legacy) != ObjectState::kOk) all_ok = false;
      });
      in_cache = all_ok;
    }
    if (!in_cache) return "not in cache";
  }
  struct stat st;
  if (::lstat((root_ / rel).c_str(), &st) != 0) return "deleted";
  if (out.md5.empty()) return "new";
  HashOptions options;
  options.legacy = out.legacy;
  Snapshot snap = snapshot_path(root_ / rel, rel, *ignore_, *stat_cache_, *cache_, options);
  return snap.md5 == out.md5 ? "" : "modified";
}

void Workspace::relink_output(const std::string& rel, const Output& out,
                              const std::vector<LinkType>& types) {
  std::vector<std::pair<std::string, std::string>> files;  // rel, md5
  if (out.is_dir()) {
    for (const auto& e : load_manifest(out.md5)) files.emplace_back(rel + "/" + e.relpath, e.md5);
  } else {
    files.emplace_back(rel, out.md5);
  }
  core::ThreadPool pool;
  pool.parallel_for(files.size(), [&](size_t i) {
    cache_->link_out(files[i].second, root_ / files[i].first, types, out.isexec);
  });
}

void Workspace::restore_output(const std::string& rel, const Output& out) {
  fs::remove_all(root_ / rel);
  if (out.is_dir()) fs::create_directories(root_ / rel);  // even when it holds no files
  relink_output(rel, out, link_types());
}

CheckoutSummary Workspace::checkout(const std::vector<std::string>& targets,
                                    const CheckoutOptions& options) {
  RepoLock lock(dvc_dir());
  CheckoutPlan plan;
  // Decides what to do with one workspace file that should hold `md5` ("" = should not exist).
  auto plan_file = [&](const std::string& rel, const std::string& current, const std::string& md5,
                       bool isexec, bool legacy) {
    if (current == md5) return;
    if (!current.empty() && !options.force && !cache_->contains(current, legacy))
      plan.conflicts.push_back(rel);
    if (!md5.empty()) {
      ObjectState state = cache_->check(md5, legacy);
      if (state == ObjectState::kMissing) plan.missing.push_back(rel + " (" + md5 + ")");
      if (state == ObjectState::kCorrupted)
        plan.corrupted.push_back(rel + " (" + cache_->object_path(md5, legacy).string() + ")");
    }
    (md5.empty()       ? plan.summary.deleted
     : current.empty() ? plan.summary.added
                       : plan.summary.modified)++;
    plan.actions.push_back({rel, md5, isexec, legacy});
  };

  for (const auto& pointer : select_pointers(targets)) {
    for (size_t i = 0; i < pointer.file.outs.size(); ++i) {
      const Output& out = pointer.file.outs[i];
      std::string rel = pointer.out_rel(i);
      if (!out.cache) continue;
      if (out.md5.empty())
        throw Error(ErrorCode::kInvalidInput,
                    pointer.rel + ": output '" + out.path +
                        "' has no md5, so there is nothing to check out; run 'plinth commit " +
                        pointer.rel + "' to record it");
      HashOptions hash;
      hash.legacy = out.legacy;
      hash.jobs = options.jobs;
      Snapshot current = snapshot_path(root_ / rel, rel, *ignore_, *stat_cache_, *cache_, hash);
      if (current.exists && current.is_dir != out.is_dir()) {
        // A file where a directory belongs or the other way round: replace it entirely.
        if (!options.force) plan.conflicts.push_back(rel);
        plan.whole_paths_to_delete.push_back(rel);
        current = Snapshot{};
      }
      if (!out.is_dir()) {
        plan_file(rel, current.md5, out.md5, out.isexec, out.legacy);
        continue;
      }
      std::map<std::string, std::string> have;
      for (auto& e : current.entries) have[e.relpath] = e.md5;
      for (const auto& e : load_manifest(out.md5, out.legacy)) {
        auto it = have.find(e.relpath);
        plan_file(rel + "/" + e.relpath, it == have.end() ? "" : it->second, e.md5, false,
                  out.legacy);
        if (it != have.end()) have.erase(it);
      }
      for (const auto& [relpath, md5] : have) plan_file(rel + "/" + relpath, md5, "", false, false);
    }
  }
  if (!plan.corrupted.empty())
    throw Error(ErrorCode::kCorrupted,
                "cache objects are corrupted (their bytes no longer match their names), so "
                "nothing was checked out:" +
                    first_lines(plan.corrupted) +
                    "\ndelete them and run 'plinth pull', or re-add the data");
  if (!plan.missing.empty())
    throw Error(ErrorCode::kNotFound,
                "objects are missing from the cache, so nothing was "
                "checked out:" +
                    first_lines(plan.missing) + "\nrun 'plinth pull' to fetch them");
  if (!plan.conflicts.empty())
    throw Error(ErrorCode::kConflict,
                "checkout would overwrite or delete changes that are not in the cache:" +
                    first_lines(plan.conflicts) +
                    "\nrun 'plinth add'/'plinth commit' to keep them, or 'plinth checkout "
                    "--force' to discard them");

  for (const auto& rel : plan.whole_paths_to_delete) fs::remove_all(root_ / rel);
  std::vector<LinkType> types = link_types();
  core::Progress progress("Checkout", plan.actions.size(), core::ProgressUnit::kItems, "files");
  core::ThreadPool pool(options.jobs == 0 ? core::default_jobs() : options.jobs);
  std::set<fs::path> touched_dirs;
  pool.parallel_for(plan.actions.size(), [&](size_t i) {
    const FileAction& a = plan.actions[i];
    fs::path dest = root_ / a.rel;
    if (a.md5.empty()) {
      if (::unlink(dest.c_str()) != 0 && errno != ENOENT)
        throw system_error("delete", dest.string(), errno);
    } else {
      cache_->link_out(a.md5, dest, types, a.isexec, a.legacy);
      struct stat st;
      if (!a.legacy && ::stat(dest.c_str(), &st) == 0) stat_cache_->record(st, a.md5);
    }
    progress.add(1);
  });
  // Directories emptied by deletions go too, as DVC removes them.
  for (const auto& a : plan.actions) {
    if (!a.md5.empty()) continue;
    for (fs::path d = (root_ / a.rel).parent_path(); d != root_; d = d.parent_path()) {
      std::error_code ec;
      if (!fs::is_empty(d, ec) || ec || !fs::remove(d, ec)) break;
    }
  }
  stat_cache_->flush();
  return plan.summary;
}

std::vector<ListEntry> Workspace::list(const std::string& path, bool recursive, bool dvc_only) {
  std::string rel = path.empty() || path == "." ? "" : to_repo_rel(path);
  if (rel == ".") rel.clear();
  std::map<std::string, Output> outs;
  for (const auto& p : pointers())
    for (size_t i = 0; i < p.file.outs.size(); ++i) outs[p.out_rel(i)] = p.file.outs[i];

  std::vector<ListEntry> entries;
  auto manifest_entries = [&](const std::string& out_rel, const Output& out,
                              const std::string& under, const std::string& prefix) {
    std::set<std::string> dirs_seen;
    for (const auto& e : load_manifest(out.md5, out.legacy)) {
      std::string full = out_rel + "/" + e.relpath;
      if (!under.empty() && !full.starts_with(under + "/")) continue;
      std::string shown = under.empty() ? e.relpath : full.substr(under.size() + 1);
      auto slash = shown.find('/');
      if (!recursive && slash != std::string::npos) {
        std::string dir = shown.substr(0, slash);
        if (dirs_seen.insert(dir).second)
          entries.push_back({prefix + dir, true, true, false, std::nullopt, ""});
        continue;
      }
      entries.push_back({prefix + shown, true, false, false, std::nullopt, e.md5});
    }
  };

  // Inside a tracked directory: its manifest is the listing.
  for (const auto& [out_rel, out] : outs) {
    if (out.is_dir() && (rel == out_rel || rel.starts_with(out_rel + "/"))) {
      manifest_entries(out_rel, out, rel, "");
      return entries;
    }
    if (rel == out_rel) {
      entries.push_back(
          {fs::path(rel).filename().string(), true, false, out.isexec, out.size, out.md5});
      return entries;
    }
  }

  fs::path dir = rel.empty() ? root_ : root_ / rel;
  if (!fs::is_directory(dir))
    throw Error(ErrorCode::kNotFound, "'" + path +
                                          "' is neither a directory in the workspace "
                                          "nor a tracked output");
  std::vector<std::pair<std::string, std::string>> stack = {{rel, ""}};  // repo rel, shown prefix
  while (!stack.empty()) {
    auto [dir_rel, prefix] = stack.back();
    stack.pop_back();
    std::set<std::string> names;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_rel.empty() ? root_ : root_ / dir_rel, ec))
      names.insert(e.path().filename().string());
    for (const auto& [out_rel, out] : outs)
      if (fs::path(out_rel).parent_path().generic_string() == dir_rel)
        names.insert(fs::path(out_rel).filename().string());
    for (const auto& name : names) {
      std::string child = dir_rel.empty() ? name : dir_rel + "/" + name;
      fs::path p = root_ / child;
      bool is_dir = fs::is_directory(p, ec) && !fs::is_symlink(p, ec);
      auto out = outs.find(child);
      if (out != outs.end()) is_dir = out->second.is_dir();
      if (ignore_->is_ignored(child, is_dir)) continue;
      bool inside_outs = std::any_of(outs.begin(), outs.end(), [&](const auto& o) {
        return o.first.starts_with(child + "/");
      });
      if (out != outs.end()) {
        entries.push_back(
            {prefix + name, true, is_dir, out->second.isexec, out->second.size, out->second.md5});
        if (recursive && is_dir) manifest_entries(child, out->second, "", prefix + name + "/");
      } else if (!dvc_only || (is_dir && inside_outs)) {
        struct stat st;
        bool have = ::lstat(p.c_str(), &st) == 0;
        if (!dvc_only)
          entries.push_back({prefix + name, false, is_dir, have && !is_dir && (st.st_mode & 0100),
                             have && !is_dir ? std::optional<int64_t>(st.st_size) : std::nullopt,
                             ""});
        if (recursive && is_dir) stack.push_back({child, prefix + name + "/"});
      }
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const ListEntry& a, const ListEntry& b) { return a.path < b.path; });
  return entries;
}

}  // namespace plinth::repo
