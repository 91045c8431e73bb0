// materia info [--format json]: the project at a glance — gateway, warehouse and state
// store paths, models by kind, snapshots, environments and the last run. Reads the
// files and the state store (read-only); never opens the warehouse.
#include <cstdio>
#include <filesystem>
#include <map>

#include "base/json_writer.h"
#include "base/text.h"
#include "cli/commands.h"

namespace materia::cli {

namespace {

namespace fs = std::filesystem;

struct FileInfo {
  std::string path;
  bool exists = false;
  uintmax_t bytes = 0;
};

struct Info {
  std::string project_dir;
  std::string gateway;
  FileInfo warehouse;
  FileInfo state;
  int state_schema = 0;
  size_t models = 0;
  std::map<std::string, size_t> models_by_kind;
  size_t snapshots = 0;
  std::vector<std::string> environments;
  std::optional<RunRecord> last_run;
  Status state_status;  // why the state store could not be read, when it could not
};

FileInfo Describe(const std::string& path) {
  FileInfo info;
  info.path = path;
  std::error_code error;
  info.exists = path != ":memory:" && fs::is_regular_file(path, error);
  if (info.exists) info.bytes = fs::file_size(path, error);
  if (error) info.bytes = 0;
  return info;
}

// What the state store records; `info` keeps what was read before an error.
Status ReadState(const ProjectConfig& config, Info* info) {
  MATERIA_ASSIGN_OR_RETURN(std::unique_ptr<StateStore> state, OpenState(config, true));
  MATERIA_ASSIGN_OR_RETURN(info->state_schema, state->SchemaVersion());
  MATERIA_ASSIGN_OR_RETURN(std::vector<SnapshotRecord> snapshots, state->ListSnapshots());
  info->snapshots = snapshots.size();
  MATERIA_ASSIGN_OR_RETURN(info->environments, state->ListEnvironments());
  MATERIA_ASSIGN_OR_RETURN(std::vector<RunRecord> runs, state->ListRuns(1));
  if (!runs.empty()) info->last_run = runs.front();
  return Status::Ok();
}

Result<Info> Gather() {
  Info info;
  MATERIA_ASSIGN_OR_RETURN(Project project, LoadCurrentProject());
  info.project_dir = project.config.project_dir;
  info.gateway = project.config.default_gateway;
  info.warehouse = Describe(project.config.gateway().database);
  info.state = Describe(StatePath(project.config));
  info.models = project.models.size();
  for (const Model& model : project.models) info.models_by_kind[ModelKindName(model.definition.kind)]++;
  // No state store yet means no plan yet: nothing recorded. One that cannot be read
  // still leaves the rest worth showing.
  if (info.state.exists) info.state_status = ReadState(project.config, &info);
  return info;
}

std::string FileText(const FileInfo& file) {
  if (!file.exists) return file.path + " (not created yet)";
  return file.path + " (" + std::to_string(file.bytes) + " bytes)";
}

void PrintText(const Info& info) {
  std::string kinds;
  for (const auto& [kind, count] : info.models_by_kind) {
    kinds += (kinds.empty() ? "" : ", ") + std::to_string(count) + " " + kind;
  }
  std::string environments;
  for (const std::string& name : info.environments) {
    environments += (environments.empty() ? "" : ", ") + name;
  }
  std::printf("project       %s\n", info.project_dir.c_str());
  std::printf("gateway       %s\n", info.gateway.c_str());
  std::printf("warehouse     %s\n", FileText(info.warehouse).c_str());
  std::printf("state store   %s\n", FileText(info.state).c_str());
  std::printf("models        %zu%s\n", info.models, kinds.empty() ? "" : (" (" + kinds + ")").c_str());
  std::printf("snapshots     %zu\n", info.snapshots);
  std::printf("environments  %s\n", environments.empty() ? "none" : environments.c_str());
  if (!info.last_run) {
    std::printf("last run      none\n");
    return;
  }
  const RunRecord& run = *info.last_run;
  std::printf("last run      %s %s on '%s': %s, started %s\n", run.command.c_str(), run.run_id.c_str(),
              run.environment.c_str(), run.status.c_str(), FormatIso(run.started_ms).c_str());
}

void WriteFile(JsonWriter& json, const char* key, const FileInfo& file) {
  json.Key(key).BeginObject();
  json.Key("path").String(file.path).Key("exists").Bool(file.exists);
  json.Key("bytes").Int(static_cast<int64_t>(file.bytes));
}

void PrintJson(const Info& info) {
  JsonWriter json;
  json.BeginObject();
  json.Key("project").String(info.project_dir);
  json.Key("gateway").String(info.gateway);
  WriteFile(json, "warehouse", info.warehouse);
  json.EndObject();
  WriteFile(json, "state_store", info.state);
  json.Key("schema_version").Int(info.state_schema);
  if (!info.state_status.ok()) json.Key("error").String(OneLine(info.state_status.message()));
  json.EndObject();
  json.Key("models").BeginObject().Key("total").Int(static_cast<int64_t>(info.models));
  json.Key("by_kind").BeginObject();
  for (const auto& [kind, count] : info.models_by_kind) json.Key(kind).Int(static_cast<int64_t>(count));
  json.EndObject().EndObject();
  json.Key("snapshots").Int(static_cast<int64_t>(info.snapshots));
  json.Key("environments").StringArray(info.environments);
  json.Key("last_run");
  if (!info.last_run) {
    json.Null();
  } else {
    const RunRecord& run = *info.last_run;
    json.BeginObject();
    json.Key("id").String(run.run_id).Key("command").String(run.command);
    json.Key("environment").String(run.environment).Key("status").String(run.status);
    json.Key("started").String(FormatIso(run.started_ms));
    json.Key("finished");
    if (run.finished_ms > 0) {
      json.String(FormatIso(run.finished_ms));
    } else {
      json.Null();
    }
    json.EndObject();
  }
  json.EndObject();
  std::printf("%s\n", json.str().c_str());
}

}  // namespace

void RegisterInfoCommand(CLI::App& app, GlobalOptions& global) {
  auto format = std::make_shared<std::string>("text");
  CLI::App* info = app.add_subcommand(
      "info", "Show the project at a glance: gateway, warehouse and state store, models by "
              "kind, snapshots, environments and the last run (reads state only)");
  AddFormatOption(info, format.get(), {"text", "json"});
  SetProjectAction(info, global, [format] {
    auto gathered = Gather();
    if (!gathered.ok()) return ReportError(gathered.status());
    if (*format == "json") {
      PrintJson(*gathered);
    } else {
      PrintText(*gathered);
    }
    return gathered->state_status.ok() ? kExitOk : ReportError(gathered->state_status);
  });
}

}  // namespace materia::cli
