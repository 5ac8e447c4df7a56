// Tree-structured Parzen Estimator (Bergstra, Bardenet, Bengio, Kégl: "Algorithms for
// Hyper-Parameter Optimization", NeurIPS 2011), with the multivariate kernels of Falkner,
// Klein, Hutter: "BOHB", ICML 2018, and the defaults Optuna's TPESampler uses with
// multivariate=True (10 random start-up trials, gamma(n) = min(ceil(0.1 n), 25), 24
// candidates, a prior kernel of weight 1, bandwidth 0.2 n^(-1/(d+4)) clipped below at
// 1/min(100, kernels)).
//
// Every parameter is searched in its quantile space [0, 1] (a value is parameter_ppf of its
// quantile), so W&B's distributions are the prior; categorical parameters get categorical
// kernels; constants are not searched.
#include "experiments/internal/tpe.h"

#include <algorithm>
#include <boost/math/special_functions/erf.hpp>
#include <cmath>
#include <limits>
#include <random>

namespace plinth::experiments::internal {
namespace {

constexpr size_t kStartupTrials = 10;
constexpr size_t kCandidates = 24;
constexpr double kPriorWeight = 1.0;
constexpr double kSigma0 = 0.2;

double phi_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }
double phi_inv(double u) { return -std::sqrt(2.0) * boost::math::erfc_inv(2.0 * u); }

double log_sum_exp(const std::vector<double>& v) {
  double m = *std::max_element(v.begin(), v.end());
  if (!std::isfinite(m)) return m;
  double s = 0;
  for (double x : v) s += std::exp(x - m);
  return m + std::log(s);
}

// A mixture of product kernels over the search dimensions: truncated normals on [0, 1] for
// continuous ones, smoothed one-hot distributions for categorical ones.
class Parzen {
 public:
  // `choices[d]` is 0 for a continuous dimension, else the number of categories.
  Parzen(const std::vector<std::vector<double>>& points, const std::vector<size_t>& choices)
      : choices_(choices) {
    size_t n = points.size();
    size_t kernels = n + 1;
    size_t continuous = 0;
    for (size_t c : choices) continuous += c == 0;
    double sigma = kSigma0 * std::pow(static_cast<double>(std::max<size_t>(n, 1)),
                                      -1.0 / (static_cast<double>(continuous) + 4.0));
    sigma = std::clamp(sigma, 1.0 / std::min<double>(100.0, static_cast<double>(kernels)), 1.0);
    for (size_t k = 0; k < kernels; ++k) {
      bool prior = k == n;
      Kernel kernel;
      kernel.log_weight = std::log((prior ? kPriorWeight : 1.0) / (n + kPriorWeight));
      for (size_t d = 0; d < choices.size(); ++d) {
        if (choices[d] == 0) {
          double mu = prior ? 0.5 : points[k][d];
          double s = prior ? 1.0 : sigma;
          double lo = phi_cdf((0.0 - mu) / s), hi = phi_cdf((1.0 - mu) / s);
          kernel.dims.push_back({mu, s, lo, hi, {}});
        } else {
          std::vector<double> probs(choices[d], 1.0 / static_cast<double>(choices[d]));
          if (!prior) {
            double spread = kPriorWeight / static_cast<double>(kernels);
            for (auto& p : probs) p *= spread;
            probs[static_cast<size_t>(points[k][d])] += 1.0;
            for (auto& p : probs) p /= 1.0 + spread;
          }
          kernel.dims.push_back({0, 0, 0, 0, std::move(probs)});
        }
      }
      kernels_.push_back(std::move(kernel));
    }
  }

  std::vector<double> sample(std::mt19937_64& rng) const {
    std::vector<double> weights;
    for (const auto& k : kernels_) weights.push_back(std::exp(k.log_weight));
    const Kernel& k =
        kernels_[std::discrete_distribution<size_t>(weights.begin(), weights.end())(rng)];
    std::vector<double> x;
    for (const auto& dim : k.dims) {
      if (dim.probs.empty()) {
        double u = std::uniform_real_distribution<double>(dim.lo, dim.hi)(rng);
        u = std::clamp(u, 1e-300, 1.0 - 1e-16);
        x.push_back(std::clamp(dim.mu + dim.sigma * phi_inv(u), 0.0, 1.0));
      } else {
        x.push_back(static_cast<double>(
            std::discrete_distribution<size_t>(dim.probs.begin(), dim.probs.end())(rng)));
      }
    }
    return x;
  }

  double log_pdf(const std::vector<double>& x) const {
    std::vector<double> terms;
    for (const auto& k : kernels_) {
      double t = k.log_weight;
      for (size_t d = 0; d < k.dims.size(); ++d) {
        const Dim& dim = k.dims[d];
        if (dim.probs.empty()) {
          double z = (x[d] - dim.mu) / dim.sigma;
          t += -0.5 * z * z - std::log(dim.sigma * std::sqrt(2 * M_PI)) -
               std::log(std::max(dim.hi - dim.lo, 1e-300));
        } else {
          t += std::log(dim.probs[static_cast<size_t>(x[d])]);
        }
      }
      terms.push_back(t);
    }
    return log_sum_exp(terms);
  }

 private:
  struct Dim {
    double mu, sigma, lo, hi;   // continuous: truncated normal, lo/hi its CDF at 0 and 1
    std::vector<double> probs;  // categorical
  };
  struct Kernel {
    double log_weight;
    std::vector<Dim> dims;
  };
  std::vector<size_t> choices_;
  std::vector<Kernel> kernels_;
};

class TpeSearch : public Search {
 public:
  TpeSearch(const SweepConfig& config, uint64_t seed) : config_(config), rng_(seed) {
    for (const auto& p : config.parameters) {
      bool categorical = p.distribution == Distribution::kCategorical ||
                         p.distribution == Distribution::kCategoricalWithProbabilities;
      choices_.push_back(categorical ? p.values.size() : 0);
    }
    sign_ = config.goal == Goal::kMaximize ? -1.0 : 1.0;
  }

  std::optional<Suggestion> next(const std::vector<Observation>& observations) override {
    std::vector<std::pair<double, const std::vector<double>*>> done;
    for (const auto& o : observations)
      if (o.value && std::isfinite(*o.value) && o.point.size() == choices_.size())
        done.emplace_back(sign_ * *o.value, &o.point);
    std::vector<double> x;
    if (done.size() < kStartupTrials) {
      x = prior_sample();
    } else {
      std::stable_sort(done.begin(), done.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      size_t n_below = std::min<size_t>(
          static_cast<size_t>(std::ceil(0.1 * static_cast<double>(done.size()))), 25);
      std::vector<std::vector<double>> below, above;
      for (size_t i = 0; i < done.size(); ++i)
        (i < n_below ? below : above).push_back(*done[i].second);
      Parzen l(below, choices_), g(above, choices_);
      double best = -std::numeric_limits<double>::infinity();
      for (size_t c = 0; c < kCandidates; ++c) {
        std::vector<double> cand = l.sample(rng_);
        double score = l.log_pdf(cand) - g.log_pdf(cand);
        if (score > best || x.empty()) {
          best = score;
          x = std::move(cand);
        }
      }
    }
    Suggestion s;
    s.point = x;
    for (size_t d = 0; d < choices_.size(); ++d) {
      const Parameter& p = config_.parameters[d];
      s.values.push_back(choices_[d] ? p.values[static_cast<size_t>(x[d])]
                                     : parameter_ppf(p, x[d]));
    }
    return s;
  }

 private:
  std::vector<double> prior_sample() {
    std::vector<double> x;
    for (size_t d = 0; d < choices_.size(); ++d) {
      double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
      const Parameter& p = config_.parameters[d];
      if (choices_[d] == 0) {
        x.push_back(u);
      } else if (p.distribution == Distribution::kCategoricalWithProbabilities) {
        x.push_back(static_cast<double>(std::discrete_distribution<size_t>(
            p.probabilities.begin(), p.probabilities.end())(rng_)));
      } else {
        x.push_back(std::min(std::floor(u * static_cast<double>(choices_[d])),
                             static_cast<double>(choices_[d] - 1)));
      }
    }
    return x;
  }

  SweepConfig config_;
  std::mt19937_64 rng_;
  std::vector<size_t> choices_;
  double sign_ = 1.0;
};

}  // namespace

std::unique_ptr<Search> make_tpe_search(const SweepConfig& config, uint64_t seed) {
  return std::make_unique<TpeSearch>(config, seed);
}

}  // namespace plinth::experiments::internal
