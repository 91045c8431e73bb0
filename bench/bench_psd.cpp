// Benchmark 2: the PSD reference project on one release of the real file's size:
// `materia apply` on a fresh warehouse against raw DuckDB running the same SQL.
#include <cstdio>
#include <filesystem>

#include "benchmarks.h"
#include "compare.h"
#include "pipelines/psd_generator.h"

namespace materia::bench {

namespace fs = std::filesystem;

namespace {

constexpr double kGoalRatio = 1.10;
constexpr int kThreads = 4;  // `materia apply`'s default

}  // namespace

void PreparePsdProject(const BenchOptions& options, const std::string& project_dir) {
  fs::path example = fs::path(options.root) / "examples" / "psd";
  std::error_code error;
  fs::create_directories(project_dir, error);
  if (!error) fs::copy_file(example / "config.yaml", fs::path(project_dir) / "config.yaml", error);
  if (!error) fs::copy(example / "models", fs::path(project_dir) / "models", fs::copy_options::recursive, error);
  if (error) Die("copy " + example.string(), error.message());
  PsdGeneratorOptions generator;
  generator.out_dir = project_dir + "/data/landing";
  generator.months = 1;
  generator.scale = options.psd_scale;
  Stopwatch stopwatch;
  std::vector<PsdGeneratedFile> files = Expect(GeneratePsd(generator), "generate PSD data");
  std::printf("  one release at scale %.2f: %lld rows, generated in %s\n", options.psd_scale,
              static_cast<long long>(files.at(0).rows), FormatMs(stopwatch.ElapsedMs()).c_str());
  std::fflush(stdout);
}

void BenchPsdApply(const BenchOptions& options, const std::string& project_dir, Report& report) {
  PrintHeading("2. PSD pipeline, one release at scale " + std::to_string(options.psd_scale).substr(0, 4) +
               ": apply on a fresh warehouse vs raw DuckDB");
  WorkingDirectory inside(project_dir);
  int repetitions = options.psd_scale >= 0.5 ? 2 : 3;
  Comparison comparison = CompareWithReference(repetitions, kThreads, kGoalRatio);
  Figure figure;
  figure.name = "PSD apply, scale " + std::to_string(options.psd_scale).substr(0, 4);
  figure.value_ms = comparison.materia_ms;
  figure.reference_ms = comparison.reference_ms;
  figure.goal = "ratio <= 1.10";
  figure.met = comparison.ratio() <= kGoalRatio;
  report.Add(figure);
}

}  // namespace materia::bench
