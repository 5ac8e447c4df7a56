// The embedded online store: one SQLite table per feature view, one row per entity key.
// Tables are named plinth_<project>_<view>, so Feast's own tables (<project>_<view>) in the
// same file are left alone.

#include <sqlite3.h>

#include <map>
#include <mutex>
#include <set>

#include "core/error.h"
#include "features/online_store.h"

namespace plinth::features {
namespace fs = std::filesystem;

namespace {

std::string quote(const std::string& id) {
  std::string out = "\"";
  for (char c : id) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK)
      throw Error(ErrorCode::kIo, std::string("online store: ") + sqlite3_errmsg(db));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  sqlite3_stmt* get() { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// One connection with its prepared statements; used by one thread at a time.
struct Connection {
  sqlite3* db = nullptr;
  std::map<std::string, std::unique_ptr<Statement>> statements;
  ~Connection() {
    statements.clear();
    sqlite3_close(db);
  }
  sqlite3_stmt* prepare(const std::string& sql) {
    auto& s = statements[sql];
    if (!s) s = std::make_unique<Statement>(db, sql);
    sqlite3_reset(s->get());
    sqlite3_clear_bindings(s->get());
    return s->get();
  }
  void exec(const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      std::string m = message ? message : "unknown error";
      sqlite3_free(message);
      throw Error(ErrorCode::kIo, "online store: " + m + " (in: " + sql + ")");
    }
  }
  [[noreturn]] void fail(const std::string& what) {
    throw Error(ErrorCode::kIo, "online store: " + what + ": " + sqlite3_errmsg(db));
  }
};

class SqliteStore : public OnlineStore {
 public:
  SqliteStore(fs::path path, std::string project)
      : path_(std::move(path)), project_(std::move(project)) {
    if (path_.has_parent_path()) fs::create_directories(path_.parent_path());
    auto c = connect();
    c->exec("CREATE TABLE IF NOT EXISTS plinth_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)");
    release(std::move(c));
  }

  std::string describe() const override { return "sqlite (" + path_.string() + ")"; }

  size_t write(const std::string& view, const std::vector<OnlineRecord>& records,
               const std::vector<std::pair<std::string, std::string>>& meta) override {
    auto c = acquire();
    ensure_table(*c, view);
    size_t changed = 0;
    c->exec("BEGIN IMMEDIATE");
    try {
      std::string t = table(view);
      sqlite3_stmt* s = c->prepare("INSERT INTO " + t +
                                   " (entity_key, event_ts, value) VALUES (?, ?, ?) "
                                   "ON CONFLICT(entity_key) DO UPDATE SET "
                                   "event_ts = excluded.event_ts, value = excluded.value "
                                   "WHERE excluded.event_ts > " +
                                   t + ".event_ts");
      for (const auto& r : records) {
        sqlite3_reset(s);
        sqlite3_bind_text(s, 1, r.key.data(), int(r.key.size()), SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, r.event_ts);
        sqlite3_bind_blob(s, 3, r.value.data(), int(r.value.size()), SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_DONE) c->fail("writing " + view);
        changed += sqlite3_changes(c->db);
      }
      for (const auto& [name, value] : meta) put_meta(*c, name, value);
      c->exec("COMMIT");
    } catch (...) {
      sqlite3_exec(c->db, "ROLLBACK", nullptr, nullptr, nullptr);
      release(std::move(c));
      throw;
    }
    release(std::move(c));
    return changed;
  }

  std::vector<std::optional<OnlineRecord>> read(const std::string& view,
                                                const std::vector<std::string>& keys) override {
    std::vector<std::optional<OnlineRecord>> out(keys.size());
    auto c = acquire();
    if (!has_table(*c, view)) {
      release(std::move(c));
      return out;
    }
    sqlite3_stmt* s =
        c->prepare("SELECT event_ts, value FROM " + table(view) + " WHERE entity_key = ?");
    for (size_t i = 0; i < keys.size(); ++i) {
      sqlite3_reset(s);
      sqlite3_bind_text(s, 1, keys[i].data(), int(keys[i].size()), SQLITE_STATIC);
      int rc = sqlite3_step(s);
      if (rc == SQLITE_ROW) {
        auto* blob = static_cast<const char*>(sqlite3_column_blob(s, 1));
        out[i] = OnlineRecord{keys[i], sqlite3_column_int64(s, 0),
                              std::string(blob ? blob : "", sqlite3_column_bytes(s, 1))};
      } else if (rc != SQLITE_DONE) {
        c->fail("reading " + view);
      }
    }
    sqlite3_reset(s);
    release(std::move(c));
    return out;
  }

  void update(const std::string& view, const std::string& key, const Change& change) override {
    auto c = acquire();
    ensure_table(*c, view);
    c->exec("BEGIN IMMEDIATE");
    try {
      std::string t = table(view);
      sqlite3_stmt* s = c->prepare("SELECT event_ts, value FROM " + t + " WHERE entity_key = ?");
      sqlite3_bind_text(s, 1, key.data(), int(key.size()), SQLITE_STATIC);
      std::optional<OnlineRecord> current;
      if (sqlite3_step(s) == SQLITE_ROW) {
        auto* blob = static_cast<const char*>(sqlite3_column_blob(s, 1));
        current = OnlineRecord{key, sqlite3_column_int64(s, 0),
                               std::string(blob ? blob : "", sqlite3_column_bytes(s, 1))};
      }
      sqlite3_reset(s);
      if (auto next = change(current)) {
        sqlite3_stmt* w = c->prepare("INSERT OR REPLACE INTO " + t +
                                     " (entity_key, event_ts, value) VALUES (?, ?, ?)");
        sqlite3_bind_text(w, 1, key.data(), int(key.size()), SQLITE_STATIC);
        sqlite3_bind_int64(w, 2, next->event_ts);
        sqlite3_bind_blob(w, 3, next->value.data(), int(next->value.size()), SQLITE_STATIC);
        if (sqlite3_step(w) != SQLITE_DONE) c->fail("writing " + view);
      }
      c->exec("COMMIT");
    } catch (...) {
      sqlite3_exec(c->db, "ROLLBACK", nullptr, nullptr, nullptr);
      release(std::move(c));
      throw;
    }
    release(std::move(c));
  }

  std::optional<std::string> get_meta(const std::string& name) override {
    auto c = acquire();
    sqlite3_stmt* s = c->prepare("SELECT value FROM plinth_meta WHERE name = ?");
    sqlite3_bind_text(s, 1, name.data(), int(name.size()), SQLITE_STATIC);
    std::optional<std::string> out;
    if (sqlite3_step(s) == SQLITE_ROW)
      out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    sqlite3_reset(s);
    release(std::move(c));
    return out;
  }

  bool healthy() override {
    try {
      auto c = acquire();
      c->exec("SELECT 1");
      release(std::move(c));
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }

 private:
  // "plinth_" keeps these apart from Feast's own tables when both share a database file.
  std::string table_name(const std::string& view) const {
    return "plinth_" + project_ + "_" + view;
  }
  std::string table(const std::string& view) const { return quote(table_name(view)); }

  std::unique_ptr<Connection> connect() {
    auto c = std::make_unique<Connection>();
    if (sqlite3_open_v2(path_.c_str(), &c->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK)
      throw Error(ErrorCode::kIo, "cannot open the online store " + path_.string() + ": " +
                                      (c->db ? sqlite3_errmsg(c->db) : "out of memory"));
    sqlite3_busy_timeout(c->db, 30'000);
    c->exec("PRAGMA journal_mode=WAL");
    c->exec("PRAGMA synchronous=NORMAL");
    return c;
  }

  std::unique_ptr<Connection> acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return c;
      }
    }
    return connect();
  }

  void release(std::unique_ptr<Connection> c) {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(c));
  }

  bool has_table(Connection& c, const std::string& view) {
    {
      std::lock_guard lock(mutex_);
      if (created_.count(view)) return true;
    }
    sqlite3_stmt* s = c.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
    std::string name = table_name(view);
    sqlite3_bind_text(s, 1, name.data(), int(name.size()), SQLITE_STATIC);
    bool found = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_reset(s);
    if (found) {
      std::lock_guard lock(mutex_);
      created_.insert(view);
    }
    return found;
  }

  void ensure_table(Connection& c, const std::string& view) {
    if (has_table(c, view)) return;
    c.exec("CREATE TABLE IF NOT EXISTS " + table(view) +
           " (entity_key TEXT PRIMARY KEY, event_ts INTEGER NOT NULL, value BLOB NOT NULL)"
           " WITHOUT ROWID");
    std::lock_guard lock(mutex_);
    created_.insert(view);
  }

  void put_meta(Connection& c, const std::string& name, const std::string& value) {
    sqlite3_stmt* s = c.prepare("INSERT OR REPLACE INTO plinth_meta (name, value) VALUES (?, ?)");
    sqlite3_bind_text(s, 1, name.data(), int(name.size()), SQLITE_STATIC);
    sqlite3_bind_text(s, 2, value.data(), int(value.size()), SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE) c.fail("writing " + name);
    sqlite3_reset(s);
  }

  fs::path path_;
  std::string project_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::set<std::string> created_;
};

}  // namespace

std::unique_ptr<OnlineStore> open_sqlite_store(const fs::path& path, const std::string& project) {
  return std::make_unique<SqliteStore>(path, project);
}

std::unique_ptr<OnlineStore> open_online_store(const OnlineStoreConfig& config,
                                               const std::string& project) {
  if (config.type == OnlineStoreConfig::Type::kRedis)
    return open_redis_store(config.connection_string, project, config.key_ttl_seconds);
  return open_sqlite_store(config.path, project);
}

}  // namespace plinth::features
