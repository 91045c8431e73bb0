// Each command registers itself on the application; one file per command.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "run/executor.h"

namespace materia::cli {

void RegisterPlanCommands(CLI::App& app, GlobalOptions& global);   // plan, apply
void RegisterRunCommand(CLI::App& app, GlobalOptions& global);     // run
void RegisterCheckCommand(CLI::App& app, GlobalOptions& global);   // check
void RegisterSqlCommand(CLI::App& app, GlobalOptions& global);     // sql
void RegisterPipelineCommand(CLI::App& app, GlobalOptions& global);  // pipeline
void RegisterSuperviseCommand(CLI::App& app, GlobalOptions& global);  // supervise
void RegisterExampleCommand(CLI::App& app, GlobalOptions& global);   // example
void RegisterAuditCommand(CLI::App& app, GlobalOptions& global);     // audit
void RegisterTestCommands(CLI::App& app, GlobalOptions& global);     // test, create_test
void RegisterValidateCommand(CLI::App& app, GlobalOptions& global);  // validate
void RegisterRenderCommand(CLI::App& app, GlobalOptions& global);    // render
void RegisterDagCommand(CLI::App& app, GlobalOptions& global);       // dag
void RegisterFormatCommand(CLI::App& app, GlobalOptions& global);    // format
void RegisterInfoCommand(CLI::App& app, GlobalOptions& global);      // info
void RegisterJanitorCommand(CLI::App& app, GlobalOptions& global);   // janitor
void RegisterExtractCommand(CLI::App& app, GlobalOptions& global);   // extract
void RegisterExportServingCommand(CLI::App& app, GlobalOptions& global);  // export-serving
void RegisterServeCommand(CLI::App& app, GlobalOptions& global);    // serve
void RegisterFeaturesCommand(CLI::App& app, GlobalOptions& global);  // features
// features status|resolve|write|read|delete|copy|migrate|catalog (features_store_command.cpp)
void RegisterFeatureStoreCommands(CLI::App* features, GlobalOptions& global);

// Audit outcomes as JSON: [{model, audit, blocking, passed, failing_rows, error, sample}].
nlohmann::json AuditsJson(const std::vector<AuditOutcome>& audits);

// Shared by `plan`, `run` and `pipeline`: prints a run summary (text or JSON) and
// returns the exit code (kExitFailed when a model failed).
int PrintSummary(const ExecuteSummary& summary, const std::string& environment,
                 const std::string& format);

// Shared by `check` and `pipeline check`: runs check and prints it; returns 0 work,
// 1 none, 2 error.
int RunCheck(const std::string& environment, const std::string& format);

// `plan --restate-model M [--start D] [--end D]`.
struct RestateOptions {
  std::vector<std::string> models;
  std::string start;
  std::string end;
};

struct PlanOptions {
  bool auto_apply = false;
  bool skip_tests = false;  // the project's unit tests run first unless this is set
  int threads = 4;
  std::string memory_limit;  // DuckDB's memory_limit for the warehouse; "" = DuckDB's default
  std::string format = "text";
  RestateOptions restate;
};

// Shared by `plan` and `pipeline run transform`.
int RunPlan(const std::string& environment, const PlanOptions& options);

}  // namespace materia::cli
