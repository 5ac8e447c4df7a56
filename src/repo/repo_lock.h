#pragma once

#include <filesystem>

namespace plinth::repo {

// An exclusive lock on the repository for commands that write (add, checkout, commit, remove,
// gc). Held with flock() on `.dvc/tmp/lock`, so it disappears with the process even after
// kill -9. A second writer fails at once with Error(kLocked) naming the holder's pid.
class RepoLock {
 public:
  explicit RepoLock(const std::filesystem::path& dvc_dir);
  ~RepoLock();
  RepoLock(const RepoLock&) = delete;
  RepoLock& operator=(const RepoLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace plinth::repo
