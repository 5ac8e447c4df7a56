#include "monitor/drift.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "core/error.h"
#include "core/thread_pool.h"
#include "monitor/stattests.h"

namespace plinth::monitor {
namespace {

enum class Score { kPValue, kDistance };
// How a score becomes a verdict (spec §1.4; the mixed strictness is Evidently's).
enum class Rule { kBelowOrEqual, kBelow, kAboveOrEqual, kAbove };

struct Cleaned {
  std::vector<double> numbers;          // numeric values, or numeric categories, sorted
  std::vector<double> category_counts;  // string categories: rows per code of the sample
  size_t rows = 0;                      // non-missing
  size_t size() const { return rows; }
};

// Categories of both samples in ascending value order, with their counts: by merging the
// sorted numbers, or by hashing strings and sorting only the distinct ones.
struct Tally {
  CategoryCounts counts;
  std::vector<double> number_keys;
  std::vector<std::string> string_keys;
};

Tally count_categories(const ColumnSample& rs, const Cleaned& r, const ColumnSample& cs,
                       const Cleaned& c) {
  Tally t;
  if (rs.values_are_numbers) {
    size_t i = 0, j = 0;
    while (i < r.numbers.size() || j < c.numbers.size()) {
      double v = j == c.numbers.size() || (i < r.numbers.size() && r.numbers[i] < c.numbers[j])
                     ? r.numbers[i]
                     : c.numbers[j];
      double nr = 0, nc = 0;
      while (i < r.numbers.size() && r.numbers[i] == v) ++i, ++nr;
      while (j < c.numbers.size() && c.numbers[j] == v) ++j, ++nc;
      t.number_keys.push_back(v);
      t.counts.ref.push_back(nr);
      t.counts.cur.push_back(nc);
    }
    return t;
  }
  std::unordered_map<std::string_view, std::pair<double, double>> seen;
  for (size_t k = 0; k < rs.categories.size(); ++k)
    if (r.category_counts[k] > 0) seen[rs.categories[k]].first += r.category_counts[k];
  for (size_t k = 0; k < cs.categories.size(); ++k)
    if (c.category_counts[k] > 0) seen[cs.categories[k]].second += c.category_counts[k];
  std::vector<std::pair<std::string_view, std::pair<double, double>>> sorted_seen(seen.begin(),
                                                                                  seen.end());
  std::sort(sorted_seen.begin(), sorted_seen.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [key, n] : sorted_seen) {
    t.string_keys.emplace_back(key);
    t.counts.ref.push_back(n.first);
    t.counts.cur.push_back(n.second);
  }
  return t;
}

// Distinct values of two sorted numeric samples, counted up to `cap`.
size_t distinct_numbers(const Cleaned& r, const Cleaned& c, size_t cap) {
  const std::vector<double>&a = r.numbers, &b = c.numbers;
  size_t i = 0, j = 0, distinct = 0;
  while ((i < a.size() || j < b.size()) && distinct < cap) {
    double v = j == b.size() || (i < a.size() && a[i] < b[j]) ? a[i] : b[j];
    while (i < a.size() && a[i] == v) ++i;
    while (j < b.size() && b[j] == v) ++j;
    ++distinct;
  }
  return distinct;
}

struct Inputs {
  const ColumnSample& column;  // the reference's
  const ColumnSample& current;
  const Cleaned& r;
  const Cleaned& c;
  bool numeric_values;
  // Made on first use: a numeric column with a numeric test never needs its categories.
  mutable std::optional<Tally> counted;
  const Tally& tally() const {
    if (!counted) counted = count_categories(column, r, current, c);
    return *counted;
  }
  const CategoryCounts& counts() const { return tally().counts; }
  void need_numeric(const std::string& test) const {
    if (!numeric_values || column.kind != ColumnKind::kNumerical)
      throw Error(ErrorCode::kInvalidInput, "column '" + column.name + "' is categorical; " + test +
                                                " works on numerical columns only");
  }
};

Shares shares_of(const Inputs& in);

// The finite values of a numeric sample in row order (Evidently's MMD permutes rows).
std::vector<double> finite_rows(const ColumnSample& s) {
  std::vector<double> out;
  out.reserve(s.numbers.size());
  for (double v : s.numbers)
    if (std::isfinite(v)) out.push_back(v);
  return out;
}

// Each non-missing value of the reference, then of the current sample, in row order, as the
// index of its category in the tally (Evidently's TVD permutes rows).
std::vector<uint32_t> category_rows(const Inputs& in) {
  const Tally& t = in.tally();
  std::vector<uint32_t> out;
  out.reserve(in.r.size() + in.c.size());
  for (const ColumnSample* s : {&in.column, &in.current}) {
    if (s->values_are_numbers) {
      for (double v : s->numbers)
        if (std::isfinite(v))
          out.push_back(static_cast<uint32_t>(
              std::lower_bound(t.number_keys.begin(), t.number_keys.end(), v) -
              t.number_keys.begin()));
      continue;
    }
    std::vector<uint32_t> key_of(s->categories.size());
    for (size_t k = 0; k < key_of.size(); ++k)
      key_of[k] = static_cast<uint32_t>(
          std::lower_bound(t.string_keys.begin(), t.string_keys.end(), s->categories[k]) -
          t.string_keys.begin());
    for (int32_t code : s->codes)
      if (code >= 0) out.push_back(key_of[code]);
  }
  return out;
}

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
      // chisquare and z: categorical when named (Evidently's registry), yet the automatic choice
      // for numerical columns with at most 5 values.
      {"chisquare", "chi-square p_value", 0.05, Rule::kBelow, false, true,
       [](const Inputs& in) { return chisquare(in.counts()).pvalue; }},
      {"z", "Z-test p_value", 0.05, Rule::kBelow, false, true,
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
       [](const Inputs& in) {
         return empirical_mmd(finite_rows(in.column), finite_rows(in.current)).pvalue;
       }},
      {"fisher_exact", "Fisher's Exact test", 0.1, Rule::kBelow, false, true,
       [](const Inputs& in) { return fisher_exact(in.counts()); }},
      {"g_test", "g_test", 0.1, Rule::kBelow, false, true,
       [](const Inputs& in) { return g_test(in.counts()).pvalue; }},
      {"TVD", "Total-Variation-Distance", 0.1, Rule::kBelow, false, true,
       [](const Inputs& in) { return total_variation(in.counts(), category_rows(in)).pvalue; }},
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
    out.numbers = sorted_finite(s.numbers);  // every test below reuses the order
  } else {
    out.category_counts.assign(s.categories.size(), 0);
    for (int32_t code : s.codes)
      if (code >= 0) out.category_counts[code] += 1;
    for (double n : out.category_counts) out.rows += static_cast<size_t>(n);
    return out;
  }
  out.rows = out.numbers.size();
  return out;
}

// numpy's "doane" bin count over the combined data, for the report's charts.
// numpy's "doane" bin count over the values of both sorted samples within [lo, hi], for the
// report's charts.
std::vector<double> doane_edges(const std::vector<double>& a, const std::vector<double>& b,
                                double lo, double hi) {
  double n = 0, mean = 0, var = 0, skew = 0, width = 0;
  auto each = [&](auto fn) {
    for (const auto* v : {&a, &b})
      for (auto it = std::lower_bound(v->begin(), v->end(), lo); it != v->end() && *it <= hi; ++it)
        fn(*it);
  };
  each([&](double x) {
    n += 1;
    mean += x;
  });
  mean /= n;
  each([&](double x) { var += (x - mean) * (x - mean); });
  double sigma = std::sqrt(var / n);
  if (n > 2 && sigma > 0) {
    each([&](double x) {
      double z = (x - mean) / sigma;
      skew += z * z * z;
    });
    skew /= n;
    double sg1 = std::sqrt(6.0 * (n - 2) / ((n + 1) * (n + 3)));
    width = (hi - lo) / (1.0 + std::log2(n) + std::log2(1.0 + std::abs(skew) / sg1));
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

// Counts on `edges`, values beyond them counted in the outermost bins (sorted input).
std::vector<double> clamped_histogram(const std::vector<double>& v,
                                      const std::vector<double>& edges) {
  std::vector<double> counts = histogram(v, edges);
  counts.front() +=
      static_cast<double>(std::lower_bound(v.begin(), v.end(), edges.front()) - v.begin());
  counts.back() +=
      static_cast<double>(v.end() - std::upper_bound(v.begin(), v.end(), edges.back()));
  return counts;
}

Distribution distribution_of(const Inputs& in) {
  Distribution d;
  if (in.numeric_values && in.column.kind == ColumnKind::kNumerical) {
    const std::vector<double>&a = in.r.numbers, &b = in.c.numbers;
    // Charts span the central 99% of each sample, so one far outlier does not squeeze every
    // bar into the first bin; values beyond it count in the outermost bins.
    auto at = [](const std::vector<double>& v, double q) {
      return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))];
    };
    double lo = std::min(at(a, 0.005), at(b, 0.005)), hi = std::max(at(a, 0.995), at(b, 0.995));
    d.edges = doane_edges(a, b, lo, hi);
    d.reference = clamped_histogram(a, d.edges);
    d.current = clamped_histogram(b, d.edges);
    return d;
  }
  const Tally& tally = in.tally();
  d.reference = tally.counts.ref;
  d.current = tally.counts.cur;
  if (in.numeric_values) {
    for (double k : tally.number_keys) {
      std::string label = std::to_string(k);
      if (k == std::floor(k) && std::abs(k) < 1e15) label = std::to_string(static_cast<int64_t>(k));
      d.categories.push_back(label);
    }
  } else {
    d.categories = tally.string_keys;
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
  Inputs in{reference, current, r, c, reference.values_are_numbers, std::nullopt};
  // The automatic choice only asks whether there are more than 2 or 5 distinct values.
  size_t distinct =
      reference.values_are_numbers ? distinct_numbers(r, c, 6) : in.counts().ref.size();
  ColumnDrift out;
  out.column = reference.name;
  out.column_type = reference.kind == ColumnKind::kNumerical ? "num" : "cat";
  out.reference_rows = r.size();
  out.current_rows = c.size();
  auto chosen = options.stattest.find(reference.name);
  const StatTest& test =
      chosen != options.stattest.end()
          ? find_test(chosen->second, reference.name)
          : find_test(default_stattest(reference.kind, r.size(), distinct), reference.name);
  bool numerical = reference.kind == ColumnKind::kNumerical;
  // The automatic z and chi-square tests also serve numeric columns with few values.
  if (chosen != options.stattest.end() && !(numerical ? test.numerical : test.categorical))
    throw Error(ErrorCode::kInvalidInput, "column '" + reference.name + "' is " +
                                              (numerical ? "numerical" : "categorical") + "; " +
                                              test.id + " does not apply to it");
  out.stattest = test.id;
  out.stattest_name = test.display;
  auto thr = options.threshold.find(reference.name);
  out.threshold = thr != options.threshold.end() ? thr->second : test.default_threshold;
  try {
    out.score = test.score(in);
  } catch (const Error& e) {
    throw Error(e.code(), "column '" + reference.name + "': " + e.what());
  }
  if (options.distributions) out.distribution = distribution_of(in);
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
  // Columns are independent: test them on every core.
  report.columns.resize(reference.size());
  core::ThreadPool pool(std::min(core::default_jobs(), std::max<size_t>(reference.size(), 1)));
  pool.parallel_for(reference.size(), [&](size_t i) {
    report.columns[i] = column_drift(reference[i], current[i], options);
  });
  summarize(report);
  return report;
}

void summarize(DriftReport& report) {
  report.number_of_drifted_columns = 0;
  for (const auto& c : report.columns) report.number_of_drifted_columns += c.drifted;
  report.number_of_columns = report.columns.size();
  report.share_of_drifted_columns = report.columns.empty()
                                        ? 0.0
                                        : static_cast<double>(report.number_of_drifted_columns) /
                                              static_cast<double>(report.columns.size());
  report.dataset_drift =
      !report.columns.empty() && report.share_of_drifted_columns >= report.drift_share;
}

}  // namespace plinth::monitor
