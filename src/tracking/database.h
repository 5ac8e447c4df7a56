#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace plinth::tracking {

// A bound SQL parameter: NULL, integer, real or text.
using SqlValue = std::variant<std::monostate, int64_t, double, std::string>;

// One result row; columns by position as the SELECT lists them.
class Row {
 public:
  virtual ~Row() = default;
  virtual bool is_null(int column) const = 0;
  virtual int64_t integer(int column) const = 0;
  virtual double real(int column) const = 0;
  virtual std::string text(int column) const = 0;  // "" for NULL
};

// The little SQL the stores need, over SQLite or PostgreSQL. Statements use '?' placeholders
// (rewritten to $1, $2, ... for PostgreSQL) and the subset of SQL both engines share. One
// connection, used by one thread at a time: hold a Transaction around every use.
class Database {
 public:
  virtual ~Database() = default;

  virtual void exec(std::string_view sql, const std::vector<SqlValue>& params = {}) = 0;
  virtual void query(std::string_view sql, const std::vector<SqlValue>& params,
                     const std::function<void(const Row&)>& on_row) = 0;
  // Runs several ';'-separated statements without parameters (schema migrations).
  virtual void script(std::string_view sql) = 0;
  // Appends rows to `table` fast: COPY on PostgreSQL, a prepared INSERT on SQLite.
  virtual void insert_many(std::string_view table, const std::vector<std::string>& columns,
                           const std::vector<std::vector<SqlValue>>& rows) = 0;
  // Starts a transaction that takes the write lock at once, so two writers never deadlock.
  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;

  std::mutex& mutex() { return mutex_; }

 private:
  std::mutex mutex_;
};

// Holds the database's mutex and a transaction for its lifetime; rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(Database& db) : db_(db), lock_(db.mutex()) { db_.begin(); }
  ~Transaction() {
    if (!done_) try {
        db_.rollback();
      } catch (...) {
      }
  }
  void commit() {
    db_.commit();
    done_ = true;
  }

 private:
  Database& db_;
  std::unique_lock<std::mutex> lock_;
  bool done_ = false;
};

// Opens `uri`: "sqlite:///relative.db", "sqlite:////absolute.db", a plain "*.db" path, or
// "postgresql://user@host:port/db" (libpq connection URI; "?host=/socket/dir" works too).
// Applies pending schema migrations. Throws Error(kInvalidInput) for an unknown scheme and
// Error(kIo) when the database cannot be opened.
std::unique_ptr<Database> open_database(const std::string& uri);

// The first value of the first row of a query, or `fallback` when there is no row.
int64_t query_integer(Database& db, std::string_view sql, const std::vector<SqlValue>& params,
                      int64_t fallback);

}  // namespace plinth::tracking
