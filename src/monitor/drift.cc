#include "monitor/drift.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "core/error.h"
#include "monitor/stattests.h"

namespace plinth::monitor {
namespace {

enum class Score { kPValue, kDistance };
// How a score becomes a verdict (spec §1.4; the mixed strictness is Evidently's).
enum class Rule { kBelowOrEqual, kBelow, kAboveOrEqual, kAbove };

struct Cleaned {
  std::vector<double> numbers;       // numeric values, or numeric categories
  std::vector<std::string> strings;  // string categories
  size_t size() const { return numbers.empty() ? strings.size() : numbers.size(); }
};

// Categories of both samples in ascending value order, with their counts.
CategoryCounts count_categories(const Cleaned& r, const Cleaned& c, bool numeric) {
  CategoryCounts counts;
  if (numeric) {
    std::vector<double> keys(r.numbers);
    keys.insert(keys.end(), c.numbers.begin(), c.numbers.end());
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    counts.ref.assign(keys.size(), 0);
    counts.cur.assign(keys.size(), 0);
    for (double v : r.numbers)
      counts.ref[std::lower_bound(keys.begin(), keys.end(), v) - keys.begin()]++;
    for (double v : c.numbers)
      counts.cur[std::lower_bound(keys.begin(), keys.end(), v) - keys.begin()]++;
  } else {
    std::vector<std::string> keys(r.strings);
    keys.insert(keys.end(), c.strings.begin(), c.strings.end());
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    counts.ref.assign(keys.size(), 0);
    counts.cur.assign(keys.size(), 0);
    for (const auto& v : r.strings)
      counts.ref[std::lower_bound(keys.begin(), keys.end(), v) - keys.begin()]++;
    for (const auto& v : c.strings)
      counts.cur[std::lower_bound(keys.begin(), keys.end(), v) - keys.begin()]++;
  }
  return counts;
}

struct Inputs {
  const ColumnSample& column;
  const Cleaned& r;
  const Cleaned& c;
  bool numeric_values;
  CategoryCounts counts() const { return count_categories(r, c, numeric_values); }
  void need_numeric(const std::string& test) const {
    if (!numeric_values || column.kind != ColumnKind::kNumerical)
      throw Error(ErrorCode::kInvalidInput, "column '" + column.name + "' is categorical; " + test +
                                                " works on numerical columns only");
  }
};

Shares shares_of(const Inputs& in);

struct StatTest {
  std::string id, display;
  double default_threshold;
  Rule rule;
  bool numerical, categorical;
  std::function<double(const Inputs&)> score;
};

const std::vector<StatTest>& registry() {
  static const std::vector<StatTest> tests = {
      {"ks", "K-S p_value", 0.05, Rule::kBelowOrEqual, true, false,
       [](const Inputs& in) { return ks_2samp(in.r.numbers, in.c.numbers).pvalue; }},
      {"chisquare", "chi-square p_value", 0.05, Rule::kBelow, true, true,
       [](const Inputs& in) { return chisquare(in.counts()).pvalue; }},
      {"z", "Z-test p_value", 0.05, Rule::kBelow, true, true,
       [](const Inputs& in) { return z_test_pvalue(in.counts()); }},
      {"wasserstein", "Wasserstein distance (normed)", 0.1, Rule::kAboveOrEqual, true, false,
       [](const Inputs& in) { return wasserstein_normed(in.r.numbers, in.c.numbers); }},
      {"jensenshannon", "Jensen-Shannon distance", 0.1, Rule::kAboveOrEqual, true, true,
       [](const Inputs& in) { return jensen_shannon(shares_of(in)); }},
      {"psi", "PSI", 0.1, Rule::kAboveOrEqual, true, true,
       [](const Inputs& in) {
         Shares s = shares_of(in);
         fill_zeroes(s);
         return psi(s);
       }},
      {"kl_div", "Kullback-Leibler divergence", 0.1, Rule::kAboveOrEqual, true, true,
       [](const Inputs& in) {
         Shares s = shares_of(in);
         fill_zeroes(s);
         return kl_divergence(s);
       }},
      {"hellinger", "Hellinger distance", 0.1, Rule::kAboveOrEqual, true, true,
       [](const Inputs& in) {
         return in.column.kind == ColumnKind::kNumerical && in.numeric_values
                    ? hellinger_numeric(in.r.numbers, in.c.numbers)
                    : hellinger_categorical(in.counts());
       }},
      {"anderson", "Anderson-Darling", 0.1, Rule::kBelow, true, false,
       [](const Inputs& in) { return anderson_ksamp(in.r.numbers, in.c.numbers).pvalue; }},
      {"cramer_von_mises", "Cramer-von Mises", 0.1, Rule::kBelowOrEqual, true, false,
       [](const Inputs& in) { return cramer_von_mises(in.r.numbers, in.c.numbers).pvalue; }},
      {"ed", "Energy-distance", 0.1, Rule::kAbove, true, false,
       [](const Inputs& in) { return energy_distance(in.r.numbers, in.c.numbers); }},
      {"mannw", "Mann-Whitney U-rank test", 0.05, Rule::kBelow, true, false,
       [](const Inputs& in) { return mann_whitney_less(in.r.numbers, in.c.numbers).pvalue; }},
      {"t_test", "t_test", 0.05, Rule::kBelow, true, false,
       [](const Inputs& in) { return t_test(in.r.numbers, in.c.numbers).pvalue; }},
      {"empirical_mmd", "empirical_mmd", 0.1, Rule::kBelow, true, false,
       [](const Inputs& in) { return empirical_mmd(in.r.numbers, in.c.numbers).pvalue; }},
      {"fisher_exact", "Fisher's Exact test", 0.1, Rule::kBelow, false, true,
       [](const Inputs& in) { return fisher_exact(in.counts()); }},
      {"g_test", "g_test", 0.1, Rule::kBelow, false, true,
       [](const Inputs& in) { return g_test(in.counts()).pvalue; }},
      {"TVD", "Total-Variation-Distance", 0.1, Rule::kBelow, false, true,
       [](const Inputs& in) { return total_variation(in.counts()).pvalue; }},
  };
  return tests;
}

// Shares for JS, PSI and KL: binned for numbers (spec §1.6), one per category otherwise.
Shares shares_of(const Inputs& in) {
  return in.numeric_values && in.column.kind == ColumnKind::kNumerical
             ? binned_shares(in.r.numbers, in.c.numbers)
             : category_shares(in.counts());
}

const StatTest& find_test(const std::string& name, const std::string& column) {
  std::string id = name == "energy_distance" ? "ed" : name;
  for (const auto& t : registry())
    if (t.id == id) return t;
  std::string known;
  for (const auto& t : registry()) known += (known.empty() ? "" : ", ") + t.id;
  throw Error(ErrorCode::kInvalidInput,
              "column '" + column + "': unknown stattest '" + name + "'; use one of " + known);
}

Cleaned clean(const ColumnSample& s) {
  Cleaned out;
  if (s.values_are_numbers) {
    for (double v : s.numbers)
      if (std::isfinite(v)) out.numbers.push_back(v);
  } else {
    for (size_t i = 0; i < s.strings.size(); ++i)
      if (s.missing.empty() || !s.missing[i]) out.strings.push_back(s.strings[i]);
  }
  return out;
}

size_t distinct(const Cleaned& r, const Cleaned& c) {
  if (!r.numbers.empty() || !c.numbers.empty()) {
    std::vector<double> all(r.numbers);
    all.insert(all.end(), c.numbers.begin(), c.numbers.end());
    std::sort(all.begin(), all.end());
    return static_cast<size_t>(std::unique(all.begin(), all.end()) - all.begin());
  }
  std::vector<std::string> all(r.strings);
  all.insert(all.end(), c.strings.begin(), c.strings.end());
  std::sort(all.begin(), all.end());
  return static_cast<size_t>(std::unique(all.begin(), all.end()) - all.begin());
}

// numpy's "doane" bin count over the combined data, for the report's charts.
std::vector<double> doane_edges(const std::vector<double>& sorted_all) {
  double n = static_cast<double>(sorted_all.size());
  double lo = sorted_all.front(), hi = sorted_all.back(), width = 0;
  if (n > 2) {
    double mean = 0, var = 0, skew = 0;
    for (double v : sorted_all) mean += v;
    mean /= n;
    for (double v : sorted_all) var += (v - mean) * (v - mean);
    double sigma = std::sqrt(var / n);
    if (sigma > 0) {
      for (double v : sorted_all) skew += std::pow((v - mean) / sigma, 3);
      skew /= n;
      double sg1 = std::sqrt(6.0 * (n - 2) / ((n + 1) * (n + 3)));
      width = (hi - lo) / (1.0 + std::log2(n) + std::log2(1.0 + std::abs(skew) / sg1));
    }
  }
  if (lo == hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  size_t bins = width > 0 ? static_cast<size_t>(std::ceil((hi - lo) / width)) : 1;
  bins = std::clamp<size_t>(bins, 1, 60);
  std::vector<double> edges(bins + 1);
  for (size_t i = 0; i <= bins; ++i)
    edges[i] = lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(bins);
  edges[bins] = hi;
  return edges;
}

Distribution distribution_of(const Inputs& in) {
  Distribution d;
  if (in.numeric_values && in.column.kind == ColumnKind::kNumerical) {
    std::vector<double> a(in.r.numbers), b(in.c.numbers), all;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    std::merge(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(all));
    // Charts span the central 99% of the combined data, so one far outlier does not squeeze
    // every bar into the first bin; values beyond it count in the outermost bins.
    double lo = all[static_cast<size_t>(0.005 * static_cast<double>(all.size() - 1))];
    double hi = all[static_cast<size_t>(0.995 * static_cast<double>(all.size() - 1))];
    std::vector<double> central;
    for (double v : all)
      if (v >= lo && v <= hi) central.push_back(v);
    d.edges = doane_edges(central);
    for (auto* v : {&a, &b})
      for (double& x : *v) x = std::clamp(x, d.edges.front(), d.edges.back());
    d.reference = histogram(a, d.edges);
    d.current = histogram(b, d.edges);
    return d;
  }
  CategoryCounts counts = in.counts();
  d.reference = counts.ref;
  d.current = counts.cur;
  if (in.numeric_values) {
    std::vector<double> keys(in.r.numbers);
    keys.insert(keys.end(), in.c.numbers.begin(), in.c.numbers.end());
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (double k : keys) {
      std::string label = std::to_string(k);
      if (k == std::floor(k) && std::abs(k) < 1e15) label = std::to_string(static_cast<int64_t>(k));
      d.categories.push_back(label);
    }
  } else {
    d.categories = in.r.strings;
    d.categories.insert(d.categories.end(), in.c.strings.begin(), in.c.strings.end());
    std::sort(d.categories.begin(), d.categories.end());
    d.categories.erase(std::unique(d.categories.begin(), d.categories.end()), d.categories.end());
  }
  return d;
}

}  // namespace

std::vector<std::string> stattest_names() {
  std::vector<std::string> names;
  for (const auto& t : registry()) names.push_back(t.id);
  return names;
}

std::string default_stattest(ColumnKind kind, size_t reference_rows, size_t u) {
  bool small = reference_rows <= 1000;
  if (!small) return kind == ColumnKind::kNumerical && u > 5 ? "wasserstein" : "jensenshannon";
  if (u <= 2) return "z";
  if (kind == ColumnKind::kCategorical || u <= 5) return "chisquare";
  return "ks";
}

ColumnDrift column_drift(const ColumnSample& reference, const ColumnSample& current,
                         const DriftOptions& options) {
  Cleaned r = clean(reference), c = clean(current);
  if (r.size() == 0 || c.size() == 0)
    throw Error(ErrorCode::kInvalidInput,
                "column '" + reference.name + "' has no values in the " +
                    (r.size() == 0 ? "reference" : "current") +
                    " data once missing values are dropped; leave it out with --columns");
  ColumnDrift out;
  out.column = reference.name;
  out.column_type = reference.kind == ColumnKind::kNumerical ? "num" : "cat";
  out.reference_rows = r.size();
  out.current_rows = c.size();
  auto chosen = options.stattest.find(reference.name);
  const StatTest& test =
      chosen != options.stattest.end()
          ? find_test(chosen->second, reference.name)
          : find_test(default_stattest(reference.kind, r.size(), distinct(r, c)), reference.name);
  bool numerical = reference.kind == ColumnKind::kNumerical;
  // The automatic z and chi-square tests also serve numeric columns with few values (§1.4).
  if (chosen != options.stattest.end() && !(numerical ? test.numerical : test.categorical))
    throw Error(ErrorCode::kInvalidInput, "column '" + reference.name + "' is " +
                                              (numerical ? "numerical" : "categorical") + "; " +
                                              test.id + " does not apply to it");
  out.stattest = test.id;
  out.stattest_name = test.display;
  auto thr = options.threshold.find(reference.name);
  out.threshold = thr != options.threshold.end() ? thr->second : test.default_threshold;
  Inputs in{reference, r, c, reference.values_are_numbers};
  try {
    out.score = test.score(in);
  } catch (const Error& e) {
    throw Error(e.code(), "column '" + reference.name + "': " + e.what());
  }
  out.distribution = distribution_of(in);
  switch (test.rule) {
    case Rule::kBelowOrEqual:
      out.drifted = out.score <= out.threshold;
      break;
    case Rule::kBelow:
      out.drifted = out.score < out.threshold;
      break;
    case Rule::kAboveOrEqual:
      out.drifted = out.score >= out.threshold;
      break;
    case Rule::kAbove:
      out.drifted = out.score > out.threshold;
      break;
  }
  return out;
}

DriftReport dataset_drift(const std::vector<ColumnSample>& reference,
                          const std::vector<ColumnSample>& current, const DriftOptions& options) {
  DriftReport report;
  report.drift_share = options.drift_share;
  for (size_t i = 0; i < reference.size(); ++i) {
    report.columns.push_back(column_drift(reference[i], current[i], options));
    report.number_of_drifted_columns += report.columns.back().drifted;
  }
  report.number_of_columns = report.columns.size();
  report.share_of_drifted_columns = report.columns.empty()
                                        ? 0.0
                                        : static_cast<double>(report.number_of_drifted_columns) /
                                              static_cast<double>(report.columns.size());
  report.dataset_drift =
      !report.columns.empty() && report.share_of_drifted_columns >= options.drift_share;
  return report;
}

}  // namespace plinth::monitor
