#include "repo/repo_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "core/error.h"

namespace plinth::repo {
namespace fs = std::filesystem;

RepoLock::RepoLock(const fs::path& dvc_dir) {
  fs::path tmp = dvc_dir / "tmp";
  std::error_code ec;
  fs::create_directories(tmp, ec);
  fs::path path = tmp / "lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw system_error("open the repository lock", path.string(), errno);
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    char buf[32] = {0};
    ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
    std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "unknown";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    ::close(fd_);
    fd_ = -1;
    if (err != EWOULDBLOCK) throw system_error("lock", path.string(), err);
    throw Error(ErrorCode::kLocked, "the repository is locked by another plinth process (pid " +
                                        pid + ", lock " + path.string() +
                                        "); wait for it to finish and retry");
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0)
    throw system_error("write the repository lock", path.string(), errno);
}

RepoLock::~RepoLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace plinth::repo
