// materia extract [SOURCE] [--landing-dir DIR] [--format text|json]: downloads the
// sources of config.yaml's extract: section into the landing directory, only what
// changed (see pipelines/extract.h). Progress goes to stderr on a terminal; each failed
// file is one "error: <url>: <why>" line on stderr. Exit 0 when every file was
// downloaded, unchanged or not published yet, 1 when a file failed, 2 for bad input.
#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "pipelines/extract.h"

namespace materia::cli {

namespace {

namespace fs = std::filesystem;

struct ExtractCommandOptions {
  std::string source;
  std::string landing_dir;
  std::string format = "text";
};

std::string Megabytes(int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f MB", static_cast<double>(bytes) / 1e6);
  return text;
}

std::string Shown(const std::string& path, const std::string& landing) {
  if (path.rfind(landing + "/", 0) == 0) return path.substr(landing.size() + 1);
  return path;
}

void PrintText(const ExtractReport& report, const std::string& landing) {
  for (const ExtractFileResult& file : report.files) {
    std::string line = "  " + file.status + std::string(15 - std::min<size_t>(14, file.status.size()), ' ');
    if (file.status == "downloaded") {
      line += Shown(file.path, landing) + "  " + std::to_string(file.rows) + " rows  " +
              Megabytes(file.bytes_downloaded);
      if (file.attempts > 1) line += "  (" + std::to_string(file.attempts) + " attempts)";
    } else if (file.status == "not_modified") {
      line += Shown(file.path, landing);
    } else {
      line += file.url;
    }
    std::printf("%s\n", line.c_str());
  }
  std::printf("Extract: %d downloaded, %d not modified, %d not published, %d failed; %s downloaded into %s.\n",
              report.downloaded, report.not_modified, report.not_published, report.failed,
              Megabytes(report.bytes_downloaded).c_str(), landing.c_str());
}

int RunExtractCommand(const ExtractCommandOptions& options) {
  auto config = LoadConfig(".");
  if (!config.ok()) return ReportError(config.status());
  auto state = OpenState(*config, false);
  if (!state.ok()) return ReportError(state.status());
  ExtractOptions extract;
  extract.source = options.source;
  extract.landing_dir = options.landing_dir;
  const bool terminal = StderrIsTerminal();
  if (terminal) {
    extract.progress = [](const std::string& line) {
      std::fprintf(stderr, "\r\033[K%s", line.c_str());
      std::fflush(stderr);
    };
  }
  auto report = RunExtract(*config, **state, extract);
  if (terminal) std::fprintf(stderr, "\r\033[K");
  if (!report.ok()) return ReportError(report.status());
  const std::string landing = LandingDirectory(*config, options.landing_dir);
  if (options.format == "json") {
    std::printf("%s\n", report->ToJson().c_str());
  } else {
    PrintText(*report, landing);
  }
  std::fflush(stdout);
  for (const ExtractFileResult& file : report->files) {
    if (file.status == "failed") std::fprintf(stderr, "error: %s\n", file.error.c_str());
  }
  return report->failed > 0 ? kExitFailed : kExitOk;
}

}  // namespace

void RegisterExtractCommand(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<ExtractCommandOptions>();
  CLI::App* extract = app.add_subcommand(
      "extract", "Download the sources of config.yaml's extract: section (USDA PSD Online "
                 "archives) into the landing directory, only what changed (HTTP ETags)");
  extract->add_option("source", options->source, "the source to extract (default: every source)");
  extract->add_option("--landing-dir", options->landing_dir,
                      "landing directory (default: $LANDING_DIR, else the landing_dir variable, "
                      "else data/landing)");
  AddFormatOption(extract, &options->format, {"text", "json"});
  extract->callback([&global, options] {
    // A relative --landing-dir is relative to where the user is, not to the project.
    if (!options->landing_dir.empty()) {
      std::error_code error;
      fs::path absolute = fs::absolute(options->landing_dir, error);
      if (!error) options->landing_dir = absolute.lexically_normal().string();
    }
    auto entered = EnterProject(global.project_dir);
    global.exit_code = entered.ok() ? RunExtractCommand(*options) : ReportError(entered.status());
  });
}

}  // namespace materia::cli
