#pragma once

// Point-in-time training sets: Feast's get_historical_features over files.
//
// For every entity row (join keys k, time t) and every requested feature view V:
// the winner is V's source row with keys k and the greatest event time ts with ts <= t and,
// when V has a ttl, ts >= t - ttl (both ends inclusive); equal event times are broken by the
// greater created timestamp (null created sorts first), then by the later row in the file.
// Without a winner V's features are null. Windowed aggregations of V are evaluated as of t
// over (t - window, t] (features/aggregate.h). Entity rows are kept, in their order, with
// duplicates, all their columns first; feature columns follow in the order requested, named
// `feature`, or `view__feature` with full_feature_names. Source rows with a null event time or
// null keys never match; an entity row with a null time or keys gets nulls.

#include <filesystem>
#include <string>
#include <vector>

#include "features/definitions.h"
#include "table/table.h"

namespace plinth::features {

struct HistoricalOptions {
  bool full_feature_names = false;
  size_t jobs = 0;  // threads; 0 = one per core
};

// Joins `features` onto `entities` (read from `entity_file`, named in errors). Throws
// Error(kInvalidInput) naming the file and column for a missing join-key column, a key column
// of the wrong type, an entity time column that is missing or holds text that is not a
// timestamp (row and value named), and for two requested features that would get the same
// column name (use full feature names).
table::Table get_historical_features(const Registry& registry, const FeatureStoreConfig& config,
                                     const table::Table& entities, const std::string& entity_file,
                                     const std::vector<FeatureRef>& features,
                                     const HistoricalOptions& options = {});

}  // namespace plinth::features
