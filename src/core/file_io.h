#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace plinth::core {

// Every filesystem write Plinth makes goes through these helpers, so that a crash leaves either
// the old file or the new one, never a mix, and so tests can make any step fail.

enum class FsOp { kCreate, kWrite, kFsync, kRename };

// Test hook, called before each create, write, fsync and rename done by these helpers. A hook
// that throws simulates that operation failing. Pass nullptr to remove it.
using FaultHook = std::function<void(FsOp op, const std::filesystem::path& path)>;
void set_fault_hook(FaultHook hook);

// kFsync: the file and its directory are fsynced before commit() returns. kDeferred: only the
// rename is atomic; the caller makes many files durable at once later (e.g. with syncfs).
enum class Durability { kFsync, kDeferred };

// A new file that becomes visible under its final name only when commit() succeeds. The bytes
// go to a uniquely named temporary file in `temp_dir` (default: the target's directory, which
// must be on the same filesystem); commit() fsyncs it, applies `mode`, renames it over the
// target and fsyncs the directory. Destroying an uncommitted AtomicFile deletes the temporary.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path target, std::filesystem::path temp_dir = {});
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  int fd() const { return fd_; }
  const std::filesystem::path& temp_path() const { return temp_; }
  void write(std::string_view data);
  // Changes the final name; only before commit().
  void retarget(std::filesystem::path target) { target_ = std::move(target); }
  void commit(mode_t mode, Durability durability = Durability::kFsync);

 private:
  std::filesystem::path target_;
  std::filesystem::path temp_;
  int fd_ = -1;
  bool committed_ = false;
};

// A new file that appears under its final name complete or not at all, and never replaces an
// existing file. The bytes go to an unnamed file (O_TMPFILE) in `dir`, which must be on the
// same filesystem as the final name; a crash before link_as() leaves nothing behind. Where the
// filesystem has no O_TMPFILE, a named temporary in `dir` is used instead.
class NewFile {
 public:
  explicit NewFile(const std::filesystem::path& dir);
  ~NewFile();
  NewFile(const NewFile&) = delete;
  NewFile& operator=(const NewFile&) = delete;

  int fd() const { return fd_; }
  // A path the bytes can be read back from before link_as().
  std::filesystem::path readable_path() const;
  // Names the file `target` with `mode`, creating missing parent directories. Returns false,
  // leaving `target` untouched, when it already exists.
  bool link_as(const std::filesystem::path& target, mode_t mode, Durability durability);

 private:
  std::filesystem::path dir_;
  std::filesystem::path named_temp_;  // empty when the file is unnamed
  int fd_ = -1;
};

// An open file descriptor, closed when this goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd();
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Opens `path` for reading. Throws Error naming the path (kNotFound when it does not exist).
Fd open_for_reading(const std::filesystem::path& path);

// Replaces `path` atomically with `data`, mode 0666 & ~umask unless given.
void write_file_atomic(const std::filesystem::path& path, std::string_view data, mode_t mode = 0);

// Reads until `size` bytes or end of file; returns how many were read. Retries on EINTR;
// throws Error naming `path` on failure.
size_t read_up_to(int fd, char* buf, size_t size, const std::filesystem::path& path);
// Writes all of `data`, retrying short writes; throws Error naming `path` on failure.
void write_all(int fd, std::string_view data, const std::filesystem::path& path);

// Whole file into memory. Throws Error naming the path.
std::string read_file(const std::filesystem::path& path);

// Renames through the fault hook, then fsyncs the destination directory unless deferred.
void rename_durable(const std::filesystem::path& from, const std::filesystem::path& to,
                    Durability durability = Durability::kFsync);

// The mode a new file gets: 0666 & ~umask.
mode_t default_file_mode();

// Clones `src` into the open file `dst_fd` with FICLONE (reflink). False where the filesystem
// cannot (different device, no support); throws on other errors.
bool try_reflink(const std::filesystem::path& src, int dst_fd);

}  // namespace plinth::core
