// Benchmark 5: `materia validate` and `materia test` on the 10k-model synthetic
// project, as whole processes. Printed, not held to a goal.
#include <cstdio>

#include "benchmarks.h"
#include "synthetic_project.h"

namespace materia::bench {

namespace {

double TimeCommand(const BenchOptions& options, const std::string& project_dir,
                   const std::vector<std::string>& command, const std::string& what) {
  std::vector<std::string> arguments = {options.materia_binary, "--project", project_dir};
  arguments.insert(arguments.end(), command.begin(), command.end());
  double elapsed_ms = 0;
  int code = RunProcess(arguments, &elapsed_ms);
  if (code != 0) Die(what, "exit code " + std::to_string(code));
  return elapsed_ms;
}

}  // namespace

void BenchDevCommands(const BenchOptions& options, const std::string& scratch, Report& report) {
  PrintHeading("5. validate and test on the synthetic project");
  int models = options.quick ? 1'000 : 10'000;
  std::string k = std::to_string(models / 1000) + "k";
  std::string project_dir = scratch + "/synthetic_dev_" + std::to_string(models);
  SyntheticOptions synthetic;
  synthetic.models = models;
  synthetic.tests_every = 10;
  WriteSyntheticProject(project_dir, synthetic);
  int tests = 0;
  for (int layer = 1; layer < synthetic.layers; layer++) tests += (models / synthetic.layers + 9) / 10;
  std::printf("  %6d models and about %d unit tests written (%s)\n", models, tests, project_dir.c_str());
  std::fflush(stdout);

  // The analysis cache is warm after the first command; validate compiles every query.
  double validate_ms = TimeCommand(options, project_dir, {"validate"}, "materia validate");
  std::printf("  %6d models, `materia validate` process  %10s  %7.4f ms/model\n", models,
              FormatMs(validate_ms).c_str(), validate_ms / models);
  report.Add(Figure{"validate " + k + " (process)", validate_ms});
  double test_ms = TimeCommand(options, project_dir, {"test"}, "materia test");
  std::printf("  %6d models, `materia test` process      %10s  %7.4f ms/test\n", models,
              FormatMs(test_ms).c_str(), test_ms / std::max(1, tests));
  report.Add(Figure{"test " + k + " (" + std::to_string(tests) + " tests, process)", test_ms});
  std::fflush(stdout);
  RemovePath(project_dir);
}

}  // namespace materia::bench
