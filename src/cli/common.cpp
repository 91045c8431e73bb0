#include "cli/common.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "base/text.h"
#include "plan/snapshot.h"

namespace materia::cli {

namespace fs = std::filesystem;

void PrintAlignedRows(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); i++) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); i++) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] + 2 - row[i].size(), ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

int ReportError(const Status& status) {
  std::string message = OneLine(status.message());
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return kExitError;
}

namespace {

void MakeEnvironmentPathAbsolute(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return;
  fs::path path(value);
  if (path.is_absolute()) return;
  std::error_code error;
  fs::path absolute_path = fs::absolute(path, error);
  if (error) return;
  std::string absolute = absolute_path.lexically_normal().string();
  ::setenv(name, absolute.c_str(), 1);
}

}  // namespace

Result<std::string> EnterProject(const std::string& project_dir) {
  MakeEnvironmentPathAbsolute("DUCKDB_PATH");
  MakeEnvironmentPathAbsolute("LANDING_DIR");
  MakeEnvironmentPathAbsolute("SERVING_DUCKDB_PATH");
  std::error_code error;
  fs::path absolute = fs::absolute(project_dir, error).lexically_normal();
  if (error || !fs::is_directory(absolute, error)) {
    return Status::NotFound("project directory " + project_dir + " does not exist");
  }
  fs::current_path(absolute, error);
  if (error) return Status::IoError("cannot enter " + absolute.string() + ": " + error.message());
  return absolute.string();
}

Result<Project> LoadCurrentProject() {
  std::error_code error;
  fs::path current = fs::current_path(error);
  if (error) return Status::IoError("cannot read the current directory: " + error.message());
  return LoadProject(current.string());
}

std::string StatePath(const ProjectConfig& config) {
  const GatewayConfig& gateway = config.gateway();
  return gateway.state_database.empty() ? ".materia/state.db" : gateway.state_database;
}

Result<std::unique_ptr<StateStore>> OpenState(const ProjectConfig& config, bool read_only) {
  return OpenSqliteStateStore(StatePath(config), read_only);
}

Result<std::shared_ptr<DuckDatabase>> OpenWarehouse(const ProjectConfig& config, bool read_only,
                                                    const std::string& memory_limit) {
  std::string path = config.gateway().database;
  std::error_code error;
  bool exists = fs::exists(path, error);
  if (error) return Status::IoError("cannot open warehouse " + path + ": " + error.message());
  if (read_only && path != ":memory:" && !exists) {
    return Status::NotFound("warehouse " + path + " does not exist (run `materia plan --auto-apply` first)");
  }
  if (!read_only && path != ":memory:") {
    fs::path parent = fs::path(path).parent_path();
    if (!parent.empty()) fs::create_directories(parent, error);
  }
  DuckOptions options;
  options.read_only = read_only;
  options.memory_limit = memory_limit;
  auto database = DuckDatabase::Open(path, options);
  if (!database.ok() && database.status().message().find("lock") != std::string::npos) {
    return Status::Conflict("warehouse " + path +
                            " is locked by another process (a run in progress?)");
  }
  return database;
}

bool StderrIsTerminal() { return ::isatty(STDERR_FILENO) == 1; }

Status CheckEnvironmentName(const std::string& environment) {
  if (!ValidEnvironmentName(environment)) {
    return Status::InvalidInput("invalid environment name '" + environment +
                                "': use lower-case letters, digits and _ (at most 48)");
  }
  return Status::Ok();
}

Result<PlanSession> StartPlanSession(const std::string& environment) {
  MATERIA_RETURN_IF_ERROR(CheckEnvironmentName(environment));
  PlanSession session;
  MATERIA_ASSIGN_OR_RETURN(session.project, LoadCurrentProject());
  MATERIA_ASSIGN_OR_RETURN(session.state, OpenState(session.project.config, false));
  MATERIA_ASSIGN_OR_RETURN(SqlAnalyzer analyzer, SqlAnalyzer::Create());
  session.analyzer.emplace(std::move(analyzer));
  MATERIA_ASSIGN_OR_RETURN(session.plan, BuildPlan(session.project, *session.state, environment,
                                                   *session.analyzer));
  return session;
}

void AddFormatOption(CLI::App* command, std::string* format, const std::vector<std::string>& choices) {
  std::string help;
  for (size_t i = 0; i < choices.size(); i++) {
    help += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
  }
  command->add_option("--format", *format, help + " (default: " + *format + ")")
      ->check(CLI::IsMember(choices));
}

void AddThreadsOption(CLI::App* command, int* threads) {
  command->add_option("--threads", *threads, "models evaluated at once (default: 4)")
      ->check(CLI::Range(1, 64));
}

void SetProjectAction(CLI::App* command, GlobalOptions& global, std::function<int()> body) {
  command->callback([&global, body] {
    auto entered = EnterProject(global.project_dir);
    global.exit_code = entered.ok() ? body() : ReportError(entered.status());
  });
}

}  // namespace materia::cli
