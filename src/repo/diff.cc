#include "repo/diff.h"

#include <algorithm>
#include <map>

#include "core/error.h"
#include "repo/git_tree.h"

namespace plinth::repo {
namespace {

// Tracked path → hash at one side of the comparison; directories keyed with a trailing '/'.
using State = std::map<std::string, std::string>;

void add_output(Workspace& ws, State& state, const std::string& rel, const std::string& md5,
                bool legacy, const std::vector<ManifestEntry>* entries) {
  if (md5.empty()) return;
  if (!md5.ends_with(".dir")) {
    state[rel] = md5;
    return;
  }
  state[rel + "/"] = md5;
  std::vector<ManifestEntry> loaded;
  if (!entries) {
    if (!ws.cache().contains(md5, legacy)) return;
    loaded = ws.load_manifest(md5, legacy);
    entries = &loaded;
  }
  for (const auto& e : *entries) state[rel + "/" + e.relpath] = e.md5;
}

State state_at(Workspace& ws, GitTree& git, const std::string& rev) {
  State state;
  for (const auto& [path, text] : git.files_ending_with(rev, ".dvc")) {
    TrackedPointer p{path, ws.root() / path, PointerFile::parse(text, rev + ":" + path)};
    for (size_t i = 0; i < p.file.outs.size(); ++i)
      add_output(ws, state, p.out_rel(i), p.file.outs[i].md5, p.file.outs[i].legacy, nullptr);
  }
  return state;
}

State state_of_workspace(Workspace& ws, std::vector<DiffEntry>& not_in_cache) {
  State state;
  for (const auto& p : ws.pointers()) {
    for (size_t i = 0; i < p.file.outs.size(); ++i) {
      std::string rel = p.out_rel(i);
      Snapshot snap = ws.snapshot(rel);
      if (!snap.exists) continue;
      add_output(ws, state, rel, snap.md5, false, snap.is_dir ? &snap.entries : nullptr);
      const std::string& recorded = p.file.outs[i].md5;
      if (!recorded.empty() && !ws.cache().contains(recorded, p.file.outs[i].legacy))
        not_in_cache.push_back({snap.is_dir ? rel + "/" : rel, "", "", recorded});
    }
  }
  return state;
}

}  // namespace

DiffResult diff_revisions(Workspace& ws, const std::string& a_rev,
                          const std::optional<std::string>& b_rev) {
  GitTree git(ws.root());
  DiffResult result;
  State old_state = state_at(ws, git, a_rev);
  State new_state;
  if (b_rev) {
    new_state = state_at(ws, git, *b_rev);
  } else {
    result.against_workspace = true;
    new_state = state_of_workspace(ws, result.not_in_cache);
  }
  std::vector<DiffEntry> added, deleted;
  for (const auto& [path, hash] : new_state) {
    auto it = old_state.find(path);
    if (it == old_state.end())
      added.push_back({path, "", "", hash});
    else if (it->second != hash)
      result.modified.push_back({path, "", it->second, hash});
  }
  for (const auto& [path, hash] : old_state)
    if (!new_state.count(path)) deleted.push_back({path, "", hash, ""});
  // A deleted and an added path with the same content (and kind) is a rename.
  for (auto& d : deleted) {
    auto match = std::find_if(added.begin(), added.end(), [&](const DiffEntry& a) {
      return a.new_hash == d.old_hash && a.is_dir() == d.is_dir();
    });
    if (match == added.end()) {
      result.deleted.push_back(d);
      continue;
    }
    result.renamed.push_back({match->path, d.path, d.old_hash, match->new_hash});
    added.erase(match);
  }
  result.added = std::move(added);
  return result;
}

}  // namespace plinth::repo
