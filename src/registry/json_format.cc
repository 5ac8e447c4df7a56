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
  if (!v.model_id.empty()) out["model_id"] = v.model_id;
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

}  // namespace plinth::registry
