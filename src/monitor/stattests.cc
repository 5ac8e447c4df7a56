#include "monitor/stattests.h"

#include <algorithm>
#include <array>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/hypergeometric.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <boost/math/special_functions/bessel.hpp>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <utility>

#include "core/error.h"

namespace plinth::monitor {
namespace {

using Span = std::span<const double>;

// The sample in ascending order: the caller's own values when they are sorted already (drift
// sorts every column once), else a sorted copy.
class Sorted {
 public:
  explicit Sorted(Span s) : view_(s) {
    if (std::is_sorted(s.begin(), s.end())) return;
    copy_.assign(s.begin(), s.end());
    sort_values(copy_);
    view_ = copy_;
  }
  size_t size() const { return view_.size(); }
  bool empty() const { return view_.empty(); }
  double operator[](size_t i) const { return view_[i]; }
  const double* begin() const { return view_.data(); }
  const double* end() const { return view_.data() + view_.size(); }
  double front() const { return view_.front(); }
  double back() const { return view_.back(); }
  operator Span() const { return view_; }

 private:
  Span view_;
  std::vector<double> copy_;
};

std::vector<double> sorted(Span s) {
  std::vector<double> v(s.begin(), s.end());
  if (!std::is_sorted(v.begin(), v.end())) sort_values(v);
  return v;
}

double clip01(double p) { return std::isnan(p) ? p : std::min(1.0, std::max(0.0, p)); }

double mean(Span s) {
  double sum = 0;
  for (double x : s) sum += x;
  return sum / static_cast<double>(s.size());
}

// Variance with `ddof` delta degrees of freedom, as numpy computes it (mean first).
double variance(Span s, int ddof) {
  double m = mean(s), sum = 0;
  for (double x : s) sum += (x - m) * (x - m);
  return sum / static_cast<double>(s.size() - static_cast<size_t>(ddof));
}

double normal_sf(double z) {
  return boost::math::cdf(boost::math::complement(boost::math::normal_distribution<>(), z));
}

double chi2_sf(double x, double dof) {
  if (std::isinf(x)) return 0.0;
  return boost::math::cdf(boost::math::complement(boost::math::chi_squared_distribution<>(dof), x));
}

// Average ranks (1-based) of the concatenation of a and b, as scipy.stats.rankdata.
std::vector<double> midranks(Span a, Span b) {
  size_t n = a.size() + b.size();
  std::vector<std::pair<double, size_t>> v;
  v.reserve(n);
  for (size_t i = 0; i < a.size(); ++i) v.emplace_back(a[i], i);
  for (size_t i = 0; i < b.size(); ++i) v.emplace_back(b[i], a.size() + i);
  std::sort(v.begin(), v.end());
  std::vector<double> ranks(n);
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && v[j + 1].first == v[i].first) ++j;
    double r = (static_cast<double>(i + 1) + static_cast<double>(j + 1)) / 2.0;
    for (size_t k = i; k <= j; ++k) ranks[v[k].second] = r;
    i = j + 1;
  }
  return ranks;
}

// --- Kolmogorov-Smirnov null distributions (scipy _stats_py / _stats_pythran / _ksstats) ---

// Pr(D_{n,n} >= h/n) for two samples of size n.
double prob_outside_square(int64_t n, int64_t h) {
  double p = 0.0;
  for (int64_t k = n / h; k >= 0; --k) {
    double p1 = 1.0;
    for (int64_t j = 0; j < h; ++j)
      p1 = static_cast<double>(n - k * h - j) * p1 / static_cast<double>(n + k * h + j + 1);
    p = p1 * (1.0 - p);
  }
  return 2 * p;
}

// Proportion of lattice paths from (0,0) to (m,n) that leave the band |x/m - y/n| < h/lcm,
// by Viehmann's recursion for 1 - p.
double outer_prob_inside_method(int64_t m, int64_t n, int64_t g, int64_t h) {
  if (m < n) std::swap(m, n);
  int64_t mg = m / g, ng = n / g;
  int64_t minj = 0,
          maxj = std::min(static_cast<int64_t>(std::ceil(static_cast<double>(h) / mg)), n + 1);
  int64_t curlen = maxj - minj;
  int64_t len = std::min(2 * maxj + 2, n + 1);
  std::vector<double> a(static_cast<size_t>(len), 1.0);
  for (int64_t j = minj; j < maxj; ++j) a[static_cast<size_t>(j)] = 0.0;
  for (int64_t i = 1; i <= m; ++i) {
    int64_t lastminj = minj, lastlen = curlen;
    minj = std::max(static_cast<int64_t>(
                        std::floor(static_cast<double>(ng * i - h) / static_cast<double>(mg))) +
                        1,
                    int64_t{0});
    minj = std::min(minj, n);
    maxj = std::min(
        static_cast<int64_t>(std::ceil(static_cast<double>(ng * i + h) / static_cast<double>(mg))),
        n + 1);
    if (maxj <= minj) return 1.0;
    double val = minj == 0 ? 0.0 : 1.0;
    for (int64_t jj = 0; jj < maxj - minj; ++jj) {
      int64_t j = jj + minj;
      val = (a[static_cast<size_t>(jj + minj - lastminj)] * static_cast<double>(i) +
             val * static_cast<double>(j)) /
            static_cast<double>(i + j);
      a[static_cast<size_t>(jj)] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen)
      for (int64_t j = maxj - minj; j < maxj - minj + (lastlen - curlen); ++j)
        a[static_cast<size_t>(j)] = 1.0;
  }
  return a[static_cast<size_t>(maxj - minj - 1)];
}

constexpr double kPi = 3.141592653589793238462643383279502884;

// log(n! / n^n) by Stirling's series with the n log n term removed.
double log_nfactorial_div_n_pow_n(double n) {
  static const double kStirling[] = {-2.955065359477124183e-2,  6.4102564102564102564e-3,
                                     -1.9175269175269175269e-3, 8.4175084175084175084e-4,
                                     -5.952380952380952381e-4,  7.9365079365079365079e-4,
                                     -2.7777777777777777778e-3, 8.3333333333333333333e-2};
  double rn = 1.0 / n, x = rn / n, poly = 0;
  for (double c : kStirling) poly = poly * x + c;
  return std::log(n) / 2 - n + std::log(2 * kPi) / 2 + rn * poly;
}

// Pr(D_n <= d) by Durbin's matrix method as Marsaglia, Tsang and Wang compute it.
double kolmogorov_cdf_durbin(int64_t n, double d) {
  double nd = static_cast<double>(n) * d;
  if (nd <= 0.5) return 0.0;
  int64_t k = static_cast<int64_t>(std::ceil(nd));
  double h = static_cast<double>(k) - nd;
  size_t m = static_cast<size_t>(2 * k - 1);
  using Matrix = std::vector<double>;
  auto at = [m](Matrix& a, size_t i, size_t j) -> double& { return a[i * m + j]; };
  Matrix hm(m * m, 0.0);
  std::vector<double> v(m), w(m);
  double fac = 1.0;
  for (size_t j = 1; j <= m; ++j) {
    v[j - 1] = 1.0 - std::pow(h, static_cast<double>(j));
    w[j - 1] = fac;
    fac /= static_cast<double>(j);
    v[j - 1] *= fac;
  }
  double tt = std::pow(std::max(2 * h - 1.0, 0.0), static_cast<double>(m)) -
              2 * std::pow(h, static_cast<double>(m));
  v[m - 1] = (1.0 + tt) * fac;
  for (size_t i = 1; i < m; ++i)
    for (size_t r = i - 1; r < m; ++r) at(hm, r, i) = w[r - (i - 1)];
  for (size_t r = 0; r < m; ++r) at(hm, r, 0) = v[r];
  for (size_t c = 0; c < m; ++c) at(hm, m - 1, c) = v[m - 1 - c];

  auto multiply = [&](const Matrix& a, const Matrix& b) {
    Matrix out(m * m, 0.0);
    for (size_t i = 0; i < m; ++i)
      for (size_t l = 0; l < m; ++l) {
        double x = a[i * m + l];
        if (x == 0) continue;
        for (size_t j = 0; j < m; ++j) out[i * m + j] += x * b[l * m + j];
      }
    return out;
  };
  Matrix power(m * m, 0.0);
  for (size_t i = 0; i < m; ++i) at(power, i, i) = 1.0;
  int expnt = 0, hexpnt = 0;
  const double kScale = std::ldexp(1.0, 128);
  for (int64_t nn = n; nn > 0; nn /= 2) {
    if (nn % 2) {
      power = multiply(power, hm);
      expnt += hexpnt;
    }
    hm = multiply(hm, hm);
    hexpnt *= 2;
    if (std::abs(at(hm, static_cast<size_t>(k - 1), static_cast<size_t>(k - 1))) > kScale) {
      for (double& x : hm) x /= kScale;
      hexpnt += 128;
    }
  }
  double p = at(power, static_cast<size_t>(k - 1), static_cast<size_t>(k - 1));
  for (int64_t i = 1; i <= n; ++i) {
    p = static_cast<double>(i) * p / static_cast<double>(n);
    if (std::abs(p) < 1 / kScale) {
      p *= kScale;
      expnt -= 128;
    }
  }
  return clip01(std::ldexp(p, expnt));
}

// Pr(D_n <= x) by the Pelz-Good asymptotic series.
double kolmogorov_cdf_pelz_good(int64_t n, double x) {
  const double pi2 = kPi * kPi, pi4 = pi2 * pi2, pi6 = pi4 * pi2;
  const double sqrt2pi = std::sqrt(2 * kPi), sqrt3 = std::sqrt(3.0);
  double z = std::sqrt(static_cast<double>(n)) * x;
  double z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2;
  double qlog = -pi2 / 8 / z2;
  if (qlog < -708) return 0.0;
  double q = std::exp(qlog);
  double k1a = -z2, k1b = pi2 / 4;
  double k2a = 6 * z6 + 2 * z4, k2b = (2 * z4 - 5 * z2) * pi2 / 4, k2c = pi4 * (1 - 2 * z2) / 16;
  double k3d = pi6 * (5 - 30 * z2) / 64, k3c = pi4 * (-60 * z2 + 212 * z4) / 16,
         k3b = pi2 * (135 * z4 - 96 * z6) / 4, k3a = -30 * z6 - 90 * std::pow(z, 8);
  double kk[4] = {0, 0, 0, 0};
  int maxk = static_cast<int>(std::ceil(16 * z / kPi));
  for (int k = maxk; k > 0; --k) {
    double mm = 2.0 * k - 1, m2 = mm * mm, m4 = m2 * m2, m6 = m4 * m2;
    double qp = std::pow(q, 8.0 * k);
    double coeffs[4] = {1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4,
                        k3a + k3b * m2 + k3c * m4 + k3d * m6};
    for (int i = 0; i < 4; ++i) kk[i] = kk[i] * qp + coeffs[i];
  }
  double div[4] = {z, 6 * z4, 72 * std::pow(z, 7), 6480 * std::pow(z, 10)};
  for (int i = 0; i < 4; ++i) kk[i] = kk[i] * q * sqrt2pi / div[i];
  double q2 = std::exp(-pi2 / 2 / z2), k2extra = 0, k3extra = 0;
  for (int k = maxk; k > 0; --k) {
    double ks2 = static_cast<double>(k) * k, qp = std::pow(q2, ks2), kspi = kPi * k;
    double s3z = sqrt3 * z;
    k2extra += ks2 * qp;
    k3extra += (s3z + kspi) * (s3z - kspi) * ks2 * qp;
  }
  kk[2] += k2extra * pi2 * sqrt2pi / (-36 * z3);
  kk[3] += k3extra * pi2 * sqrt2pi / (216 * z6);
  double sum = 0;
  for (int i = 0; i < 4; ++i) sum += kk[i] / std::pow(static_cast<double>(n), i / 2.0);
  return sum;
}

// Pr(D_n^+ >= x), the one-sided Smirnov statistic, by its exact finite sum.
double smirnov_sf(int64_t n, double x) {
  if (x >= 1.0) return 0.0;
  if (x <= 0.0) return 1.0;
  double dn = static_cast<double>(n), sum = 0, log_binom = 0;
  int64_t last = static_cast<int64_t>(std::floor(dn * (1 - x)));
  for (int64_t j = 0; j <= last; ++j) {
    if (j > 0) log_binom += std::log(static_cast<double>(n - j + 1) / static_cast<double>(j));
    double u = x + static_cast<double>(j) / dn, rest = 1 - u;
    if (rest <= 0) break;
    sum += std::exp(log_binom + static_cast<double>(j - 1) * std::log(u) +
                    static_cast<double>(n - j) * std::log(rest));
  }
  return clip01(x * sum);
}

}  // namespace

double kstwo_sf(int64_t n, double x) {
  if (x >= 1.0) return 0.0;
  if (x <= 0.0) return 1.0;
  double dn = static_cast<double>(n), t = dn * x;
  if (t <= 1.0) {  // Ruben-Gambino
    if (t <= 0.5) return 1.0;
    double prob;
    if (n <= 140) {
      prob = 1.0;
      for (int64_t i = 1; i <= n; ++i) prob *= static_cast<double>(i) * (1.0 / dn) * (2 * t - 1);
    } else {
      prob = std::exp(log_nfactorial_div_n_pow_n(dn) + dn * std::log(2 * t - 1));
    }
    return clip01(1.0 - prob);
  }
  if (t >= dn - 1) return clip01(2 * std::pow(1.0 - x, dn));
  if (x >= 0.5) return clip01(2 * smirnov_sf(n, x));
  double nx2 = t * x;
  if (n <= 140) {
    // scipy uses Pomeranz's recursion for 0.754693 < nx² <= 4; Durbin's method is exact too.
    if (nx2 <= 4) return clip01(1.0 - kolmogorov_cdf_durbin(n, x));
    return clip01(2 * smirnov_sf(n, x));
  }
  if (nx2 >= 370.0) return 0.0;
  if (nx2 >= 2.2) return clip01(2 * smirnov_sf(n, x));
  double cdf = n <= 100000 && dn * std::pow(x, 1.5) <= 1.4 ? kolmogorov_cdf_durbin(n, x)
                                                           : kolmogorov_cdf_pelz_good(n, x);
  return clip01(1.0 - cdf);
}

TestResult ks_2samp(Span r, Span c) {
  std::vector<double> a = sorted(r), b = sorted(c);
  int64_t n1 = static_cast<int64_t>(a.size()), n2 = static_cast<int64_t>(b.size());
  if (n1 == 0 || n2 == 0)
    throw Error(ErrorCode::kInvalidInput, "ks: a sample is empty after dropping missing values");
  // Largest differences of the empirical CDFs, evaluated at every observed value.
  double max_s = -2, min_s = 2;
  size_t i = 0, j = 0;
  auto visit = [&](double v) {
    while (i < a.size() && a[i] <= v) ++i;
    while (j < b.size() && b[j] <= v) ++j;
    double diff = static_cast<double>(i) / n1 - static_cast<double>(j) / n2;
    max_s = std::max(max_s, diff);
    min_s = std::min(min_s, diff);
  };
  std::vector<double> all;
  all.reserve(a.size() + b.size());
  std::merge(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(all));
  for (double v : all) visit(v);
  double minus = std::clamp(-min_s, 0.0, 1.0), d = minus > max_s ? minus : max_s;

  int64_t g = std::gcd(n1, n2);
  double prob = std::nan("");
  bool exact = std::max(n1, n2) <= 10000;
  if (exact) {
    int64_t lcm = (n1 / g) * n2;
    int64_t h = static_cast<int64_t>(std::nearbyint(d * static_cast<double>(lcm)));
    d = static_cast<double>(h) / static_cast<double>(lcm);
    if (h == 0)
      prob = 1.0;
    else
      prob = n1 == n2 ? prob_outside_square(n1, h) : outer_prob_inside_method(n1, n2, g, h);
    exact = std::isfinite(prob) && prob >= 0 && prob <= 1;
  }
  if (!exact) {
    double m = static_cast<double>(std::max(n1, n2)), n = static_cast<double>(std::min(n1, n2));
    prob = kstwo_sf(static_cast<int64_t>(std::nearbyint(m * n / (m + n))), d);
  }
  return {d, clip01(prob)};
}

// Σ |F_u - F_v|^p · gap over the merged sample, the integral scipy's _cdf_distance computes.
namespace {
double cdf_distance_sum(Span r, Span c, int p) {
  Sorted a(r), b(c);
  double sum = 0, na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  size_t i = 0, j = 0;
  // Walk the merged order: at each value, both CDFs, then the gap to the next value.
  while (i < a.size() || j < b.size()) {
    double v = j == b.size() || (i < a.size() && a[i] <= b[j]) ? a[i] : b[j];
    while (i < a.size() && a[i] <= v) ++i;
    while (j < b.size() && b[j] <= v) ++j;
    if (i == a.size() && j == b.size()) break;
    double next = j == b.size() || (i < a.size() && a[i] <= b[j]) ? a[i] : b[j];
    double diff = std::abs(static_cast<double>(i) / na - static_cast<double>(j) / nb);
    sum += (p == 1 ? diff : diff * diff) * (next - v);
  }
  return sum;
}
}  // namespace

double wasserstein_distance(Span r, Span c) { return cdf_distance_sum(r, c, 1); }

double wasserstein_normed(Span r, Span c) {
  return wasserstein_distance(r, c) / std::max(std::sqrt(variance(r, 0)), 0.001);
}

double energy_distance(Span r, Span c) {
  return std::sqrt(2.0) * std::sqrt(cdf_distance_sum(r, c, 2));
}

TestResult t_test(Span r, Span c) {
  double n1 = static_cast<double>(r.size()), n2 = static_cast<double>(c.size());
  double df = n1 + n2 - 2;
  double svar = ((n1 - 1) * variance(r, 1) + (n2 - 1) * variance(c, 1)) / df;
  double t = (mean(r) - mean(c)) / std::sqrt(svar * (1.0 / n1 + 1.0 / n2));
  if (std::isnan(t)) return {t, t};
  double p = 2 * boost::math::cdf(boost::math::complement(
                     boost::math::students_t_distribution<>(df), std::abs(t)));
  return {t, p};
}

TestResult mann_whitney_less(Span r, Span c) {
  size_t n1 = r.size(), n2 = c.size();
  std::vector<double> ranks = midranks(r, c);
  double r1 = 0;
  for (size_t i = 0; i < n1; ++i) r1 += ranks[i];
  double u1 = r1 - static_cast<double>(n1) * (static_cast<double>(n1) + 1) / 2;
  double u2 = static_cast<double>(n1) * static_cast<double>(n2) - u1;
  std::vector<double> sorted_ranks = ranks;
  std::sort(sorted_ranks.begin(), sorted_ranks.end());
  bool ties = std::adjacent_find(sorted_ranks.begin(), sorted_ranks.end()) != sorted_ranks.end();
  double p;
  if ((n1 <= 8 || n2 <= 8) && !ties) {
    // Exact: the number of orderings with U = k is the coefficient of q^k in the Gaussian
    // binomial [n1+n2 choose n1]_q; p = P(U2' >= U2) = P(U <= n1 n2 - U2).
    size_t m = std::min(n1, n2), n = std::max(n1, n2), top = m * n;
    std::vector<__int128> poly(top + 1, 0);
    poly[0] = 1;
    for (size_t i = 1; i <= m; ++i) {
      for (size_t k = top; k >= n + i && k <= top; --k) poly[k] -= poly[k - n - i];
      for (size_t k = i; k <= top; ++k) poly[k] += poly[k - i];
    }
    __int128 total = 0, below = 0;
    size_t limit = static_cast<size_t>(static_cast<double>(n1 * n2) - u2);
    for (size_t k = 0; k <= top; ++k) {
      total += poly[k];
      if (k <= limit) below += poly[k];
    }
    p = static_cast<double>(below) / static_cast<double>(total);
  } else {
    double n = static_cast<double>(n1 + n2), tie_term = 0;
    for (size_t i = 0; i < sorted_ranks.size();) {
      size_t j = i;
      while (j < sorted_ranks.size() && sorted_ranks[j] == sorted_ranks[i]) ++j;
      double t = static_cast<double>(j - i);
      tie_term += t * t * t - t;
      i = j;
    }
    double s = std::sqrt(static_cast<double>(n1) * static_cast<double>(n2) / 12 *
                         ((n + 1) - tie_term / (n * (n - 1))));
    double z = (u2 - static_cast<double>(n1) * static_cast<double>(n2) / 2 - 0.5) / s;
    p = normal_sf(z);
  }
  return {u1, clip01(p)};
}

TestResult anderson_ksamp(Span r, Span c) {
  std::vector<double> z;
  z.insert(z.end(), r.begin(), r.end());
  z.insert(z.end(), c.begin(), c.end());
  std::sort(z.begin(), z.end());
  std::vector<double> zstar = z;
  zstar.erase(std::unique(zstar.begin(), zstar.end()), zstar.end());
  if (zstar.size() < 2)
    throw Error(ErrorCode::kInvalidInput, "anderson: needs more than one distinct value");
  double big_n = static_cast<double>(z.size()), k = 2;
  // A2akN, equation 7 of Scholz and Stephens (midranks).
  double a2 = 0;
  std::vector<double> lj(zstar.size()), bj(zstar.size());
  for (size_t j = 0; j < zstar.size(); ++j) {
    double left = static_cast<double>(std::lower_bound(z.begin(), z.end(), zstar[j]) - z.begin());
    double right = static_cast<double>(std::upper_bound(z.begin(), z.end(), zstar[j]) - z.begin());
    lj[j] = z.size() == zstar.size() ? 1.0 : right - left;
    bj[j] = left + lj[j] / 2.0;
  }
  double inv_n_sum = 0;
  for (Span sample : {r, c}) {
    std::vector<double> s = sorted(sample);
    double ni = static_cast<double>(s.size()), inner = 0;
    inv_n_sum += 1.0 / ni;
    for (size_t j = 0; j < zstar.size(); ++j) {
      double right =
          static_cast<double>(std::upper_bound(s.begin(), s.end(), zstar[j]) - s.begin());
      double left = static_cast<double>(std::lower_bound(s.begin(), s.end(), zstar[j]) - s.begin());
      double mij = right - (right - left) / 2.0;
      double num = big_n * mij - bj[j] * ni;
      inner += lj[j] / big_n * num * num / (bj[j] * (big_n - bj[j]) - big_n * lj[j] / 4.0);
    }
    a2 += inner / ni;
  }
  a2 *= (big_n - 1.0) / big_n;

  double h_cum = 0, g = 0;
  std::vector<double> hs;
  for (double v = big_n - 1; v > 1; --v) {
    h_cum += 1.0 / v;
    hs.push_back(h_cum);
  }
  for (size_t i = 0; i < hs.size(); ++i) g += hs[i] / static_cast<double>(i + 2);
  double h = hs.back() + 1, hh = inv_n_sum;
  double a = (4 * g - 6) * (k - 1) + (10 - 6 * g) * hh;
  double b = (2 * g - 4) * k * k + 8 * h * k + (2 * g - 14 * h - 4) * hh - 8 * h + 4 * g - 6;
  double cc = (6 * h + 2 * g - 2) * k * k + (4 * h - 4 * g + 6) * k + (2 * h - 6) * hh + 4 * h;
  double d = (2 * h + 6) * k * k - 4 * h * k;
  double n = big_n;
  double sigmasq = (a * n * n * n + b * n * n + cc * n + d) / ((n - 1.0) * (n - 2.0) * (n - 3.0));
  double m = k - 1;
  double stat = (a2 - m) / std::sqrt(sigmasq);

  static const double b0[] = {0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085};
  static const double b1[] = {-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615};
  static const double b2[] = {-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154};
  static const double sig[] = {0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001};
  double crit[7];
  for (int i = 0; i < 7; ++i) crit[i] = b0[i] + b1[i] / std::sqrt(m) + b2[i] / m;
  if (stat < crit[0]) return {stat, 0.25};
  if (stat > crit[6]) return {stat, 0.001};
  // Least-squares quadratic through (critical, log sig), as numpy.polyfit(deg=2): columns
  // scaled to unit norm, then Householder QR.
  double x[7][3], y[7], scale[3] = {0, 0, 0};
  for (int i = 0; i < 7; ++i) {
    x[i][0] = crit[i] * crit[i];
    x[i][1] = crit[i];
    x[i][2] = 1;
    y[i] = std::log(sig[i]);
    for (int j = 0; j < 3; ++j) scale[j] += x[i][j] * x[i][j];
  }
  for (double& s : scale) s = std::sqrt(s);
  for (auto& row : x)
    for (int j = 0; j < 3; ++j) row[j] /= scale[j];
  for (int col = 0; col < 3; ++col) {
    double norm = 0;
    for (int i = col; i < 7; ++i) norm += x[i][col] * x[i][col];
    norm = std::sqrt(norm);
    double alpha = x[col][col] > 0 ? -norm : norm;
    double v[7] = {0};
    for (int i = col; i < 7; ++i) v[i] = x[i][col];
    v[col] -= alpha;
    double vnorm = 0;
    for (int i = col; i < 7; ++i) vnorm += v[i] * v[i];
    if (vnorm == 0) continue;
    for (int j = col; j < 3; ++j) {
      double dot = 0;
      for (int i = col; i < 7; ++i) dot += v[i] * x[i][j];
      for (int i = col; i < 7; ++i) x[i][j] -= 2 * dot / vnorm * v[i];
    }
    double dot = 0;
    for (int i = col; i < 7; ++i) dot += v[i] * y[i];
    for (int i = col; i < 7; ++i) y[i] -= 2 * dot / vnorm * v[i];
  }
  double coef[3];
  for (int j = 2; j >= 0; --j) {
    double s = y[j];
    for (int l = j + 1; l < 3; ++l) s -= x[j][l] * coef[l];
    coef[j] = s / x[j][j];
  }
  for (int j = 0; j < 3; ++j) coef[j] /= scale[j];
  double p = std::exp((coef[0] * stat + coef[1]) * stat + coef[2]);
  return {stat, p};
}

namespace {
// CDF of the limiting Cramer-von Mises distribution (Csörgő and Faraway 1996, eq. 1.2),
// summed until a term is below 1e-7 as scipy does.
double cdf_cvm_inf(double x) {
  double total = 0;
  for (int k = 0;; ++k) {
    double u =
        std::exp(std::lgamma(k + 0.5) - std::lgamma(k + 1.0)) / (std::pow(kPi, 1.5) * std::sqrt(x));
    double y = 4.0 * k + 1, q = y * y / (16 * x);
    double term = u * std::sqrt(y) * std::exp(-q) * boost::math::cyl_bessel_k(0.25, q);
    total += term;
    if (std::abs(term) < 1e-7) break;
  }
  return total;
}

// Exact p-value of the two-sample statistic U (Xiao, Gordon and Yakovlev 2006).
double cvm_exact_pvalue(double u, int64_t m, int64_t n) {
  int64_t lcm = std::lcm(m, n), a = lcm / m, b = lcm / n, mn = m * n;
  double zeta = std::floor(static_cast<double>(lcm * lcm * (m + n)) *
                           (6 * u - static_cast<double>(mn * (4 * mn - 1))) /
                           static_cast<double>(6 * mn * mn));
  using Row = std::map<int64_t, double>;
  std::vector<Row> gs(static_cast<size_t>(m + 1));
  gs[0][0] = 1;
  for (int64_t uu = 0; uu <= n; ++uu) {
    std::vector<Row> next;
    Row tmp;
    for (int64_t v = 0; v <= m; ++v) {
      for (const auto& [value, freq] : gs[static_cast<size_t>(v)]) tmp[value] += freq;
      int64_t shift = (a * v - b * uu) * (a * v - b * uu);
      Row shifted;
      for (const auto& [value, freq] : tmp)
        shifted.emplace_hint(shifted.end(), value + shift, freq);
      tmp = std::move(shifted);
      next.push_back(tmp);
    }
    gs = std::move(next);
  }
  double hits = 0, combinations = 0;
  for (const auto& [value, freq] : gs[static_cast<size_t>(m)]) {
    combinations += freq;
    if (static_cast<double>(value) >= zeta) hits += freq;
  }
  return hits / combinations;
}
}  // namespace

TestResult cramer_von_mises(Span r, Span c) {
  if (r.size() <= 1 || c.size() <= 1)
    throw Error(ErrorCode::kInvalidInput,
                "cramer_von_mises: each sample needs at least two values");
  std::vector<double> xa = sorted(r), ya = sorted(c);
  std::vector<double> ranks = midranks(xa, ya);
  double nx = static_cast<double>(xa.size()), ny = static_cast<double>(ya.size());
  double u = 0, uy = 0;
  for (size_t i = 0; i < xa.size(); ++i) u += std::pow(ranks[i] - static_cast<double>(i + 1), 2);
  for (size_t j = 0; j < ya.size(); ++j)
    uy += std::pow(ranks[xa.size() + j] - static_cast<double>(j + 1), 2);
  u = nx * u + ny * uy;
  double k = nx * ny, big_n = nx + ny;
  double t = u / (k * big_n) - (4 * k - 1) / (6 * big_n);
  double p;
  if (std::max(xa.size(), ya.size()) <= 20) {
    p = cvm_exact_pvalue(u, static_cast<int64_t>(xa.size()), static_cast<int64_t>(ya.size()));
  } else {
    double et = (1 + 1 / big_n) / 6;
    double vt = (big_n + 1) * (4 * k * big_n - 3 * (nx * nx + ny * ny) - 2 * k);
    vt = vt / (45 * big_n * big_n * 4 * k);
    double tn = 1.0 / 6 + (t - et) / std::sqrt(45 * vt);
    p = tn < 0.003 ? 1.0 : std::max(0.0, 1.0 - cdf_cvm_inf(tn));
  }
  return {t, p};
}

namespace {
// numpy's legacy random_interval: a uniform integer in [0, max] by masked rejection.
uint64_t random_interval(std::mt19937& rng, uint64_t max) {
  if (max == 0) return 0;
  uint64_t mask = max;
  for (int shift : {1, 2, 4, 8, 16, 32}) mask |= mask >> shift;
  uint64_t value;
  if (max <= 0xffffffffULL) {
    while ((value = (rng() & mask)) > max) {
    }
  } else {
    while ((value = (((static_cast<uint64_t>(rng()) << 32) | rng()) & mask)) > max) {
    }
  }
  return value;
}

// np.random.permutation(index.size()) with the legacy generator: arange, then Fisher-Yates from
// the end. `rng` seeded 0 is np.random.seed(0) (MT19937's init_genrand(0)).
void legacy_permutation(std::mt19937& rng, std::vector<size_t>& index) {
  std::iota(index.begin(), index.end(), 0);
  for (size_t i = index.size() - 1; i >= 1; --i)
    std::swap(index[i], index[random_interval(rng, i)]);
}
}  // namespace

TestResult empirical_mmd(Span r, Span c) {
  size_t nr = r.size(), nc = c.size(), n = nr + nc;
  if (nr < 2 || nc < 2)
    throw Error(ErrorCode::kInvalidInput, "empirical_mmd: each sample needs at least two values");
  std::vector<double> pooled(r.begin(), r.end());
  pooled.insert(pooled.end(), c.begin(), c.end());
  // Evidently's squared distance between a row value x and a column value y: (y² - 2xy) + x²,
  // rounded as numpy rounds it. Its cross block is computed reference-by-current and mirrored.
  auto dist = [&](size_t a, size_t b) {
    if (a >= nr && b < nr) std::swap(a, b);
    double x = pooled[a], y = pooled[b];
    return (y * y - 2 * (x * y)) + x * x;
  };
  std::vector<double> d2;
  d2.reserve(nr * nr);
  for (size_t a = 0; a < nr; ++a)
    for (size_t b = 0; b < nr; ++b) d2.push_back(dist(a, b));
  // numpy percentile 50, method "nearest": index round(0.5 (N-1)), halves to even.
  size_t mid = static_cast<size_t>(std::nearbyint(0.5 * static_cast<double>(d2.size() - 1)));
  std::nth_element(d2.begin(), d2.begin() + static_cast<std::ptrdiff_t>(mid), d2.end());
  double sigma = std::sqrt(0.5 * d2[mid]);
  if (sigma == 0) sigma = std::sqrt(0.5);
  double gamma = 1.0 / (2 * (sigma * sigma));
  std::vector<double> k(n * n);
  for (size_t a = 0; a < n; ++a)
    for (size_t b = 0; b < n; ++b) k[a * n + b] = a == b ? 0.0 : std::exp(-gamma * dist(a, b));
  auto mmd2 = [&](const std::vector<size_t>& idx) {
    double xx = 0, yy = 0, xy = 0;
    for (size_t a = 0; a < n; ++a)
      for (size_t b = 0; b < n; ++b) {
        double v = k[idx[a] * n + idx[b]];
        if (a < nr && b < nr)
          xx += v;
        else if (a >= nr && b >= nr)
          yy += v;
        else if (a >= nr)
          xy += v;
      }
    return xx / (static_cast<double>(nr) * static_cast<double>(nr - 1)) +
           yy / (static_cast<double>(nc) * static_cast<double>(nc - 1)) -
           2 * xy / (static_cast<double>(nr) * static_cast<double>(nc));
  };
  std::vector<size_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  double observed = mmd2(idx);
  std::mt19937 rng(0);  // np.random.seed(0)
  int extreme = 0;
  for (int it = 0; it < 100; ++it) {
    legacy_permutation(rng, idx);
    extreme += mmd2(idx) >= observed;
  }
  return {observed, extreme / 100.0};
}

// --- categorical --------------------------------------------------------------------------

namespace {
double total(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }
}  // namespace

TestResult chisquare(const CategoryCounts& counts) {
  double scale = total(counts.cur) / total(counts.ref), stat = 0;
  for (size_t k = 0; k < counts.ref.size(); ++k) {
    double expected = counts.ref[k] * scale, diff = counts.cur[k] - expected;
    stat += diff * diff / expected;
  }
  double dof = static_cast<double>(counts.ref.size()) - 1;
  return {stat, dof < 1 ? std::nan("") : chi2_sf(stat, dof)};
}

double z_test_pvalue(const CategoryCounts& counts) {
  size_t used_r = 0, used_c = 0;
  for (size_t k = 0; k < counts.ref.size(); ++k) {
    used_r += counts.ref[k] > 0;
    used_c += counts.cur[k] > 0;
  }
  // Both samples constant, with the same value.
  if (used_r == 1 && used_c == 1)
    for (size_t k = 0; k < counts.ref.size(); ++k)
      if (counts.ref[k] > 0 && counts.cur[k] > 0) return 1.0;
  double n1 = total(counts.ref), n2 = total(counts.cur);
  double p1 = (n1 - counts.ref[0]) / n1, p2 = (n2 - counts.cur[0]) / n2;
  double pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
  double z = (p1 - p2) / std::sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2));
  return 2 * (1 - boost::math::cdf(boost::math::normal_distribution<>(), std::abs(z)));
}

TestResult g_test(const CategoryCounts& counts) {
  double sr = total(counts.ref), sc = total(counts.cur);
  if (std::abs(sr - sc) > 1e-8 * std::max(sr, sc))
    throw Error(ErrorCode::kInvalidInput,
                "g_test needs reference and current samples of the same size (" +
                    std::to_string(static_cast<int64_t>(sr)) + " and " +
                    std::to_string(static_cast<int64_t>(sc)) +
                    "), as scipy's power_divergence does; choose another test for this column");
  double g = 0;
  for (size_t k = 0; k < counts.ref.size(); ++k) {
    double obs = counts.cur[k], exp = counts.ref[k];
    if (obs == 0) continue;
    g += exp == 0 ? INFINITY : obs * std::log(obs / exp);
  }
  g *= 2;
  return {g, chi2_sf(g, static_cast<double>(counts.ref.size()) - 1)};
}

double fisher_exact(const CategoryCounts& counts) {
  if (counts.ref.size() != 2)
    throw Error(ErrorCode::kInvalidInput,
                "fisher_exact needs a binary column (exactly two categories)");
  if (total(counts.ref) != total(counts.cur))
    throw Error(ErrorCode::kInvalidInput,
                "fisher_exact needs reference and current samples of the same size");
  // [[ones_c, zeros_c], [ones_r, zeros_r]]
  auto c00 = static_cast<unsigned>(counts.cur[1]), c01 = static_cast<unsigned>(counts.cur[0]);
  auto c10 = static_cast<unsigned>(counts.ref[1]), c11 = static_cast<unsigned>(counts.ref[0]);
  unsigned n1 = c00 + c01, n2 = c10 + c11, n = c00 + c10;
  if (n1 == 0 || n2 == 0 || n == 0 || c01 + c11 == 0) return 1.0;
  boost::math::hypergeometric_distribution<> dist(n1, n, n1 + n2);
  double pexact = boost::math::pdf(dist, c00);
  unsigned lo = n > n2 ? n - n2 : 0, hi = std::min(n, n1);
  double p = 0, limit = pexact * (1 + 1e-7);
  for (unsigned x = lo; x <= hi; ++x) {
    double px = boost::math::pdf(dist, x);
    if (px <= limit) p += px;
  }
  return clip01(p);
}

namespace {
double tvd_statistic(const std::vector<double>& ref, const std::vector<double>& cur) {
  double nr = total(ref), nc = total(cur), sum = 0;
  for (size_t k = 0; k < ref.size(); ++k) sum += std::abs(ref[k] / nr - cur[k] / nc);
  return 0.5 * sum;
}

}  // namespace

TestResult total_variation(const CategoryCounts& counts, std::span<const uint32_t> rows,
                           int iterations) {
  double observed = tvd_statistic(counts.ref, counts.cur);
  // The pooled sample as Evidently builds it: the reference values, then the current ones.
  std::vector<uint32_t> grouped;
  if (rows.empty()) {
    for (const auto* side : {&counts.ref, &counts.cur})
      for (size_t k = 0; k < side->size(); ++k)
        grouped.insert(grouped.end(), static_cast<size_t>((*side)[k]), static_cast<uint32_t>(k));
    rows = grouped;
  }
  size_t n_ref = static_cast<size_t>(total(counts.ref));
  std::mt19937 rng(0);  // np.random.seed(0)
  std::vector<size_t> index(rows.size());
  int extreme = 0;
  for (int it = 0; it < iterations; ++it) {
    // np.random.choice(pooled, n_ref, replace=False) = permutation(len)[:n_ref].
    legacy_permutation(rng, index);
    std::vector<double> ref(counts.ref.size(), 0.0), cur(counts.ref.size(), 0.0);
    for (size_t i = 0; i < index.size(); ++i) (i < n_ref ? ref : cur)[rows[index[i]]] += 1;
    if (observed <= std::abs(tvd_statistic(ref, cur))) ++extreme;
  }
  return {observed, static_cast<double>(extreme) / iterations};
}

double hellinger_categorical(const CategoryCounts& counts) {
  double nr = total(counts.ref), nc = total(counts.cur), bc = 0;
  for (size_t k = 0; k < counts.ref.size(); ++k)
    bc += std::sqrt(counts.ref[k] / nr * counts.cur[k] / nc);
  return std::sqrt(1 - std::clamp(bc, 0.0, 1.0));
}

namespace {

// Order-preserving keys: flip every bit of negatives, only the sign bit of the rest.
uint64_t sort_key(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits & (1ULL << 63) ? ~bits : bits | (1ULL << 63);
}

double from_sort_key(uint64_t k) {
  uint64_t bits = k & (1ULL << 63) ? k & ~(1ULL << 63) : ~k;
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

}  // namespace

namespace {

// The values of `from` (only the finite ones when `finite_only`) in ascending order, into `out`,
// which may be `from`'s own storage: `from` is read only before `out` is written.
void radix_sort(std::span<const double> from, bool finite_only, std::vector<double>& out) {
  // LSD radix sort, six passes of 11-bit digits (a pass's counters fit the L1 cache). One read
  // counts every digit of every pass; the first pass makes the keys as it scatters and the
  // last turns them back into doubles, so each pass is one read and one write of the data.
  constexpr int kBits = 11, kPasses = 6;
  constexpr uint64_t kMask = (1 << kBits) - 1;
  auto kept = [finite_only](double v) { return !finite_only || std::isfinite(v); };
  std::vector<std::array<size_t, kMask + 1>> count(kPasses);
  size_t n = 0;
  uint64_t first_key = 0;
  for (double v : from) {
    if (!kept(v)) continue;
    uint64_t k = sort_key(v);
    if (n++ == 0) first_key = k;
    for (int p = 0; p < kPasses; ++p) ++count[p][(k >> (p * kBits)) & kMask];
  }
  if (n < 4096) {
    std::vector<double> small;
    small.reserve(n);
    for (double v : from)
      if (kept(v)) small.push_back(v);
    std::sort(small.begin(), small.end());
    out = std::move(small);
    return;
  }
  // A pass where every key has the same digit moves nothing.
  std::vector<int> passes;
  for (int p = 0; p < kPasses; ++p)
    if (count[p][(first_key >> (p * kBits)) & kMask] != n) passes.push_back(p);
  if (passes.empty()) {  // every value has the same bits
    out.assign(n, from_sort_key(first_key));
    return;
  }
  // Uninitialised: each pass writes every slot before the next reads it, and zeroing them was a
  // sweep over the data of its own. Kept per thread for the next sort: fresh buffers are fresh
  // pages, and faulting them in cost about as much as a pass.
  struct Scratch {
    std::unique_ptr<uint64_t[]> a, b;
    size_t capacity = 0;
  };
  thread_local Scratch scratch;
  if (scratch.capacity < n) {
    scratch = {};
    scratch.a = std::make_unique_for_overwrite<uint64_t[]>(n);
    scratch.b = std::make_unique_for_overwrite<uint64_t[]>(n);
    scratch.capacity = n;
  }
  uint64_t* keys = scratch.a.get();
  uint64_t* tmp = scratch.b.get();
  for (size_t k = 0; k < passes.size(); ++k) {
    int shift = passes[k] * kBits;
    auto& offset = count[passes[k]];
    size_t sum = 0;
    for (auto& c : offset) sum += std::exchange(c, sum);
    if (k == 0) {
      for (double v : from) {
        if (!kept(v)) continue;
        uint64_t key = sort_key(v);
        keys[offset[(key >> shift) & kMask]++] = key;
      }
      out.resize(n);  // `from` is not read again
    } else if (k + 1 < passes.size()) {
      for (size_t i = 0; i < n; ++i) tmp[offset[(keys[i] >> shift) & kMask]++] = keys[i];
      std::swap(keys, tmp);
    } else {
      for (size_t i = 0; i < n; ++i)
        out[offset[(keys[i] >> shift) & kMask]++] = from_sort_key(keys[i]);
      return;
    }
  }
  for (size_t i = 0; i < n; ++i) out[i] = from_sort_key(keys[i]);  // a single pass ran
}

}  // namespace

void sort_values(std::vector<double>& values) {
  if (values.size() < 4096) {
    std::sort(values.begin(), values.end());
    return;
  }
  radix_sort(values, false, values);
}

std::vector<double> sorted_finite(std::span<const double> values) {
  std::vector<double> out;
  radix_sort(values, true, out);
  return out;
}

// --- binning -------------------------------------------------------------------------------

std::vector<double> sturges_edges(Span data) {
  auto [lo_it, hi_it] = std::minmax_element(data.begin(), data.end());
  double first = *lo_it, last = *hi_it, ptp = last - first;
  if (first == last) {
    first -= 0.5;
    last += 0.5;
  }
  double width = ptp / (std::log2(static_cast<double>(data.size())) + 1.0);
  size_t bins = width != 0 ? static_cast<size_t>(std::ceil((last - first) / width)) : 1;
  std::vector<double> edges(bins + 1);
  double step = (last - first) / static_cast<double>(bins);
  for (size_t i = 0; i <= bins; ++i) edges[i] = static_cast<double>(i) * step + first;
  edges[bins] = last;
  return edges;
}

std::vector<double> histogram(Span data, const std::vector<double>& edges) {
  std::vector<double> counts(edges.size() - 1);
  for (size_t i = 0; i + 1 < edges.size(); ++i) {
    auto lo = std::lower_bound(data.begin(), data.end(), edges[i]);
    auto hi = i + 2 == edges.size() ? std::upper_bound(data.begin(), data.end(), edges[i + 1])
                                    : std::lower_bound(data.begin(), data.end(), edges[i + 1]);
    counts[i] = static_cast<double>(hi - lo);
  }
  return counts;
}

Shares category_shares(const CategoryCounts& counts) {
  Shares s{counts.ref, counts.cur};
  double nr = total(counts.ref), nc = total(counts.cur);
  for (double& v : s.ref) v /= nr;
  for (double& v : s.cur) v /= nc;
  return s;
}

Shares binned_shares(Span r, Span c) {
  std::vector<double> a = sorted(r), b = sorted(c);
  size_t distinct_ref = a.empty() ? 0 : 1;
  for (size_t i = 1; i < a.size(); ++i) distinct_ref += a[i] != a[i - 1];
  if (distinct_ref > 20) {
    std::vector<double> all(a);
    all.insert(all.end(), b.begin(), b.end());
    std::vector<double> edges = sturges_edges(all);
    Shares s{histogram(a, edges), histogram(b, edges)};
    for (double& v : s.ref) v /= static_cast<double>(a.size());
    for (double& v : s.cur) v /= static_cast<double>(b.size());
    return s;
  }
  std::vector<double> keys(a);
  keys.insert(keys.end(), b.begin(), b.end());
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  CategoryCounts counts{std::vector<double>(keys.size()), std::vector<double>(keys.size())};
  for (double v : a) counts.ref[std::lower_bound(keys.begin(), keys.end(), v) - keys.begin()] += 1;
  for (double v : b) counts.cur[std::lower_bound(keys.begin(), keys.end(), v) - keys.begin()] += 1;
  return category_shares(counts);
}

void fill_zeroes(Shares& shares) {
  for (auto* v : {&shares.ref, &shares.cur}) {
    double smallest = INFINITY;
    for (double x : *v)
      if (x != 0) smallest = std::min(smallest, x);
    double fill = std::isinf(smallest) ? 1e-4 : smallest <= 1e-4 ? smallest / 1e6 : 1e-4;
    for (double& x : *v)
      if (x == 0) x = fill;
  }
}

namespace {
// scipy.special.rel_entr
double rel_entr(double x, double y) {
  if (x > 0 && y > 0) return x * std::log(x / y);
  if (x == 0 && y >= 0) return 0;
  return INFINITY;
}
}  // namespace

double jensen_shannon(const Shares& s) {
  double sp = total(s.ref), sq = total(s.cur), left = 0, right = 0;
  for (size_t i = 0; i < s.ref.size(); ++i) {
    double p = s.ref[i] / sp, q = s.cur[i] / sq, m = (p + q) / 2.0;
    left += rel_entr(p, m);
    right += rel_entr(q, m);
  }
  return std::sqrt((left + right) / 2.0);
}

double psi(const Shares& s) {
  double sum = 0;
  for (size_t i = 0; i < s.ref.size(); ++i)
    sum += (s.ref[i] - s.cur[i]) * std::log(s.ref[i] / s.cur[i]);
  return sum;
}

double kl_divergence(const Shares& s) {
  double sp = total(s.ref), sq = total(s.cur), sum = 0;
  for (size_t i = 0; i < s.ref.size(); ++i) sum += rel_entr(s.ref[i] / sp, s.cur[i] / sq);
  return sum;
}

double hellinger_numeric(Span r, Span c) {
  std::vector<double> distinct(r.begin(), r.end());
  distinct.insert(distinct.end(), c.begin(), c.end());
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  std::vector<double> edges = sturges_edges(distinct);
  std::vector<double> a = sorted(r), b = sorted(c);
  std::vector<double> hr = histogram(a, edges), hc = histogram(b, edges);
  double sr = total(hr), sc = total(hc), bc = 0;
  size_t bins = edges.size() - 1;
  double width = (edges.back() - edges.front()) / static_cast<double>(bins);
  for (size_t i = 0; i < bins; ++i) {
    double w = edges[i + 1] - edges[i];
    bc += std::sqrt(hr[i] / (sr * w) * (hc[i] / (sc * w)));
  }
  bc *= width;
  return std::sqrt(1 - std::clamp(bc, 0.0, 1.0));
}

}  // namespace plinth::monitor
