#include "base/parallel.h"

#include <atomic>
#include <vector>

#include <gtest/gtest.h>

namespace materia {
namespace {

TEST(ParallelFor, EveryIndexRunsExactlyOnce) {
  for (size_t count : {0u, 1u, 31u, 32u, 1000u}) {
    for (int threads : {0, 1, 3}) {
      std::vector<std::atomic<int>> runs(count);
      ParallelFor(count, threads, [&](size_t i) { runs[i]++; });
      for (size_t i = 0; i < count; i++) ASSERT_EQ(runs[i].load(), 1) << count << " " << threads << " " << i;
    }
  }
}

TEST(ParallelFor, SmallCountsStayOnTheCallersThread) {
  std::thread::id caller = std::this_thread::get_id();
  bool elsewhere = false;
  ParallelFor(10, 4, [&](size_t) { elsewhere |= std::this_thread::get_id() != caller; });
  EXPECT_FALSE(elsewhere);
  EXPECT_EQ(ThreadsOrCores(3), 3);
  EXPECT_GE(ThreadsOrCores(0), 1);
}

}  // namespace
}  // namespace materia
