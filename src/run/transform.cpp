#include "run/transform.h"

#include "base/hash.h"

namespace materia {

Result<ExecuteSummary> ApplyPlan(const Project& project, StateStore& state,
                                 std::shared_ptr<DuckDatabase> warehouse, const Plan& plan,
                                 ExecuteOptions options) {
  TimestampMs now = NowMs();
  for (const auto& [name, snapshot] : plan.snapshots) {
    SnapshotRecord record = snapshot;
    record.created_ms = now;
    MATERIA_RETURN_IF_ERROR(state.PutSnapshot(record));
  }
  options.environment = plan.environment;
  MATERIA_ASSIGN_OR_RETURN(ExecuteSummary summary,
                           Execute(project, state, warehouse, plan.snapshots, options));
  if (summary.failed > 0) return summary;

  std::vector<std::string> removed;
  for (const ModelChange& change : plan.changes) {
    if (change.type == ChangeType::kRemoved) removed.push_back(change.name);
  }
  MATERIA_ASSIGN_OR_RETURN(std::unique_ptr<DuckConnection> connection, DuckConnection::Connect(warehouse));
  MATERIA_RETURN_IF_ERROR(PromoteViews(*connection, plan.environment, plan.snapshots, removed));
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
  if (summary.failed == 0) {
    // Views are cheap to re-point; doing it heals a warehouse that lost them.
    MATERIA_ASSIGN_OR_RETURN(std::unique_ptr<DuckConnection> connection,
                             DuckConnection::Connect(warehouse));
    MATERIA_RETURN_IF_ERROR(PromoteViews(*connection, plan.environment, plan.snapshots, {}));
  }
  return summary;
}

}  // namespace materia
