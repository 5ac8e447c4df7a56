#include "experiments/search.h"

#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/erf.hpp>
#include <cmath>
#include <random>
#include <set>

#include "core/error.h"
#include "experiments/internal/tpe.h"

namespace plinth::experiments {
namespace {

using pipeline::Value;

// scipy.stats.norm.ppf(x) for the standard normal.
double normal_ppf(double x) { return -std::sqrt(2.0) * boost::math::erfc_inv(2.0 * x); }

// numpy.round (half to even) of v/q, times q; an integer when q was written as one.
Value quantize(double v, const Parameter& p) {
  double r = std::nearbyint(v / p.q) * p.q;
  if (p.integer_q) return static_cast<int64_t>(r);
  return r;
}

// scipy.stats.randint.ppf(x, low, high): the smallest k in [low, high) with cdf(k) >= x.
int64_t randint_ppf(double x, int64_t low, int64_t high) {
  double n = static_cast<double>(high - low);
  double vals = std::ceil(x * n + static_cast<double>(low)) - 1;
  double vals1 = std::clamp(vals - 1, static_cast<double>(low), static_cast<double>(high));
  double cdf1 = (std::floor(vals1) - static_cast<double>(low) + 1) / n;
  return static_cast<int64_t>(cdf1 >= x ? vals1 : vals);
}

// yaml_hash's notion of "the same grid value": integral floats equal their integers.
std::string grid_key(const Value& v) {
  if (v.is_number_float() && std::isfinite(v.get<double>()) &&
      v.get<double>() == std::floor(v.get<double>()) && std::abs(v.get<double>()) < 9e15)
    return std::to_string(static_cast<int64_t>(v.get<double>()));
  return v.dump();
}

// numpy.arange(start, stop, step).tolist(): length ceil((stop - start) / step), values
// start + i * delta with delta = (start + step) - start, integers when all three are.
std::vector<Value> arange(const Parameter& p) {
  std::vector<Value> out;
  double length = std::ceil((p.max - p.min) / p.q);
  if (p.integer_bounds && p.integer_q) {
    for (int64_t v = static_cast<int64_t>(p.min), i = 0; i < static_cast<int64_t>(length);
         ++i, v += static_cast<int64_t>(p.q))
      out.emplace_back(v);
    return out;
  }
  double delta = (p.min + p.q) - p.min;
  for (int64_t i = 0; i < static_cast<int64_t>(length); ++i) {
    if (i == 0)
      out.emplace_back(p.min);
    else if (i == 1)
      out.emplace_back(p.min + p.q);
    else
      out.emplace_back(p.min + static_cast<double>(i) * delta);
  }
  return out;
}

std::vector<Value> grid_values(const Parameter& p) {
  std::vector<Value> raw;
  switch (p.distribution) {
    case Distribution::kConstant:
      return {p.value};
    case Distribution::kCategorical:
      raw = p.values;
      break;
    case Distribution::kIntUniform:
      for (auto v = static_cast<int64_t>(p.min); v <= static_cast<int64_t>(p.max); ++v)
        raw.emplace_back(v);
      break;
    case Distribution::kQUniform:
      raw = arange(p);
      break;
    default:
      throw Error(ErrorCode::kInvalidInput, "parameters." + p.name +
                                                ": grid search cannot enumerate " +
                                                distribution_name(p.distribution));
  }
  std::vector<Value> out;
  std::set<std::string> seen;
  for (auto& v : raw)
    if (seen.insert(grid_key(v)).second) out.push_back(std::move(v));
  return out;
}

class GridSearch : public Search {
 public:
  explicit GridSearch(const SweepConfig& config) : points_(grid_points(config)) {}
  std::optional<Suggestion> next(const std::vector<Observation>& observations) override {
    if (observations.size() >= points_.size()) return std::nullopt;
    return Suggestion{points_[observations.size()], {}};
  }

 private:
  std::vector<Assignment> points_;
};

class RandomSearch : public Search {
 public:
  RandomSearch(const SweepConfig& config, uint64_t seed) : config_(config), rng_(seed) {}
  std::optional<Suggestion> next(const std::vector<Observation>&) override {
    Suggestion s;
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (const auto& p : config_.parameters) {
      double x = u(rng_);
      s.values.push_back(parameter_ppf(p, x));
      s.point.push_back(x);
    }
    return s;
  }

 private:
  SweepConfig config_;
  std::mt19937_64 rng_;
};

}  // namespace

Value parameter_ppf(const Parameter& p, double x) {
  if (!(x >= 0.0 && x <= 1.0))
    throw Error(ErrorCode::kInternal, "parameter_ppf: quantile outside [0, 1]");
  switch (p.distribution) {
    case Distribution::kConstant:
      return p.value;
    case Distribution::kCategorical:
      return p.values[randint_ppf(x, 0, static_cast<int64_t>(p.values.size()))];
    case Distribution::kCategoricalWithProbabilities: {
      // numpy.argmin(x >= cumsum(probabilities)): the first index whose cumulative
      // probability exceeds x (index 0 when none does, as numpy's argmin has it).
      double cum = 0;
      for (size_t i = 0; i < p.probabilities.size(); ++i) {
        cum += p.probabilities[i];
        if (!(x >= cum)) return p.values[i];
      }
      return p.values[0];
    }
    case Distribution::kIntUniform:
      return randint_ppf(x, static_cast<int64_t>(p.min), static_cast<int64_t>(p.max) + 1);
    case Distribution::kUniform:
      return x * (p.max - p.min) + p.min;
    case Distribution::kQUniform:
      return quantize(x * (p.max - p.min) + p.min, p);
    case Distribution::kLogUniformValues: {
      double lo = std::log(p.min), hi = std::log(p.max);
      return std::exp(x * (hi - lo) + lo);
    }
    case Distribution::kInvLogUniformValues: {
      double lo = -std::log(p.max), hi = -std::log(p.min);
      return std::exp(-((1 - x) * (hi - lo) + lo));
    }
    case Distribution::kQLogUniformValues: {
      double lo = std::log(p.min), hi = std::log(p.max);
      return quantize(std::exp(x * (hi - lo) + lo), p);
    }
    case Distribution::kNormal:
      return normal_ppf(x) * p.sigma + p.mu;
    case Distribution::kQNormal:
      return quantize(normal_ppf(x) * p.sigma + p.mu, p);
    case Distribution::kLogNormal:
      return std::exp(normal_ppf(x) * p.sigma) * std::exp(p.mu);
    case Distribution::kQLogNormal:
      return quantize(std::exp(normal_ppf(x) * p.sigma) * std::exp(p.mu), p);
    case Distribution::kBeta:
      return boost::math::ibeta_inv(p.a, p.b, x);
    case Distribution::kQBeta:
      return quantize(boost::math::ibeta_inv(p.a, p.b, x), p);
  }
  return p.value;
}

std::vector<Assignment> grid_points(const SweepConfig& config) {
  std::vector<std::vector<Value>> axes;
  size_t total = 1;
  for (const auto& p : config.parameters) {
    axes.push_back(grid_values(p));
    total *= axes.back().size();
    if (total > 10'000'000)
      throw Error(ErrorCode::kInvalidInput,
                  "the grid has more than 10,000,000 points; narrow the parameters or use "
                  "method: random");
  }
  std::vector<Assignment> out;
  out.reserve(total);
  std::vector<size_t> index(axes.size(), 0);
  for (size_t n = 0; n < total; ++n) {
    Assignment a;
    for (size_t i = 0; i < axes.size(); ++i) a.push_back(axes[i][index[i]]);
    out.push_back(std::move(a));
    for (size_t i = axes.size(); i-- > 0;) {  // odometer: the last parameter varies fastest
      if (++index[i] < axes[i].size()) break;
      index[i] = 0;
    }
  }
  return out;
}

std::unique_ptr<Search> make_search(const SweepConfig& config, uint64_t seed) {
  switch (config.method) {
    case SearchMethod::kGrid:
      return std::make_unique<GridSearch>(config);
    case SearchMethod::kRandom:
      return std::make_unique<RandomSearch>(config, seed);
    case SearchMethod::kBayes:
      return internal::make_tpe_search(config, seed);
  }
  return nullptr;
}

}  // namespace plinth::experiments
