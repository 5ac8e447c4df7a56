#include "registry/json_format.h"

#include "tracking/json_format.h"

namespace plinth::registry {
using nlohmann::json;

json to_json(const ModelVersion& v) {
  json out = {{"name", v.name},
              {"version", std::to_string(v.version)},
              {"creation_timestamp", v.creation_time},
              {"last_updated_timestamp", v.last_updated_time},
              {"current_stage", v.current_stage},
              {"description", v.description},
              {"source", v.source},
              {"run_id", v.run_id},
              {"status", v.status},
              {"run_link", v.run_link}};
  if (!v.user_id.empty()) out["user_id"] = v.user_id;
  if (!v.tags.empty()) out["tags"] = tracking::tags_json(v.tags);
  if (!v.aliases.empty()) out["aliases"] = v.aliases;
  return out;
}

json to_json(const RegisteredModel& m) {
  json out = {{"name", m.name},
              {"creation_timestamp", m.creation_time},
              {"last_updated_timestamp", m.last_updated_time}};
  if (!m.description.empty()) out["description"] = m.description;
  for (const auto& v : m.latest_versions) out["latest_versions"].push_back(to_json(v));
  if (!m.tags.empty()) out["tags"] = tracking::tags_json(m.tags);
  for (const auto& [alias, version] : m.aliases)
    out["aliases"].push_back({{"alias", alias}, {"version", std::to_string(version)}});
  return out;
}

namespace {

std::string str(const json& j, const char* key) { return tracking::json_string(j, key); }
int64_t integer(const json& j, const char* key) { return tracking::json_integer(j, key); }

}  // namespace

ModelVersion model_version_from_json(const json& j) {
  ModelVersion v;
  v.name = str(j, "name");
  v.version = integer(j, "version");
  v.creation_time = integer(j, "creation_timestamp");
  v.last_updated_time = integer(j, "last_updated_timestamp");
  v.user_id = str(j, "user_id");
  v.current_stage = str(j, "current_stage");
  v.description = str(j, "description");
  v.source = str(j, "source");
  v.run_id = str(j, "run_id");
  v.status = str(j, "status");
  v.run_link = str(j, "run_link");
  v.model_id = str(j, "model_id");
  v.tags = tracking::tags_from_json(j.value("tags", json::array()));
  if (j.contains("aliases")) v.aliases = j["aliases"].get<std::vector<std::string>>();
  return v;
}

RegisteredModel registered_model_from_json(const json& j) {
  RegisteredModel m;
  m.name = str(j, "name");
  m.creation_time = integer(j, "creation_timestamp");
  m.last_updated_time = integer(j, "last_updated_timestamp");
  m.description = str(j, "description");
  if (j.contains("latest_versions"))
    for (const auto& v : j["latest_versions"])
      m.latest_versions.push_back(model_version_from_json(v));
  m.tags = tracking::tags_from_json(j.value("tags", json::array()));
  if (j.contains("aliases"))
    for (const auto& a : j["aliases"])
      m.aliases.emplace_back(str(a, "alias"), integer(a, "version"));
  return m;
}

}  // namespace plinth::registry
