#pragma once

// How a stage stands against its dvc.lock entry: shared by repro, status, commit and checkout.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "pipeline/dvc_yaml.h"
#include "pipeline/lock_file.h"
#include "repo/workspace.h"

namespace plinth::pipeline {

// Values of a stage's params from one file: the requested keys (dotted, sorted), or the whole
// file's top level. Missing keys are left out, or with `strict` reported as an Error naming
// the stage, key and file.
Value param_values(repo::Workspace& ws, const Stage& stage, const StageParams& p, bool strict);

const LockedPath* find_path(const std::vector<LockedPath>& paths, const std::string& path);

// A stage output as the workspace knows outputs, with the hash `locked` records (if any).
repo::Output to_output(const LockedPath* locked, const StageOut& out);

// The lock body the stage has now: cmd, deps hashed (md5 "" when missing), params read, and
// outs as `lock` records them (paths only when absent). `strict`: see param_values.
StageLock build_lock(repo::Workspace& ws, const Stage& stage, const StageLock* lock, bool strict);

// DVC's status list for the stage (spec dvc-format.md §3.4, §5.1); empty when up to date.
Value stage_changes(repo::Workspace& ws, const Stage& stage, const StageLock* lock);

// The dvc.lock files of a pipeline, one beside each dvc.yaml, each loaded on first use.
class LockFiles {
 public:
  explicit LockFiles(std::filesystem::path root) : root_(std::move(root)) {}
  LockFile& of(const Stage& stage);
  // The stage's dvc.lock, repo-relative, for messages.
  static std::string name_of(const Stage& stage);
  // Writes the stage's dvc.lock atomically.
  void write(const Stage& stage);

 private:
  std::filesystem::path root_;
  std::map<std::string, LockFile> files_;  // by dvc.yaml directory
};

// DVC's "always changed" stages: `always_changed: true`, and "callback" stages, which have
// neither deps (params count as deps) nor outs (dvc/stage/__init__.py is_callback).
bool always_changes(const Stage& stage);

// Whether outputs may come back from dvc.lock or the run-cache instead of a run: the stage has
// deps (params count) and outs, none persistent, and is not always changed
// (dvc/stage/cache.py _can_hash).
bool restorable(const Stage& stage);

// Whether a run-cache entry may be saved for the stage: restorable, and no `cache: false`
// output other than metrics and plots (spec dvc-format.md §3.5).
bool run_cache_allowed(const Stage& stage);

}  // namespace plinth::pipeline
