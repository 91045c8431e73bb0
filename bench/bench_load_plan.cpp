// Benchmark 1: load + plan of large synthetic projects, through the library (the
// engine's figure) and, for 10k models, as the whole `materia plan` process.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>

#include "base/parallel.h"
#include "benchmarks.h"
#include "plan/plan.h"
#include "synthetic_project.h"

namespace materia::bench {

namespace {

constexpr const char* kStatePath = ".materia/state.db";

// One load and plan of `prod` in the current directory, as `materia plan` does it.
struct LoadPlanRun {
  double load_ms = 0;
  double plan_ms = 0;  // opening the state store, creating the analyzer, BuildPlan
  Project project;
  Plan plan;
};

LoadPlanRun LoadAndPlan() {
  LoadPlanRun run;
  Stopwatch load;
  run.project = Expect(LoadProject("."), "load the project");
  run.load_ms = load.ElapsedMs();
  Stopwatch plan;
  std::unique_ptr<StateStore> state = Expect(OpenSqliteStateStore(kStatePath), "open the state store");
  SqlAnalyzer analyzer = Expect(SqlAnalyzer::Create(), "create an SQL analyzer");
  run.plan = Expect(BuildPlan(run.project, *state, "prod", analyzer), "plan prod");
  run.plan_ms = plan.ElapsedMs();
  return run;
}

struct Samples {
  std::vector<double> load_ms;
  std::vector<double> plan_ms;
  std::vector<double> total_ms;
};

// Runs LoadAndPlan `repetitions` times, calling `prepare` (untimed) before each.
Samples Measure(int repetitions, const std::function<void()>& prepare, bool expect_changes) {
  Samples samples;
  for (int i = 0; i < std::max(1, repetitions); i++) {
    prepare();
    LoadPlanRun run = LoadAndPlan();
    if (run.plan.HasChanges() != expect_changes) {
      Die("plan", expect_changes ? "expected every model to be added" : "expected no changes");
    }
    samples.load_ms.push_back(run.load_ms);
    samples.plan_ms.push_back(run.plan_ms);
    samples.total_ms.push_back(run.load_ms + run.plan_ms);
  }
  return samples;
}

std::string Thousands(int models) {
  return models % 1000 == 0 ? std::to_string(models / 1000) + "k" : std::to_string(models);
}

void AddFigure(Report& report, const std::string& name, double value_ms, double goal_ms) {
  Figure figure;
  figure.name = name;
  figure.value_ms = value_ms;
  if (goal_ms > 0) {
    figure.goal = FormatGoal(goal_ms);
    figure.met = value_ms < goal_ms;
  }
  report.Add(figure);
}

void PrintSamples(int models, const std::string& label, const Samples& samples, double goal_ms) {
  double total = Median(samples.total_ms);
  std::printf("  %6d models, %-15s load %10s + plan %10s = %10s  %7.4f ms/model  (median of %zu)",
              models, (label + ":").c_str(), FormatMs(Median(samples.load_ms)).c_str(),
              FormatMs(Median(samples.plan_ms)).c_str(), FormatMs(total).c_str(), total / models,
              samples.total_ms.size());
  if (goal_ms > 0) {
    std::printf("  goal %s: %s", FormatGoal(goal_ms).c_str(), total < goal_ms ? "met" : "MISSED");
  }
  std::printf("\n");
  std::fflush(stdout);
}

// Times `materia --project DIR plan` `repetitions` times after `prepare`; prints it.
double MeasureProcess(const BenchOptions& options, const std::string& project_dir, int models,
                      const std::string& label, int repetitions,
                      const std::function<void()>& prepare) {
  std::vector<double> samples;
  for (int i = 0; i < std::max(1, repetitions); i++) {
    prepare();
    double elapsed_ms = 0;
    int code = RunProcess({options.materia_binary, "--project", project_dir, "plan"}, &elapsed_ms);
    if (code != 0) Die("materia plan", "exit code " + std::to_string(code));
    samples.push_back(elapsed_ms);
  }
  double median = Median(samples);
  std::printf("  %6d models, %-15s `materia plan` process %10s  %7.4f ms/model  (median of %zu)\n",
              models, (label + ":").c_str(), FormatMs(median).c_str(), median / models,
              samples.size());
  std::fflush(stdout);
  return median;
}

// Records `prod` as ApplyPlan does (snapshots, then the environment) without building
// anything, so that the next plan finds the environment unchanged. Returns its time.
double RecordEnvironment() {
  LoadPlanRun run = LoadAndPlan();
  std::unique_ptr<StateStore> state = Expect(OpenSqliteStateStore(kStatePath), "open the state store");
  Stopwatch stopwatch;
  EnvironmentRecord environment;
  environment.name = "prod";
  environment.promoted_ms = NowMs();
  for (const auto& [name, snapshot] : run.plan.snapshots) {
    SnapshotRecord record = snapshot;
    record.created_ms = environment.promoted_ms;
    Expect(state->PutSnapshot(record), "record snapshot " + name);
    environment.snapshots[name] = {snapshot.fingerprint, snapshot.version};
  }
  Expect(state->PutEnvironment(environment), "record prod");
  return stopwatch.ElapsedMs();
}

// The least any load with a cache keyed by file content must do: list models/**/*.sql
// and read every file, on all cores, parsing nothing. Median of `repetitions`.
double MeasureFileFloor(int repetitions) {
  std::vector<double> samples;
  for (int r = 0; r < std::max(1, repetitions); r++) {
    Stopwatch stopwatch;
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator("models")) {
      if (entry.path().extension() == ".sql") files.push_back(entry.path().string());
    }
    std::atomic<size_t> bytes{0};
    ParallelFor(files.size(), 0, [&](size_t i) {
      int descriptor = ::open(files[i].c_str(), O_RDONLY | O_CLOEXEC);
      if (descriptor < 0) Die("read " + files[i], std::strerror(errno));
      char buffer[1 << 16];
      ssize_t count;
      while ((count = ::read(descriptor, buffer, sizeof(buffer))) > 0) bytes += static_cast<size_t>(count);
      ::close(descriptor);
    });
    samples.push_back(stopwatch.ElapsedMs());
  }
  return Median(samples);
}

struct SizePlan {
  int models;
  int cold_repetitions;
  int warm_repetitions;
  double cold_goal_ms;  // 0 = none
  double warm_goal_ms;
  bool process;         // also time the whole `materia plan` process
};

void BenchSize(const BenchOptions& options, const std::string& scratch, const SizePlan& size,
               Report& report) {
  std::string project_dir = scratch + "/synthetic_" + std::to_string(size.models);
  SyntheticOptions synthetic;
  synthetic.models = size.models;
  Stopwatch generate;
  WriteSyntheticProject(project_dir, synthetic);
  std::printf("  %6d models, generated in %s (%s)\n", size.models, FormatMs(generate.ElapsedMs()).c_str(),
              project_dir.c_str());
  WorkingDirectory inside(project_dir);
  std::string k = Thousands(size.models);

  Samples cold = Measure(size.cold_repetitions, [] { RemovePath(".materia"); }, true);
  PrintSamples(size.models, "cold", cold, size.cold_goal_ms);
  AddFigure(report, "load+plan " + k + " cold", Median(cold.total_ms), size.cold_goal_ms);

  Samples warm = Measure(size.warm_repetitions, [] { RemoveDatabase(kStatePath); }, true);
  PrintSamples(size.models, "warm", warm, size.warm_goal_ms);
  AddFigure(report, "load+plan " + k + " warm", Median(warm.total_ms), size.warm_goal_ms);
  double floor_ms = MeasureFileFloor(size.warm_repetitions);
  std::printf("  %6d models, %-15s list + read every model file, nothing parsed: %s  "
              "(no load that checks file contents is faster)\n",
              size.models, "file floor:", FormatMs(floor_ms).c_str());
  AddFigure(report, "list + read " + k + " files (floor)", floor_ms, 0);

  if (size.process) {
    double process_cold = MeasureProcess(options, project_dir, size.models, "cold", 1,
                                         [] { RemovePath(".materia"); });
    AddFigure(report, "`materia plan` " + k + " process, cold", process_cold, 0);
    double process_warm = MeasureProcess(options, project_dir, size.models, "warm", 3, [] {});
    AddFigure(report, "`materia plan` " + k + " process, warm", process_warm, 0);
  }

  RemoveDatabase(kStatePath);
  double record_ms = RecordEnvironment();
  std::printf("  %6d models, recording prod's snapshots and environment as apply does: %s\n",
              size.models, FormatMs(record_ms).c_str());
  Samples unchanged = Measure(size.warm_repetitions, [] {}, false);
  PrintSamples(size.models, "warm unchanged", unchanged, size.warm_goal_ms);
  AddFigure(report, "load+plan " + k + " warm, prod unchanged", Median(unchanged.total_ms),
            size.warm_goal_ms);
  if (size.process) {
    double process_unchanged = MeasureProcess(options, project_dir, size.models, "warm unchanged", 3, [] {});
    AddFigure(report, "`materia plan` " + k + " process, unchanged", process_unchanged, 0);
  }
  RemovePath(project_dir);
}

}  // namespace

void BenchLoadAndPlan(const BenchOptions& options, const std::string& scratch, Report& report) {
  PrintHeading("1. Load + plan of a synthetic project (10 layers of FULL and VIEW models)");
  int repetitions = options.quick ? 1 : 3;
  std::vector<SizePlan> sizes = {
      {1'000, repetitions + 2, 5, 0, 0, false},
      {10'000, repetitions, 5, 500, 30, true},
  };
  if (options.large) sizes.push_back({100'000, 1, 2, 5'000, 0, false});
  for (const SizePlan& size : sizes) BenchSize(options, scratch, size, report);
}

}  // namespace materia::bench
