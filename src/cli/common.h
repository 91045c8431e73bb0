// What every command shares: the global options, opening the project, the state store
// and the warehouse, and turning errors into one line and an exit code.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "base/status.h"
#include "db/duckdb.h"
#include "plan/plan.h"
#include "project/project.h"
#include "state/state_store.h"

namespace materia::cli {

// Exit codes. `check` uses 0 = work, 1 = no work; every command uses 2+ for errors.
constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;     // the command ran and something failed (a model)
constexpr int kExitError = 2;      // bad input, or the command could not run

struct GlobalOptions {
  std::string project_dir = ".";
  int exit_code = kExitOk;
};

// Prints `rows` (the first is the header) as left-aligned columns two spaces apart.
void PrintAlignedRows(const std::vector<std::vector<std::string>>& rows);

// Prints "error: <message>" on stderr and returns kExitError.
int ReportError(const Status& status);

// Makes DUCKDB_PATH / LANDING_DIR absolute (they are relative to where the user is),
// then changes into the project directory so that relative paths in models resolve
// against it. Returns the absolute project directory.
Result<std::string> EnterProject(const std::string& project_dir);

// Loads the project in the current directory (after EnterProject).
Result<Project> LoadCurrentProject();

// The state store path of the project's default gateway.
std::string StatePath(const ProjectConfig& config);

Result<std::unique_ptr<StateStore>> OpenState(const ProjectConfig& config, bool read_only);

// Opens the warehouse; a lock held by another process is a clear error.
// `memory_limit` ("8GB") bounds DuckDB's memory; "" keeps DuckDB's default.
Result<std::shared_ptr<DuckDatabase>> OpenWarehouse(const ProjectConfig& config, bool read_only,
                                                    const std::string& memory_limit = "");

// True when stderr is a terminal (progress lines are shown then).
bool StderrIsTerminal();

// Validates an environment name, with the message users see.
Status CheckEnvironmentName(const std::string& environment);

// What plan, apply and run start from: the project, its state, and the plan of
// `environment` against it.
struct PlanSession {
  Project project;
  std::unique_ptr<StateStore> state;
  std::optional<SqlAnalyzer> analyzer;
  Plan plan;
};
Result<PlanSession> StartPlanSession(const std::string& environment);

// Options several commands share.
void AddFormatOption(CLI::App* command, std::string* format, const std::vector<std::string>& choices);
void AddThreadsOption(CLI::App* command, int* threads);
// Sets the command's action: enter the project directory, then run `body`, whose
// return value is the exit code.
void SetProjectAction(CLI::App* command, GlobalOptions& global, std::function<int()> body);

}  // namespace materia::cli
