#include "repo/workspace.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <string_view>

#include "core/error.h"
#include "core/file_io.h"
#include "core/paths.h"
#include "repo/repo_lock.h"

namespace plinth::repo {
namespace fs = std::filesystem;

namespace {

constexpr const char* kDvcignoreText =
    "# Add patterns of files dvc should ignore, which could improve\n"
    "# the performance. Learn more at\n"
    "# https://dvc.org/doc/user-guide/dvcignore\n";

bool is_inside(const std::string& rel, const std::string& dir) {
  return rel.size() > dir.size() && rel.compare(0, dir.size(), dir) == 0 && rel[dir.size()] == '/';
}

std::string parent_rel(const std::string& rel) {
  auto slash = rel.rfind('/');
  return slash == std::string::npos ? "" : rel.substr(0, slash);
}

std::string base_name(const std::string& rel) { return rel.substr(rel.rfind('/') + 1); }

// The .gitignore line for `name`: "/name" with the characters git reads as patterns escaped
// (pathspec's GitWildMatchPattern.escape, which DVC uses), so "/a[1].csv" matches only itself.
std::string gitignore_entry(const std::string& name) {
  std::string entry = "/";
  for (char c : name) {
    if (std::string_view("\\[]!*#?").find(c) != std::string_view::npos) entry += '\\';
    entry += c;
  }
  return entry;
}

// Adds the entry for `name` to the .gitignore in `dir` unless the line is already there.
void gitignore_add(const fs::path& dir, const std::string& name) {
  fs::path file = dir / ".gitignore";
  std::string text = fs::exists(file) ? core::read_file(file) : "";
  std::string entry = gitignore_entry(name);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    if (text.compare(pos, end - pos, entry) == 0) return;
    pos = end + 1;
  }
  if (!text.empty() && text.back() != '\n') text += '\n';
  core::write_file_atomic(file, text + entry + "\n");
}

void gitignore_remove(const fs::path& dir, const std::string& name) {
  fs::path file = dir / ".gitignore";
  if (!fs::exists(file)) return;
  std::string text = core::read_file(file), kept;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    if (line != gitignore_entry(name)) kept += line + "\n";
    pos = end + 1;
  }
  if (kept.empty())
    fs::remove(file);
  else
    core::write_file_atomic(file, kept);
}

}  // namespace

std::string TrackedPointer::out_rel(size_t i) const {
  std::string dir = parent_rel(rel);
  std::string p = fs::path(file.outs[i].path).lexically_normal().generic_string();
  return dir.empty() ? p : dir + "/" + p;
}

Workspace::Workspace(fs::path root) : root_(std::move(root)) {
  config_ = Config::load(dvc_dir());
  fs::path cache_root = dvc_dir() / "cache";
  if (auto dir = config_.get("cache", "dir")) {
    fs::path p(*dir);
    cache_root = p.is_absolute() ? p : config_.source_of("cache", "dir").parent_path() / p;
  }
  cache_ = std::make_unique<ObjectCache>(core::absolute_normal(cache_root));
  stat_cache_ = std::make_unique<StatCache>(dvc_dir() / "tmp" / "plinth-state.db");
  ignore_ = std::make_unique<IgnoreRules>(root_);
}

Workspace::~Workspace() = default;

Workspace Workspace::open(const fs::path& start) {
  fs::path dir = core::absolute_normal(start);
  for (fs::path p = dir;; p = p.parent_path()) {
    if (fs::is_directory(p / ".dvc")) return Workspace(p);
    if (p == p.root_path()) break;
  }
  throw Error(ErrorCode::kNotFound, "'" + dir.string() +
                                        "' is not inside a Plinth/DVC repository (no .dvc "
                                        "directory found); run 'plinth init' first");
}

void Workspace::init(const fs::path& dir_in, bool no_scm, bool force) {
  fs::path dir = core::absolute_normal(dir_in);
  fs::path dvc = dir / ".dvc";
  if (fs::exists(dvc) && !force)
    throw Error(ErrorCode::kInvalidInput,
                "'" + dvc.string() + "' already exists; use --force to reinitialise");
  if (!no_scm && !fs::exists(dir / ".git"))
    throw Error(ErrorCode::kInvalidInput,
                "'" + dir.string() +
                    "' is not the top of a git repository; run 'git init' first, or use "
                    "'plinth init --no-scm' to version data without git");
  fs::create_directories(dvc / "tmp");
  fs::create_directories(dvc / "cache");
  core::write_file_atomic(dvc / "config", no_scm ? "[core]\n    no_scm = True\n" : "");
  core::write_file_atomic(dvc / ".gitignore", "/config.local\n/tmp\n/cache\n");
  if (!fs::exists(dir / ".dvcignore")) core::write_file_atomic(dir / ".dvcignore", kDvcignoreText);
}

bool Workspace::scm_enabled() const {
  return !config_.get_bool("core", "no_scm", false) && fs::exists(root_ / ".git");
}

std::vector<LinkType> Workspace::link_types() const {
  return parse_link_types(config_.get("cache", "type").value_or(""));
}

std::string Workspace::to_repo_rel(const std::string& user_path) const {
  auto rel = core::relative_posix(root_, user_path);
  if (!rel)
    throw Error(ErrorCode::kInvalidInput, "'" + user_path + "' is outside the repository at " +
                                              root_.string() + "; move it into the repository");
  if (*rel == ".")
    throw Error(ErrorCode::kInvalidInput, "'" + user_path +
                                              "' is the repository root itself; name a file or "
                                              "directory inside it");
  if (*rel == ".dvc" || rel->starts_with(".dvc/"))
    throw Error(ErrorCode::kInvalidInput,
                "'" + user_path + "' is inside .dvc/, which Plinth manages; add data outside it");
  return *rel;
}

std::vector<TrackedPointer> Workspace::pointers() {
  std::vector<TrackedPointer> found;
  // Walk the workspace for *.dvc files without descending into tracked outputs (which can hold
  // many thousands of files) or ignored directories.
  std::vector<std::string> stack = {""};
  while (!stack.empty()) {
    std::string dir_rel = stack.back();
    stack.pop_back();
    fs::path dir = dir_rel.empty() ? root_ : root_ / dir_rel;
    std::vector<std::string> subdirs;
    std::set<std::string> outputs_here;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      std::string name = entry.path().filename().string();
      std::string rel = dir_rel.empty() ? name : dir_rel + "/" + name;
      bool is_dir = entry.is_directory(ec) && !entry.is_symlink(ec);
      if (ignore_->is_ignored(rel, is_dir)) continue;
      if (is_dir) {
        subdirs.push_back(rel);
      } else if (name.size() > 4 && name.ends_with(".dvc") && entry.is_regular_file(ec)) {
        TrackedPointer p{rel, entry.path(), PointerFile::load(entry.path())};
        for (size_t i = 0; i < p.file.outs.size(); ++i) outputs_here.insert(p.out_rel(i));
        found.push_back(std::move(p));
      }
    }
    for (auto& s : subdirs)
      if (!outputs_here.count(s)) stack.push_back(std::move(s));
  }
  std::sort(found.begin(), found.end(),
            [](const TrackedPointer& a, const TrackedPointer& b) { return a.rel < b.rel; });
  return found;
}

std::vector<TrackedPointer> Workspace::select_pointers(const std::vector<std::string>& targets) {
  std::vector<TrackedPointer> all = pointers();
  if (targets.empty()) return all;
  std::vector<TrackedPointer> chosen;
  for (const auto& target : targets) {
    std::string rel = to_repo_rel(target);
    bool matched = false;
    for (const auto& p : all) {
      bool hit = p.rel == rel || p.rel == rel + ".dvc";
      for (size_t i = 0; i < p.file.outs.size() && !hit; ++i) hit = p.out_rel(i) == rel;
      if (hit && std::none_of(chosen.begin(), chosen.end(),
                              [&](const TrackedPointer& c) { return c.rel == p.rel; }))
        chosen.push_back(p);
      matched |= hit;
    }
    if (!matched)
      throw Error(ErrorCode::kNotFound, "'" + target +
                                            "' is not a pointer file or a tracked output; "
                                            "'plinth status' lists what is tracked");
  }
  return chosen;
}

Snapshot Workspace::snapshot(const std::string& rel, bool store,
                             const std::string& progress_label) {
  HashOptions options;
  options.store = store;
  options.progress_label = progress_label;
  return snapshot_path(root_ / rel, rel, *ignore_, *stat_cache_, *cache_, options);
}

std::vector<ManifestEntry> Workspace::load_manifest(const std::string& oid, bool legacy) {
  ObjectState state = cache_->check(oid, legacy);
  std::string where = cache_->object_path(oid, legacy).string();
  if (state == ObjectState::kMissing)
    throw Error(ErrorCode::kNotFound, "directory manifest " + oid + " is not in the cache (" +
                                          where + "); run 'plinth pull' to fetch it");
  if (state == ObjectState::kCorrupted)
    throw Error(ErrorCode::kCorrupted,
                "cache object " + where + " is corrupted: its bytes no longer match " + oid +
                    "; delete it and run 'plinth pull' or 'plinth add' to restore it");
  return parse_manifest(core::read_file(cache_->object_path(oid, legacy)), where);
}

void Workspace::validate_add_target(const std::string& rel,
                                    const std::vector<TrackedPointer>& tracked) {
  fs::path path = root_ / rel;
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT)
      throw Error(ErrorCode::kNotFound,
                  "'" + rel +
                      "' does not exist; check the path (it is relative to the current "
                      "directory)");
    throw system_error("stat", rel, errno);
  }
  if (S_ISLNK(st.st_mode) && ::stat(path.c_str(), &st) != 0)
    throw system_error("follow symbolic link", rel, errno);
  if (ignore_->is_ignored(rel, S_ISDIR(st.st_mode)))
    throw Error(ErrorCode::kInvalidInput,
                "'" + rel +
                    "' is ignored (by .dvcignore, or as part of .git/.dvc); remove the "
                    "matching .dvcignore rule to track it");
  if (rel.ends_with(".dvc") && S_ISREG(st.st_mode))
    throw Error(ErrorCode::kInvalidInput,
                "'" + rel + "' is a pointer file; add the data it describes instead");
  if (::access(path.c_str(), R_OK) != 0) throw system_error("read", rel, errno);
  for (const auto& p : tracked) {
    for (size_t i = 0; i < p.file.outs.size(); ++i) {
      std::string out = p.out_rel(i);
      if (is_inside(rel, out))
        throw Error(ErrorCode::kInvalidInput, "'" + rel + "' is inside '" + out + "', which " +
                                                  p.rel + " already tracks; run 'plinth add " +
                                                  out +
                                                  "' to record changes to the whole directory");
      if (is_inside(out, rel))
        throw Error(ErrorCode::kInvalidInput, "'" + rel + "' contains '" + out + "', which " +
                                                  p.rel + " tracks; run 'plinth remove " + p.rel +
                                                  "' first");
    }
  }
}

Output Workspace::record_output(const std::string& rel, Output base, const AddOptions& options) {
  HashOptions hash;
  hash.jobs = options.jobs;
  hash.store = base.cache;
  hash.progress_label = "Adding " + rel;
  Snapshot snap = snapshot_path(root_ / rel, rel, *ignore_, *stat_cache_, *cache_, hash);
  if (!snap.exists)
    throw Error(ErrorCode::kNotFound, "output '" + rel +
                                          "' does not exist; restore it with 'plinth checkout' "
                                          "or stop tracking it with 'plinth remove'");
  base.md5 = snap.md5;
  base.size = snap.size;
  base.nfiles = snap.is_dir ? std::optional<int64_t>(snap.nfiles) : std::nullopt;
  base.isexec = !snap.is_dir && snap.isexec;
  base.legacy = false;
  return base;
}

void Workspace::ignore_output(const std::string& rel) {
  if (scm_enabled()) gitignore_add(root_ / parent_rel(rel), base_name(rel));
}

void Workspace::write_pointer(const TrackedPointer& pointer) {
  // Objects first, pointer last: whoever reads the pointer finds every object it names.
  cache_->sync();
  core::write_file_atomic(pointer.path, pointer.file.serialize());
}

std::vector<std::string> Workspace::add(const std::vector<std::string>& targets,
                                        const AddOptions& options) {
  RepoLock lock(dvc_dir());
  std::vector<TrackedPointer> tracked = pointers();
  std::vector<std::string> rels;
  for (const auto& t : targets) {
    std::string rel = to_repo_rel(t);
    validate_add_target(rel, tracked);
    rels.push_back(rel);
  }
  std::vector<LinkType> types = link_types();
  std::vector<std::string> written;
  for (const auto& rel : rels) {
    TrackedPointer pointer{rel + ".dvc", root_ / (rel + ".dvc"), {}};
    Output base;
    if (fs::exists(pointer.path)) {
      // Re-adding keeps the user's annotations (desc, remote, ...) and other keys.
      pointer.file = PointerFile::load(pointer.path);
      auto same = [&](const Output& o) { return o.path == base_name(rel); };
      auto it = std::find_if(pointer.file.outs.begin(), pointer.file.outs.end(), same);
      if (it != pointer.file.outs.end()) base = *it;
    }
    base.path = base_name(rel);
    base.cache = true;
    Output out = record_output(rel, base, options);
    spdlog::info("{}: md5 {}, {} bytes{}", rel, out.md5, out.size.value_or(0),
                 out.nfiles ? ", " + std::to_string(*out.nfiles) + " files" : "");
    pointer.file.outs = {out};
    write_pointer(pointer);
    if (scm_enabled()) gitignore_add(root_ / parent_rel(rel), base_name(rel));
    if (types.front() == LinkType::kHardlink || types.front() == LinkType::kSymlink) {
      relink_output(rel, out, types);
    }
    written.push_back(pointer.rel);
  }
  stat_cache_->flush();
  return written;
}

std::vector<std::string> Workspace::commit(const std::vector<std::string>& targets,
                                           const AddOptions& options) {
  RepoLock lock(dvc_dir());
  std::vector<std::string> changed;
  for (auto& pointer : select_pointers(targets)) {
    bool dirty = false;
    for (size_t i = 0; i < pointer.file.outs.size(); ++i) {
      Output& out = pointer.file.outs[i];
      Output updated = record_output(pointer.out_rel(i), out, options);
      dirty |= updated.md5 != out.md5 || updated.size != out.size || updated.nfiles != out.nfiles ||
               updated.isexec != out.isexec || out.legacy;
      out = updated;
    }
    if (dirty) {
      write_pointer(pointer);
      changed.push_back(pointer.rel);
    }
  }
  stat_cache_->flush();
  return changed;
}

std::vector<PointerStatus> Workspace::status(const std::vector<std::string>& targets) {
  std::vector<PointerStatus> result;
  for (const auto& pointer : select_pointers(targets)) {
    PointerStatus ps{pointer.rel, {}};
    for (size_t i = 0; i < pointer.file.outs.size(); ++i) {
      const Output& out = pointer.file.outs[i];
      std::string rel = pointer.out_rel(i);
      std::string state = output_state(rel, out);
      if (!state.empty()) ps.changed_outs.push_back({rel, state});
    }
    if (!ps.changed_outs.empty()) result.push_back(std::move(ps));
  }
  stat_cache_->flush();
  return result;
}

void Workspace::remove(const std::vector<std::string>& pointer_files, bool outs) {
  RepoLock lock(dvc_dir());
  std::vector<TrackedPointer> chosen;
  for (const auto& target : pointer_files) {
    std::string rel = to_repo_rel(target);
    if (!rel.ends_with(".dvc"))
      throw Error(ErrorCode::kInvalidInput, "'" + target +
                                                "' is not a .dvc file; name the "
                                                "pointer file, e.g. '" +
                                                target + ".dvc'");
    if (!fs::exists(root_ / rel))
      throw Error(ErrorCode::kNotFound, "'" + target + "' does not exist");
    chosen.push_back({rel, root_ / rel, PointerFile::load(root_ / rel)});
  }
  for (const auto& p : chosen) {
    for (size_t i = 0; i < p.file.outs.size(); ++i) {
      std::string out = p.out_rel(i);
      if (scm_enabled()) gitignore_remove(root_ / parent_rel(out), base_name(out));
      if (outs) fs::remove_all(root_ / out);
    }
    fs::remove(p.path);
  }
}

GcResult Workspace::gc(bool dry_run, const std::vector<Output>& also_used) {
  RepoLock lock(dvc_dir());
  std::set<std::string> used;
  auto use = [&](const Output& out) {
    if (out.md5.empty() || out.legacy) return;
    used.insert(out.md5);
    if (out.is_dir() && cache_->contains(out.md5))
      for (const auto& e : load_manifest(out.md5)) used.insert(e.md5);
  };
  for (const auto& p : pointers())
    for (const auto& out : p.file.outs) use(out);
  for (const auto& out : also_used) use(out);
  GcResult result;
  for (const auto& oid : cache_->list_objects()) {
    if (used.count(oid)) continue;
    std::error_code ec;
    result.bytes += fs::file_size(cache_->object_path(oid), ec);
    result.removed.push_back(oid);
    if (!dry_run) cache_->remove(oid);
  }
  if (!dry_run)
    for (const auto& temp : cache_->stale_temp_files()) fs::remove(temp);
  std::sort(result.removed.begin(), result.removed.end());
  return result;
}

}  // namespace plinth::repo
