// materia validate: loads the project and compiles every model's query with DuckDB on
// empty inputs; exit 0 when clean, 2 when there is any problem.
#include <cstdio>

#include "base/json_writer.h"
#include "base/text.h"
#include "cli/commands.h"
#include "run/validate.h"

namespace materia::cli {

namespace {

std::string Plural(size_t count, const char* word) {
  return std::to_string(count) + " " + word + (count == 1 ? "" : "s");
}

void PrintText(const ValidationReport& report) {
  for (const ValidationProblem& problem : report.problems) {
    std::printf("%s\n", problem.ToString().c_str());
  }
  std::string summary = Plural(report.models, "model") + ", " +
                        std::to_string(report.compiled) + " compiled";
  if (!report.skipped.empty()) {
    summary += ", " + std::to_string(report.skipped.size()) + " not compiled (a parent has problems)";
  }
  if (report.ok()) {
    std::printf("Valid: %s.\n", summary.c_str());
  } else {
    std::printf("%s in %s.\n", Plural(report.problems.size(), "problem").c_str(), summary.c_str());
  }
}

void PrintJson(const ValidationReport& report, const std::string& load_error) {
  JsonWriter json;
  json.BeginObject();
  json.Key("ok").Bool(report.ok() && load_error.empty());
  json.Key("models").Int(static_cast<int64_t>(report.models));
  json.Key("compiled").Int(static_cast<int64_t>(report.compiled));
  json.Key("skipped").StringArray(report.skipped);
  json.Key("problems").BeginArray();
  if (!load_error.empty()) {
    json.BeginObject().Key("model").String("").Key("location").String("");
    json.Key("message").String(load_error).Key("text").String(load_error).EndObject();
  }
  for (const ValidationProblem& problem : report.problems) {
    json.BeginObject();
    json.Key("model").String(problem.model);
    json.Key("location").String(problem.location.ToString());
    json.Key("message").String(problem.message);
    json.Key("text").String(problem.ToString());
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
  std::printf("%s\n", json.str().c_str());
}

int RunValidate(const std::string& format) {
  auto project = LoadCurrentProject();
  if (!project.ok()) {
    // Loading stops at the first file it cannot read: that is the one problem known.
    std::string message = OneLine(project.status().message());
    if (format == "json") {
      PrintJson(ValidationReport{}, message);
    } else {
      std::printf("%s\n1 problem: the project did not load, so no query was compiled.\n",
                  message.c_str());
    }
    return kExitError;
  }
  auto report = ValidateProject(*project);
  if (!report.ok()) return ReportError(report.status());
  if (format == "json") {
    PrintJson(*report, "");
  } else {
    PrintText(*report);
  }
  return report->ok() ? kExitOk : kExitError;
}

}  // namespace

void RegisterValidateCommand(CLI::App& app, GlobalOptions& global) {
  auto format = std::make_shared<std::string>("text");
  CLI::App* validate = app.add_subcommand(
      "validate", "Compile every model's query with DuckDB on empty inputs, without running "
                  "data; list every problem as file:line:col (exit 0: valid, 2: problems)");
  AddFormatOption(validate, format.get(), {"text", "json"});
  SetProjectAction(validate, global, [format] { return RunValidate(*format); });
}

}  // namespace materia::cli
