// materia_bench: the benchmarks `make bench` runs. Each prints its figures, its goal
// and, for transform figures, the ratio to raw DuckDB running the same SQL in the same
// run; a summary table ends the output. Figures never fail the run: only a broken
// set-up does (exit code 2).
//
//   materia_bench [--quick] [--large] [--scale X] [--only plan|psd|first_run|check|dev|export|extract|serve|features]
//                 [--root DIR] [--materia PATH]
//   materia_bench --write-synthetic DIR N
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "benchmarks.h"
#include "synthetic_project.h"

namespace {

namespace fs = std::filesystem;
using materia::bench::BenchOptions;

constexpr const char* kUsage =
    "usage: materia_bench [--quick] [--large] [--scale X] [--only NAME] [--root DIR] [--materia PATH]\n"
    "  --quick         PSD at scale 0.1 and fewer repetitions (a fast look)\n"
    "  --large         also load + plan a 100k-model project (generating it takes a while)\n"
    "                  and resolve features over 10M samples\n"
    "  --scale X       rows of the PSD release / 2.1 million (default 1.0; --quick: 0.1)\n"
    "  --only NAME     run one benchmark: plan, psd, first_run, check, dev, export, extract,\n"
    "                  serve or features\n"
    "  --root DIR      the repository (default: the parent of the binary's directory)\n"
    "  --materia PATH  the materia binary (default: next to materia_bench)\n"
    "  --write-synthetic DIR N   only write the N-model synthetic project into DIR (for\n"
    "                  profiling `materia plan` or `materia apply` on it), then exit\n";

[[noreturn]] void Usage(const std::string& problem) {
  std::fprintf(stderr, "materia_bench: %s\n%s", problem.c_str(), kUsage);
  std::exit(2);
}

BenchOptions ParseArguments(int argc, char** argv) {
  BenchOptions options;
  fs::path binary = fs::canonical("/proc/self/exe");
  options.root = binary.parent_path().parent_path().string();
  options.materia_binary = (binary.parent_path() / "materia").string();
  bool scale_given = false;
  for (int i = 1; i < argc; i++) {
    std::string argument = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(argument + " needs a value");
      return argv[++i];
    };
    if (argument == "--quick") {
      options.quick = true;
    } else if (argument == "--large") {
      options.large = true;
    } else if (argument == "--scale") {
      std::string text = value();
      char* end = nullptr;
      options.psd_scale = std::strtod(text.c_str(), &end);
      if (end == text.c_str() || *end != '\0' || !(options.psd_scale > 0 && options.psd_scale <= 10)) {
        Usage("--scale must be a number in (0, 10], got '" + text + "'");
      }
      scale_given = true;
    } else if (argument == "--only") {
      options.only = value();
      if (options.only != "plan" && options.only != "psd" && options.only != "first_run" &&
          options.only != "check" && options.only != "dev" && options.only != "export" &&
          options.only != "extract" && options.only != "serve" && options.only != "features") {
        Usage("unknown benchmark '" + options.only + "'");
      }
    } else if (argument == "--root") {
      options.root = value();
    } else if (argument == "--materia") {
      options.materia_binary = value();
    } else if (argument == "--write-synthetic") {
      std::string directory = value();
      std::string count = value();
      materia::bench::SyntheticOptions synthetic;
      synthetic.models = std::atoi(count.c_str());
      if (synthetic.models < synthetic.layers || synthetic.models > 1'000'000) {
        Usage("--write-synthetic needs a model count in [10, 1000000], got '" + count + "'");
      }
      materia::bench::WriteSyntheticProject(directory, synthetic);
      std::printf("wrote %d models into %s\n", synthetic.models, directory.c_str());
      std::exit(0);
    } else if (argument == "--help" || argument == "-h") {
      std::printf("%s", kUsage);
      std::exit(0);
    } else {
      Usage("unknown argument '" + argument + "'");
    }
  }
  if (options.quick && !scale_given) options.psd_scale = 0.1;
  options.root = fs::absolute(options.root).lexically_normal().string();
  options.materia_binary = fs::absolute(options.materia_binary).lexically_normal().string();
  if (!fs::exists(fs::path(options.root) / "examples" / "psd" / "config.yaml")) {
    Usage("no examples/psd in " + options.root + " (pass --root)");
  }
  if (!fs::exists(options.materia_binary)) Usage("no materia binary at " + options.materia_binary);
  return options;
}

bool Selected(const BenchOptions& options, const char* name) {
  return options.only.empty() || options.only == name;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace materia::bench;
  BenchOptions options = ParseArguments(argc, argv);
  // Paths in the benchmark projects are their own; the user's overrides must not leak in.
  for (const char* name : {"DUCKDB_PATH", "LANDING_DIR", "SERVING_DUCKDB_PATH", "MATERIA_PROJECT"}) {
    ::unsetenv(name);
  }
  std::printf("materia benchmarks: %u cores, load average %.2f, PSD scale %.2f%s%s\n",
              std::thread::hardware_concurrency(), LoadAverage(), options.psd_scale,
              options.quick ? ", quick" : "", options.large ? ", large" : "");
  Stopwatch whole;
  Report report;
  {
    ScratchDirectory scratch;
    std::printf("working in %s\n", scratch.path().c_str());
    if (Selected(options, "plan")) BenchLoadAndPlan(options, scratch.path(), report);
    std::string psd_dir = scratch.path() + "/psd";
    if (Selected(options, "psd") || Selected(options, "check") || Selected(options, "export") ||
        Selected(options, "serve")) {
      PrintHeading("PSD project");
      PreparePsdProject(options, psd_dir);
    }
    if (Selected(options, "psd")) BenchPsdApply(options, psd_dir, report);
    if (Selected(options, "first_run")) BenchFirstRun(options, scratch.path(), report);
    if (Selected(options, "check")) BenchCheck(options, psd_dir, report);
    if (Selected(options, "dev")) BenchDevCommands(options, scratch.path(), report);
    if (Selected(options, "export")) BenchExport(options, psd_dir, report);
    if (Selected(options, "extract")) BenchExtract(options, scratch.path(), report);
    if (Selected(options, "serve")) BenchServe(options, psd_dir, report);
    if (Selected(options, "features")) BenchFeatures(options, scratch.path(), report);
  }
  report.PrintTable();
  std::printf("total benchmark time %.1f s; load average at the end %.2f on %u cores "
              "(a busy machine inflates every figure)\n",
              whole.ElapsedMs() / 1000, LoadAverage(), std::thread::hardware_concurrency());
  return 0;
}
