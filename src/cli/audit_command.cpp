// materia audit [ENV] [--model M ...]: runs models' audits on demand against the
// environment's current tables (the warehouse opened read-only). Exit 0 when no
// blocking audit fails, 1 when one does, 2+ on error.
#include <cstdio>
#include <set>

#include "base/text.h"
#include "cli/commands.h"
#include "plan/snapshot.h"
#include "run/audit.h"

namespace materia::cli {

namespace {

struct AuditOptions {
  std::string environment = "prod";
  std::vector<std::string> models;
  std::string format = "text";
};

int RunAuditCommand(const AuditOptions& options) {
  Status valid = CheckEnvironmentName(options.environment);
  if (!valid.ok()) return ReportError(valid);
  auto project = LoadCurrentProject();
  if (!project.ok()) return ReportError(project.status());
  std::set<std::string> selected;
  for (const std::string& name : options.models) {
    std::string lower = ToLower(name);
    if (!project->Find(lower)) {
      return ReportError(Status::InvalidInput("unknown model '" + name + "'"));
    }
    selected.insert(lower);
  }
  auto state = OpenState(project->config, true);
  if (!state.ok()) return ReportError(state.status());
  auto environment = (*state)->GetEnvironment(options.environment);
  if (!environment.ok()) return ReportError(environment.status());
  if (!*environment) {
    return ReportError(Status::NotFound("environment '" + options.environment +
                                        "' does not exist: run `materia plan " + options.environment +
                                        " --auto-apply` first"));
  }
  auto warehouse = OpenWarehouse(project->config, true);
  if (!warehouse.ok()) return ReportError(warehouse.status());
  auto connection = DuckConnection::Connect(*warehouse);
  if (!connection.ok()) return ReportError(connection.status());

  std::vector<AuditOutcome> outcomes;
  for (const Model& model : project->models) {
    if (model.audits.empty() || (!selected.empty() && !selected.count(model.name()))) continue;
    auto used = (*environment)->snapshots.find(model.name());
    if (used == (*environment)->snapshots.end()) {
      if (selected.count(model.name())) {
        return ReportError(Status::NotFound("model " + model.name() + " is not in environment '" +
                                            options.environment + "': apply a plan first"));
      }
      continue;  // added since the last plan: nothing to audit yet
    }
    std::string table = QualifiedPhysicalTable(model.name(), used->second.version);
    MacroContext macros = AnalysisMacroContext(project->config, model.name());
    std::vector<AuditOutcome> ran = RunAudits(**connection, model, table, macros, false);
    outcomes.insert(outcomes.end(), ran.begin(), ran.end());
  }
  int passed = 0, failed = 0, blocking = 0;
  for (const AuditOutcome& outcome : outcomes) {
    if (outcome.passed()) {
      passed++;
    } else {
      failed++;
      if (outcome.blocking || !outcome.error.empty()) blocking++;  // a broken audit counts
    }
  }
  if (options.format == "json") {
    nlohmann::json report = {{"environment", options.environment}, {"passed", passed},
                             {"failed", failed}, {"blocking_failed", blocking},
                             {"audits", AuditsJson(outcomes)}};
    std::printf("%s\n", report.dump(2).c_str());
  } else {
    for (const AuditOutcome& outcome : outcomes) {
      if (outcome.passed()) {
        std::printf("  ok      %-40s %s\n", outcome.model.c_str(), outcome.audit.c_str());
      } else {
        std::printf("  FAILED  %-40s %s\n", outcome.model.c_str(), outcome.audit.c_str());
        std::printf("%s", DescribeAuditOutcome(outcome, "    ").c_str());
      }
    }
    std::printf("%d audit%s on '%s': %d passed, %d failed (%d blocking)\n", passed + failed,
                passed + failed == 1 ? "" : "s", options.environment.c_str(), passed, failed, blocking);
  }
  return blocking > 0 ? kExitFailed : kExitOk;
}

}  // namespace

void RegisterAuditCommand(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<AuditOptions>();
  CLI::App* audit = app.add_subcommand(
      "audit", "Run models' audits against an environment's current tables (exit 1 when a "
               "blocking audit fails); the warehouse is only read");
  audit->add_option("environment", options->environment, "environment (default: prod)");
  audit->add_option("--model,-m", options->models, "audit only these models (repeatable)");
  AddFormatOption(audit, &options->format, {"text", "json"});
  SetProjectAction(audit, global, [options] { return RunAuditCommand(*options); });
}

}  // namespace materia::cli
