#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace plinth::core {

// Default parallelism for I/O-and-hash work: one worker per core.
size_t default_jobs();

// A fixed set of worker threads. Tasks run in submission order of start, not of completion.
class ThreadPool {
 public:
  explicit ThreadPool(size_t threads = default_jobs());
  ~ThreadPool();  // waits for queued tasks
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  size_t size() const { return workers_.size(); }

  // Runs fn(i) for every i in [0, n) on the pool and waits. If any call throws, the remaining
  // indices are skipped and the first exception is rethrown here after all workers stopped.
  void parallel_for(size_t n, const std::function<void(size_t)>& fn);

 private:
  void submit(std::function<void()> task);
  void run();

  std::vector<std::thread> workers_;
  std::queue<std::function<void()>> tasks_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace plinth::core
