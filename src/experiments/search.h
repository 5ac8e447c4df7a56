#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "experiments/sweep_config.h"

namespace plinth::experiments {

// One trial's parameter values, aligned with SweepConfig::parameters.
using Assignment = std::vector<pipeline::Value>;

// What a search proposes: the values, and the point the search sees them as (per parameter,
// the quantile in [0, 1] the value was drawn at, or a categorical value's index).
struct Suggestion {
  Assignment values;
  std::vector<double> point;
};

// A trial the search has proposed before: its point and, once it finished, its metric.
struct Observation {
  std::vector<double> point;
  std::optional<double> value;  // none while running, or when it failed or logged no metric
};

// W&B's percent-point function (inverse CDF) of parameter `p` at quantile x in [0, 1]: the
// value random search draws for a uniform x (scipy.stats' formulas, numpy's rounding).
pipeline::Value parameter_ppf(const Parameter& p, double x);

// Every grid point in W&B's order: parameters sorted by name, the last varying fastest;
// int_uniform is min..max, q_uniform numpy.arange(min, max, q) (max excluded, as W&B has it);
// repeated values are dropped as W&B's value hashes drop them.
std::vector<Assignment> grid_points(const SweepConfig& config);

class Search {
 public:
  virtual ~Search() = default;
  // The next trial to run given every earlier suggestion's observation (in order); nullopt
  // when the search space is exhausted (grid).
  virtual std::optional<Suggestion> next(const std::vector<Observation>& observations) = 0;
};

// grid, random, or bayes: a multivariate Tree-structured Parzen Estimator (Bergstra et al.
// 2011; Falkner et al. 2018's multivariate kernels) over the parameters' quantile space.
// `seed` makes random and bayes reproducible.
std::unique_ptr<Search> make_search(const SweepConfig& config, uint64_t seed);

}  // namespace plinth::experiments
