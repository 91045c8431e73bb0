// materia example psd --out DIR: writes generated PSD Online releases into a landing dir.
#include <cstdio>

#include "cli/commands.h"
#include "pipelines/psd_generator.h"

namespace materia::cli {

void RegisterExampleCommand(CLI::App& app, GlobalOptions& global) {
  struct Options {
    std::string out = "data/landing";
    int months = 3;
    double scale = 0.01;
    int end_year = 2026;
    int end_month = 8;
    uint64_t seed = 42;
  };
  auto options = std::make_shared<Options>();
  CLI::App* example = app.add_subcommand("example", "Generate example data");
  example->require_subcommand(1);
  CLI::App* psd = example->add_subcommand(
      "psd", "Write USDA PSD Online releases (psd_alldata.csv format, gzip) into "
             "{out}/psd/{year}/{month}/{etag}.csv.gz; scale 1.0 is about 2.1 million rows a month");
  psd->add_option("--out", options->out, "landing directory (default: data/landing)");
  psd->add_option("--months", options->months, "monthly releases to write (default: 3)");
  psd->add_option("--scale", options->scale, "rows per release / 2.1 million (default: 0.01)");
  psd->add_option("--end-year", options->end_year, "year of the last release (default: 2026)");
  psd->add_option("--end-month", options->end_month, "month of the last release (default: 8)");
  psd->add_option("--seed", options->seed, "random seed (default: 42)");
  psd->callback([&global, options] {
    PsdGeneratorOptions generator;
    generator.out_dir = options->out;
    generator.months = options->months;
    generator.scale = options->scale;
    generator.end_year = options->end_year;
    generator.end_month = options->end_month;
    generator.seed = options->seed;
    bool terminal = StderrIsTerminal();
    generator.on_file = [terminal](int index, int total, const std::string& path, int64_t rows) {
      if (terminal) std::fprintf(stderr, "\r\033[K[%d/%d] %s", index, total, path.c_str());
      (void)rows;
    };
    auto files = GeneratePsd(generator);
    if (terminal) std::fprintf(stderr, "\r\033[K");
    if (!files.ok()) { global.exit_code = ReportError(files.status()); return; }
    int64_t rows = 0;
    for (const PsdGeneratedFile& file : *files) {
      std::printf("%s  %lld rows\n", file.path.c_str(), static_cast<long long>(file.rows));
      rows += file.rows;
    }
    std::printf("Wrote %zu release%s, %lld rows.\n", files->size(), files->size() == 1 ? "" : "s",
                static_cast<long long>(rows));
    global.exit_code = kExitOk;
  });
}

}  // namespace materia::cli
