#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "model/predictor.h"
#include "table/table.h"

namespace plinth::serving {

// Micro-batching: concurrent requests wait up to `wait` for each other (or until `max_rows`
// rows are queued) and are scored in one predict call. The first request to arrive leads: it
// waits, takes the queue, scores it and hands every request its rows of the result.
class Batcher {
 public:
  Batcher(const model::Predictor& predictor, size_t max_rows, std::chrono::microseconds wait);

  // The scores of `t`'s rows, as predictor.predict(t) would give them. Unknown-category
  // counts of a batch are reported to its leader.
  model::Scores predict(const table::Table& t);

  // Predict calls made and rows they scored: rows / batches is the mean batch size.
  uint64_t batches() const { return batches_; }
  uint64_t rows() const { return rows_; }

 private:
  struct Pending {
    const table::Table* table;
    model::Scores scores;
    std::exception_ptr error;
    bool done = false;
  };
  void run(std::vector<Pending*>& batch);

  const model::Predictor& predictor_;
  size_t max_rows_;
  std::chrono::microseconds wait_;
  std::mutex mutex_;
  std::condition_variable arrived_, finished_;
  std::vector<Pending*> queue_;
  size_t queued_rows_ = 0;
  bool leading_ = false;
  std::atomic<uint64_t> batches_{0}, rows_{0};
};

}  // namespace plinth::serving
