#pragma once

#include <nlohmann/json.hpp>

#include "registry/registry.h"

namespace plinth::registry {

// As MLflow's REST API writes them (spec mlflow-rest.md §2); version numbers as strings.
nlohmann::json to_json(const ModelVersion& v);
nlohmann::json to_json(const RegisteredModel& m);
// The inverses, for clients of a server.
ModelVersion model_version_from_json(const nlohmann::json& j);
RegisteredModel registered_model_from_json(const nlohmann::json& j);

}  // namespace plinth::registry
