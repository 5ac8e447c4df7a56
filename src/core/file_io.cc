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
  // An output in a folder that does not exist yet (`--out data/features/train.csv`): make the
  // folder, as `mkdir -p` would, rather than fail naming a temporary file.
  std::error_code ec;
  if (fd_ < 0 && errno == ENOENT && !dir.empty() && fs::create_directories(dir, ec))
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd_ < 0) throw system_error("create", target_.string(), errno);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_.c_str());
}

void AtomicFile::write(std::string_view data) {
  check_fault(FsOp::kWrite, temp_);
  write_all(fd_, data, temp_);
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

NewFile::NewFile(const fs::path& dir) : dir_(dir) {
  check_fault(FsOp::kCreate, dir);
  fd_ = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd_ >= 0) return;
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
    throw system_error("create a file in", dir.string(), errno);
  named_temp_ = dir / ("object" + unique_suffix());
  fd_ = ::open(named_temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd_ < 0) throw system_error("create", named_temp_.string(), errno);
}

NewFile::~NewFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!named_temp_.empty()) ::unlink(named_temp_.c_str());
}

fs::path NewFile::readable_path() const {
  return named_temp_.empty() ? fs::path("/proc/self/fd") / std::to_string(fd_) : named_temp_;
}

bool NewFile::link_as(const fs::path& target, mode_t mode, Durability durability) {
  if (durability == Durability::kFsync) {
    check_fault(FsOp::kFsync, target);
    if (::fsync(fd_) != 0) throw system_error("fsync", target.string(), errno);
  }
  if (::fchmod(fd_, mode) != 0) throw system_error("chmod", target.string(), errno);
  check_fault(FsOp::kRename, target);
  auto link_once = [&] {
    if (!named_temp_.empty()) return ::link(named_temp_.c_str(), target.c_str());
    std::string proc = "/proc/self/fd/" + std::to_string(fd_);
    int rc = ::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, target.c_str(), AT_SYMLINK_FOLLOW);
    if (rc != 0 && errno == ENOENT && !fs::exists("/proc/self/fd"))
      rc = ::linkat(fd_, "", AT_FDCWD, target.c_str(), AT_EMPTY_PATH);  // no /proc mounted
    return rc;
  };
  int rc = link_once();
  if (rc != 0 && errno == ENOENT) {
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    rc = link_once();
  }
  if (rc != 0) {
    if (errno == EEXIST) return false;
    throw system_error("create", target.string(), errno);
  }
  if (durability == Durability::kFsync) fsync_directory(target.parent_path());
  return true;
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

size_t read_up_to(int fd, char* buf, size_t size, const fs::path& path) {
  size_t filled = 0;
  while (filled < size) {
    ssize_t n = ::read(fd, buf + filled, size - filled);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw system_error("read", path.string(), errno);
    }
    if (n == 0) break;
    filled += static_cast<size_t>(n);
  }
  return filled;
}

void write_all(int fd, std::string_view data, const fs::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw system_error("write", path.string(), errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

std::string read_file(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw system_error("read", path.string(), errno);
  std::string out;
  char buf[1 << 16];
  try {
    while (size_t n = read_up_to(fd, buf, sizeof buf, path)) out.append(buf, n);
  } catch (...) {
    ::close(fd);
    throw;
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

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

Fd open_for_reading(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw system_error("open", path.string(), errno);
  return Fd(fd);
}

}  // namespace plinth::core
