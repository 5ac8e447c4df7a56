#include "tracking/downsample.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>

#include "tracking/store.h"

namespace plinth::tracking {

void MetricSeries::sort() {
  std::vector<uint32_t> order(size());
  std::iota(order.begin(), order.end(), 0u);
  auto key = [&](uint32_t i) {
    // NaN sorts after every number, as MLflow's (value, is_nan) ordering puts it.
    return std::make_tuple(step[i], timestamp[i], std::isnan(value[i]),
                           std::isnan(value[i]) ? 0.0 : value[i]);
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return key(a) < key(b); });
  MetricSeries sorted;
  sorted.step.reserve(size());
  sorted.timestamp.reserve(size());
  sorted.value.reserve(size());
  for (uint32_t i : order) {
    sorted.step.push_back(step[i]);
    sorted.timestamp.push_back(timestamp[i]);
    sorted.value.push_back(value[i]);
  }
  *this = std::move(sorted);
}

MetricSeries Store::metric_series(const std::string& run_id, const std::string& key) {
  MetricSeries s;
  for (const Metric& m : metric_history(run_id, key, 0, "").items) {
    s.step.push_back(m.step);
    s.timestamp.push_back(m.timestamp);
    s.value.push_back(m.value);
  }
  s.sort();
  return s;
}

std::vector<size_t> evenly_spaced_indices(size_t total, size_t max_results) {
  std::vector<size_t> out;
  if (total == 0) return out;
  if (total <= max_results) {
    out.resize(total);
    std::iota(out.begin(), out.end(), size_t{0});
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

Downsampled downsample(const MetricSeries& s, size_t max_points) {
  Downsampled d;
  d.total = s.size();
  size_t from = 0;
  for (size_t k : evenly_spaced_indices(s.size(), std::max<size_t>(max_points, 1))) {
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = from; i <= k; ++i) {
      if (std::isnan(s.value[i])) continue;
      lo = std::min(lo, s.value[i]);
      hi = std::max(hi, s.value[i]);
    }
    from = k + 1;
    if (lo > hi) lo = hi = NAN;  // only NaN points in this bucket
    d.step.push_back(s.step[k]);
    d.timestamp.push_back(s.timestamp[k]);
    d.value.push_back(s.value[k]);
    d.min.push_back(lo);
    d.max.push_back(hi);
  }
  return d;
}

}  // namespace plinth::tracking
