#pragma once

#include <string>
#include <vector>

#include "experiments/sweep_config.h"

namespace plinth::experiments {

// One trial as Hyperband sees it: the metric's value at each step so far.
struct Curve {
  std::vector<double> history;
  bool running = false;
};

// Why a running trial is stopped (or would be at its band).
struct StopDecision {
  size_t index;      // into the curves given
  long long band;    // the band the trial is judged at
  double value;      // its metric there (strict) or its best so far (not strict)
  double threshold;  // the band's cut-off
};

// W&B's Hyperband stopping rule (sweeps/hyperband_stopping.py): at each band b, the cut-off
// is the int(len/eta)-th smallest value at step b over every trial that reached b (values
// negated when maximising); a running trial past a band whose value at the last band it
// reached is above that band's cut-off is stopped.
std::vector<StopDecision> hyperband_stops(const Hyperband& hb, Goal goal,
                                          const std::vector<Curve>& curves);

}  // namespace plinth::experiments
