// materia example psd --out DIR: writes generated PSD Online releases into a landing dir;
// materia example serve-psd --port N: serves them over HTTP like PSD Online, with faults.
#include <csignal>
#include <cstdio>

#include "cli/commands.h"
#include "pipelines/psd_generator.h"
#include "pipelines/psd_server.h"

namespace materia::cli {

namespace {

// materia example serve-psd: a local PSD Online download site with injected faults
// (see pipelines/psd_server.h), until SIGTERM or SIGINT.
void RegisterServePsdCommand(CLI::App* example, GlobalOptions& global) {
  struct ServeOptions {
    PsdServerOptions server;
    bool quiet = false;
  };
  auto options = std::make_shared<ServeOptions>();
  PsdServerOptions& server = options->server;
  CLI::App* serve = example->add_subcommand(
      "serve-psd", "Serve generated PSD Online archives over HTTP (/archives/{yyyy}/{mm}/"
                   "psd_alldata_csv.zip and /psd_alldata_csv.zip) with ETags and injected "
                   "faults, until SIGTERM or SIGINT");
  serve->add_option("--port", server.port, "port to listen on; 0 picks a free one (default: 0)");
  serve->add_option("--bind", server.bind_address, "address to listen on (default: 127.0.0.1)");
  serve->add_option("--months", server.months, "monthly archives served (default: 3)");
  serve->add_option("--end-year", server.end_year, "year of the latest release (default: 2026)");
  serve->add_option("--end-month", server.end_month, "month of the latest release (default: 8)");
  serve->add_option("--scale", server.scale, "rows per release / 2.1 million (default: 0.02)");
  serve->add_option("--seed", server.seed, "random seed of data and faults (default: 42)");
  serve->add_option("--fail-rate", server.fail_rate, "share of requests answered 500 (default: 0)");
  serve->add_option("--delay-ms", server.delay_ms, "delay before answering (default: 0)");
  serve->add_option("--delay-rate", server.delay_rate, "share of requests delayed (default: 1)");
  serve->add_option("--truncate-rate", server.truncate_rate,
                    "share of bodies cut off half-way (default: 0)");
  serve->add_option("--corrupt-rate", server.corrupt_rate,
                    "share of bodies sent as a damaged zip (default: 0)");
  serve->add_flag("--wrong-header", server.wrong_header,
                  "serve CSVs whose last column is named Amount, not Value");
  serve->add_flag("--change-etags", server.change_etags,
                  "a new ETag for every response (so never a 304)");
  serve->add_flag("--quiet", options->quiet, "do not log requests on stderr");
  serve->callback([&global, options] {
    PsdServerOptions settings = options->server;
    if (!options->quiet) {
      settings.log = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
    }
    // Blocked before the server's threads start, so that only sigwait sees them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    auto started = PsdServer::Start(settings);
    if (!started.ok()) { global.exit_code = ReportError(started.status()); return; }
    std::printf("listening on %s\n", (*started)->url().c_str());
    std::fflush(stdout);
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    (*started)->Stop();
    global.exit_code = kExitOk;
  });
}

}  // namespace

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
  RegisterServePsdCommand(example, global);
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
