// Every drift statistic against what Debian's scipy 1.10 computes for the same samples
// (tests/monitor/scipy_oracle.py), to 1e-9 relative, and the vectors of spec drift.md §1.9.
#include "monitor/stattests.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>

#include "core/error.h"

namespace plinth::monitor {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

std::vector<double> normal(size_t n, double mu, double sigma, uint64_t seed, double round = 0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> dist(mu, sigma);
  std::vector<double> v(n);
  for (auto& x : v) {
    x = dist(rng);
    if (round > 0) x = std::round(x / round) * round;  // ties
  }
  return v;
}

std::vector<double> counts(std::initializer_list<double> c) { return c; }

json with_test(json c, const std::string& test) {
  c["test"] = test;
  return c;
}

// Equal to `rel` of the larger magnitude (plus `abs`): tiny p-values are held to their own size.
// NaN equals only NaN and an infinity only itself; the floor of 1e-300 only lets an exact zero
// meet a result that underflowed differently.
bool same(double a, double b, double rel, double abs) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (std::isinf(a) || std::isinf(b)) return a == b;
  return std::abs(a - b) <= rel * std::max(std::abs(a), std::abs(b)) + std::max(abs, 1e-300);
}

// Collects cases and what Plinth computed for them, then asks scipy once for all of them.
class Oracle {
 public:
  // `abs`: an absolute tolerance for values scipy computes as 1 - cdf, whose float64 result is
  // only good to a few units in the last place of 1 (about 1e-15), however small it is.
  void add(json c, std::vector<double> ours, std::string label, double abs = 0) {
    cases_.push_back(std::move(c));
    ours_.push_back(std::move(ours));
    labels_.push_back(std::move(label));
    abs_.push_back(abs);
  }

  void check(double rel = 1e-9) {
    fs::path dir = fs::temp_directory_path() / ("plinth-oracle-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "cases.json") << json(cases_).dump();
    std::string cmd = "/usr/bin/python3 " PLINTH_SOURCE_DIR "/tests/monitor/scipy_oracle.py " +
                      (dir / "cases.json").string() + " " + (dir / "out.json").string();
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "the scipy oracle failed: " << cmd;
    json theirs = json::parse(std::ifstream(dir / "out.json"));
    fs::remove_all(dir);
    ASSERT_EQ(theirs.size(), ours_.size());
    for (size_t i = 0; i < ours_.size(); ++i)
      for (size_t k = 0; k < ours_[i].size(); ++k) {
        const json& v = theirs[i][k];
        double a = ours_[i][k],
               b = v.is_string() ? std::stod(v.get<std::string>()) : v.get<double>();
        EXPECT_TRUE(same(a, b, rel, abs_[i]))
            << labels_[i] << " value " << k << " (ours " << a << ", scipy " << b << ")";
      }
  }

 private:
  std::vector<json> cases_;
  std::vector<std::vector<double>> ours_;
  std::vector<std::string> labels_;
  std::vector<double> abs_;
};

struct Pair {
  std::string name;
  std::vector<double> r, c;
};

std::vector<Pair> numeric_pairs() {
  return {
      {"tiny 5 vs 7", normal(5, 0, 1, 1), normal(7, 0.5, 1, 2)},
      {"8 vs 8 shifted", normal(8, 0, 1, 3), normal(8, 1, 1, 4)},
      {"20 vs 15", normal(20, 0, 1, 5), normal(15, 0.2, 1.3, 6)},
      {"ties 60 vs 45", normal(60, 0, 1, 7, 0.5), normal(45, 0.3, 1, 8, 0.5)},
      {"300 vs 300 same", normal(300, 10, 2, 9), normal(300, 10, 2, 10)},
      {"1000 vs 700 shifted", normal(1000, 0, 1, 11), normal(700, 0.15, 1, 12)},
      {"400 vs 12000 (KS asymptotic)", normal(400, 0, 1, 13), normal(12000, 0.05, 1, 14)},
      {"2000 vs 2500 ties", normal(2000, 5, 3, 15, 1.0), normal(2500, 5.5, 3, 16, 1.0)},
      {"200 vs 150 far apart (tiny p-values)", normal(200, 0, 1, 17), normal(150, 1.2, 1, 18)},
  };
}

TEST(StatTests, NumericTestsMatchScipy) {
  Oracle oracle;
  for (const auto& p : numeric_pairs()) {
    json base = {{"r", p.r}, {"c", p.c}};
    auto ks = ks_2samp(p.r, p.c);
    oracle.add(with_test(base, "ks"), {ks.statistic, ks.pvalue}, "ks " + p.name);
    oracle.add(with_test(base, "wasserstein"),
               {wasserstein_distance(p.r, p.c), wasserstein_normed(p.r, p.c)},
               "wasserstein " + p.name);
    oracle.add(with_test(base, "energy"), {energy_distance(p.r, p.c)}, "energy " + p.name);
    auto t = t_test(p.r, p.c);
    oracle.add(with_test(base, "t_test"), {t.statistic, t.pvalue}, "t " + p.name);
    auto mw = mann_whitney_less(p.r, p.c);
    oracle.add(with_test(base, "mannw"), {mw.statistic, mw.pvalue}, "mannw " + p.name);
    auto ad = anderson_ksamp(p.r, p.c);
    oracle.add(with_test(base, "anderson"), {ad.statistic, ad.pvalue}, "anderson " + p.name);
    auto cvm = cramer_von_mises(p.r, p.c);
    oracle.add(with_test(base, "cvm"), {cvm.statistic, cvm.pvalue}, "cvm " + p.name,
               std::max(p.r.size(), p.c.size()) > 20 ? 1e-14 : 0);  // asymptotic: 1 - cdf
    Shares plain = binned_shares(p.r, p.c), filled = plain;
    fill_zeroes(filled);
    oracle.add(with_test(base, "binned"),
               {jensen_shannon(plain), psi(filled), kl_divergence(filled)}, "js/psi/kl " + p.name);
    oracle.add(with_test(base, "hellinger_num"), {hellinger_numeric(p.r, p.c)},
               "hellinger " + p.name);
    if (p.r.size() + p.c.size() <= 2000)  // O(n²); the p-value is a seeded permutation test
      oracle.add(with_test(base, "mmd"), {empirical_mmd(p.r, p.c).statistic}, "mmd " + p.name);
  }
  oracle.check();
}

TEST(StatTests, KolmogorovDistributionMatchesScipyKstwo) {
  Oracle oracle;
  for (int64_t n : {3, 10, 50, 140, 141, 500, 3000, 20000, 150000})
    for (double d : {0.001, 0.01, 0.03, 0.05, 0.08, 0.12, 0.2, 0.35, 0.6, 0.95})
      oracle.add({{"test", "kstwo_sf"}, {"n", n}, {"d", d}}, {kstwo_sf(n, d)},
                 "kstwo.sf n=" + std::to_string(n) + " d=" + std::to_string(d));
  oracle.check();
}

TEST(StatTests, CategoricalTestsMatchScipy) {
  std::vector<std::pair<std::string, CategoryCounts>> cases = {
      {"six categories", {counts({16, 18, 16, 14, 12, 12}), counts({16, 16, 16, 16, 16, 8})}},
      {"shifted mix", {counts({16, 18, 16, 14, 12, 12}), counts({10, 10, 24, 24, 10, 10})}},
      {"three, unequal sizes", {counts({50, 30, 20}), counts({70, 20, 35})}},
      {"binary", {counts({60, 40}), counts({48, 52})}},
      {"category only in current", {counts({30, 20, 0}), counts({25, 20, 5})}},
      {"large", {counts({40000, 25000, 20000, 15000}), counts({38000, 27000, 21000, 14000})}},
  };
  Oracle oracle;
  for (const auto& [name, cc] : cases) {
    json base = {{"ref_counts", cc.ref}, {"cur_counts", cc.cur}};
    auto chi = chisquare(cc);
    oracle.add(with_test(base, "chisquare"), {chi.statistic, chi.pvalue}, "chisquare " + name);
    oracle.add(with_test(base, "z"), {z_test_pvalue(cc)}, "z " + name);
    oracle.add(with_test(base, "hellinger_cat"), {hellinger_categorical(cc)}, "hellinger " + name);
    Shares plain = category_shares(cc), filled = plain;
    fill_zeroes(filled);
    oracle.add(with_test(base, "cat_binned"),
               {jensen_shannon(plain), psi(filled), kl_divergence(filled)}, "js/psi/kl " + name);
    double nr = 0, nc = 0;
    for (double x : cc.ref) nr += x;
    for (double x : cc.cur) nc += x;
    if (nr == nc) {
      auto g = g_test(cc);
      oracle.add(with_test(base, "g_test"), {g.statistic, g.pvalue}, "g_test " + name);
      if (cc.ref.size() == 2)
        oracle.add(with_test(base, "fisher"), {fisher_exact(cc)}, "fisher " + name);
    }
    if (nr + nc < 1000) {
      auto tv = total_variation(cc);
      oracle.add(with_test(base, "tvd"), {tv.statistic, tv.pvalue}, "tvd " + name);
    }
  }
  oracle.check();
}

// Spec drift.md §1.9, the values Evidently's own tests assert.
TEST(StatTests, EvidentlyVectors) {
  CategoryCounts v1{counts({16, 18, 16, 14, 12, 12}), counts({16, 16, 16, 16, 16, 8})};
  EXPECT_NEAR(chisquare(v1).pvalue, 0.67309, 1e-5);
  CategoryCounts v1_doubled{counts({32, 36, 32, 28, 24, 24}), v1.cur};
  EXPECT_NEAR(chisquare(v1_doubled).pvalue, 0.67309, 1e-5);
  EXPECT_NEAR(hellinger_categorical(v1), 0.06812, 1e-5);
  auto tv = total_variation(v1);
  EXPECT_NEAR(tv.statistic, 0.068182, 1e-6);
  EXPECT_NEAR(tv.pvalue, 0.928, 1e-12);
  auto tv2 = total_variation({v1.ref, counts({10, 10, 24, 24, 10, 10})});
  EXPECT_NEAR(tv2.statistic, 0.204545, 1e-6);
  EXPECT_NEAR(tv2.pvalue, 0.085, 1e-12);

  std::vector<double> expand_r, expand_c;
  for (int v = 1; v <= 6; ++v) {
    expand_r.insert(expand_r.end(), static_cast<size_t>(v1.ref[v - 1]), v);
    expand_c.insert(expand_c.end(), static_cast<size_t>(v1.cur[v - 1]), v);
  }
  EXPECT_NEAR(mann_whitney_less(expand_r, expand_c).pvalue, 0.481, 1e-3);

  std::vector<double> r2 = {38.7, 41.5, 43.8, 44.5, 45.5, 46.0, 47.7, 58.0};
  std::vector<double> c2 = {39.2, 39.3, 39.7, 41.4, 41.8, 42.9, 43.3, 45.8};
  EXPECT_NEAR(t_test(r2, c2).pvalue, 0.084, 1e-3);
  EXPECT_NEAR(anderson_ksamp(r2, c2).pvalue, 0.0635, 1e-4);
  std::vector<double> shifted = r2;
  for (double& x : shifted) x += 5;
  EXPECT_NEAR(energy_distance(r2, shifted), 1.933, 1e-3);

  EXPECT_NEAR(g_test({counts({5, 5, 8}), counts({4, 6, 8})}).pvalue, 0.8176, 1e-4);
  EXPECT_EQ(z_test_pvalue({counts({10, 10}), counts({10, 10})}), 1.0);
  // r = ["a", NaN]×10 as the vector has it (NaN kept, encoded as "not a"): [a, b, NaN].
  EXPECT_NEAR(z_test_pvalue({counts({10, 0, 10}), counts({10, 10, 0})}), 1.0, 1e-12);
  // Fisher: r=[1,1,1,0], c=[0,1,1,0] -> [[2,2],[3,1]] -> 1.0; and the 150-row pair.
  EXPECT_NEAR(fisher_exact({counts({1, 3}), counts({2, 2})}), 1.0, 1e-12);
  EXPECT_NEAR(fisher_exact({counts({60, 90}), counts({90, 60})}), 0.00078, 1e-5);
}

// The radix sort against std::sort (and with NaN and infinities dropped): negatives, ties,
// infinities, values differing only in their low bits, one pass's worth of distinct digits, and
// all-equal input.
TEST(StatTests, SortValuesMatchesStdSort) {
  std::vector<std::vector<double>> inputs = {
      normal(50000, 0, 3, 21), normal(50000, -2, 1, 22, 0.01), std::vector<double>(10000, 2.5)};
  inputs[0].push_back(INFINITY);
  inputs[0].push_back(-INFINITY);
  inputs[0].push_back(0.0);
  std::vector<double> low_bits(10000);
  for (size_t i = 0; i < low_bits.size(); ++i)
    low_bits[i] = std::nextafter(1.0, 2.0) + static_cast<double>((i * 7919) % 1000) * 1e-15;
  inputs.push_back(low_bits);
  std::vector<double> small_ints(9000);
  for (size_t i = 0; i < small_ints.size(); ++i) small_ints[i] = static_cast<double>((i * 31) % 97);
  inputs.push_back(small_ints);
  for (auto v : inputs) {
    std::vector<double> expected = v;
    std::sort(expected.begin(), expected.end());
    std::vector<double> finite;
    for (double x : expected)
      if (std::isfinite(x)) finite.push_back(x);
    std::vector<double> with_nan = v;
    with_nan.insert(with_nan.begin() + 7, NAN);
    with_nan.push_back(NAN);
    EXPECT_EQ(sorted_finite(with_nan), finite);
    sort_values(v);
    EXPECT_EQ(v, expected);
  }
  EXPECT_EQ(sorted_finite(std::vector<double>{NAN, 2.0, -INFINITY, 1.0}),
            (std::vector<double>{1.0, 2.0}));
}

TEST(StatTests, BadInputIsRefused) {
  EXPECT_THROW(g_test({counts({5, 5}), counts({4, 7})}), Error);
  EXPECT_THROW(fisher_exact({counts({5, 5, 1}), counts({4, 6, 1})}), Error);
  EXPECT_THROW(ks_2samp(std::vector<double>{}, std::vector<double>{1.0}), Error);
  EXPECT_THROW(cramer_von_mises(std::vector<double>{1.0}, std::vector<double>{1.0, 2.0}), Error);
  std::vector<double> constant(10, 3.0);
  EXPECT_THROW(anderson_ksamp(constant, constant), Error);
}

}  // namespace
}  // namespace plinth::monitor
