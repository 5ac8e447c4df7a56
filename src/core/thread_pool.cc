#include "core/thread_pool.h"

#include <atomic>
#include <exception>
#include <latch>

namespace plinth::core {

size_t default_jobs() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 2 : n;
}

ThreadPool::ThreadPool(size_t threads) {
  if (threads == 0) threads = 1;
  for (size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { run(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::submit(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push(std::move(task));
  }
  cv_.notify_one();
}

void ThreadPool::run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop();
    }
    task();
  }
}

void ThreadPool::parallel_for(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  size_t runners = std::min(n, workers_.size());
  std::latch done(static_cast<std::ptrdiff_t>(runners));
  for (size_t r = 0; r < runners; ++r) {
    submit([&] {
      for (size_t i; !failed && (i = next++) < n;) {
        try {
          fn(i);
        } catch (...) {
          std::lock_guard lock(error_mutex);
          if (!error) error = std::current_exception();
          failed = true;
        }
      }
      done.count_down();
    });
  }
  done.wait();
  if (error) std::rethrow_exception(error);
}

}  // namespace plinth::core
