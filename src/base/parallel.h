// Running independent tasks on all cores. Header-only; thread-safe as the tasks are.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace materia {

// The thread count `requested` means: itself when positive, else the machine's cores.
inline int ThreadsOrCores(int requested) {
  if (requested > 0) return requested;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// Runs `task(i)` for every i in [0, count) on up to `threads` threads (0 = one per
// core), the caller's included, and returns when all are done. Tasks are handed out
// one index at a time, so uneven tasks balance. Small counts run on the caller alone:
// starting a thread costs more than they do.
template <typename Task>
void ParallelFor(size_t count, int threads, Task task, size_t serial_below = 32) {
  int workers = count < serial_below ? 1 : std::min<int>(ThreadsOrCores(threads), static_cast<int>(count));
  if (workers <= 1) {
    for (size_t i = 0; i < count; i++) task(i);
    return;
  }
  std::atomic<size_t> next{0};
  auto work = [&]() {
    for (size_t i = next++; i < count; i = next++) task(i);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < workers; t++) pool.emplace_back(work);
  work();
  for (std::thread& thread : pool) thread.join();
}

}  // namespace materia
