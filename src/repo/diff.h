#pragma once

#include <optional>
#include <string>
#include <vector>

#include "repo/workspace.h"

namespace plinth::repo {

// One changed path in `plinth diff`, in DVC's shape (spec dvc-format.md §5.2). Directories
// appear as their own entry with a trailing '/' besides one entry per changed file inside.
struct DiffEntry {
  std::string path;      // for renames: the new path
  std::string old_path;  // renames only
  std::string old_hash;  // deleted, modified, renamed
  std::string new_hash;  // added, modified, renamed, not in cache
  bool is_dir() const { return path.ends_with("/"); }
};

struct DiffResult {
  std::vector<DiffEntry> added, deleted, modified, renamed, not_in_cache;
  bool against_workspace = false;
};

// Tracked data at git revision `a_rev` against `b_rev`, or against the workspace's current
// files when `b_rev` is empty. Pointer files are read from git; directory contents come from
// their manifests in the cache (a directory whose manifest is not cached shows as one entry).
DiffResult diff_revisions(Workspace& workspace, const std::string& a_rev,
                          const std::optional<std::string>& b_rev);

}  // namespace plinth::repo
