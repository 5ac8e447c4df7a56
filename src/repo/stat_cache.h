#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

struct sqlite3;

namespace plinth::repo {

// Remembers the md5 of files by (inode, mtime, size) so an unchanged file is never hashed
// twice (spec dvc-format.md §3.4). Stored in SQLite at `.dvc/tmp/plinth-state.db`. The whole
// table is read into memory on open; new entries are written by flush() in one transaction.
// lookup() and record() are thread-safe.
class StatCache {
 public:
  explicit StatCache(const std::filesystem::path& db_path);
  ~StatCache();
  StatCache(const StatCache&) = delete;
  StatCache& operator=(const StatCache&) = delete;

  std::optional<std::string> lookup(const struct stat& st) const;
  void record(const struct stat& st, const std::string& md5);
  // Writes recorded entries. Called by the destructor too; errors there are only logged,
  // since a lost entry costs a re-hash, never a wrong answer.
  void flush();

 private:
  struct Entry {
    int64_t mtime_ns;
    int64_t size;
    std::string md5;
  };
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
  mutable std::mutex mutex_;
  std::unordered_map<uint64_t, Entry> entries_;
  std::vector<uint64_t> dirty_;
};

int64_t mtime_ns(const struct stat& st);

}  // namespace plinth::repo
