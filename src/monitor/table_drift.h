#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "monitor/columns.h"
#include "monitor/drift.h"
#include "table/table.h"

// Drift of one table against another with the roles, quality and checks of `plinth drift`: the
// computation the CLI and the Python package share, so both give the same report.
namespace plinth::monitor {

struct TableDriftRequest {
  std::vector<std::string> columns;  // empty: every column both tables have
  Roles roles;                       // target and prediction, tested too when given
  DriftOptions options;
  std::string reference_name, current_name;  // in error messages
};

struct TableDrift {
  DriftReport report;
  std::vector<std::string> skipped;  // "name (why)": columns not tested
};

// The columns to read: `columns` and, when it is not empty, the roles it lacks.
std::vector<std::string> wanted_columns(const TableDriftRequest& request);

// The tables as the pieces a table::BatchReader returns (see select_columns). With a target and
// a prediction the report also compares classification quality. Throws Error naming the column
// and table at fault, and Error(kInvalidInput) for a stattest or threshold naming a column that
// is not tested (a typo, not a no-op).
TableDrift compare_tables(std::vector<table::Table> reference, std::vector<table::Table> current,
                          const TableDriftRequest& request);

// `current` against a model package's reference profile (profile.json, see profile_drift.h): each
// of the profile's inputs (those `columns` names, when given), and its prediction when `current`
// has that column (role "prediction"). `reference_name` names the model in errors. Throws
// Error(kNotFound) naming an input `current` lacks, Error(kCorrupted) for a profile without
// "inputs", and what compare_tables throws for tests and thresholds.
TableDrift compare_with_profile(const nlohmann::json& profile, const table::Table& current,
                                const TableDriftRequest& request);

// Throws Error(kInvalidInput) when `options` sets a test or threshold for a column the report
// does not have.
void check_overrides(const DriftOptions& options, const DriftReport& report);

}  // namespace plinth::monitor
