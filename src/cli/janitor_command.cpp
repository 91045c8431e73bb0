// materia janitor [--dry-run] [--format json]: removes expired environments, snapshots
// no environment uses any more, their physical tables and what crashes left behind
// (see run/janitor.h). Takes the warehouse's write lock; --dry-run opens it read-only
// and changes nothing. Exit 0 on success, 2 on error.
#include <cstdio>
#include <filesystem>

#include "base/text.h"
#include "cli/commands.h"
#include "plan/snapshot.h"
#include "run/janitor.h"

namespace materia::cli {

namespace {

namespace fs = std::filesystem;

struct JanitorCommandOptions {
  bool dry_run = false;
  std::string format = "text";
};

std::string Plural(size_t count, const std::string& singular, const std::string& plural) {
  return std::to_string(count) + " " + (count == 1 ? singular : plural);
}

std::string Totals(const JanitorPlan& plan) {
  return Plural(plan.environments.size(), "environment", "environments") + ", " +
         Plural(plan.snapshots.size(), "snapshot", "snapshots") + ", " +
         Plural(plan.objects.size(), "table or view", "tables and views") + ", " +
         Plural(plan.schemas.size(), "schema", "schemas");
}

void PrintText(const JanitorPlan& plan, const ProjectConfig& config, bool dry_run) {
  for (const ExpiredEnvironment& environment : plan.environments) {
    std::printf("  environment  %-40s last promoted %s (%s)\n", environment.name.c_str(),
                FormatIso(environment.promoted_ms).c_str(),
                Plural(environment.views.size(), "view", "views").c_str());
  }
  for (const OrphanedSnapshot& snapshot : plan.snapshots) {
    std::string name = snapshot.name + " " + snapshot.fingerprint.substr(0, kVersionLength);
    std::printf("  snapshot     %-40s created %s\n", name.c_str(),
                FormatIso(snapshot.created_ms).c_str());
  }
  for (const WarehouseObject& object : plan.objects) {
    std::printf("  %-12s %-40s %s\n", object.is_view ? "view" : "table",
                object.QualifiedName().c_str(), object.reason.c_str());
  }
  for (const std::string& schema : plan.schemas) {
    std::printf("  schema       %-40s empty\n", schema.c_str());
  }
  std::string ttls = "environment_ttl " + FormatDuration(config.environment_ttl) +
                     ", snapshot_ttl " + FormatDuration(config.snapshot_ttl);
  if (plan.empty()) {
    std::printf("Nothing to remove (%s).\n", ttls.c_str());
  } else if (dry_run) {
    std::printf("Dry run: would remove %s (%s); nothing was changed.\n", Totals(plan).c_str(),
                ttls.c_str());
  } else {
    std::printf("Removed %s (%s).\n", Totals(plan).c_str(), ttls.c_str());
  }
}

nlohmann::json ObjectJson(const WarehouseObject& object) {
  return {{"schema", object.schema}, {"name", object.name},
          {"type", object.is_view ? "view" : "table"}, {"reason", object.reason}};
}

void PrintJson(const JanitorPlan& plan, const ProjectConfig& config, bool dry_run) {
  nlohmann::json environments = nlohmann::json::array();
  for (const ExpiredEnvironment& environment : plan.environments) {
    nlohmann::json views = nlohmann::json::array();
    for (const WarehouseObject& view : environment.views) views.push_back(view.QualifiedName());
    environments.push_back({{"name", environment.name},
                            {"promoted", FormatIso(environment.promoted_ms)},
                            {"views", views}, {"schemas", environment.schemas}});
  }
  nlohmann::json snapshots = nlohmann::json::array();
  for (const OrphanedSnapshot& snapshot : plan.snapshots) {
    snapshots.push_back({{"name", snapshot.name}, {"fingerprint", snapshot.fingerprint},
                         {"version", snapshot.version},
                         {"created", FormatIso(snapshot.created_ms)}});
  }
  nlohmann::json tables = nlohmann::json::array();
  for (const WarehouseObject& object : plan.objects) tables.push_back(ObjectJson(object));
  nlohmann::json report = {
      {"dry_run", dry_run},
      {"environment_ttl", FormatDuration(config.environment_ttl)},
      {"snapshot_ttl", FormatDuration(config.snapshot_ttl)},
      {"environments", environments},
      {"snapshots", snapshots},
      {"tables", tables},
      {"schemas", plan.schemas}};
  std::printf("%s\n", report.dump(2).c_str());
}

// A missing warehouse is an error rather than an empty one created here: the
// project's paths (DUCKDB_PATH) more likely point somewhere else than intended.
Result<std::shared_ptr<DuckDatabase>> OpenExistingWarehouse(const ProjectConfig& config,
                                                            bool read_only) {
  const std::string& path = config.gateway().database;
  std::error_code error;
  if (path != ":memory:" && !fs::exists(path, error)) {
    return Status::NotFound("warehouse " + path +
                            " does not exist (run `materia plan --auto-apply` first)");
  }
  return OpenWarehouse(config, read_only);
}

Result<JanitorPlan> RunJanitor(const ProjectConfig& config, bool dry_run) {
  std::error_code error;
  if (!fs::exists(StatePath(config), error)) return JanitorPlan{};  // nothing recorded yet
  // The warehouse first: its lock is what keeps an apply from running meanwhile.
  MATERIA_ASSIGN_OR_RETURN(std::shared_ptr<DuckDatabase> warehouse,
                           OpenExistingWarehouse(config, dry_run));
  MATERIA_ASSIGN_OR_RETURN(std::unique_ptr<DuckConnection> connection,
                           DuckConnection::Connect(warehouse));
  MATERIA_ASSIGN_OR_RETURN(std::unique_ptr<StateStore> state, OpenState(config, dry_run));
  JanitorOptions options;
  options.environment_ttl = config.environment_ttl;
  options.snapshot_ttl = config.snapshot_ttl;
  options.now_ms = NowMs();
  MATERIA_ASSIGN_OR_RETURN(JanitorPlan plan, PlanJanitor(*state, *connection, options));
  if (!dry_run) MATERIA_RETURN_IF_ERROR(ExecuteJanitor(plan, *state, *connection));
  return plan;
}

int RunJanitorCommand(const JanitorCommandOptions& options) {
  // Only config.yaml is needed: a project whose models do not load can still be cleaned.
  auto config = LoadConfig(".");
  if (!config.ok()) return ReportError(config.status());
  auto plan = RunJanitor(*config, options.dry_run);
  if (!plan.ok()) return ReportError(plan.status());
  if (options.format == "json") {
    PrintJson(*plan, *config, options.dry_run);
  } else {
    PrintText(*plan, *config, options.dry_run);
  }
  return kExitOk;
}

}  // namespace

void RegisterJanitorCommand(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<JanitorCommandOptions>();
  CLI::App* janitor = app.add_subcommand(
      "janitor", "Remove environments not promoted within environment_ttl (never prod), "
                 "snapshots no environment uses that are older than snapshot_ttl, and the "
                 "tables nothing uses any more");
  janitor->add_flag("--dry-run", options->dry_run, "list what would be removed; change nothing");
  AddFormatOption(janitor, &options->format, {"text", "json"});
  SetProjectAction(janitor, global, [options] { return RunJanitorCommand(*options); });
}

}  // namespace materia::cli
