// `plinth audit`: who changed what in the registry and in users and permissions, and when.
#include <ctime>
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/tracking_session.h"
#include "core/error.h"

namespace plinth::cli {
namespace {

using nlohmann::json;

// --since: a UTC date or time ("2026-12-06", "2026-12-06T06:30", "2026-12-06 06:30:00Z"), or
// a time ago ("30m", "12h", "7d"). Milliseconds since the epoch.
int64_t parse_since(const std::string& text) {
  if (text.empty()) return 0;
  size_t used = 0;
  try {
    long long n = std::stoll(text, &used);
    std::string unit = text.substr(used);
    int64_t seconds = unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400 : 0;
    if (seconds > 0 && n >= 0) return (std::time(nullptr) - n * seconds) * 1000;
  } catch (const std::exception&) {
  }
  for (const char* format :
       {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"}) {
    std::tm tm{};
    const char* end = strptime(text.c_str(), format, &tm);
    if (end && (*end == '\0' || std::string(end) == "Z")) return timegm(&tm) * int64_t{1000};
  }
  throw Error(ErrorCode::kInvalidInput,
              "--since '" + text +
                  "' is neither a UTC date/time (2026-12-06, 2026-12-06T06:30:00Z) nor a time "
                  "ago (30m, 12h, 7d)");
}

std::string compact(const json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// A created or deleted object's fields that hold something, as "field: value".
std::string fields(const json& object) {
  if (!object.is_object()) return compact(object);
  std::string out;
  for (const auto& [key, value] : object.items()) {
    bool empty = value.is_null() || (value.is_string() && value.get<std::string>().empty()) ||
                 ((value.is_object() || value.is_array()) && value.empty());
    if (!empty) out += (out.empty() ? "" : ", ") + key + ": " + compact(value);
  }
  return out;
}

// The change in a line: "+ fields" for a creation, "- fields" for a deletion, else each field
// that differs as "field: before -> after".
std::string change_text(const auth::AuditEntry& e) {
  std::string out;
  if (e.before.is_null() && e.after.is_null()) return "";
  if (e.before.is_null()) {
    out = "+ " + fields(e.after);
  } else if (e.after.is_null()) {
    out = "- " + fields(e.before);
  } else if (e.before.is_object() && e.after.is_object()) {
    json keys = e.before;
    keys.update(e.after);
    for (const auto& [key, unused] : keys.items()) {
      json b = e.before.value(key, json()), a = e.after.value(key, json());
      if (b == a) continue;
      out += (out.empty() ? "" : ", ") + key + ": " + (b.is_null() ? "-" : compact(b)) + " -> " +
             (a.is_null() ? "-" : compact(a));
    }
  }
  constexpr size_t kWidth = 100;
  if (out.size() > kWidth) out = out.substr(0, kWidth - 3) + "...";
  return out;
}

}  // namespace

void register_audit_commands(CLI::App& app, Invocation& inv) {
  auto* cmd = app.add_subcommand(
      "audit",
      "List the audit log: every change to registered models, versions, stages, aliases, tags, "
      "users and permissions, with who made it and when (oldest first)");
  auto flags = std::make_shared<TrackingFlags>();
  auto query = std::make_shared<auth::AuditQuery>();
  auto since = std::make_shared<std::string>();
  add_tracking_flags(cmd, *flags);
  cmd->add_option("--model", query->model,
                  "Only this registered model's history (under its earlier names too)");
  cmd->add_option("--user", query->user,
                  "Only changes by this user (local:NAME for changes made without a server)");
  cmd->add_option("--since", *since,
                  "Only changes at or after a UTC date/time (2026-12-06, 2026-12-06T06:30:00Z) "
                  "or a time ago (30m, 12h, 7d)");
  cmd->add_flag("--json", flags->json, "Print the entries as JSON");
  cmd->footer(
      "Reads the tracking database (--tracking-uri sqlite:///... or postgresql://...) or a "
      "server (--tracking-uri http://HOST:PORT, signed in with MLFLOW_TRACKING_USERNAME and "
      "MLFLOW_TRACKING_PASSWORD or MLFLOW_TRACKING_TOKEN). On a server with --auth the whole "
      "log is for admins; other users may read the history of a model they can read (--model).");
  cmd->callback([&inv, flags, query, since] {
    inv.run = [flags, query, since] {
      query->since = parse_since(*since);
      Session s(*flags);
      std::vector<auth::AuditEntry> entries;
      auth::AuditQuery q = *query;
      q.max_results = 1000;
      for (;;) {
        auth::AuditPage page = s.registry->audit_log(q);
        entries.insert(entries.end(), page.entries.begin(), page.entries.end());
        if (page.next_page_token.empty()) break;
        q.page_token = page.next_page_token;
      }
      if (flags->json) {
        json out = json::array();
        for (const auto& e : entries) out.push_back(auth::audit_json(e));
        print_json(out);
        return 0;
      }
      if (entries.empty()) {
        std::cout << "No changes recorded"
                  << (query->model.empty() ? "" : " for model " + query->model) << ".\n";
        return 0;
      }
      std::vector<std::vector<std::string>> rows = {
          {"TIME (UTC)", "USER", "ACTION", "OBJECT", "CHANGE"}};
      for (const auto& e : entries)
        rows.push_back({format_time(e.time), e.user.empty() ? "(anonymous)" : e.user, e.action,
                        e.object, change_text(e)});
      print_table(rows);
      return 0;
    };
  });
}

}  // namespace plinth::cli
