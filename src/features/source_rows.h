#pragma once

// A feature view's source rows as the online side needs them: entity key, event time and
// created time per row, and the feature columns (after the source's field mapping).

#include <cstdint>
#include <string>
#include <vector>

#include "features/definitions.h"
#include "table/table.h"

namespace plinth::features {

struct SourceRows {
  table::Table table;                          // the columns read, renamed to feature names
  std::vector<std::string> keys;               // entity_key() of each row's join keys
  std::vector<int64_t> ts;                     // event time (ns)
  std::vector<int64_t> created;                // created time (ns); 0 when the source has none
  std::vector<const table::Column*> features;  // one per view.features, into `table`
  std::vector<const table::Column*> extra;     // one per `extra_columns`, into `table`
  std::string fingerprint;                     // the file's size and modification time
  size_t rows() const { return ts.size(); }
};

// The rows of `view`'s batch source with start <= event time <= end; rows without an event
// time are skipped. Throws Error naming the file and column when a column the view needs is
// missing or a time column holds something other than timestamps.
// `extra_columns` (names after the field mapping) are read too, e.g. aggregation inputs.
SourceRows read_source_rows(const FeatureStoreConfig& config, const Registry& registry,
                            const FeatureView& view, int64_t start, int64_t end,
                            const std::vector<std::string>& extra_columns = {});

// Event times of a column (timestamps, or ISO 8601 text); `file` names it in errors.
std::vector<int64_t> timestamps_of(const table::Column& column, const std::string& file);

}  // namespace plinth::features
