#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "registry/registry.h"

namespace plinth::registry::internal {

// Audit-log records (auth/audit.h) of registry changes, each made inside the transaction of the
// change it describes. `before` / `after` hold the fields the change touched (null for an
// object created or deleted).
void record_model_change(tracking::Database& db, const std::string& action, const std::string& name,
                         nlohmann::json before, nlohmann::json after);
void record_version_change(tracking::Database& db, const std::string& action,
                           const std::string& name, int64_t version, nlohmann::json before,
                           nlohmann::json after);
void record_alias_change(tracking::Database& db, const std::string& action, const std::string& name,
                         const std::string& alias, nlohmann::json before, nlohmann::json after);

// What the log keeps of a whole model or version when it is created or deleted.
nlohmann::json model_state(const RegisteredModel& model);
nlohmann::json version_state(const ModelVersion& version);
// {"key": k, "value": v}; value null when the tag is absent.
nlohmann::json tag_state(const std::string& key, const Tag* tag);

}  // namespace plinth::registry::internal
