#include "monitor/table_drift.h"

#include <algorithm>

#include "core/error.h"
#include "monitor/profile_drift.h"
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

TableDrift compare_with_profile(const nlohmann::json& profile, const table::Table& current,
                                const TableDriftRequest& request) {
  if (!profile.is_object() || !profile.contains("inputs") || !profile["inputs"].is_object())
    throw Error(ErrorCode::kCorrupted,
                "the reference profile of " + request.reference_name + " has no \"inputs\"");
  std::vector<std::string> wanted = wanted_columns(request);
  std::vector<ProfiledColumn> reference;
  std::vector<ColumnSample> samples;
  std::vector<std::string> roles;
  auto take = [&](const std::string& name, const nlohmann::json& p, const std::string& role) {
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), name) == wanted.end()) return;
    auto index = current.find(name);
    if (!index) {
      if (role == "prediction") return;  // data of inputs only: no prediction drift
      throw Error(ErrorCode::kNotFound, "column '" + name + "' (an input of the model) is not in " +
                                            request.current_name);
    }
    bool numeric = p.value("type", "") == "numeric";
    reference.push_back({name, p});
    samples.push_back(sample_of(current.column(*index),
                                numeric ? ColumnKind::kNumerical : ColumnKind::kCategorical));
    roles.push_back(role);
  };
  for (const auto& [name, p] : profile["inputs"].items()) take(name, p, "");
  if (profile.contains("prediction") && profile["prediction"].contains("name"))
    take(profile["prediction"]["name"].get<std::string>(), profile["prediction"], "prediction");
  TableDrift out;
  out.report = drift_against_profile(reference, samples, request.options);
  check_overrides(request.options, out.report);
  for (size_t i = 0; i < roles.size(); ++i) out.report.columns[i].role = roles[i];
  return out;
}

}  // namespace plinth::monitor
