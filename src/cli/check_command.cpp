// materia check [ENV]: exit 0 when there is work, 1 when none, 2+ on error; says why.
#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "plan/check.h"

namespace materia::cli {

namespace {

void PrintText(const CheckReport& report) {
  if (!report.has_work) {
    std::printf("Nothing to do: %zu model%s up to date in '%s'.\n", report.up_to_date,
                report.up_to_date == 1 ? "" : "s", report.environment.c_str());
    return;
  }
  std::printf("%zu model%s need%s work in '%s':\n", report.models.size(),
              report.models.size() == 1 ? "" : "s", report.models.size() == 1 ? "s" : "",
              report.environment.c_str());
  for (const CheckModel& model : report.models) {
    std::string reasons;
    for (const std::string& reason : model.reasons) reasons += (reasons.empty() ? "" : "; ") + reason;
    std::printf("  %-40s %s\n", model.name.c_str(), reasons.c_str());
  }
  if (!report.tags.empty()) {
    std::string tags;
    for (const std::string& tag : report.tags) tags += (tags.empty() ? "" : ", ") + tag;
    std::printf("tags: %s\n", tags.c_str());
  }
}

}  // namespace

int RunCheck(const std::string& environment, const std::string& format) {
  Status valid = CheckEnvironmentName(environment);
  if (!valid.ok()) return ReportError(valid);
  auto project = LoadCurrentProject();
  if (!project.ok()) return ReportError(project.status());
  std::unique_ptr<StateStore> state;
  std::error_code error;
  bool exists = std::filesystem::exists(StatePath(project->config), error);
  if (error) {
    return ReportError(Status::IoError("cannot open state store " + StatePath(project->config) +
                                       ": " + error.message()));
  }
  if (exists) {
    auto opened = OpenState(project->config, true);
    if (!opened.ok()) return ReportError(opened.status());
    state = std::move(opened).value();
  }
  auto analyzer = SqlAnalyzer::Create();
  if (!analyzer.ok()) return ReportError(analyzer.status());
  auto report = CheckEnvironment(*project, state.get(), environment, *analyzer, NowMs());
  if (!report.ok()) return ReportError(report.status());
  if (format == "json") {
    std::printf("%s\n", CheckReportJson(*report).c_str());
  } else {
    PrintText(*report);
  }
  return report->has_work ? 0 : 1;
}

void RegisterCheckCommand(CLI::App& app, GlobalOptions& global) {
  struct Options {
    std::string environment = "prod";
    std::string format = "text";
  };
  auto options = std::make_shared<Options>();
  CLI::App* check = app.add_subcommand(
      "check", "Tell whether an environment has work and why (exit 0: work, 1: none, 2+: error); "
               "reads state and files only, never the warehouse");
  check->add_option("environment", options->environment, "environment (default: prod)");
  AddFormatOption(check, &options->format, {"text", "json"});
  SetProjectAction(check, global, [options] { return RunCheck(options->environment, options->format); });
}

}  // namespace materia::cli
