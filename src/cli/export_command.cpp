// materia export-serving [--force] [--format json]: copies the serving layer of prod
// into its own DuckDB file by write-then-rename (see pipelines/export_serving.h).
// Needs only config.yaml and the state store: a model file being edited does not stop
// the export of what prod already serves. Exit 0 when exported or skipped, 1 when the
// export failed (the old serving file is kept), 2 for bad input or a locked warehouse.
#include <cstdio>

#include "base/text.h"
#include "cli/commands.h"
#include "pipelines/export_serving.h"

namespace materia::cli {

namespace {

struct ExportCommandOptions {
  bool force = false;
  std::string format = "text";
};

void PrintText(const ExportReport& report) {
  if (report.skipped) {
    std::printf("skipped: %s\n", report.reason.c_str());
    return;
  }
  for (const ExportedTable& table : report.tables) {
    std::printf("  %-40s %12lld rows\n", table.name.c_str(), static_cast<long long>(table.rows));
  }
  double megabytes = static_cast<double>(report.bytes) / 1e6;
  double rate = report.seconds > 0 ? megabytes / report.seconds : 0;
  std::printf("Exported %zu %s, %lld rows, %.1f MB to %s in %.2fs (%.1f MB/s); %s\n", report.tables.size(),
              report.tables.size() == 1 ? "table" : "tables", static_cast<long long>(report.rows),
              megabytes, report.path.c_str(), report.seconds, rate, report.reason.c_str());
}

int RunExportCommand(const ExportCommandOptions& command) {
  auto config = LoadConfig(".");
  if (!config.ok()) return ReportError(config.status());
  Project project;
  project.config = std::move(*config);
  auto state = OpenState(project.config, false);
  if (!state.ok()) return ReportError(state.status());
  ExportOptions options;
  options.force = command.force;
  bool terminal = StderrIsTerminal();
  if (terminal) {
    options.progress = [](const std::string& line) {
      std::fprintf(stderr, "\r\033[K%s", line.c_str());
      std::fflush(stderr);
    };
  }
  auto report = ExportServing(project, **state, options);
  if (terminal) std::fprintf(stderr, "\r\033[K");
  if (!report.ok()) {
    const Status& status = report.status();
    bool input_problem = status.code() == StatusCode::kInvalidInput ||
                         status.code() == StatusCode::kNotFound || status.code() == StatusCode::kConflict;
    int code = ReportError(status);
    return input_problem ? code : kExitFailed;
  }
  if (command.format == "json") {
    std::printf("%s\n", report->ToJson().c_str());
  } else {
    PrintText(*report);
  }
  return kExitOk;
}

}  // namespace

void RegisterExportServingCommand(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<ExportCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "export-serving",
      "Copy the serving schema of prod into its own DuckDB file (SERVING_DUCKDB_PATH, "
      "config.yaml serving.database, or serving.duckdb), written whole and renamed over the "
      "old one; skipped when the serving models' data did not change");
  command->add_flag("--force", options->force, "export even when nothing changed");
  AddFormatOption(command, &options->format, {"text", "json"});
  SetProjectAction(command, global, [options] { return RunExportCommand(*options); });
}

}  // namespace materia::cli
