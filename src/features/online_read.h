#pragma once

// Online retrieval with Feast's semantics (spec feature-store.md §2.6): for each entity row,
// the latest stored value of each requested feature, column-major, with a status and the
// row's event time per value. Shared by the feature server and the model server.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "features/definitions.h"
#include "features/online_row.h"
#include "features/online_store.h"

namespace plinth::features {

enum class FeatureStatus { kPresent, kNotFound, kNullValue, kOutsideMaxAge };
// "PRESENT", "NOT_FOUND", "NULL_VALUE", "OUTSIDE_MAX_AGE".
const char* status_name(FeatureStatus status);

struct OnlineColumn {
  std::string name;  // join key, "feature", or "view__feature" with full feature names
  ValueType type = ValueType::kFloat64;
  std::vector<Value> values;
  std::vector<FeatureStatus> statuses;
  std::vector<int64_t> event_ts;  // nanoseconds; 0 for join keys and missing rows
};

// A request's entity rows: column name -> values, all of one length, in request order.
struct EntityRows {
  std::vector<std::string> names;
  std::vector<std::vector<nlohmann::json>> columns;
  size_t rows = 0;
};

// Reads `entities` (Feast's {"user_id": [1, 2]}). Throws Error(kInvalidInput) naming the
// column when it is not an object of equally long arrays.
EntityRows parse_entity_rows(const nlohmann::ordered_json& entities);

// The join keys echoed first (those the requested views use, in request order; their values
// converted to the join key's type), then the features grouped by view in order of first
// mention. Aggregations are evaluated as of `as_of` (UTC nanoseconds). Throws
// Error(kInvalidInput) naming a missing join-key column or a value of the wrong type, and
// StoreUnavailable when the store cannot be reached.
std::vector<OnlineColumn> read_online(OnlineStore& store, const std::vector<FeatureRef>& features,
                                      const EntityRows& entities, bool full_feature_names,
                                      int64_t as_of);

// Feast's response: {"results": [{"values", "statuses", "event_timestamps"}...],
// "metadata": {"feature_names": [...]}}; times at whole seconds, "1970-01-01T00:00:00Z" for
// join keys and missing rows.
nlohmann::ordered_json online_response_json(const std::vector<OnlineColumn>& columns);

// The online-store view name holding a view's aggregation state.
std::string aggregation_state_view(const FeatureView& view);

}  // namespace plinth::features
