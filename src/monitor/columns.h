#pragma once

#include <string>
#include <vector>

#include "monitor/drift.h"
#include "table/table.h"

namespace plinth::monitor {

// The columns of two tables to test for drift, typed as Evidently's legacy DataDriftPreset types
// them without a column mapping: number columns numerical, whatever their count of distinct
// values; booleans and strings categorical, identifiers included. Timestamps are never tested.
struct ColumnSelection {
  std::vector<ColumnSample> reference, current;
  std::vector<std::string> skipped;  // "name (why)"
};

// The label and prediction columns, if any: typed by Evidently's rules for a column mapping's
// target and prediction instead of as features.
struct Roles {
  std::string target, prediction;
};

// Each table is given as the pieces a table::BatchReader returns (at least one, all with the
// same schema; a whole table is one piece): the samples are copied from the pieces, so a large
// file need not be concatenated first. `wanted` empty: every column both tables have. Throws
// Error naming the column and the file when a wanted column is missing or its types disagree
// between the two tables.
ColumnSelection select_columns(const std::vector<table::Table>& reference,
                               const std::vector<table::Table>& current,
                               const std::vector<std::string>& wanted,
                               const std::string& reference_name, const std::string& current_name,
                               const Roles& roles = {});

// One table column as a drift sample of the given kind (NaN or code -1 for nulls).
ColumnSample sample_of(const table::Column& column, ColumnKind kind);

}  // namespace plinth::monitor
