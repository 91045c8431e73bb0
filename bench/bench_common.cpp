#include "bench_common.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

extern char** environ;

namespace materia::bench {

namespace fs = std::filesystem;

namespace {

constexpr int kMaxRepetitions = 1000;

std::string Ratio(double value, double reference) {
  if (reference <= 0) return "";
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.2f", value / reference);
  return buffer;
}

}  // namespace

void Report::PrintTable() const {
  PrintHeading("Summary");
  std::printf("%-38s %12s %12s %7s  %-22s %s\n", "figure", "materia", "reference", "ratio",
              "goal", "");
  for (const Figure& figure : figures_) {
    std::string reference = figure.reference_ms > 0 ? FormatMs(figure.reference_ms) : "";
    std::printf("%-38s %12s %12s %7s  %-22s %s\n", figure.name.c_str(),
                FormatMs(figure.value_ms).c_str(), reference.c_str(),
                Ratio(figure.value_ms, figure.reference_ms).c_str(), figure.goal.c_str(),
                figure.goal.empty() ? "" : figure.met ? "met" : "MISSED");
  }
  bool any_reference = false;
  for (const Figure& figure : figures_) any_reference |= figure.reference_ms > 0;
  if (any_reference) {
    std::printf("reference: raw DuckDB doing the same work, as each section's heading says (the rendered\n"
                "SQL serially on one connection for the pipelines, a hand-written query for resolve);\n"
                "ratio = materia / reference\n");
  }
}

double Median(std::vector<double> samples) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  size_t middle = samples.size() / 2;
  if (samples.size() % 2 == 1) return samples[middle];
  return (samples[middle - 1] + samples[middle]) / 2;
}

std::vector<double> TimeRepeated(int repetitions, const std::function<void()>& body) {
  repetitions = std::clamp(repetitions, 1, kMaxRepetitions);
  std::vector<double> samples;
  for (int i = 0; i < repetitions; i++) {
    Stopwatch stopwatch;
    body();
    samples.push_back(stopwatch.ElapsedMs());
  }
  return samples;
}

ScratchDirectory::ScratchDirectory() {
  char pattern[] = "/tmp/materia-bench-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) Die("mkdtemp", std::strerror(errno));
  path_ = pattern;
}

ScratchDirectory::~ScratchDirectory() {
  if (std::getenv("MATERIA_BENCH_KEEP") != nullptr) {
    std::printf("kept %s\n", path_.c_str());
    return;
  }
  std::error_code error;
  fs::remove_all(path_, error);
}

WorkingDirectory::WorkingDirectory(const std::string& path) {
  std::error_code error;
  previous_ = fs::current_path(error).string();
  if (error) Die("current directory", error.message());
  fs::current_path(path, error);
  if (error) Die("enter " + path, error.message());
}

WorkingDirectory::~WorkingDirectory() {
  std::error_code error;
  fs::current_path(previous_, error);
}

void Die(const std::string& what, const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "bench: %s: %s\n", what.c_str(), message.c_str());
  std::exit(2);
}

void Expect(const Status& status, const std::string& what) {
  if (!status.ok()) Die(what, status.message());
}

void WriteTextFile(const std::string& path, const std::string& content) {
  std::error_code error;
  fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent, error);
  if (error) Die("create " + parent.string(), error.message());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) Die("write " + path, "failed");
}

void RemovePath(const std::string& path) {
  std::error_code error;
  fs::remove_all(path, error);
  if (error) Die("remove " + path, error.message());
}

void RemoveDatabase(const std::string& path) {
  for (const char* suffix : {"", ".wal", "-wal", "-shm", "-journal"}) RemovePath(path + suffix);
}

int RunProcess(const std::vector<std::string>& arguments, double* elapsed_ms) {
  std::vector<char*> argv;
  for (const std::string& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  Stopwatch stopwatch;
  pid_t pid = 0;
  int spawned = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) Die("start " + arguments[0], std::strerror(spawned));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) Die("wait for " + arguments[0], std::strerror(errno));
  }
  *elapsed_ms = stopwatch.ElapsedMs();
  if (!WIFEXITED(status)) Die(arguments[0], "killed by signal " + std::to_string(WTERMSIG(status)));
  return WEXITSTATUS(status);
}

std::string FormatMs(double ms) {
  char buffer[32];
  if (ms >= 10'000) {
    std::snprintf(buffer, sizeof(buffer), "%.0f ms", ms);
  } else if (ms >= 100) {
    std::snprintf(buffer, sizeof(buffer), "%.1f ms", ms);
  } else if (ms >= 1) {
    std::snprintf(buffer, sizeof(buffer), "%.2f ms", ms);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.3f ms", ms);
  }
  return buffer;
}

std::string FormatGoal(double goal_ms) {
  char buffer[32];
  if (goal_ms >= 1000) {
    std::snprintf(buffer, sizeof(buffer), "< %g s", goal_ms / 1000);
  } else {
    std::snprintf(buffer, sizeof(buffer), "< %g ms", goal_ms);
  }
  return buffer;
}

double LoadAverage() {
  std::ifstream in("/proc/loadavg");
  double load = -1;
  if (!(in >> load)) return -1;
  return load;
}

void PrintHeading(const std::string& title) {
  std::printf("\n== %s\n", title.c_str());
  std::fflush(stdout);
}

}  // namespace materia::bench
