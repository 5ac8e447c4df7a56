#include "core/file_io.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <random>

#include "core/error.h"

namespace plinth::core {
namespace fs = std::filesystem;

namespace {

std::mutex hook_mutex;
FaultHook fault_hook;

void check_fault(FsOp op, const fs::path& path) {
  FaultHook hook;
  {
    std::lock_guard lock(hook_mutex);
    hook = fault_hook;
  }
  if (hook) hook(op, path);
}

std::string unique_suffix() {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[64];
  snprintf(buf, sizeof buf, ".%d.%llx.%llu.tmp", static_cast<int>(getpid()),
           static_cast<unsigned long long>(rng() & 0xffffffffull),
           static_cast<unsigned long long>(counter++));
  return buf;
}

void fsync_directory(const fs::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw system_error("open directory", dir.string(), errno);
  check_fault(FsOp::kFsync, dir);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) throw system_error("fsync directory", dir.string(), err);
}

}  // namespace

void set_fault_hook(FaultHook hook) {
  std::lock_guard lock(hook_mutex);
  fault_hook = std::move(hook);
}

mode_t default_file_mode() {
  static const mode_t mask = [] {
    mode_t m = ::umask(0);
    ::umask(m);
    return m;
  }();
  return 0666 & ~mask;
}

AtomicFile::AtomicFile(fs::path target, fs::path temp_dir) : target_(std::move(target)) {
  fs::path dir = temp_dir.empty() ? target_.parent_path() : std::move(temp_dir);
  temp_ = dir / (target_.filename().string() + unique_suffix());
  check_fault(FsOp::kCreate, temp_);
  fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd_ < 0) throw system_error("create", temp_.string(), errno);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_.c_str());
}

void AtomicFile::write(std::string_view data) {
  check_fault(FsOp::kWrite, temp_);
  while (!data.empty()) {
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw system_error("write", temp_.string(), errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void AtomicFile::commit(mode_t mode, Durability durability) {
  if (durability == Durability::kFsync) {
    check_fault(FsOp::kFsync, temp_);
    if (::fsync(fd_) != 0) throw system_error("fsync", temp_.string(), errno);
  }
  if (::fchmod(fd_, mode) != 0) throw system_error("chmod", temp_.string(), errno);
  ::close(fd_);
  fd_ = -1;
  rename_durable(temp_, target_, durability);
  committed_ = true;
}

void rename_durable(const fs::path& from, const fs::path& to, Durability durability) {
  check_fault(FsOp::kRename, to);
  if (::rename(from.c_str(), to.c_str()) != 0) throw system_error("rename to", to.string(), errno);
  if (durability == Durability::kFsync) fsync_directory(to.parent_path());
}

void write_file_atomic(const fs::path& path, std::string_view data, mode_t mode) {
  AtomicFile file(path);
  file.write(data);
  file.commit(mode == 0 ? default_file_mode() : mode);
}

std::string read_file(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw system_error("read", path.string(), errno);
  std::string out;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      throw system_error("read", path.string(), err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

bool try_reflink(const fs::path& src, int dst_fd) {
  int fd = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw system_error("read", src.string(), errno);
  int rc = ::ioctl(dst_fd, FICLONE, fd);
  int err = errno;
  ::close(fd);
  if (rc == 0) return true;
  if (err == EOPNOTSUPP || err == EXDEV || err == EINVAL || err == ENOTTY || err == ENOSYS ||
      err == EPERM || err == EAGAIN)
    return false;
  throw system_error("clone", src.string(), err);
}

}  // namespace plinth::core
