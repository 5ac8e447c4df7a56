#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "table/table.h"

// The model server's Prometheus metrics, rendered in the text exposition format at /metrics.
namespace plinth::serving {

// A histogram with fixed upper bounds; observe() takes no lock.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  // The _bucket (cumulative, with le="+Inf"), _sum and _count samples of `name`; `labels` is
  // empty or `key="value",...` added to every sample.
  void render(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // one per bound, plus +Inf
  std::atomic<double> sum_{0};
};

// What one scoring call adds: its inputs, the predicted outcome and confidence of each row,
// unknown categories by feature and how long the model took.
struct ScoredBatch {
  const table::Table* inputs = nullptr;
  std::vector<std::string> outcomes;
  std::vector<double> confidences;
  std::map<std::string, size_t> unknown;
  double seconds = 0;
};

class Metrics {
 public:
  Metrics();

  // Describes the model now served (after a load or a reload): model_info's labels and which
  // categories each categorical feature counts (others are counted as unknown only).
  void set_model(const std::string& name, const std::string& version, const std::string& engine,
                 const std::map<std::string, std::vector<std::string>>& categories);
  void record_request(std::string_view path, int status);
  void record_batch(const ScoredBatch& batch);
  void record_reload(bool ok);

  // Every family with HELP and TYPE lines, followed by `extra` (e.g. live drift gauges).
  std::string render(const std::string& extra = "") const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, uint64_t> predictions_;  // by outcome
  std::map<std::string, uint64_t> unknown_;      // by feature
  struct Summary {
    double sum = 0;
    uint64_t count = 0;
  };
  std::map<std::string, Summary> inputs_;                              // numeric features
  std::map<std::string, std::map<std::string, uint64_t>> categories_;  // feature -> category
  std::map<std::string, std::vector<std::string>> vocabulary_;
  std::map<std::string, uint64_t> reloads_;  // by result
  std::string info_labels_;
  Histogram confidence_, duration_;
};

}  // namespace plinth::serving
