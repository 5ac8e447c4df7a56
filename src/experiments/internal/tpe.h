#pragma once

#include <cstdint>
#include <memory>

#include "experiments/search.h"

namespace plinth::experiments::internal {

// Bayesian search: a multivariate Tree-structured Parzen Estimator.
std::unique_ptr<Search> make_tpe_search(const SweepConfig& config, uint64_t seed);

}  // namespace plinth::experiments::internal
