#pragma once

#include <string>

#include "tracking/entities.h"
#include "tracking/search.h"

namespace plinth::tracking::internal {

// MLflow's runs/search semantics over loaded runs (spec mlflow-rest.md §6).

// The attribute an identifier names, aliases resolved ("created" is start_time, ...). Throws
// Error(kInvalidInput) listing the valid keys.
std::string canonical_run_attribute(const std::string& key);
// Checks the clause's comparator and value type for its entity and canonicalises attribute
// keys. Throws Error(kInvalidInput) with MLflow's message.
void validate_run_clause(Clause& clause);
// The run's value for a metric (latest), param, tag or attribute; absent when it has none.
SortValue run_value(const Run& run, const std::string& entity, const std::string& key);
// Whether the run satisfies a validated clause; a run lacking the key never does.
bool run_matches(const Run& run, const Clause& clause);

}  // namespace plinth::tracking::internal
