#include "repo/stat_cache.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include "core/error.h"

namespace plinth::repo {
namespace fs = std::filesystem;

namespace {

void exec(sqlite3* db, const char* sql, const fs::path& path) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw Error(ErrorCode::kIo,
                "stat cache " + path.string() + ": " + msg + "; delete the file to rebuild it");
  }
}

}  // namespace

int64_t mtime_ns(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

StatCache::StatCache(const fs::path& db_path) : path_(db_path) {
  std::error_code ec;
  fs::create_directories(db_path.parent_path(), ec);
  if (sqlite3_open(db_path.c_str(), &db_) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(ErrorCode::kIo, "cannot open stat cache " + db_path.string() + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  exec(db_, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", path_);
  exec(db_,
       "CREATE TABLE IF NOT EXISTS file_hashes (inode INTEGER PRIMARY KEY, mtime_ns INTEGER "
       "NOT NULL, size INTEGER NOT NULL, md5 TEXT NOT NULL)",
       path_);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db_, "SELECT inode, mtime_ns, size, md5 FROM file_hashes", -1, &stmt, nullptr);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    entries_[static_cast<uint64_t>(sqlite3_column_int64(stmt, 0))] = {
        sqlite3_column_int64(stmt, 1), sqlite3_column_int64(stmt, 2),
        reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3))};
  }
  sqlite3_finalize(stmt);
}

StatCache::~StatCache() {
  try {
    flush();
  } catch (const std::exception& e) {
    spdlog::warn("{}", e.what());
  }
  sqlite3_close(db_);
}

std::optional<std::string> StatCache::lookup(const struct stat& st) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(st.st_ino);
  if (it == entries_.end() || it->second.mtime_ns != mtime_ns(st) || it->second.size != st.st_size)
    return std::nullopt;
  return it->second.md5;
}

void StatCache::record(const struct stat& st, const std::string& md5) {
  std::lock_guard lock(mutex_);
  entries_[st.st_ino] = {mtime_ns(st), st.st_size, md5};
  dirty_.push_back(st.st_ino);
}

void StatCache::flush() {
  std::lock_guard lock(mutex_);
  if (dirty_.empty()) return;
  exec(db_, "BEGIN", path_);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO file_hashes VALUES (?, ?, ?, ?)", -1, &stmt,
                     nullptr);
  for (uint64_t inode : dirty_) {
    const Entry& e = entries_[inode];
    sqlite3_bind_int64(stmt, 1, static_cast<sqlite3_int64>(inode));
    sqlite3_bind_int64(stmt, 2, e.mtime_ns);
    sqlite3_bind_int64(stmt, 3, e.size);
    sqlite3_bind_text(stmt, 4, e.md5.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_step(stmt);
    sqlite3_reset(stmt);
  }
  sqlite3_finalize(stmt);
  exec(db_, "COMMIT", path_);
  dirty_.clear();
}

}  // namespace plinth::repo
