// Benchmark 3: the first run of a 1k-model synthetic project, where every model does a
// little real work, against raw DuckDB running the same SQL serially. Materia runs the
// DAG on parallel threads, so it should pay for its orchestration and come out ahead.
#include <cstdio>

#include "benchmarks.h"
#include "compare.h"
#include "synthetic_project.h"

namespace materia::bench {

namespace {

constexpr double kGoalRatio = 1.0;
constexpr int kThreads = 4;  // `materia apply`'s default
constexpr int kModels = 1000;

}  // namespace

void BenchFirstRun(const BenchOptions& options, const std::string& scratch, Report& report) {
  PrintHeading("3. First run of the 1k-model synthetic project vs raw DuckDB");
  std::string project_dir = scratch + "/first_run";
  SyntheticOptions synthetic;
  synthetic.models = kModels;
  WriteSyntheticProject(project_dir, synthetic);
  std::printf("  %d models in 10 layers, each aggregating %d-%d rows of range(), 1 in %d a VIEW\n",
              kModels, synthetic.work_rows_min, synthetic.work_rows_max, synthetic.view_every);
  Comparison comparison;
  {
    WorkingDirectory inside(project_dir);
    comparison = CompareWithReference(options.quick ? 1 : 3, kThreads, kGoalRatio);
  }
  Figure figure;
  figure.name = "first run, 1k synthetic models";
  figure.value_ms = comparison.materia_ms;
  figure.reference_ms = comparison.reference_ms;
  figure.goal = "ratio <= 1.00";
  figure.met = comparison.ratio() <= kGoalRatio;
  report.Add(figure);
  RemovePath(project_dir);
}

}  // namespace materia::bench
