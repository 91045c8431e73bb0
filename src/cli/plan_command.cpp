// materia plan [ENV] [--auto-apply] and materia apply [ENV].
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "plan/needs_work.h"
#include "plan/plan.h"
#include "plan/snapshot.h"
#include "run/transform.h"

namespace materia::cli {

namespace {

const char* ChangeSymbol(ChangeType type) {
  switch (type) {
    case ChangeType::kAdded: return "+";
    case ChangeType::kRemoved: return "-";
    case ChangeType::kDirectlyModified: return "~";
    case ChangeType::kIndirectlyModified: return "~";
    default: return " ";
  }
}

// What building a model in this plan means: "full build", the intervals, or "".
Result<std::string> BackfillOf(const Project& project, StateStore& state, const Model& model,
                               const SnapshotRecord& snapshot, TimestampMs now_ms) {
  MATERIA_ASSIGN_OR_RETURN(auto materialization, state.GetMaterialization(snapshot.name, snapshot.version));
  if (!IsIncrementalKind(model.definition.kind)) {
    return std::string(materialization ? "" : "full build");
  }
  MATERIA_ASSIGN_OR_RETURN(ModelSchedule schedule, ScheduleOf(model, project.config, now_ms));
  MATERIA_ASSIGN_OR_RETURN(IntervalSet done, state.GetIntervals(snapshot.name, snapshot.version));
  IntervalSet due;
  if (schedule.start_ms < schedule.due_end_ms) due.Add({schedule.start_ms, schedule.due_end_ms});
  std::string text;
  IntervalSet missing = due.Subtract(done);
  for (const Interval& range : missing.ranges()) {
    text += (text.empty() ? "" : ", ") + std::string("[") + FormatDate(range.start) + ", " +
            FormatDate(range.end) + ")";
  }
  return text;
}

Status PrintPlan(const Project& project, StateStore& state, const Plan& plan, const std::string& format) {
  TimestampMs now = NowMs();
  nlohmann::json changes = nlohmann::json::array();
  std::vector<std::pair<std::string, std::string>> backfills;
  for (const ModelChange& change : plan.changes) {
    std::string backfill;
    if (change.type != ChangeType::kRemoved) {
      const Model* model = project.Find(change.name);
      MATERIA_ASSIGN_OR_RETURN(backfill, BackfillOf(project, state, *model, plan.snapshots.at(change.name), now));
      if (!backfill.empty()) backfills.emplace_back(change.name, backfill);
    }
    changes.push_back({{"name", change.name}, {"change", ChangeTypeName(change.type)},
                       {"category", change.category}, {"old_version", change.old_version},
                       {"new_version", change.new_version}, {"backfill", backfill}});
  }
  if (format == "json") {
    std::printf("%s\n", nlohmann::json{{"environment", plan.environment},
                                       {"has_changes", plan.HasChanges()},
                                       {"changes", changes}}.dump(2).c_str());
    return Status::Ok();
  }
  if (!plan.HasChanges()) {
    std::printf("No changes: environment '%s' matches the project.\n", plan.environment.c_str());
  } else {
    std::printf("Plan for environment '%s'%s:\n", plan.environment.c_str(),
                plan.previous ? "" : " (new environment)");
    for (const ModelChange& change : plan.changes) {
      if (change.type == ChangeType::kUnchanged) continue;
      std::string detail = ChangeTypeName(change.type);
      if (!change.category.empty()) detail += ", " + change.category;
      std::printf("  %s %-40s %s\n", ChangeSymbol(change.type), change.name.c_str(), detail.c_str());
    }
  }
  if (!backfills.empty()) {
    std::printf("Models to build:\n");
    for (const auto& [name, backfill] : backfills) {
      std::printf("  %-42s %s\n", name.c_str(), backfill.c_str());
    }
  }
  return Status::Ok();
}

}  // namespace

int RunPlan(const std::string& environment, bool auto_apply, int threads, const std::string& format) {
  auto session = StartPlanSession(environment);
  if (!session.ok()) return ReportError(session.status());
  const Project& project = session->project;
  StateStore& state = *session->state;
  const Plan& plan = session->plan;
  if (!(auto_apply && format == "json")) {
    Status printed = PrintPlan(project, state, plan, format);
    if (!printed.ok()) return ReportError(printed);
  }
  if (!auto_apply) {
    if (plan.HasChanges() || !plan.previous) {
      std::printf("Apply with `materia apply %s` or `materia plan %s --auto-apply`.\n",
                  environment.c_str(), environment.c_str());
    }
    return kExitOk;
  }
  auto warehouse = OpenWarehouse(project.config, false);
  if (!warehouse.ok()) return ReportError(warehouse.status());
  ExecuteOptions options;
  options.command = "apply";
  options.threads = threads;
  options.now_ms = NowMs();
  options.progress = StderrIsTerminal();
  auto summary = ApplyPlan(project, state, *warehouse, plan, options);
  if (!summary.ok()) return ReportError(summary.status());
  int code = PrintSummary(*summary, environment, format);
  if (code == kExitOk && format != "json") {
    std::printf("Environment '%s' is up to date.\n", environment.c_str());
  }
  return code;
}

void RegisterPlanCommands(CLI::App& app, GlobalOptions& global) {
  struct Options {
    std::string environment = "prod";
    bool auto_apply = false;
    int threads = 4;
    std::string format = "text";
  };
  auto options = std::make_shared<Options>();
  CLI::App* plan = app.add_subcommand(
      "plan", "Show how an environment changes to match the project: added, modified (breaking "
              "or not) and removed models, and what must be built");
  plan->add_option("environment", options->environment, "environment (default: prod)");
  plan->add_flag("--auto-apply", options->auto_apply, "apply the plan right away");
  AddThreadsOption(plan, &options->threads);
  AddFormatOption(plan, &options->format, {"text", "json"});
  SetProjectAction(plan, global, [options] {
    return RunPlan(options->environment, options->auto_apply, options->threads, options->format);
  });

  CLI::App* apply = app.add_subcommand(
      "apply", "Apply the plan: build what is missing or stale, then point the environment's "
               "views at the new versions");
  apply->add_option("environment", options->environment, "environment (default: prod)");
  AddThreadsOption(apply, &options->threads);
  AddFormatOption(apply, &options->format, {"text", "json"});
  SetProjectAction(apply, global, [options] {
    return RunPlan(options->environment, true, options->threads, options->format);
  });
}

}  // namespace materia::cli
