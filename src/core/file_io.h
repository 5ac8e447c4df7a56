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

// Replaces `path` atomically with `data`, mode 0666 & ~umask unless given.
void write_file_atomic(const std::filesystem::path& path, std::string_view data, mode_t mode = 0);

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
