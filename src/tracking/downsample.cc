#include "tracking/downsample.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace plinth::tracking {

std::vector<size_t> evenly_spaced_indices(size_t total, size_t max_results) {
  std::vector<size_t> out;
  if (total == 0) return out;
  if (total <= max_results) {
    out.resize(total);
    for (size_t i = 0; i < total; ++i) out[i] = i;
    return out;
  }
  if (max_results <= 1) return {total - 1};
  double step = static_cast<double>(total - 1) / static_cast<double>(max_results - 1);
  out.reserve(max_results);
  for (size_t i = 0; i < max_results; ++i) {
    // nearbyint rounds half to even in the default rounding mode, as Python's round().
    auto k = static_cast<size_t>(std::nearbyint(static_cast<double>(i) * step));
    if (out.empty() || out.back() != k) out.push_back(k);
  }
  return out;
}

void sort_for_sampling(std::vector<Metric>& history) {
  std::stable_sort(history.begin(), history.end(), [](const Metric& a, const Metric& b) {
    return std::tie(a.step, a.timestamp, a.value) < std::tie(b.step, b.timestamp, b.value);
  });
}

Downsampled downsample(const std::vector<Metric>& history, size_t max_points) {
  Downsampled d;
  d.total = history.size();
  auto picked = evenly_spaced_indices(history.size(), std::max<size_t>(max_points, 1));
  size_t from = 0;
  for (size_t k : picked) {
    const Metric& m = history[k];
    double lo = m.value, hi = m.value;
    for (size_t i = from; i < k; ++i) {
      if (std::isnan(history[i].value)) continue;
      lo = std::min(lo, history[i].value);
      hi = std::max(hi, history[i].value);
    }
    from = k + 1;
    d.step.push_back(m.step);
    d.timestamp.push_back(m.timestamp);
    d.value.push_back(m.value);
    d.min.push_back(lo);
    d.max.push_back(hi);
  }
  return d;
}

}  // namespace plinth::tracking
