#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

// The drift statistics Evidently uses (spec drift.md §1.5), computed as scipy 1.10 computes
// them. Numeric samples must be clean: no NaN or infinity (the caller drops them, §1.2).
namespace plinth::monitor {

struct TestResult {
  double statistic = 0;
  double pvalue = 0;
};

// --- numeric samples ---------------------------------------------------------------------

// Two-sided two-sample Kolmogorov-Smirnov (scipy ks_2samp, method "auto": exact null
// distribution when both samples have at most 10,000 values, else kstwo.sf).
TestResult ks_2samp(std::span<const double> r, std::span<const double> c);
// Survival function of the two-sided one-sample KS statistic D_n (scipy kstwo.sf).
double kstwo_sf(int64_t n, double d);

// First Wasserstein distance between the empirical distributions (scipy).
double wasserstein_distance(std::span<const double> r, std::span<const double> c);
// Evidently's score: W1 / max(population std of r, 0.001).
double wasserstein_normed(std::span<const double> r, std::span<const double> c);
// scipy energy_distance: sqrt(2) times the L2 distance between the two CDFs.
double energy_distance(std::span<const double> r, std::span<const double> c);
// Student's t-test with equal variances, two-sided (scipy ttest_ind).
TestResult t_test(std::span<const double> r, std::span<const double> c);
// Mann-Whitney U, alternative "less" as Evidently calls it (scipy mannwhitneyu, method auto:
// exact when one sample has at most 8 values and there are no ties). statistic = U of r.
TestResult mann_whitney_less(std::span<const double> r, std::span<const double> c);
// k-sample Anderson-Darling with midranks for k = 2 (scipy anderson_ksamp); pvalue is scipy's
// interpolated significance level, capped to [0.001, 0.25].
TestResult anderson_ksamp(std::span<const double> r, std::span<const double> c);
// Two-sample Cramer-von Mises (scipy cramervonmises_2samp, method auto: exact when both samples
// have at most 20 values).
TestResult cramer_von_mises(std::span<const double> r, std::span<const double> c);

// Maximum mean discrepancy with a Gaussian kernel whose width comes from the reference's median
// squared distance; statistic = MMD², p = share of 100 permutations of the pooled sample with an
// MMD² at least as large. The samples in row order: the permutations are numpy's legacy
// np.random.permutation after np.random.seed(0), so the p-value is Evidently's when numpy's
// global generator is seeded 0 before its test (Evidently leaves it unseeded). O(n²).
TestResult empirical_mmd(std::span<const double> r, std::span<const double> c);

// --- categorical counts ------------------------------------------------------------------

// Counts per category of the reference and current samples, over the union of the categories
// seen in either, in ascending order of the category values (Evidently sorts them).
struct CategoryCounts {
  std::vector<double> ref;
  std::vector<double> cur;
};

// Pearson chi-square of current counts against reference shares scaled to the current size.
TestResult chisquare(const CategoryCounts& counts);
// Two-proportion z-test of the first (smallest) category against all others pooled.
double z_test_pvalue(const CategoryCounts& counts);
// G-test (scipy power_divergence, lambda "log-likelihood") of current against reference
// counts, which must have equal totals (scipy refuses otherwise; so do we).
TestResult g_test(const CategoryCounts& counts);
// Fisher's exact test, two-sided, on a binary column: exactly two categories and equal sample
// sizes, table [[ones_c, zeros_c], [ones_r, zeros_r]] with "one" the second category.
double fisher_exact(const CategoryCounts& counts);
// Total variation distance, and its p-value by Evidently's permutation test (1000 draws with
// numpy's legacy MT19937 seeded 0, as np.random.seed(0) + np.random.choice). `rows` is the pooled
// sample whose positions are drawn: each reference value's category index in row order, then
// each current value's; empty means the values grouped by category.
TestResult total_variation(const CategoryCounts& counts, std::span<const uint32_t> rows = {},
                           int iterations = 1000);
// Hellinger distance between the category shares.
double hellinger_categorical(const CategoryCounts& counts);

// --- binned shares (spec §1.6) -----------------------------------------------------------

// Shares per bin: equal-width Sturges bins over the combined data for a numeric column whose
// reference has more than 20 distinct values, else one bucket per distinct value.
struct Shares {
  std::vector<double> ref;
  std::vector<double> cur;
};
Shares binned_shares(std::span<const double> r, std::span<const double> c);
Shares category_shares(const CategoryCounts& counts);
// Replaces zero shares as Evidently does for PSI and KL (per vector: m/1e6 when the smallest
// non-zero share m <= 1e-4, else 1e-4).
void fill_zeroes(Shares& shares);

double jensen_shannon(const Shares& shares);  // natural log, sqrt of the divergence
double psi(const Shares& shares);             // after fill_zeroes
double kl_divergence(const Shares& shares);   // after fill_zeroes; renormalised like scipy
// Hellinger on density histograms over Sturges edges of the distinct values of r and c.
double hellinger_numeric(std::span<const double> r, std::span<const double> c);

// Sorts doubles (no NaN) in ascending order: a radix sort, several times faster than
// std::sort on the large samples drift reports see.
void sort_values(std::vector<double>& values);
// The finite values of `values` (NaN and infinities dropped) in ascending order, by the same
// sort, without a filtered copy first.
std::vector<double> sorted_finite(std::span<const double> values);

// numpy histogram_bin_edges(data, bins="sturges").
std::vector<double> sturges_edges(std::span<const double> data);
// numpy histogram(data, edges) counts: [e_i, e_i+1) and the last bin closed.
std::vector<double> histogram(std::span<const double> sorted_data,
                              const std::vector<double>& edges);

}  // namespace plinth::monitor
