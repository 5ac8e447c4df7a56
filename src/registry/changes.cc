#include "registry/internal/changes.h"

#include "auth/audit.h"

namespace plinth::registry::internal {
namespace {

using nlohmann::json;

json tags_object(const std::vector<Tag>& tags) {
  json out = json::object();
  for (const auto& t : tags) out[t.key] = t.value;
  return out;
}

}  // namespace

void record_model_change(tracking::Database& db, const std::string& action, const std::string& name,
                         json before, json after) {
  auth::record_change(
      db, {0, 0, "", action, "registered_model", name, name, std::move(before), std::move(after)});
}

void record_version_change(tracking::Database& db, const std::string& action,
                           const std::string& name, int64_t version, json before, json after) {
  auth::record_change(db, {0, 0, "", action, "model_version", name + "/" + std::to_string(version),
                           name, std::move(before), std::move(after)});
}

void record_alias_change(tracking::Database& db, const std::string& action, const std::string& name,
                         const std::string& alias, json before, json after) {
  auth::record_change(db, {0, 0, "", action, "alias", name + "@" + alias, name, std::move(before),
                           std::move(after)});
}

json model_state(const RegisteredModel& m) {
  json aliases = json::object();
  for (const auto& [alias, version] : m.aliases) aliases[alias] = version;
  return {{"name", m.name},
          {"description", m.description},
          {"tags", tags_object(m.tags)},
          {"aliases", aliases}};
}

json version_state(const ModelVersion& v) {
  return {{"version", v.version}, {"current_stage", v.current_stage}, {"source", v.source},
          {"run_id", v.run_id},   {"description", v.description},     {"tags", tags_object(v.tags)},
          {"aliases", v.aliases}};
}

json tag_state(const std::string& key, const Tag* tag) {
  return {{"key", key}, {"value", tag ? json(tag->value) : json()}};
}

}  // namespace plinth::registry::internal
