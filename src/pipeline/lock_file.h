#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/values.h"

namespace plinth::pipeline {

// A dep or out as recorded in dvc.lock (spec dvc-format.md §3.3).
struct LockedPath {
  std::string path;  // as written in dvc.yaml, relative to the stage's wdir
  std::string md5;   // "<hex>" or "<hex>.dir"; "" when unknown
  std::optional<int64_t> size;
  std::optional<int64_t> nfiles;  // directories only
  bool isexec = false;
  bool legacy = false;  // no `hash: md5` line (DVC 2.x)
};

// The lock body of one stage: what ran and what it read and wrote. This is also exactly what a
// run-cache entry holds.
struct StageLock {
  Value cmd;  // string or list of strings
  std::vector<LockedPath> deps;
  // file → {key → value}, params.yaml first, then other files by name.
  std::vector<std::pair<std::string, Value>> params;
  std::vector<LockedPath> outs;

  // The body as DVC's dict (path, hash, md5, size, nfiles, isexec per entry).
  Value to_value() const;
  // The YAML text of the body with its keys at column `indent` (dvc.lock: 4, run-cache: 0).
  std::string serialize(int indent) const;
  // Parses a body; `where` names the file and stage for errors.
  static StageLock parse(const YAML::Node& node, const std::string& where);
};

// The run-cache key and value of a lock body (spec dvc-format.md §3.6): sha256 of the sorted
// JSON without `size`/`nfiles`; for the key, outs are reduced to their paths.
std::string run_cache_value(const StageLock& lock);
std::string run_cache_key(const StageLock& lock);

// dvc.lock: schema '2.0', stages in the order they were first written.
class LockFile {
 public:
  // An empty lock when the file does not exist. Throws Error(kInvalidInput) naming the file and
  // line for broken YAML or an unknown schema.
  static LockFile load(const std::filesystem::path& path);
  static LockFile parse(const std::string& text, const std::string& name);

  const StageLock* find(const std::string& stage) const;
  // Replaces a stage's entry in place, or appends it.
  void set(const std::string& stage, StageLock lock);
  bool empty() const { return stages_.empty(); }
  const std::vector<std::pair<std::string, StageLock>>& stages() const { return stages_; }

  // DVC's exact bytes (ruamel block style, keys in DVC's order).
  std::string serialize() const;

 private:
  std::vector<std::pair<std::string, StageLock>> stages_;
};

}  // namespace plinth::pipeline
