#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "monitor/drift.h"

namespace plinth::monitor {

// {"dataset_drift": bool, "share_of_drifted_columns": float, "number_of_drifted_columns": int,
//  "number_of_columns": int, "drift_share": float,
//  "columns": {"amount": {"stattest": "ks", "stattest_name": ..., "score": float,
//              "threshold": float, "drifted": bool, "column_type": "num"}, ...}}
nlohmann::json report_json(const DriftReport& report);

// The quality metrics both sides have, in display order: name, reference, current.
struct QualityRow {
  std::string metric;
  double reference, current;
};
std::vector<QualityRow> quality_rows(const QualityComparison& quality);

struct ReportSources {
  std::string reference;  // e.g. the file names, shown in the header
  std::string current;
  std::string generated_at;
};

// One self-contained HTML page (inline CSS and SVG, no script, no network): the verdict on
// top, the columns sorted by drift score with test, score, threshold and verdict, and per
// column the reference and current distributions overlaid.
std::string report_html(const DriftReport& report, const ReportSources& sources);

}  // namespace plinth::monitor
