#include "monitor/profile_drift.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.h"
#include "monitor/stattests.h"

namespace plinth::monitor {
namespace {

struct Thresholded {
  std::string display;
  double threshold;
  bool p_value;  // drift when below the threshold, else when at or above it
};

const std::map<std::string, Thresholded>& binned_tests() {
  static const std::map<std::string, Thresholded> tests = {
      {"jensenshannon", {"Jensen-Shannon distance", 0.1, false}},
      {"psi", {"PSI", 0.1, false}},
      {"kl_div", {"Kullback-Leibler divergence", 0.1, false}},
      {"hellinger", {"Hellinger distance", 0.1, false}},
      {"chisquare", {"chi-square p_value", 0.05, true}},
      {"z", {"Z-test p_value", 0.05, true}},
  };
  return tests;
}

double get_number(const nlohmann::json& j, const char* key, const std::string& column) {
  if (!j.contains(key) || !j[key].is_number())
    throw Error(ErrorCode::kCorrupted, "profile of column '" + column + "' has no number '" + key +
                                           "'; the model package is damaged");
  return j[key].get<double>();
}

// Reference and current counts over the same buckets, and bar labels for the report.
struct Buckets {
  CategoryCounts counts;
  Distribution distribution;
};

Buckets numeric_buckets(const ProfiledColumn& ref, const ColumnSample& cur) {
  std::vector<double> edges = profile_edges(ref);
  std::vector<double> ref_counts = ref.profile["bin_counts"].get<std::vector<double>>();
  std::vector<double> cur_counts(ref_counts.size(), 0.0);
  for (double v : cur.numbers)
    if (std::isfinite(v)) cur_counts[bucket_of(edges, v)] += 1;
  Buckets b;
  b.counts = {ref_counts, cur_counts};
  b.distribution.edges = edges;
  // The report draws the bins inside the training range; overflow shows in the counts.
  b.distribution.reference.assign(ref_counts.begin() + 1, ref_counts.end() - 1);
  b.distribution.current.assign(cur_counts.begin() + 1, cur_counts.end() - 1);
  b.distribution.reference.front() += ref_counts.front();
  b.distribution.reference.back() += ref_counts.back();
  b.distribution.current.front() += cur_counts.front();
  b.distribution.current.back() += cur_counts.back();
  return b;
}

std::string category_label(double v) {
  if (v == std::floor(v) && std::abs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
  return std::to_string(v);
}

Buckets categorical_buckets(const ProfiledColumn& ref, const ColumnSample& cur) {
  if (!ref.profile.contains("frequencies") || !ref.profile["frequencies"].is_object())
    throw Error(ErrorCode::kCorrupted, "profile of column '" + ref.name + "' has no frequencies");
  std::map<std::string, std::pair<double, double>> tally;
  for (const auto& [k, v] : ref.profile["frequencies"].items()) tally[k].first = v.get<double>();
  if (cur.values_are_numbers) {
    for (double v : cur.numbers)
      if (std::isfinite(v)) tally[category_label(v)].second += 1;
  } else {
    std::vector<double> rows(cur.categories.size());
    for (int32_t code : cur.codes)
      if (code >= 0) rows[code] += 1;
    for (size_t k = 0; k < rows.size(); ++k)
      if (rows[k] > 0) tally[cur.categories[k]].second += rows[k];
  }
  Buckets b;
  for (const auto& [k, n] : tally) {
    b.counts.ref.push_back(n.first);
    b.counts.cur.push_back(n.second);
    b.distribution.categories.push_back(k);
  }
  b.distribution.reference = b.counts.ref;
  b.distribution.current = b.counts.cur;
  return b;
}

double total(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}

}  // namespace

size_t bucket_of(const std::vector<double>& edges, double v) {
  if (v < edges.front()) return 0;
  if (v > edges.back()) return edges.size();
  if (v == edges.back()) return edges.size() - 1;
  return static_cast<size_t>(std::upper_bound(edges.begin(), edges.end(), v) - edges.begin());
}

ColumnDrift binned_drift(const std::string& name, bool numeric, size_t reference_rows,
                         const CategoryCounts& counts, const DriftOptions& options) {
  ColumnDrift d;
  d.column = name;
  d.column_type = numeric ? "num" : "cat";
  d.reference_rows = reference_rows;
  d.current_rows = static_cast<size_t>(total(counts.cur));
  if (d.current_rows == 0)
    throw Error(ErrorCode::kInvalidInput, "column '" + name +
                                              "' has no values in the current data once missing "
                                              "values are dropped");
  auto chosen = options.stattest.find(name);
  std::string test =
      chosen != options.stattest.end() ? chosen->second
      : numeric                        ? "jensenshannon"
                : default_stattest(ColumnKind::kCategorical, reference_rows, counts.ref.size());
  auto known = binned_tests().find(test);
  if (known == binned_tests().end() || (numeric && test == "z"))
    throw Error(ErrorCode::kInvalidInput,
                "column '" + name + "': " + test +
                    " needs the raw reference data, which a model's profile does not hold; use "
                    "jensenshannon, psi, kl_div, hellinger or chisquare (or the training data as "
                    "--reference)");
  d.stattest = test;
  d.stattest_name = known->second.display;
  auto thr = options.threshold.find(name);
  d.threshold = thr != options.threshold.end() ? thr->second : known->second.threshold;
  Shares shares = category_shares(counts);
  if (test == "jensenshannon") {
    d.score = jensen_shannon(shares);
  } else if (test == "psi" || test == "kl_div") {
    fill_zeroes(shares);
    d.score = test == "psi" ? psi(shares) : kl_divergence(shares);
  } else if (test == "hellinger") {
    d.score = hellinger_categorical(counts);
  } else if (test == "chisquare") {
    d.score = chisquare(counts).pvalue;
  } else {
    d.score = z_test_pvalue(counts);
  }
  d.drifted = known->second.p_value ? d.score < d.threshold : d.score >= d.threshold;
  return d;
}

DriftReport drift_against_profile(const std::vector<ProfiledColumn>& reference,
                                  const std::vector<ColumnSample>& current,
                                  const DriftOptions& options) {
  DriftReport report;
  report.drift_share = options.drift_share;
  for (size_t i = 0; i < reference.size(); ++i) {
    const ProfiledColumn& ref = reference[i];
    bool numeric = profile_is_numeric(ref);
    if (numeric && !current[i].values_are_numbers)
      throw Error(ErrorCode::kInvalidInput, "column '" + ref.name +
                                                "' is numeric in the model's profile but text in "
                                                "the current data");
    Buckets b = numeric ? numeric_buckets(ref, current[i]) : categorical_buckets(ref, current[i]);
    ColumnDrift d = binned_drift(ref.name, numeric, reference_rows(ref), b.counts, options);
    d.distribution = std::move(b.distribution);
    report.columns.push_back(std::move(d));
  }
  summarize(report);
  return report;
}

bool profile_is_numeric(const ProfiledColumn& ref) {
  std::string type = ref.profile.value("type", "");
  if (type != "numeric" && type != "categorical")
    throw Error(ErrorCode::kCorrupted, "profile of column '" + ref.name + "' has type '" + type +
                                           "'; expected numeric or categorical");
  return type == "numeric";
}

size_t reference_rows(const ProfiledColumn& ref) {
  return static_cast<size_t>(get_number(ref.profile, "count", ref.name) -
                             ref.profile.value("null_count", 0.0));
}

std::vector<double> profile_edges(const ProfiledColumn& ref) {
  const auto& p = ref.profile;
  if (!p.contains("bin_edges") || !p.contains("bin_counts"))
    throw Error(ErrorCode::kCorrupted,
                "profile of column '" + ref.name + "' has no bin_edges/bin_counts");
  std::vector<double> edges = p["bin_edges"].get<std::vector<double>>();
  if (edges.size() < 2 || p["bin_counts"].size() != edges.size() + 1)
    throw Error(ErrorCode::kCorrupted, "profile of column '" + ref.name +
                                           "': " + std::to_string(p["bin_counts"].size()) +
                                           " counts for " + std::to_string(edges.size()) +
                                           " edges; expected one per bin plus two overflow bins");
  return edges;
}

}  // namespace plinth::monitor
