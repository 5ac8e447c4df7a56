#include "monitor/table_drift.h"

#include <algorithm>

#include "core/error.h"
#include "monitor/quality.h"

namespace plinth::monitor {

std::vector<std::string> wanted_columns(const TableDriftRequest& r) {
  std::vector<std::string> columns = r.columns;
  for (const auto* role : {&r.roles.target, &r.roles.prediction})
    if (!role->empty() && !columns.empty() &&
        std::find(columns.begin(), columns.end(), *role) == columns.end())
      columns.push_back(*role);
  return columns;
}

void check_overrides(const DriftOptions& options, const DriftReport& report) {
  auto tested = [&](const std::string& column) {
    return std::any_of(report.columns.begin(), report.columns.end(),
                       [&](const auto& c) { return c.column == column; });
  };
  for (const auto& [column, _] : options.stattest)
    if (!tested(column))
      throw Error(ErrorCode::kInvalidInput,
                  "--stattest names column '" + column + "', which is not tested");
  for (const auto& [column, _] : options.threshold)
    if (!tested(column))
      throw Error(ErrorCode::kInvalidInput,
                  "--threshold names column '" + column + "', which is not tested");
}

TableDrift compare_tables(std::vector<table::Table> reference, std::vector<table::Table> current,
                          const TableDriftRequest& r) {
  const Roles& roles = r.roles;
  auto selection = select_columns(reference, current, wanted_columns(r), r.reference_name,
                                  r.current_name, roles);
  bool quality = !roles.target.empty() && !roles.prediction.empty();
  if (!quality) reference.clear(), current.clear();  // the samples hold copies
  TableDrift out;
  out.report = dataset_drift(selection.reference, selection.current, r.options);
  out.skipped = std::move(selection.skipped);
  check_overrides(r.options, out.report);
  for (auto& c : out.report.columns)
    c.role = c.column == roles.target ? "target" : c.column == roles.prediction ? "prediction" : "";
  if (quality)
    out.report.quality =
        QualityComparison{roles.target, roles.prediction,
                          table_quality(table::concat(std::move(reference)), roles.target,
                                        roles.prediction, r.reference_name),
                          table_quality(table::concat(std::move(current)), roles.target,
                                        roles.prediction, r.current_name)};
  return out;
}

}  // namespace plinth::monitor
