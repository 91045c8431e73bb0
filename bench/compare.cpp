#include "compare.h"

#include <cstdio>

#include "apply_fresh.h"
#include "bench_common.h"
#include "reference.h"

namespace materia::bench {

namespace {

constexpr const char* kReferenceDatabase = "reference.duckdb";

}  // namespace

Comparison CompareWithReference(int repetitions, int threads, double goal_ratio) {
  ApplyTiming first = ApplyFresh(threads);
  std::vector<std::string> statements =
      RenderReferenceStatements(first.project, first.plan, NowMs());
  std::printf("  warm-up apply: %d models ran in %s\n", first.models_ran,
              FormatMs(first.total_ms()).c_str());
  std::fflush(stdout);
  std::vector<double> reference_ms, total_ms, load_ms, plan_ms, execute_ms;
  for (int i = 0; i < std::max(1, repetitions); i++) {
    reference_ms.push_back(RunReference(kReferenceDatabase, statements));
    ApplyTiming timing = ApplyFresh(threads);
    total_ms.push_back(timing.total_ms());
    load_ms.push_back(timing.load_ms);
    plan_ms.push_back(timing.plan_ms);
    execute_ms.push_back(timing.execute_ms);
  }
  Comparison comparison{Median(total_ms), Median(reference_ms)};
  std::printf("  materia apply (%d threads):  %10s  = load %s + plan %s + execute %s  (median of %zu)\n",
              threads, FormatMs(comparison.materia_ms).c_str(), FormatMs(Median(load_ms)).c_str(),
              FormatMs(Median(plan_ms)).c_str(), FormatMs(Median(execute_ms)).c_str(),
              total_ms.size());
  std::printf("  raw DuckDB, same SQL serially: %10s  (%zu statements, median of %zu)\n",
              FormatMs(comparison.reference_ms).c_str(), statements.size(), reference_ms.size());
  size_t models = first.project.models.size();
  std::printf("  ratio %.2f  goal <= %.2f: %s   (materia - reference = %.2f ms per model, %zu models)\n",
              comparison.ratio(), goal_ratio, comparison.ratio() <= goal_ratio ? "met" : "MISSED",
              (comparison.materia_ms - comparison.reference_ms) / static_cast<double>(models), models);
  std::fflush(stdout);
  return comparison;
}

}  // namespace materia::bench
