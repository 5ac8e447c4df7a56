#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "monitor/quality.h"

// Column and dataset drift as Evidently's DataDriftPreset decides it (spec drift.md §1.2-1.7):
// per column, missing values dropped, a test chosen by type and size unless the user names one,
// the test's own threshold and drift rule unless overridden; the dataset drifts when the share
// of drifted columns reaches drift_share.
namespace plinth::monitor {

enum class ColumnKind { kNumerical, kCategorical };

// One column of one dataset. Numeric values use NaN for missing; categorical columns hold
// either numbers (an integer or boolean column) or strings, as a dictionary: per row an index
// into `categories`, or -1 for a missing value. Labels may repeat in `categories` (a Parquet
// dictionary need not be unique); rows with the same label are one category.
struct ColumnSample {
  std::string name;
  ColumnKind kind = ColumnKind::kNumerical;
  bool values_are_numbers = true;  // categories ordered as numbers, else as strings
  std::vector<double> numbers;
  std::vector<std::string> categories;
  std::vector<int32_t> codes;
};

struct DriftOptions {
  double drift_share = 0.5;
  std::map<std::string, std::string> stattest;  // column -> test name
  std::map<std::string, double> threshold;      // column -> threshold
  // Bin both datasets for the charts (ColumnDrift::distribution); only the HTML report draws
  // them, so a report without one skips the work.
  bool distributions = true;
};

// What the report draws for a column: counts per bin (numeric, shared Doane edges over both
// datasets) or per category, for the reference and the current data.
struct Distribution {
  std::vector<double> edges;            // numeric: bins + 1 edges
  std::vector<std::string> categories;  // categorical: one label per bar
  std::vector<double> reference, current;
};

struct ColumnDrift {
  std::string column;
  std::string column_type;    // "num" or "cat"
  std::string stattest;       // the test's id, e.g. "ks"
  std::string stattest_name;  // Evidently's display name, e.g. "K-S p_value"
  double score = 0;
  double threshold = 0;
  bool drifted = false;
  size_t reference_rows = 0, current_rows = 0;  // after dropping missing values
  std::string role;                             // "target", "prediction" or "" for a feature
  Distribution distribution;
};

// Classification quality now against the reference, when both carry labels and predictions.
struct QualityComparison {
  std::string target, prediction;
  BinaryQuality reference, current;
};

struct DriftReport {
  bool dataset_drift = false;
  double share_of_drifted_columns = 0;
  size_t number_of_drifted_columns = 0;
  size_t number_of_columns = 0;
  double drift_share = 0.5;
  std::vector<ColumnDrift> columns;  // in input order
  std::optional<QualityComparison> quality;
};

// The test ids Plinth knows, for --stattest validation and --help.
std::vector<std::string> stattest_names();

// The test Evidently picks automatically (spec §1.3) for a column with `reference_rows`
// non-missing reference values and `distinct` distinct values across both datasets.
std::string default_stattest(ColumnKind kind, size_t reference_rows, size_t distinct);

// Tests one column. Throws Error(kInvalidInput) naming the column when a sample is empty after
// dropping missing values, a test does not apply to the column's type, or its inputs do not
// meet the test's conditions (g_test and fisher_exact need equal sizes).
ColumnDrift column_drift(const ColumnSample& reference, const ColumnSample& current,
                         const DriftOptions& options);

// Every column pair (same names, same order) and the dataset verdict.
DriftReport dataset_drift(const std::vector<ColumnSample>& reference,
                          const std::vector<ColumnSample>& current, const DriftOptions& options);

// Fills the counts, the share and the verdict from `report.columns` and `report.drift_share`.
void summarize(DriftReport& report);

}  // namespace plinth::monitor
