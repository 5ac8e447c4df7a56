#include "features/enrichment.h"

#include <chrono>

#include "core/error.h"
#include "features/online_read.h"

namespace plinth::features {
using nlohmann::json;

OnlineFeatures::OnlineFeatures(const std::filesystem::path& repo)
    : config_(load_config(repo)),
      registry_(load_registry(config_)),
      store_(open_online_store(config_.online_store, config_.project)) {}

void OnlineFeatures::check(const std::string& service, const std::string& entity_key) const {
  for (const FeatureRef& f : registry_.service_features(service)) {
    bool keyed = false;
    for (const auto& k : f.view->entity_columns) keyed = keyed || k.name == entity_key;
    if (!keyed || f.view->entity_columns.size() != 1)
      throw Error(ErrorCode::kInvalidInput,
                  "feature service '" + service + "' uses view '" + f.view->name +
                      "', which is not keyed by '" + entity_key +
                      "' alone; the model's features.entity_key must be the join key of every "
                      "view in the service");
  }
}

std::vector<OnlineFeatures::Problem> OnlineFeatures::enrich(const std::string& service,
                                                            const std::string& entity_key,
                                                            json& rows) {
  std::vector<json*> objects;
  if (rows.is_object()) objects.push_back(&rows);
  if (rows.is_array())
    for (auto& r : rows)
      if (r.is_object()) objects.push_back(&r);
  std::vector<Problem> problems;
  EntityRows entities{{entity_key}, {{}}, 0};
  std::vector<size_t> index;  // objects[] position of each entity row
  for (size_t i = 0; i < objects.size(); ++i) {
    auto it = objects[i]->find(entity_key);
    if (it == objects[i]->end() || it->is_null()) {
      problems.push_back({i, "field required: the entity key '" + entity_key +
                                 "', by which the model's features are looked up"});
      continue;
    }
    entities.columns[0].push_back(*it);
    index.push_back(i);
  }
  entities.rows = index.size();
  if (entities.rows == 0) return problems;
  std::vector<FeatureRef> refs = registry_.service_features(service);
  int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  std::vector<OnlineColumn> columns;
  try {
    columns = read_online(*store_, refs, entities, false, now);
  } catch (const StoreUnavailable&) {
    throw;
  } catch (const Error& e) {  // a key of the wrong type
    problems.push_back({index[0], e.what()});
    return problems;
  }
  for (size_t r = 0; r < entities.rows; ++r) {
    json& object = *objects[index[r]];
    bool found = false;
    for (const auto& c : columns) {
      if (c.name == entity_key) continue;
      found = found || c.statuses[r] == FeatureStatus::kPresent;
    }
    if (!found) {
      problems.push_back({index[r], "no online features for " + entity_key + " " +
                                        object[entity_key].dump() + " in feature service '" +
                                        service + "'; materialize or push its features first"});
      continue;
    }
    for (const auto& c : columns)
      if (c.name != entity_key && !object.contains(c.name))
        object[c.name] = json(value_json(c.values[r], c.type));
  }
  return problems;
}

}  // namespace plinth::features
