#pragma once

#include <filesystem>
#include <vector>

#include "pipeline/lock_file.h"

namespace plinth::pipeline {

// Earlier runs of stages, by what they ran on (spec dvc-format.md §3.5): the lock body of each
// run is stored at `<cache>/runs/<key[0:2]>/<key>/<value>`, so a stage whose command, deps and
// params match a stored key can take its outputs from the cache instead of running.
class RunCache {
 public:
  explicit RunCache(std::filesystem::path cache_root) : root_(std::move(cache_root) / "runs") {}

  // Entries stored under the key of `lock`, newest first. Unreadable entries are skipped.
  std::vector<StageLock> lookup(const StageLock& lock) const;
  // Stores `lock` (complete, with out hashes) under its key and value; atomic.
  void save(const StageLock& lock) const;

 private:
  std::filesystem::path root_;
};

}  // namespace plinth::pipeline
