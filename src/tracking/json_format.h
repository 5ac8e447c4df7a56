#pragma once

#include <nlohmann/json.hpp>

#include "tracking/entities.h"

namespace plinth::tracking {

// Entities as MLflow's REST API writes them (spec mlflow-rest.md §2): snake_case keys, empty
// lists and unset optional fields omitted, non-finite doubles as "NaN"/"Infinity"/"-Infinity".
nlohmann::json to_json(const Experiment& e);
nlohmann::json to_json(const RunInfo& info);
nlohmann::json to_json(const Run& run);
nlohmann::json to_json(const Metric& m);
nlohmann::json to_json(const LoggedModel& m);
nlohmann::json tags_json(const std::vector<Tag>& tags);

// The inverse of to_json, for clients of a server. Missing optional fields get defaults;
// throws nlohmann::json::exception for a wrong type.
Experiment experiment_from_json(const nlohmann::json& j);
RunInfo run_info_from_json(const nlohmann::json& j);
Run run_from_json(const nlohmann::json& j);
Metric metric_from_json(const nlohmann::json& j);
LoggedModel logged_model_from_json(const nlohmann::json& j);
std::vector<Tag> tags_from_json(const nlohmann::json& j);  // [] for a missing list
// j[key] as a string ("" when absent or null) or an int64 (0; accepts a numeric string).
std::string json_string(const nlohmann::json& j, const char* key);
int64_t json_integer(const nlohmann::json& j, const char* key);
double double_from_json(const nlohmann::json& j);

// A double as MLflow writes it: a number, or the strings above for non-finite values.
nlohmann::json double_json(double v);

}  // namespace plinth::tracking
