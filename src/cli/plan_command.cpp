// materia plan [ENV] [--auto-apply] and materia apply [ENV].
#include <cstdio>
#include <limits>

#include <nlohmann/json.hpp>

#include "base/text.h"
#include "cli/commands.h"
#include "project/dag.h"
#include "plan/needs_work.h"
#include "plan/plan.h"
#include "plan/snapshot.h"
#include "run/transform.h"
#include "run/unit_test.h"

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

// What `--restate-model` asks for: the named models and everything downstream are
// rebuilt; incremental ones lose [start, end) from their recorded intervals (all of
// them without a range) so that those run again. Models with disable_restatement are
// refused when named and left alone when downstream. Changes state only when `apply`.
struct Restatement {
  std::vector<std::string> models;  // in project order
  std::vector<std::string> kept;    // downstream models with disable_restatement
  IntervalSet range;
  std::string described;
};

Result<Restatement> PlanRestatement(const Project& project, const RestateOptions& options,
                                    TimestampMs now_ms) {
  Restatement restatement;
  if (options.models.empty()) {
    if (!options.start.empty() || !options.end.empty()) {
      return Status::InvalidInput("--start and --end need --restate-model");
    }
    return restatement;
  }
  std::vector<std::string> roots;
  for (const std::string& name : options.models) {
    const Model* model = project.Find(ToLower(name));
    if (!model) return Status::InvalidInput("--restate-model: unknown model '" + name + "'");
    if (model->definition.disable_restatement) {
      if (IsScdKind(model->definition.kind) && !model->definition.kind_properties.count("disable_restatement")) {
        return Status::InvalidInput(
            model->definition.header_location.ToString() + ": " + model->name() + " is " +
            ModelKindName(model->definition.kind) +
            ": restating it would lose its history (write disable_restatement false in its kind to allow it)");
      }
      return Status::InvalidInput(model->definition.header_location.ToString() + ": " + model->name() +
                                  " has disable_restatement true: its data cannot be restated");
    }
    roots.push_back(model->name());
  }
  TimestampMs start = std::numeric_limits<TimestampMs>::min() / 2;
  TimestampMs end = std::numeric_limits<TimestampMs>::max() / 2;
  if (!options.start.empty()) {
    MATERIA_ASSIGN_OR_RETURN(start, ParseTimestamp(options.start, now_ms));
  }
  if (!options.end.empty()) {
    MATERIA_ASSIGN_OR_RETURN(end, ParseTimestamp(options.end, now_ms));
  }
  if (start >= end) return Status::InvalidInput("--start must be before --end");
  restatement.range.Add({start, end});
  restatement.described = options.start.empty() && options.end.empty()
                              ? "all intervals"
                              : "[" + (options.start.empty() ? std::string("start") : FormatDate(start)) +
                                    ", " + (options.end.empty() ? std::string("now") : FormatDate(end)) + ")";
  for (const std::string& name : Downstream(project, roots)) {
    const Model* model = project.Find(name);
    if (model->definition.disable_restatement) {
      restatement.kept.push_back(name);
    } else {
      restatement.models.push_back(name);
    }
  }
  return restatement;
}

// Removes the restated intervals and marks the whole models for rebuilding. A
// unique-key or SCD type 2 model's rows are not tied to intervals, so re-merging some of
// them would keep rows that should go: its table is dropped and every interval runs
// again (an SCD model's history restarts; its kind refuses this unless
// disable_restatement is false).
Status ApplyRestatement(const Project& project, StateStore& state, const Plan& plan,
                        const Restatement& restatement, std::shared_ptr<DuckDatabase> warehouse,
                        ExecuteOptions* options) {
  for (const std::string& name : restatement.models) {
    const Model* model = project.Find(name);
    const SnapshotRecord& snapshot = plan.snapshots.at(name);
    bool whole = model->definition.kind == ModelKind::kIncrementalByUniqueKey ||
                 IsScdKind(model->definition.kind);
    if (whole) {
      MATERIA_ASSIGN_OR_RETURN(std::unique_ptr<DuckConnection> connection,
                               DuckConnection::Connect(warehouse));
      MATERIA_RETURN_IF_ERROR(
          connection->Execute("DROP TABLE IF EXISTS " + QualifiedPhysicalTable(name, snapshot.version)));
      IntervalSet everything;
      everything.Add({std::numeric_limits<TimestampMs>::min() / 2, std::numeric_limits<TimestampMs>::max() / 2});
      MATERIA_RETURN_IF_ERROR(state.RemoveIntervals(name, snapshot.version, everything));
      options->plan_reasons.emplace(
          name, IsScdKind(model->definition.kind)
                    ? "restated (rebuilt whole: the history starts again from the source as it is now)"
                    : "restated (rebuilt whole: a unique-key model's rows are not kept per interval)");
    } else if (IsIncrementalKind(model->definition.kind)) {
      MATERIA_RETURN_IF_ERROR(state.RemoveIntervals(name, snapshot.version, restatement.range));
      options->plan_reasons.emplace(name, "restated " + restatement.described);
    } else {
      options->restate.insert(name);  // rebuilt whole, whatever the range
      options->plan_reasons.emplace(name, "restated");
    }
  }
  return Status::Ok();
}

}  // namespace

int RunPlan(const std::string& environment, const PlanOptions& plan_options) {
  const bool auto_apply = plan_options.auto_apply;
  const std::string& format = plan_options.format;
  auto session = StartPlanSession(environment);
  if (!session.ok()) return ReportError(session.status());
  const Project& project = session->project;
  StateStore& state = *session->state;
  const Plan& plan = session->plan;
  auto restatement = PlanRestatement(project, plan_options.restate, NowMs());
  if (!restatement.ok()) return ReportError(restatement.status());
  if (!restatement->models.empty() && !plan.previous) {
    return ReportError(Status::InvalidInput("environment '" + environment +
                                            "' does not exist yet: there is nothing to restate"));
  }
  if (!plan_options.skip_tests) {
    // As SQLMesh does: a plan starts with the project's unit tests; a failure stops it.
    auto tests = RunProjectTests(project, TestSelection{});
    if (!tests.ok()) return ReportError(tests.status());
    if (!tests->AllPassed()) {
      std::fputs(format == "json" ? (FormatTestReportJson(*tests) + "\n").c_str()
                                  : FormatTestReport(*tests).c_str(), stdout);
      std::fprintf(stderr, "error: unit tests failed; fix them or plan with --skip-tests\n");
      return tests->errors > 0 ? kExitError : kExitFailed;
    }
    if (!tests->outcomes.empty() && format != "json") {
      std::printf("Unit tests: %d passed in %.2fs\n", tests->passed, tests->seconds);
    }
  }
  if (!(auto_apply && format == "json")) {
    Status printed = PrintPlan(project, state, plan, format);
    if (!printed.ok()) return ReportError(printed);
    if (!restatement->models.empty() && format != "json") {
      std::printf("Restating %s of:\n", restatement->described.c_str());
      for (const std::string& name : restatement->models) std::printf("  %s\n", name.c_str());
      for (const std::string& name : restatement->kept) {
        std::printf("  %s (kept: disable_restatement)\n", name.c_str());
      }
    }
  }
  if (!auto_apply) {
    if (!restatement->models.empty()) {
      std::string flags;
      for (const std::string& name : plan_options.restate.models) flags += " --restate-model " + name;
      if (!plan_options.restate.start.empty()) flags += " --start " + plan_options.restate.start;
      if (!plan_options.restate.end.empty()) flags += " --end " + plan_options.restate.end;
      std::printf("Apply with `materia plan %s%s --auto-apply` (a restatement is not kept for "
                  "a later `materia apply`).\n", environment.c_str(), flags.c_str());
    } else if (plan.HasChanges() || !plan.previous) {
      std::printf("Apply with `materia apply %s` or `materia plan %s --auto-apply`.\n",
                  environment.c_str(), environment.c_str());
    }
    return kExitOk;
  }
  auto warehouse = OpenWarehouse(project.config, false, plan_options.memory_limit);
  if (!warehouse.ok()) return ReportError(warehouse.status());
  ExecuteOptions options;
  options.command = "apply";
  options.threads = plan_options.threads;
  options.now_ms = NowMs();
  options.progress = StderrIsTerminal();
  Status restated = ApplyRestatement(project, state, plan, *restatement, *warehouse, &options);
  if (!restated.ok()) return ReportError(restated);
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
    PlanOptions plan;
  };
  auto options = std::make_shared<Options>();
  CLI::App* plan = app.add_subcommand(
      "plan", "Show how an environment changes to match the project: added, modified (breaking "
              "or not) and removed models, and what must be built");
  plan->add_option("environment", options->environment, "environment (default: prod)");
  plan->add_flag("--auto-apply", options->plan.auto_apply, "apply the plan right away");
  plan->add_flag("--skip-tests", options->plan.skip_tests, "do not run the unit tests first");
  AddThreadsOption(plan, &options->plan.threads);
  AddFormatOption(plan, &options->plan.format, {"text", "json"});
  plan->add_option("--restate-model,-r", options->plan.restate.models,
                   "rebuild this model and everything downstream (repeatable); incremental "
                   "models re-run the intervals in --start/--end");
  plan->add_option("--start", options->plan.restate.start, "restate intervals from this date");
  plan->add_option("--end", options->plan.restate.end, "restate intervals up to this date (excluded)");
  SetProjectAction(plan, global, [options] { return RunPlan(options->environment, options->plan); });

  CLI::App* apply = app.add_subcommand(
      "apply", "Apply the plan: build what is missing or stale, then point the environment's "
               "views at the new versions");
  auto apply_options = std::make_shared<Options>();
  apply_options->plan.auto_apply = true;
  apply->add_option("environment", apply_options->environment, "environment (default: prod)");
  apply->add_flag("--skip-tests", apply_options->plan.skip_tests, "do not run the unit tests first");
  AddThreadsOption(apply, &apply_options->plan.threads);
  AddFormatOption(apply, &apply_options->plan.format, {"text", "json"});
  SetProjectAction(apply, global, [apply_options] {
    return RunPlan(apply_options->environment, apply_options->plan);
  });
}

}  // namespace materia::cli
