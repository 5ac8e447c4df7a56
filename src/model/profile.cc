#include "model/profile.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.h"
#include "core/file_io.h"
#include "monitor/quality.h"
#include "monitor/stattests.h"
#include "table/dataset.h"

namespace plinth::model {

nlohmann::json numeric_profile(const std::vector<double>& values) {
  std::vector<double> v;
  for (double x : values)
    if (!std::isnan(x)) v.push_back(x);
  nlohmann::json p = {
      {"type", "numeric"}, {"count", values.size()}, {"null_count", values.size() - v.size()}};
  if (v.empty()) return p;
  monitor::sort_values(v);
  double n = static_cast<double>(v.size()), sum = 0, sq = 0;
  for (double x : v) sum += x;
  double mean = sum / n;
  for (double x : v) sq += (x - mean) * (x - mean);
  p["mean"] = mean;
  p["std"] = std::sqrt(sq / n);
  nlohmann::json q;
  for (int pct : {1, 5, 25, 50, 75, 95, 99}) {
    // numpy's default (linear) quantile.
    double pos = pct / 100.0 * (n - 1);
    size_t lo = static_cast<size_t>(std::floor(pos));
    size_t hi = std::min(lo + 1, v.size() - 1);
    q[std::to_string(pct)] = v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
  }
  p["quantiles"] = q;
  std::vector<double> edges = monitor::sturges_edges(v);
  std::vector<uint64_t> counts{0};  // overflow bins: empty on the reference itself
  for (double c : monitor::histogram(v, edges)) counts.push_back(static_cast<uint64_t>(c));
  counts.push_back(0);
  p["bin_edges"] = edges;
  p["bin_counts"] = counts;
  return p;
}

nlohmann::json column_profile(const table::Column& c) {
  if (c.type != table::ColumnType::kString)
    return numeric_profile(monitor::numeric_values(c, "data"));
  std::map<std::string, size_t, std::less<>> freq;
  size_t nulls = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    if (c.is_null(i)) {
      ++nulls;
      continue;
    }
    auto s = c.string_at(i);
    auto it = freq.find(s);
    if (it == freq.end()) it = freq.emplace(std::string(s), 0).first;
    ++it->second;
  }
  return {
      {"type", "categorical"}, {"count", c.size()}, {"null_count", nulls}, {"frequencies", freq}};
}

nlohmann::json build_profile(const ModelPackage& package, const table::Table& t,
                             const std::vector<double>& prediction) {
  nlohmann::json inputs = nlohmann::json::object();
  for (const auto& f : package.preprocessing) inputs[f.column] = column_profile(t.column(f.column));
  nlohmann::json pred = numeric_profile(prediction);
  pred["name"] =
      package.task == Task::kRegression ? package.outputs.label : package.outputs.probability;
  return {{"inputs", inputs}, {"prediction", pred}};
}

nlohmann::json profile_of_data(const ModelPackage& package, const Predictor& predictor,
                               const table::Table& t, const std::string& source) {
  Scores s = predictor.predict(t, source);
  std::vector<double> reference(s.rows);
  for (size_t i = 0; i < s.rows; ++i) {
    const double* row = s.values.data() + i * s.width;
    reference[i] = *std::max_element(row, row + s.width);
  }
  return build_profile(package, t, reference);
}

std::optional<nlohmann::json> read_profile(const std::filesystem::path& folder) {
  std::filesystem::path path = folder / "profile.json";
  if (!std::filesystem::is_regular_file(path)) return std::nullopt;
  try {
    return nlohmann::json::parse(core::read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::kCorrupted, path.string() + ": " + e.what());
  }
}

nlohmann::json required_profile(const std::filesystem::path& folder, const std::string& model) {
  if (auto profile = read_profile(folder)) return std::move(*profile);
  std::string where = model == folder.string() ? model : model + " (" + folder.string() + ")";
  throw Error(ErrorCode::kNotFound,
              where +
                  " has no reference profile (profile.json) to test drift against: `plinth "
                  "train` writes one into the packages it makes; for a model trained "
                  "elsewhere, `plinth models import MODEL --reference-data TRAINING_DATA "
                  "--out PACKAGE` writes a package with one (ONNX models); or compare with "
                  "the training data itself as the reference");
}

bool is_model_reference(const std::string& path) {
  namespace fs = std::filesystem;
  if (fs::path(path).extension() == ".onnx") return true;
  if (!fs::is_directory(path)) return false;
  if (fs::exists(fs::path(path) / "MLmodel") || fs::exists(fs::path(path) / "profile.json"))
    return true;
  try {
    table::list_dataset(path);
    return false;
  } catch (const Error&) {
    return true;  // no data files: report what a package lacks
  }
}

}  // namespace plinth::model
