#include "auth/audit.h"

#include <chrono>
#include <limits>

#include "core/error.h"

namespace plinth::auth {
namespace {

using nlohmann::json;
using tracking::Row;
using tracking::SqlValue;

thread_local std::string t_acting_user;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

SqlValue json_text(const json& value) {
  if (value.is_null()) return std::monostate{};
  return value.dump();
}

json parse_json_text(const Row& row, int column) {
  if (row.is_null(column)) return nullptr;
  return json::parse(row.text(column), nullptr, false);
}

// The names `model` had, newest first, each with the ids its entries have under that name:
// [from, to). A rename is recorded under the new name, so it opens the new name's window; a
// rename away from a name closes what came before under it (that was another model's).
struct NameWindow {
  std::string name;
  int64_t from = 0;
  int64_t to = std::numeric_limits<int64_t>::max();
};

std::vector<NameWindow> name_windows(tracking::Database& db, const std::string& model) {
  struct Rename {
    int64_t id;
    std::string from, to;
  };
  std::vector<Rename> renames;  // newest first
  db.query(
      "SELECT id, before_json, after_json FROM audit_log WHERE action = 'rename_model' ORDER BY "
      "id DESC",
      {}, [&](const Row& r) {
        json before = parse_json_text(r, 1), after = parse_json_text(r, 2);
        if (before.is_object() && after.is_object() && before["name"].is_string() &&
            after["name"].is_string())
          renames.push_back({r.integer(0), before["name"], after["name"]});
      });
  std::vector<NameWindow> out{{model}};
  for (const auto& r : renames) {
    NameWindow& current = out.back();
    if (r.id >= current.to || (r.to != current.name && r.from != current.name)) continue;
    current.from = r.id;
    if (r.to != current.name) break;  // renamed away: earlier entries are another model's
    out.push_back({r.from, 0, r.id});
  }
  return out;
}

}  // namespace

ActingUser::ActingUser(std::string username) : previous_(std::move(t_acting_user)) {
  t_acting_user = std::move(username);
}

ActingUser::~ActingUser() { t_acting_user = std::move(previous_); }

const std::string& acting_user() { return t_acting_user; }

void record_change(tracking::Database& db, AuditEntry e) {
  e.id = tracking::query_integer(db, "SELECT MAX(id) FROM audit_log", {}, 0) + 1;
  e.time = now_ms();
  db.exec(
      "INSERT INTO audit_log (id, change_time, username, action, object_type, object, model_name, "
      "before_json, after_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {e.id, e.time, acting_user(), e.action, e.object_type, e.object,
       e.model.empty() ? SqlValue{} : SqlValue{e.model}, json_text(e.before), json_text(e.after)});
}

AuditPage read_audit(tracking::Database& db, const AuditQuery& q) {
  if (q.max_results < 1 || q.max_results > 10'000)
    throw Error(ErrorCode::kInvalidInput,
                "max_results must be between 1 and 10000, got " + std::to_string(q.max_results));
  int64_t after_id = 0;
  if (!q.page_token.empty()) {
    if (q.page_token.size() > 18 ||
        q.page_token.find_first_not_of("0123456789") != std::string::npos)
      throw Error(ErrorCode::kInvalidInput, "Invalid page token '" + q.page_token +
                                                "': pass the next_page_token of a previous page");
    after_id = std::stoll(q.page_token);
  }
  std::string sql =
      "SELECT id, change_time, username, action, object_type, object, model_name, before_json, "
      "after_json FROM audit_log WHERE id > ? AND change_time >= ?";
  std::vector<SqlValue> params{after_id, q.since};
  tracking::Transaction tx(db);
  if (!q.model.empty()) {
    std::string any;
    for (const auto& w : name_windows(db, q.model)) {
      any += std::string(any.empty() ? "" : " OR ") + "(model_name = ? AND id >= ? AND id < ?)";
      params.insert(params.end(), {w.name, w.from, w.to});
    }
    sql += " AND (" + any + ")";
  }
  if (!q.user.empty()) {
    sql += " AND username = ?";
    params.emplace_back(q.user);
  }
  sql += " ORDER BY id LIMIT " + std::to_string(q.max_results + 1);
  AuditPage page;
  db.query(sql, params, [&](const Row& r) {
    page.entries.push_back({r.integer(0), r.integer(1), r.text(2), r.text(3), r.text(4), r.text(5),
                            r.text(6), parse_json_text(r, 7), parse_json_text(r, 8)});
  });
  if (static_cast<int64_t>(page.entries.size()) > q.max_results) {
    page.entries.pop_back();
    page.next_page_token = std::to_string(page.entries.back().id);
  }
  return page;
}

json audit_json(const AuditEntry& e) {
  return {{"id", e.id},
          {"time", e.time},
          {"user", e.user},
          {"action", e.action},
          {"object_type", e.object_type},
          {"object", e.object},
          {"model", e.model},
          {"before", e.before},
          {"after", e.after}};
}

AuditEntry audit_from_json(const json& j) {
  auto text = [&](const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto number = [&](const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : int64_t{0};
  };
  return {number("id"),
          number("time"),
          text("user"),
          text("action"),
          text("object_type"),
          text("object"),
          text("model"),
          j.value("before", json()),
          j.value("after", json())};
}

}  // namespace plinth::auth
