#include "run/transform.h"

#include <optional>

#include "base/hash.h"
#include "run/evaluate.h"

namespace materia {

namespace {

// Re-points the views of the models that ran (or were checked up to date) and whose
// snapshot the environment already uses: a rebuilt table may have new columns, and a
// view binds the columns of the table it was created on. Failed models keep theirs.
Status RepointViews(std::shared_ptr<DuckDatabase> warehouse, const std::string& environment,
                    const EnvironmentRecord& current,
                    const std::map<std::string, SnapshotRecord>& snapshots,
                    const ExecuteSummary& summary) {
  std::map<std::string, SnapshotRecord> healthy;
  for (const ModelOutcome& outcome : summary.outcomes) {
    if (outcome.action != "ran" && outcome.action != "skipped") continue;
    auto target = snapshots.find(outcome.name);
    auto used = current.snapshots.find(outcome.name);
    if (target == snapshots.end() || used == current.snapshots.end()) continue;
    if (used->second.version != target->second.version) continue;
    healthy.emplace(outcome.name, target->second);
  }
  if (healthy.empty()) return Status::Ok();
  MATERIA_ASSIGN_OR_RETURN(std::unique_ptr<DuckConnection> connection, DuckConnection::Connect(warehouse));
  return PromoteViews(*connection, environment, healthy, {});
}

}  // namespace

Result<ExecuteSummary> ApplyPlan(const Project& project, StateStore& state,
                                 std::shared_ptr<DuckDatabase> warehouse, const Plan& plan,
                                 ExecuteOptions options) {
  TimestampMs now = NowMs();
  std::vector<SnapshotRecord> records;
  records.reserve(plan.snapshots.size());
  for (const auto& [name, snapshot] : plan.snapshots) {
    records.push_back(snapshot);
    records.back().created_ms = now;
  }
  MATERIA_RETURN_IF_ERROR(state.PutSnapshots(records));
  options.environment = plan.environment;
  for (const ModelChange& change : plan.changes) {
    std::string reason = ChangeReason(change);
    if (!reason.empty()) options.plan_reasons[change.name] = reason;
  }
  MATERIA_ASSIGN_OR_RETURN(ExecuteSummary summary,
                           Execute(project, state, warehouse, plan.snapshots, options));
  if (summary.failed > 0) {
    // The environment stays as it was, but tables it shares with the plan may have
    // been rebuilt: keep its views bound to them.
    if (plan.previous) {
      MATERIA_RETURN_IF_ERROR(RepointViews(warehouse, plan.environment, *plan.previous,
                                           plan.snapshots, summary));
    }
    return summary;
  }

  std::vector<std::string> removed;
  for (const ModelChange& change : plan.changes) {
    if (change.type == ChangeType::kRemoved) removed.push_back(change.name);
  }
  MATERIA_ASSIGN_OR_RETURN(std::unique_ptr<DuckConnection> connection, DuckConnection::Connect(warehouse));
  // Forward-only models that keep their table take the new query's columns with the
  // promotion, in its transaction.
  std::vector<std::string> migrations;
  std::optional<SqlAnalyzer> analyzer;
  for (const ModelChange& change : plan.changes) {
    if (change.category != "forward-only" || change.old_version != change.new_version) continue;
    const Model* model = project.Find(change.name);
    if (!model) continue;
    if (!analyzer) {
      MATERIA_ASSIGN_OR_RETURN(SqlAnalyzer created, SqlAnalyzer::Create());
      analyzer.emplace(std::move(created));
    }
    EvaluationContext context{&project, &plan.snapshots, connection.get(), &*analyzer, &state,
                              options.now_ms ? options.now_ms : NowMs(), summary.run_id};
    std::vector<std::string> warnings;
    MATERIA_ASSIGN_OR_RETURN(auto statements,
                             ForwardOnlyMigration(context, *model, plan.snapshots.at(change.name), &warnings));
    migrations.insert(migrations.end(), statements.begin(), statements.end());
    for (ModelOutcome& outcome : summary.outcomes) {
      if (outcome.name == change.name) outcome.reasons.insert(outcome.reasons.end(), warnings.begin(), warnings.end());
    }
  }
  MATERIA_RETURN_IF_ERROR(PromoteViews(*connection, plan.environment, plan.snapshots, removed, migrations));
  EnvironmentRecord environment;
  environment.name = plan.environment;
  environment.promoted_ms = NowMs();
  environment.plan_id = summary.run_id;
  for (const auto& [name, snapshot] : plan.snapshots) {
    environment.snapshots[name] = {snapshot.fingerprint, snapshot.version};
  }
  MATERIA_RETURN_IF_ERROR(state.PutEnvironment(environment));
  return summary;
}

Result<ExecuteSummary> RunEnvironment(const Project& project, StateStore& state,
                                      std::shared_ptr<DuckDatabase> warehouse, const Plan& plan,
                                      ExecuteOptions options) {
  if (!plan.previous) {
    return Status::NotFound("environment '" + plan.environment +
                            "' does not exist: run `materia plan " + plan.environment +
                            " --auto-apply` first");
  }
  size_t changed = 0;
  for (const ModelChange& change : plan.changes) changed += change.type != ChangeType::kUnchanged;
  if (changed > 0) {
    return Status::InvalidInput("the project has changes not applied to '" + plan.environment +
                                "' (" + std::to_string(changed) + " model" +
                                (changed == 1 ? "" : "s") + "): run `materia plan " +
                                plan.environment + "`");
  }
  options.environment = plan.environment;
  MATERIA_ASSIGN_OR_RETURN(ExecuteSummary summary,
                           Execute(project, state, warehouse, plan.snapshots, options));
  // Views are cheap to re-point; doing it also heals a warehouse that lost them.
  MATERIA_RETURN_IF_ERROR(
      RepointViews(warehouse, plan.environment, *plan.previous, plan.snapshots, summary));
  return summary;
}

}  // namespace materia
