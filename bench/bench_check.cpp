// Benchmark 4: `check` on the applied PSD project when there is nothing to do — the
// question the supervisor asks over and over, so it must be cheap.
#include <cstdio>
#include <filesystem>

#include "apply_fresh.h"
#include "benchmarks.h"
#include "plan/check.h"

namespace materia::bench {

namespace {

constexpr double kGoalMs = 20;
constexpr int kRepetitions = 10;
constexpr int kThreads = 4;

struct CheckRun {
  double load_ms = 0;   // LoadProject
  double open_ms = 0;   // the state store (read-only) and the SQL analyzer
  double check_ms = 0;  // CheckEnvironment
  double total_ms() const { return load_ms + open_ms + check_ms; }
  CheckReport report;
};

// What `materia check` does, through the library, in the current directory.
CheckRun CheckOnce() {
  CheckRun run;
  Stopwatch load;
  Project project = Expect(LoadProject("."), "load the project");
  run.load_ms = load.ElapsedMs();
  Stopwatch open;
  std::unique_ptr<StateStore> state =
      Expect(OpenSqliteStateStore(project.config.gateway().state_database, true), "open the state store");
  SqlAnalyzer analyzer = Expect(SqlAnalyzer::Create(), "create an SQL analyzer");
  run.open_ms = open.ElapsedMs();
  Stopwatch check;
  run.report = Expect(CheckEnvironment(project, state.get(), "prod", analyzer, NowMs()), "check prod");
  run.check_ms = check.ElapsedMs();
  return run;
}

void AddFigure(Report& report, const std::string& name, double value_ms) {
  Figure figure;
  figure.name = name;
  figure.value_ms = value_ms;
  figure.goal = FormatGoal(kGoalMs);
  figure.met = value_ms < kGoalMs;
  report.Add(figure);
}

}  // namespace

void BenchCheck(const BenchOptions& options, const std::string& project_dir, Report& report) {
  PrintHeading("4. check on the applied PSD project, nothing to do");
  WorkingDirectory inside(project_dir);
  if (!std::filesystem::exists(".materia/state.db")) ApplyFresh(kThreads);

  CheckRun first = CheckOnce();  // warm-up
  if (first.report.has_work) {
    std::printf("  note: check found work (%zu models, first: %s), so the figures below are not "
                "those of an idle check\n",
                first.report.models.size(), first.report.models[0].name.c_str());
  }
  std::vector<double> total_ms, load_ms, open_ms, check_ms;
  for (int i = 0; i < kRepetitions; i++) {
    CheckRun run = CheckOnce();
    total_ms.push_back(run.total_ms());
    load_ms.push_back(run.load_ms);
    open_ms.push_back(run.open_ms);
    check_ms.push_back(run.check_ms);
  }
  double library_ms = Median(total_ms);
  std::printf("  library:  %8s = load %s + open state and analyzer %s + check %s  (median of %d)"
              "  goal %s: %s\n",
              FormatMs(library_ms).c_str(), FormatMs(Median(load_ms)).c_str(),
              FormatMs(Median(open_ms)).c_str(), FormatMs(Median(check_ms)).c_str(), kRepetitions,
              FormatGoal(kGoalMs).c_str(), library_ms < kGoalMs ? "met" : "MISSED");
  std::fflush(stdout);

  std::vector<std::string> command = {options.materia_binary, "--project", project_dir, "check"};
  std::vector<double> process_ms;
  for (int i = 0; i <= kRepetitions; i++) {
    double elapsed_ms = 0;
    int code = RunProcess(command, &elapsed_ms);
    if (code != 1 && code != 0) Die("materia check", "exit code " + std::to_string(code));
    if (i > 0) process_ms.push_back(elapsed_ms);  // the first run warms the page cache
  }
  double process_median_ms = Median(process_ms);
  std::printf("  process:  %8s  `materia check`, whole process (median of %d, after one warm-up)"
              "  goal %s: %s\n",
              FormatMs(process_median_ms).c_str(), kRepetitions, FormatGoal(kGoalMs).c_str(),
              process_median_ms < kGoalMs ? "met" : "MISSED");
  std::fflush(stdout);
  std::vector<double> startup_ms;
  for (int i = 0; i <= kRepetitions; i++) {
    double elapsed_ms = 0;
    int code = RunProcess({options.materia_binary, "--version"}, &elapsed_ms);
    if (code != 0) Die("materia --version", "exit code " + std::to_string(code));
    if (i > 0) startup_ms.push_back(elapsed_ms);
  }
  std::printf("  start-up: %8s  `materia --version`, the floor of any command (median of %d)\n",
              FormatMs(Median(startup_ms)).c_str(), kRepetitions);
  std::fflush(stdout);
  AddFigure(report, "check PSD, nothing to do (process)", process_median_ms);
  AddFigure(report, "check PSD, nothing to do (library)", library_ms);
  Figure startup;
  startup.name = "`materia --version` process (start-up)";
  startup.value_ms = Median(startup_ms);
  report.Add(startup);
}

}  // namespace materia::bench
