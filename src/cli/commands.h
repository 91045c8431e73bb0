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
void RegisterExampleCommand(CLI::App& app, GlobalOptions& global);   // example
void RegisterAuditCommand(CLI::App& app, GlobalOptions& global);     // audit

// Audit outcomes as JSON: [{model, audit, blocking, passed, failing_rows, error, sample}].
nlohmann::json AuditsJson(const std::vector<AuditOutcome>& audits);

// Shared by `plan`, `run` and `pipeline`: prints a run summary (text or JSON) and
// returns the exit code (kExitFailed when a model failed).
int PrintSummary(const ExecuteSummary& summary, const std::string& environment,
                 const std::string& format);

// Shared by `check` and `pipeline check`: runs check and prints it; returns 0 work,
// 1 none, 2 error.
int RunCheck(const std::string& environment, const std::string& format);

// Shared by `plan` and `pipeline run transform`.
int RunPlan(const std::string& environment, bool auto_apply, int threads, const std::string& format);

}  // namespace materia::cli
