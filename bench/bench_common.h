// What every benchmark shares: a wall clock, medians, a scratch directory that removes
// itself, running the `materia` binary as a separate process, and the table of
// figures printed at the end.
//
// A benchmark prints its figures and the ratio to its reference measured in the same
// run; it never fails on time. A set-up failure (a model that does not load, a query
// that fails) ends the program with exit code 2 and one line saying what failed,
// because a figure measured on a broken set-up means nothing.
//
// Not thread-safe: the benchmarks run one after the other on the main thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"

namespace materia::bench {

// Options of one `materia_bench` invocation.
struct BenchOptions {
  std::string root;            // the repository: examples/psd is read from here
  std::string materia_binary;  // build/materia, for the whole-process figures
  double psd_scale = 1.0;      // rows of the PSD release / 2.1 million
  bool large = false;          // also load + plan 100k models
  bool quick = false;          // smaller figures, for a fast look
  std::string only;            // run one benchmark: plan, psd, first_run, check
};

// One line of the final table. `reference_ms` <= 0 means "no reference".
struct Figure {
  std::string name;
  double value_ms = 0;
  double reference_ms = 0;
  std::string reference_name;
  std::string goal;  // as printed, e.g. "< 500 ms" or "ratio <= 1.10"; "" = none
  bool met = false;  // whether the goal was met (ignored without one)
};

// Collects the figures for the table printed at the end.
class Report {
 public:
  void Add(Figure figure) { figures_.push_back(std::move(figure)); }
  void PrintTable() const;

 private:
  std::vector<Figure> figures_;
};

// A monotonic stopwatch started at construction.
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double ElapsedMs() const {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_)
        .count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// The median of `samples` (the mean of the middle two for an even count); 0 for none.
double Median(std::vector<double> samples);

// Runs `body` `repetitions` times (at least once) and returns each run's wall time in ms.
std::vector<double> TimeRepeated(int repetitions, const std::function<void()>& body);

// A directory under /tmp made with mkdtemp, removed with everything in it on
// destruction (unless MATERIA_BENCH_KEEP is set, for looking at what was measured).
class ScratchDirectory {
 public:
  ScratchDirectory();
  ~ScratchDirectory();
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Changes the current directory to `path` (dies when it cannot) and back on destruction:
// models read their source files relative to the project directory, as the CLI runs them.
class WorkingDirectory {
 public:
  explicit WorkingDirectory(const std::string& path);
  ~WorkingDirectory();
  WorkingDirectory(const WorkingDirectory&) = delete;
  WorkingDirectory& operator=(const WorkingDirectory&) = delete;

 private:
  std::string previous_;
};

// Ends the program with exit code 2 after printing "bench: <what>: <message>".
[[noreturn]] void Die(const std::string& what, const std::string& message);

// Returns the value of `result`, or dies naming `what`.
template <typename T>
T Expect(Result<T> result, const std::string& what) {
  if (!result.ok()) Die(what, result.status().message());
  return std::move(result).value();
}
void Expect(const Status& status, const std::string& what);

// Writes `content` to `path`, creating parent directories; dies on failure.
void WriteTextFile(const std::string& path, const std::string& content);

// Removes `path` (file or directory tree) if it exists.
void RemovePath(const std::string& path);

// Removes a DuckDB or SQLite database file and its -wal / .wal / -shm companions.
void RemoveDatabase(const std::string& path);

// Runs `arguments` (arguments[0] is the program) with stdout and stderr sent to
// /dev/null, waits for it, and returns its exit code; sets *elapsed_ms to its wall time.
// Dies when the process cannot be started or is killed by a signal.
int RunProcess(const std::vector<std::string>& arguments, double* elapsed_ms);

// "1234.5 ms" with sensible precision for the size of the number.
std::string FormatMs(double ms);

// A goal in ms as written: "< 500 ms", "< 30 ms", "< 5 s".
std::string FormatGoal(double goal_ms);

// The 1-minute load average, from /proc/loadavg (-1 when unknown): figures taken on a
// busy machine are inflated, so the output says how busy it was.
double LoadAverage();

// Prints a section heading.
void PrintHeading(const std::string& title);

}  // namespace materia::bench
