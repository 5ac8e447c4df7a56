// Live drift: sliding windows on a profile's frozen bins, verdicts as they arrive and leave,
// unseen categories, and a Prometheus exposition that promtool accepts.
#include "monitor/live.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

namespace plinth::monitor {
namespace {

// Profiles as profile.json holds them: amount ~ U(0, 100) in ten bins, category a/b/c.
std::vector<ProfiledColumn> reference() {
  std::vector<double> edges, counts = {0};
  for (int i = 0; i <= 10; ++i) edges.push_back(i * 10.0);
  for (int i = 0; i < 10; ++i) counts.push_back(1000);
  counts.push_back(0);
  return {{"amount",
           {{"type", "numeric"},
            {"count", 10000},
            {"null_count", 0},
            {"mean", 50.0},
            {"bin_edges", edges},
            {"bin_counts", counts}}},
          {"merchant_category",
           {{"type", "categorical"},
            {"count", 10000},
            {"null_count", 0},
            {"frequencies", {{"a", 5000}, {"b", 3000}, {"c", 2000}}}}}};
}

void feed(LiveDrift& live, size_t n, double lo, double hi, const char* category_mix,
          uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  std::uniform_int_distribution<size_t> pick(0, std::strlen(category_mix) - 1);
  for (size_t i = 0; i < n; ++i) {
    live.observe_number(0, u(rng));
    live.observe_category(1, std::string_view(&category_mix[pick(rng)], 1));
  }
}

TEST(LiveDrift, WindowsFollowTheTraffic) {
  LiveDriftOptions options;
  options.window_rows = 500;
  options.min_rows = 100;
  LiveDrift live(reference(), options);
  EXPECT_TRUE(live.snapshot().report.columns.empty()) << "no verdict before min_rows values";

  feed(live, 500, 0, 100, "aaaaabbbcc", 1);
  auto calm = live.snapshot();
  ASSERT_EQ(calm.report.columns.size(), 2u);
  EXPECT_FALSE(calm.report.dataset_drift);
  EXPECT_EQ(calm.window_rows[0], 500u);
  EXPECT_NEAR(calm.window_mean[0], 50, 5);

  // Amounts four times larger: most land above the training range (the overflow bin).
  feed(live, 500, 0, 400, "aaaaabbbcc", 2);
  auto shifted = live.snapshot();
  EXPECT_TRUE(shifted.report.columns[0].drifted);
  EXPECT_FALSE(shifted.report.columns[1].drifted);
  EXPECT_EQ(shifted.report.share_of_drifted_columns, 0.5);
  EXPECT_TRUE(shifted.report.dataset_drift);
  EXPECT_GT(shifted.window_mean[0], 150);

  // The window forgets: normal traffic again.
  feed(live, 500, 0, 100, "aaaaabbbcc", 3);
  EXPECT_FALSE(live.snapshot().report.dataset_drift);

  // A category never seen in training counts as its own bucket.
  feed(live, 500, 0, 100, "zzzzzzzzza", 4);
  auto unseen = live.snapshot();
  EXPECT_TRUE(unseen.report.columns[1].drifted);
  EXPECT_EQ(unseen.report.columns[1].distribution.categories.back(), "z");
}

// A whole request's column at once; text nobody trained on cannot grow the buckets without
// bound: past the cap, unseen categories share one bucket.
TEST(LiveDrift, ColumnsAtOnceAndUnseenCategoriesCapped) {
  LiveDriftOptions options;
  options.window_rows = 10000;
  options.min_rows = 1;
  LiveDrift live(reference(), options);
  table::Column amounts("amount", table::ColumnType::kFloat64),
      categories("merchant_category", table::ColumnType::kString);
  for (int i = 0; i < 1000; ++i) {
    amounts.f64.push_back(i % 100);
    categories.str.push_back(i < 500 ? "a" : "unseen-" + std::to_string(i));
  }
  amounts.push_null();  // skipped, as a missing value
  live.observe(0, amounts);
  live.observe(1, categories);
  auto s = live.snapshot();
  EXPECT_EQ(s.window_rows[0], 1000u);
  EXPECT_NEAR(s.window_mean[0], 49.5, 1e-9);
  EXPECT_EQ(s.window_rows[1], 1000u);
  const auto& labels = s.report.columns[1].distribution.categories;
  EXPECT_EQ(labels.size(), 3 + LiveDrift::kMaxUnseenCategories + 1);
  EXPECT_EQ(labels.back(), "(other unseen)");
  EXPECT_EQ(s.report.columns[1].distribution.current.back(),
            500.0 - LiveDrift::kMaxUnseenCategories);
}

TEST(LiveDrift, TimeWindow) {
  LiveDriftOptions options;
  options.window_rows = 1000;
  options.window_seconds = 0.05;
  options.min_rows = 1;
  LiveDrift live(reference(), options);
  feed(live, 50, 0, 100, "abc", 5);
  EXPECT_EQ(live.snapshot().window_rows[0], 50u);
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  EXPECT_EQ(live.snapshot().window_rows[0], 0u) << "values older than the window are gone";
}

TEST(LiveDrift, PrometheusExpositionIsValid) {
  LiveDrift live(reference(), {});
  feed(live, 1000, 0, 400, "abc", 6);
  std::string text = LiveDrift::prometheus(live.snapshot(), "model=\"fraud-detector/3\"");
  EXPECT_NE(text.find("model_feature_drift_score{feature=\"amount\",stattest=\"jensenshannon\","
                      "model=\"fraud-detector/3\"}"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("model_dataset_drift_share{model=\"fraud-detector/3\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(
      text.find("model_feature_reference_mean{feature=\"amount\",model=\"fraud-detector/3\"} 50"),
      std::string::npos)
      << text;
  if (std::system("command -v promtool >/dev/null") != 0) GTEST_SKIP() << "promtool missing";
  auto path =
      std::filesystem::temp_directory_path() / ("plinth-live-" + std::to_string(::getpid()));
  std::ofstream(path) << text;
  int rc = std::system(("promtool check metrics < " + path.string() + " >/dev/null 2>&1").c_str());
  std::filesystem::remove(path);
  EXPECT_EQ(rc, 0) << "promtool check metrics rejected:\n" << text;
}

}  // namespace
}  // namespace plinth::monitor
