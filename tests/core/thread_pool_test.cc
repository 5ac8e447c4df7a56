#include "core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

namespace plinth::core {
namespace {

TEST(ThreadPool, ParallelForVisitsEveryIndexOnce) {
  ThreadPool pool(4);
  std::vector<std::atomic<int>> seen(10000);
  pool.parallel_for(seen.size(), [&](size_t i) { seen[i]++; });
  for (const auto& s : seen) ASSERT_EQ(s.load(), 1);
}

TEST(ThreadPool, FirstExceptionIsRethrownAfterWorkersStop) {
  ThreadPool pool(3);
  EXPECT_THROW(pool.parallel_for(1000,
                                 [&](size_t i) {
                                   if (i == 10) throw std::runtime_error("boom");
                                 }),
               std::runtime_error);
  // The pool is still usable.
  std::atomic<int> after{0};
  pool.parallel_for(5, [&](size_t) { after++; });
  EXPECT_EQ(after.load(), 5);
}

}  // namespace
}  // namespace plinth::core
