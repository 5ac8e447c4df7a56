#include "serving/batcher.h"

namespace plinth::serving {

Batcher::Batcher(const model::Predictor& predictor, size_t max_rows, std::chrono::microseconds wait)
    : predictor_(predictor), max_rows_(max_rows), wait_(wait) {}

model::Scores Batcher::predict(const table::Table& t) {
  Pending self{&t, {}, nullptr, false};
  std::unique_lock lock(mutex_);
  queue_.push_back(&self);
  queued_rows_ += t.num_rows();
  if (leading_) {
    if (queued_rows_ >= max_rows_) arrived_.notify_one();
    finished_.wait(lock, [&] { return self.done; });
  } else {
    leading_ = true;
    arrived_.wait_for(lock, wait_, [&] { return queued_rows_ >= max_rows_; });
    std::vector<Pending*> batch;
    batch.swap(queue_);
    queued_rows_ = 0;
    leading_ = false;
    lock.unlock();
    run(batch);
    lock.lock();
    for (Pending* p : batch) p->done = true;
    finished_.notify_all();
  }
  if (self.error) std::rethrow_exception(self.error);
  return std::move(self.scores);
}

void Batcher::run(std::vector<Pending*>& batch) {
  ++batches_;
  for (Pending* p : batch) rows_ += p->table->num_rows();
  try {
    if (batch.size() == 1) {
      batch[0]->scores = predictor_.predict(*batch[0]->table, "the request");
      return;
    }
    std::vector<table::Table> parts;
    for (Pending* p : batch) parts.push_back(*p->table);
    model::Scores all = predictor_.predict(table::concat(std::move(parts)), "the requests");
    size_t row = 0;
    for (Pending* p : batch) {
      model::Scores& s = p->scores;
      s.rows = p->table->num_rows();
      s.width = all.width;
      s.values.assign(all.values.begin() + static_cast<ptrdiff_t>(row * all.width),
                      all.values.begin() + static_cast<ptrdiff_t>((row + s.rows) * all.width));
      if (!all.label_index.empty())
        s.label_index.assign(all.label_index.begin() + static_cast<ptrdiff_t>(row),
                             all.label_index.begin() + static_cast<ptrdiff_t>(row + s.rows));
      row += s.rows;
    }
    batch[0]->scores.unknown = all.unknown;
  } catch (...) {
    // One bad request fails alone: score each on its own to find out whose error it is.
    for (Pending* p : batch) {
      try {
        p->scores = predictor_.predict(*p->table, "the request");
      } catch (...) {
        p->error = std::current_exception();
      }
    }
  }
}

}  // namespace plinth::serving
