#include <libpq-fe.h>

#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "tracking/internal/databases.h"

namespace plinth::tracking::internal {
namespace {

class PostgresRow : public Row {
 public:
  PostgresRow(PGresult* res, int row) : res_(res), row_(row) {}
  bool is_null(int c) const override { return PQgetisnull(res_, row_, c); }
  int64_t integer(int c) const override {
    return is_null(c) ? 0 : std::strtoll(PQgetvalue(res_, row_, c), nullptr, 10);
  }
  double real(int c) const override {
    return is_null(c) ? 0 : std::strtod(PQgetvalue(res_, row_, c), nullptr);
  }
  std::string text(int c) const override {
    return std::string(PQgetvalue(res_, row_, c), PQgetlength(res_, row_, c));
  }

 private:
  PGresult* res_;
  int row_;
};

struct ResultCloser {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultCloser>;

std::string to_text(const SqlValue& v) {
  if (auto* n = std::get_if<int64_t>(&v)) return std::to_string(*n);
  if (auto* d = std::get_if<double>(&v)) {
    if (std::isnan(*d)) return "NaN";
    if (std::isinf(*d)) return *d > 0 ? "Infinity" : "-Infinity";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", *d);
    return buf;
  }
  return std::get<std::string>(v);
}

// '?' placeholders to $1, $2, ... (the stores' SQL has no '?' inside literals).
std::string numbered(std::string_view sql) {
  std::string out;
  int n = 0;
  for (char c : sql) {
    if (c == '?')
      out += "$" + std::to_string(++n);
    else
      out += c;
  }
  return out;
}

// COPY text format: backslash escapes, \N for NULL.
void append_copy_field(std::string& out, const SqlValue& v) {
  if (std::holds_alternative<std::monostate>(v)) {
    out += "\\N";
    return;
  }
  for (char c : to_text(v)) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
}

class PostgresDatabase : public Database {
 public:
  explicit PostgresDatabase(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(conn_);
      PQfinish(conn_);
      throw Error(ErrorCode::kIo, "cannot connect to PostgreSQL: " + msg);
    }
    script("SET client_min_messages = warning");
  }
  ~PostgresDatabase() override { PQfinish(conn_); }

  void exec(std::string_view sql, const std::vector<SqlValue>& params) override {
    run(sql, params);
  }

  void query(std::string_view sql, const std::vector<SqlValue>& params,
             const std::function<void(const Row&)>& on_row) override {
    Result res = run(sql, params);
    int rows = PQntuples(res.get());
    for (int i = 0; i < rows; ++i) on_row(PostgresRow(res.get(), i));
  }

  void script(std::string_view sql) override {
    Result res(PQexec(conn_, std::string(sql).c_str()));
    check(res.get(), sql);
  }

  void insert_many(std::string_view table, const std::vector<std::string>& columns,
                   const std::vector<std::vector<SqlValue>>& rows) override {
    std::string sql = "COPY " + std::string(table) + " (";
    for (size_t i = 0; i < columns.size(); ++i) sql += (i ? ", " : "") + columns[i];
    sql += ") FROM STDIN";
    Result start(PQexec(conn_, sql.c_str()));
    if (PQresultStatus(start.get()) != PGRES_COPY_IN) check(start.get(), sql);
    std::string data;
    for (const auto& row : rows) {
      for (size_t i = 0; i < row.size(); ++i) {
        if (i) data += '\t';
        append_copy_field(data, row[i]);
      }
      data += '\n';
    }
    if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) != 1 ||
        PQputCopyEnd(conn_, nullptr) != 1)
      throw Error(ErrorCode::kIo, std::string("PostgreSQL COPY: ") + PQerrorMessage(conn_));
    Result end(PQgetResult(conn_));
    check(end.get(), sql);
    while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
  }

  void begin() override { script("BEGIN; SELECT pg_advisory_xact_lock(7)"); }
  void commit() override { script("COMMIT"); }
  void rollback() override { script("ROLLBACK"); }

 private:
  Result run(std::string_view sql, const std::vector<SqlValue>& params) {
    std::vector<std::string> texts;
    texts.reserve(params.size());
    std::vector<const char*> values;
    for (const auto& p : params) {
      if (std::holds_alternative<std::monostate>(p)) {
        texts.emplace_back();
        values.push_back(nullptr);
      } else {
        texts.push_back(to_text(p));
        values.push_back(texts.back().c_str());
      }
    }
    Result res(PQexecParams(conn_, numbered(sql).c_str(), static_cast<int>(params.size()), nullptr,
                            values.data(), nullptr, nullptr, 0));
    check(res.get(), sql);
    return res;
  }

  void check(PGresult* res, std::string_view sql) {
    auto status = PQresultStatus(res);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
    throw Error(ErrorCode::kIo,
                std::string("PostgreSQL: ") + PQerrorMessage(conn_) + " in: " + std::string(sql));
  }

  PGconn* conn_;
};

}  // namespace

std::unique_ptr<Database> open_postgres(const std::string& conninfo) {
  return std::make_unique<PostgresDatabase>(conninfo);
}

}  // namespace plinth::tracking::internal
