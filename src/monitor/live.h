#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/profile_drift.h"
#include "table/table.h"

namespace plinth::monitor {

struct LiveDriftOptions {
  size_t window_rows = 1000;  // the last N values of each feature
  double window_seconds = 0;  // and only those younger than this (0: no age limit)
  size_t min_rows = 100;      // fewer values in a window: no verdict for that feature yet
  DriftOptions drift;         // tests, thresholds, drift_share (as for `plinth drift`)
};

// Live drift for a served model: a sliding window of each feature's recent values, kept as
// counts on the training profile's frozen bins (or categories), compared with the profile on
// demand. observe_* are cheap (a bucket lookup and two counter updates) and thread-safe.
class LiveDrift {
 public:
  LiveDrift(std::vector<ProfiledColumn> reference, LiveDriftOptions options);

  const std::vector<ProfiledColumn>& columns() const { return reference_; }
  void observe_number(size_t column, double value);  // NaN and infinities are skipped
  void observe_category(size_t column, std::string_view value);
  // Every non-null row of `values` (text for a categorical column, numbers otherwise), under
  // one lock: what a scored request adds.
  void observe(size_t column, const table::Column& values);

  // Categories unseen in training get buckets of their own, up to this many per column; the
  // rest share one more, so clients sending arbitrary text cannot grow the server's memory.
  static constexpr size_t kMaxUnseenCategories = 64;

  struct Snapshot {
    DriftReport report;                  // features with at least min_rows values in their window
    std::vector<std::string> features;   // every column, in order
    std::vector<size_t> window_rows;     // per column
    std::vector<double> window_mean;     // per column (numeric; NaN otherwise)
    std::vector<double> reference_mean;  // per column, from the profile (numeric; NaN otherwise)
  };
  Snapshot snapshot() const;

  // Prometheus text exposition of a snapshot: model_feature_drift_score{feature,stattest},
  // model_feature_drift_detected{feature,stattest}, model_dataset_drift_share,
  // model_drift_window_rows{feature}, model_feature_mean{feature},
  // model_feature_reference_mean{feature}; `labels` (e.g. model="fraud-detector/3") is added to
  // every series.
  static std::string prometheus(const Snapshot& snapshot, const std::string& labels = "");

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    uint32_t bucket;
    double value;
    Clock::time_point at;
  };
  struct Window {
    bool numeric = true;
    std::vector<double> edges;
    std::vector<double> reference_counts, counts;
    std::map<std::string, uint32_t, std::less<>> categories;  // categorical: label -> bucket
    std::vector<std::string> labels;
    size_t unseen = 0;  // categories added after training's
    std::deque<Entry> entries;
    double sum = 0;
  };
  void push(Window& w, uint32_t bucket, double value, Clock::time_point now);
  void record_number(size_t column, double value, Clock::time_point now);
  void record_category(size_t column, std::string_view value, Clock::time_point now);
  void expire(Window& w, Clock::time_point now) const;

  std::vector<ProfiledColumn> reference_;
  LiveDriftOptions options_;
  mutable std::mutex mutex_;
  mutable std::vector<Window> windows_;
};

}  // namespace plinth::monitor
