// Evidently's choice of test, thresholds, drift rules and dataset verdict (spec drift.md §1.2-1.7).
#include "monitor/drift.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/error.h"
#include "monitor/columns.h"
#include "monitor/report.h"
#include "monitor/stattests.h"

namespace plinth::monitor {
namespace {

ColumnSample numeric(std::string name, size_t n, double shift, uint64_t seed) {
  ColumnSample s{std::move(name), ColumnKind::kNumerical, true, {}, {}, {}};
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> dist(shift, 1.0);
  for (size_t i = 0; i < n; ++i) s.numbers.push_back(dist(rng));
  return s;
}

// Through sample_of, as plinth drift makes them; `valid` as in table::Column (0 = null).
ColumnSample categorical(std::string name, const std::vector<std::string>& values,
                         std::vector<uint8_t> valid = {}) {
  table::Column column(std::move(name), table::ColumnType::kString);
  for (const auto& v : values) column.str.push_back(v);
  column.valid = std::move(valid);
  return sample_of(column, ColumnKind::kCategorical);
}

std::vector<std::string> repeat(std::initializer_list<std::pair<const char*, int>> parts) {
  std::vector<std::string> out;
  for (auto [v, n] : parts) out.insert(out.end(), static_cast<size_t>(n), v);
  return out;
}

TEST(Drift, DefaultTestFollowsEvidentlysTable) {
  EXPECT_EQ(default_stattest(ColumnKind::kNumerical, 1000, 500), "ks");
  EXPECT_EQ(default_stattest(ColumnKind::kNumerical, 1001, 500), "wasserstein");
  EXPECT_EQ(default_stattest(ColumnKind::kNumerical, 100, 2), "z");
  EXPECT_EQ(default_stattest(ColumnKind::kNumerical, 100, 4), "chisquare");
  EXPECT_EQ(default_stattest(ColumnKind::kNumerical, 5000, 4), "jensenshannon");
  EXPECT_EQ(default_stattest(ColumnKind::kCategorical, 100, 2), "z");
  EXPECT_EQ(default_stattest(ColumnKind::kCategorical, 100, 8), "chisquare");
  EXPECT_EQ(default_stattest(ColumnKind::kCategorical, 1001, 8), "jensenshannon");
}

TEST(Drift, ChoosesByCleanedReferenceSizeAndReportsTheTest) {
  ColumnSample r = numeric("amount", 1000, 0, 1), c = numeric("amount", 1000, 0, 2);
  r.numbers.push_back(NAN);  // 1001 rows, 1000 after cleaning: still the small-sample branch
  r.numbers.push_back(INFINITY);
  ColumnDrift d = column_drift(r, c, {});
  EXPECT_EQ(d.stattest, "ks");
  EXPECT_EQ(d.stattest_name, "K-S p_value");
  EXPECT_EQ(d.reference_rows, 1000u);
  EXPECT_EQ(d.threshold, 0.05);
  EXPECT_FALSE(d.drifted);
  EXPECT_EQ(d.column_type, "num");

  ColumnDrift shifted =
      column_drift(numeric("amount", 5000, 0, 3), numeric("amount", 5000, 0.5, 4), {});
  EXPECT_EQ(shifted.stattest, "wasserstein");
  EXPECT_TRUE(shifted.drifted);
  EXPECT_NEAR(shifted.score, 0.5, 0.05);  // a shift of half a standard deviation
}

TEST(Drift, CategoricalColumns) {
  auto r = categorical("merchant_category", repeat({{"grocery", 50}, {"gas", 30}, {"online", 20}}));
  auto same =
      categorical("merchant_category", repeat({{"grocery", 48}, {"gas", 31}, {"online", 21}}));
  auto moved =
      categorical("merchant_category", repeat({{"grocery", 20}, {"gas", 30}, {"online", 50}}));
  ColumnDrift a = column_drift(r, same, {});
  EXPECT_EQ(a.stattest, "chisquare");
  EXPECT_EQ(a.column_type, "cat");
  EXPECT_FALSE(a.drifted);
  EXPECT_TRUE(column_drift(r, moved, {}).drifted);
  // Nulls are dropped before testing.
  auto values = repeat({{"grocery", 48}, {"gas", 31}, {"online", 21}, {"", 1}});
  std::vector<uint8_t> valid(values.size() - 1, 1);
  valid.push_back(0);  // the "" is a null
  auto with_nulls = categorical("merchant_category", values, valid);
  EXPECT_EQ(column_drift(r, with_nulls, {}).score, a.score);
}

// A dictionary-encoded column (Parquet) tests as its plain strings do, even when its dictionary
// repeats a label or holds one no row uses.
TEST(Drift, DictionaryColumnsTestAsPlainStrings) {
  std::vector<std::string> labels = {"b", "a", "b", "unused"};
  std::vector<int32_t> codes = {0, 1, 2, 1, 0, 0, 1, 2, 1, 1, 0};
  table::Column dict("m", table::ColumnType::kString);
  for (const auto& l : labels) dict.dict.push_back(l);
  dict.codes = codes;
  dict.valid.assign(codes.size(), 1);
  dict.valid[3] = 0;
  std::vector<std::string> plain_values;
  for (int32_t code : codes) plain_values.push_back(labels[code]);
  ColumnSample from_dict = sample_of(dict, ColumnKind::kCategorical);
  ColumnSample plain = categorical("m", plain_values, dict.valid);
  auto cur = categorical("m", repeat({{"a", 3}, {"b", 9}, {"c", 1}}));
  ColumnDrift a = column_drift(from_dict, cur, {}), b = column_drift(plain, cur, {});
  EXPECT_EQ(a.score, b.score);
  EXPECT_EQ(a.reference_rows, 10u);
  EXPECT_EQ(a.distribution.categories, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(a.distribution.reference, b.distribution.reference);
  EXPECT_EQ(a.distribution.reference, (std::vector<double>{4, 6, 0}));
}

TEST(Drift, OverridesAndDriftRules) {
  ColumnSample r = numeric("x", 300, 0, 5), c = numeric("x", 300, 0.3, 6);
  DriftOptions psi_opts;
  psi_opts.stattest["x"] = "psi";
  psi_opts.threshold["x"] = 0.2;
  ColumnDrift p = column_drift(r, c, psi_opts);
  EXPECT_EQ(p.stattest, "psi");
  EXPECT_EQ(p.threshold, 0.2);
  // A score equal to the threshold: p-value tests with "<=" (ks, cvm) and distances with ">="
  // drift; "<" p-value tests and the energy distance (">") do not (spec §1.4).
  for (auto [test, drifts_at_equality] : std::vector<std::pair<std::string, bool>>{
           {"ks", true}, {"t_test", false}, {"wasserstein", true}, {"ed", false}}) {
    DriftOptions o;
    o.stattest["x"] = test;
    double score = column_drift(r, c, o).score;
    o.threshold["x"] = score;
    EXPECT_EQ(column_drift(r, c, o).drifted, drifts_at_equality) << test;
  }
  DriftOptions unknown;
  unknown.stattest["x"] = "bogus";
  EXPECT_THROW(column_drift(r, c, unknown), Error);
  DriftOptions wrong_type;
  wrong_type.stattest["m"] = "ks";
  auto cat = categorical("m", {"a", "b", "a"});
  EXPECT_THROW(column_drift(cat, cat, wrong_type), Error);
  ColumnSample empty{"x", ColumnKind::kNumerical, true, {NAN, NAN}, {}, {}};
  try {
    column_drift(empty, c, {});
    FAIL() << "an all-missing column was tested";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("column 'x'"), std::string::npos);
  }
}

TEST(Drift, DatasetVerdictIsShareAtLeastDriftShare) {
  std::vector<ColumnSample> ref = {numeric("a", 500, 0, 7), numeric("b", 500, 0, 8)};
  std::vector<ColumnSample> cur = {numeric("a", 500, 1.0, 9), numeric("b", 500, 0, 10)};
  DriftReport half = dataset_drift(ref, cur, {});
  EXPECT_EQ(half.number_of_drifted_columns, 1u);
  EXPECT_EQ(half.share_of_drifted_columns, 0.5);
  EXPECT_TRUE(half.dataset_drift);  // 0.5 >= 0.5: inclusive, like Evidently
  DriftOptions strict;
  strict.drift_share = 0.6;
  EXPECT_FALSE(dataset_drift(ref, cur, strict).dataset_drift);
}

}  // namespace
}  // namespace plinth::monitor

namespace plinth::monitor {
namespace {

TEST(DriftReport, JsonShapeAndHtmlPage) {
  std::vector<ColumnSample> ref = {numeric("amount", 500, 0, 11),
                                   categorical("kind<b>", repeat({{"a", 30}, {"b", 20}}))};
  std::vector<ColumnSample> cur = {numeric("amount", 500, 1.0, 12),
                                   categorical("kind<b>", repeat({{"a", 29}, {"b", 21}}))};
  DriftReport r = dataset_drift(ref, cur, {});
  nlohmann::json j = report_json(r);
  EXPECT_EQ(j["dataset_drift"], true);
  EXPECT_EQ(j["number_of_drifted_columns"], 1);
  EXPECT_EQ(j["share_of_drifted_columns"], 0.5);
  EXPECT_EQ(j["columns"]["amount"]["stattest"], "ks");
  EXPECT_EQ(j["columns"]["amount"]["column_type"], "num");
  EXPECT_EQ(j["columns"]["amount"]["drifted"], true);
  EXPECT_EQ(j["columns"]["kind<b>"]["column_type"], "cat");
  for (const char* key : {"score", "threshold"})
    EXPECT_TRUE(j["columns"]["amount"][key].is_number()) << key;

  std::string html = report_html(r, {"ref.csv", "cur.csv", "2026-11-27"});
  EXPECT_NE(html.find("Dataset drift is detected"), std::string::npos);
  EXPECT_NE(html.find("kind&lt;b&gt;"), std::string::npos) << "names are escaped";
  EXPECT_EQ(html.find("kind<b>"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos) << "no script, no network";
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));
  // Rows sorted by score: the categorical p-value (~0.8) before the KS p-value (~0).
  EXPECT_LT(html.find("<td>kind&lt;b&gt;</td>"), html.find("<td>amount</td>"));
}

}  // namespace
}  // namespace plinth::monitor

namespace plinth::monitor {
namespace {

TEST(SortValues, MatchesStdSortIncludingNegativesZerosAndInfinities) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> dist(0, 1e3);
  std::vector<double> v(100000);
  for (auto& x : v) x = dist(rng);
  v[10] = -0.0;
  v[11] = 0.0;
  v[12] = INFINITY;
  v[13] = -INFINITY;
  v[14] = 1e-310;  // subnormal
  std::vector<double> want = v;
  std::sort(want.begin(), want.end());
  sort_values(v);
  for (size_t i = 0; i < v.size(); ++i) ASSERT_EQ(v[i], want[i]) << i;
}

}  // namespace
}  // namespace plinth::monitor
