#pragma once

#include <cstdint>
#include <vector>

#include "tracking/entities.h"

// Metric histories cut down for charts and for MLflow's get-history-bulk-interval.
namespace plinth::tracking {

// MLflow's sampling (SqlAlchemyStore.get_metric_history_bulk_interval): at most `max_results`
// row indices evenly spaced over `total` rows, always the first and the last, rounding half to
// even as Python's round() does; only the last row when max_results is 1.
std::vector<size_t> evenly_spaced_indices(size_t total, size_t max_results);

struct Downsampled {
  size_t total = 0;  // points in the whole history
  std::vector<int64_t> step, timestamp;
  // The sampled point's value, and the extremes of the points it stands for: those after the
  // previous sampled point up to and including this one, so a spike between samples shows.
  // NaN points count in neither extreme.
  std::vector<double> value, min, max;
};

// A sorted series sampled at evenly_spaced_indices(size, max_points), with min/max per bucket.
Downsampled downsample(const MetricSeries& series, size_t max_points);

}  // namespace plinth::tracking
