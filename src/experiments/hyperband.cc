#include "experiments/hyperband.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace plinth::experiments {

std::vector<StopDecision> hyperband_stops(const Hyperband& hb, Goal goal,
                                          const std::vector<Curve>& curves) {
  double sign = goal == Goal::kMaximize ? -1.0 : 1.0;
  double r = 1.0 / hb.eta;
  std::vector<std::vector<double>> signed_curves;
  for (const auto& c : curves) {
    std::vector<double> h;
    for (double v : c.history)
      if (std::isfinite(v)) h.push_back(sign * v);  // W&B keeps finite numbers only
    signed_curves.push_back(std::move(h));
  }
  std::vector<double> thresholds;
  for (long long band : hb.bands) {
    std::vector<double> at_band;
    for (const auto& h : signed_curves)
      if (static_cast<long long>(h.size()) >= band) at_band.push_back(h[band - 1]);
    if (at_band.empty()) {
      thresholds.push_back(std::numeric_limits<double>::infinity());
      continue;
    }
    std::sort(at_band.begin(), at_band.end());
    thresholds.push_back(at_band[static_cast<size_t>(r * static_cast<double>(at_band.size()))]);
  }
  std::vector<StopDecision> stops;
  for (size_t i = 0; i < curves.size(); ++i) {
    if (!curves[i].running) continue;
    const auto& h = signed_curves[i];
    long long closest = -1;
    double threshold = 0;
    for (size_t b = 0; b < hb.bands.size(); ++b) {
      if (hb.bands[b] > static_cast<long long>(h.size())) break;
      closest = hb.bands[b];
      threshold = thresholds[b];
    }
    if (closest == -1) continue;
    double value = hb.strict ? h[closest - 1] : *std::min_element(h.begin(), h.end());
    if (value > threshold) stops.push_back({i, closest, sign * value, sign * threshold});
  }
  return stops;
}

}  // namespace plinth::experiments
