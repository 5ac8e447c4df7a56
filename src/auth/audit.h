#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tracking/database.h"

namespace plinth::auth {

// One change to the registry or to users and permissions, as the audit log keeps it (table
// audit_log in the tracking database). Passwords and tokens never appear in it.
struct AuditEntry {
  int64_t id = 0;           // increasing: the order changes were committed in
  int64_t time = 0;         // milliseconds since the epoch (UTC)
  std::string user;         // who: the signed-in user; "" when nobody signed in (no --auth)
  std::string action;       // "transition_stage", "set_alias", "grant_permission", ...
  std::string object_type;  // "registered_model", "model_version", "user", "permission", "token"
  std::string object;       // "fraud", "fraud/3", "fraud@champion", "alice", ...
  std::string model;        // the registered model it concerns, "" for none
  nlohmann::json before;    // the changed fields before (null when the object was created)
  nlohmann::json after;     // ... and after (null when it was deleted)
};

// Sets who the changes made on this thread are recorded for, until destroyed (the previous
// one is restored then). The server sets the signed-in user for each request; the CLI sets the
// operating-system user for changes it makes to a database directly.
class ActingUser {
 public:
  explicit ActingUser(std::string username);
  ~ActingUser();
  ActingUser(const ActingUser&) = delete;
  ActingUser& operator=(const ActingUser&) = delete;

 private:
  std::string previous_;
};

// The user set by the innermost ActingUser on this thread, "" when none.
const std::string& acting_user();

// Appends `entry` (its id, time and user are filled in: the acting user) inside the caller's
// transaction, so the change and its record commit together or not at all.
void record_change(tracking::Database& db, AuditEntry entry);

struct AuditQuery {
  std::string model;  // only entries about this registered model (under its earlier names too)
  std::string user;   // only entries by this user
  int64_t since = 0;  // only entries at or after this time (ms since the epoch)
  int64_t max_results = 1000;
  std::string page_token;  // from a previous page's next_page_token
};

struct AuditPage {
  std::vector<AuditEntry> entries;  // oldest first
  std::string next_page_token;      // "" on the last page
};

// Reads the log. A model's history follows its renames back: entries recorded under a name it
// had before (up to the rename) belong to it. Throws Error(kInvalidInput) for a bad page token
// or max_results outside 1..10000.
AuditPage read_audit(tracking::Database& db, const AuditQuery& query);

// An entry as JSON ({id, time, user, action, object_type, object, model, before, after}), as the
// REST API and `plinth audit --json` give it.
nlohmann::json audit_json(const AuditEntry& entry);
AuditEntry audit_from_json(const nlohmann::json& json);

}  // namespace plinth::auth
