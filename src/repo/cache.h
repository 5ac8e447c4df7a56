#pragma once

#include <sys/stat.h>

#include <array>
#include <atomic>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/file_io.h"
#include "core/hash.h"

namespace plinth::repo {

// How a workspace file is made from its cache object, in order of preference
// (config `cache.type`, default "reflink,copy"; spec dvc-format.md §7).
enum class LinkType { kReflink, kHardlink, kSymlink, kCopy };
std::vector<LinkType> parse_link_types(const std::string& config_value);
const char* link_type_name(LinkType type);

enum class ObjectState { kOk, kMissing, kCorrupted };

// The content-addressed object store: `<root>/files/md5/ab/cdef…` for DVC 3 objects and
// `<root>/ab/cdef…` for DVC 2.x ("legacy") ones. Objects are read-only (0444) and enter the
// store only under their final name after their bytes are complete: a crash never leaves a
// partial object where a reader would find it.
class ObjectCache {
 public:
  explicit ObjectCache(std::filesystem::path root);
  ~ObjectCache();

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path object_path(const std::string& oid, bool legacy = false) const;
  bool contains(const std::string& oid, bool legacy = false) const;

  // Verifies an object: an object with mode exactly 0444 is trusted without reading it (DVC's
  // rule); any other is re-hashed, and deleted if its bytes no longer match its name.
  ObjectState check(const std::string& oid, bool legacy = false) const;

  // Stores a copy of `src` (by reflink where the filesystem can, else by copying while
  // hashing) and returns its md5. Objects are not fsynced one by one; call sync() before
  // writing anything that refers to them. Thread-safe.
  // `size`, when known (from a scan), spares a stat of `src`.
  std::string insert_file(const std::filesystem::path& src,
                          const std::function<void(size_t)>& bytes_read = {},
                          std::optional<off_t> size = std::nullopt);
  // Stores `data` under `oid` (used for `.dir` manifests), unless present.
  void insert_bytes(const std::string& oid, const std::string& data);
  // Flushes every object written so far to disk (syncfs on the cache's filesystem).
  void sync() const;

  // Makes `dest` a workspace copy of the object with the first link type that works, falling
  // back per file. Replaces `dest` atomically if it exists. Returns the type used.
  LinkType link_out(const std::string& oid, const std::filesystem::path& dest,
                    const std::vector<LinkType>& types, bool isexec, bool legacy = false) const;

  // Every DVC 3 object id in the store (with ".dir" for manifests).
  std::vector<std::string> list_objects() const;
  void remove(const std::string& oid) const;
  // Temporary files left by an interrupted insert (removed by gc).
  std::vector<std::filesystem::path> stale_temp_files() const;

 private:
  friend class IncomingObject;
  std::filesystem::path objects_dir();
  void store(core::NewFile& file, const std::string& oid, bool legacy = false);
  // stat() of an object; DVC 3 objects relative to an open `files/md5`, so the kernel looks up
  // two names instead of the cache's whole path (status stats every object of a directory).
  bool stat_object(const std::string& oid, bool legacy, struct stat* st) const;
  int objects_fd() const;  // -1 while `files/md5` does not exist

  std::filesystem::path root_;
  std::once_flag objects_dir_created_;
  mutable std::atomic<bool> reflink_works_{true};  // false once a reflink was refused
  mutable std::atomic<int> objects_fd_{-1};
  std::array<std::atomic<bool>, 256> prefix_made_{};  // files/md5/<xx>/ exists
};

// An object arriving from elsewhere (a remote). Its bytes go to an unnamed file in the cache
// and are hashed on the way; commit() names the object only if they hash to its id, so bytes
// damaged in storage or in transit never enter the cache.
class IncomingObject {
 public:
  IncomingObject(ObjectCache& cache, std::string oid, bool legacy);

  void write(std::string_view data);
  // Drops everything received so far (a transfer is being retried).
  void reset();
  // Throws Error(kCorrupted) naming the object and `source` when the bytes do not match.
  void commit(const std::string& source);

 private:
  ObjectCache& cache_;
  std::string oid_;
  bool legacy_;
  core::NewFile file_;
  std::unique_ptr<core::Md5> md5_;
  uint64_t size_ = 0;
};

}  // namespace plinth::repo
