#include "control/controller.h"

#include <cstdio>
#include <map>
#include <random>
#include <set>

#include "base/text.h"
#include "control/controller_tables.h"

namespace materia {

namespace {

using json = nlohmann::ordered_json;

void Log(const ControllerOptions& options, ControlEvent event) {
  if (options.log) options.log(event);
}

std::string Describe(const ClusterSnapshot& snapshot) { return "cluster '" + snapshot.name + "' (" + snapshot.id + ")"; }

// The strategy an action's reason names: reasons start "target_size: ...".
std::string ActionStrategy(const ClusterAction& action) {
  for (StrategyKind kind : kStrategyKinds) {
    const std::string prefix = std::string(StrategyKindName(kind)) + ": ";
    if (action.reason.starts_with(prefix)) return std::string(StrategyKindName(kind));
  }
  return "";
}

// The configs of one cluster from its strategy rows; errors name the cluster.
Result<std::vector<StrategyConfig>> ParseConfigs(const ClusterSnapshot& snapshot,
                                                 const std::vector<const StrategyRow*>& rows) {
  std::vector<StrategyConfig> configs;
  for (const StrategyRow* row : rows) {
    Result<StrategyKind> kind = ParseStrategyKind(row->strategy_type);
    if (!kind.ok()) return kind.status().WithPrefix(Describe(snapshot));
    Result<StrategyConfig> config = ParseStrategyConfig(*kind, row->config_json);
    if (!config.ok()) {
      return config.status().WithPrefix(Describe(snapshot) + ", strategy " + row->strategy_type);
    }
    configs.push_back(*config);
  }
  return configs;
}

void LogDecisions(const ControllerOptions& options, const ClusterResult& result) {
  for (const StrategyDecision& decision : result.plan.decisions) {
    Log(options, {.event = "strategy_decision",
                  .message = DescribeDecision(decision),
                  .cluster_id = result.snapshot.id,
                  .cluster = result.snapshot.name,
                  .strategy = std::string(StrategyKindName(decision.strategy)),
                  .fields = {{"reasons", JoinText(decision.reasons, "; ")}}});
  }
  for (const std::string& waiting : result.plan.diff.waiting) {
    Log(options, {.event = "waiting", .message = waiting, .cluster_id = result.snapshot.id,
                  .cluster = result.snapshot.name});
  }
  for (const ActionResult& action : result.actions) {
    Log(options, {.event = "action_planned",
                  .message = action.action.sql,
                  .cluster_id = result.snapshot.id,
                  .cluster = result.snapshot.name,
                  .strategy = action.strategy,
                  .fields = {{"kind", std::string(ActionKindName(action.action.kind))},
                             {"reason", action.action.reason},
                             {"expected_change", action.action.expected_change}}});
  }
}

// Steps 2 and 3 for one cluster.
Result<ClusterResult> PlanOne(PgConnection& connection, const CatalogCluster& cluster,
                              const std::vector<const StrategyRow*>& rows,
                              const std::map<std::string, std::string>& states, const ControllerOptions& options) {
  ClusterResult result;
  MATERIA_ASSIGN_OR_RETURN(result.snapshot, ReadClusterSnapshot(connection, cluster, options.now_ms));
  MATERIA_ASSIGN_OR_RETURN(const std::vector<StrategyConfig> configs, ParseConfigs(result.snapshot, rows));
  const auto stored = states.find(cluster.id);
  Result<ClusterState> state =
      ParseClusterState(stored == states.end() ? std::nullopt : std::optional<std::string>(stored->second));
  if (!state.ok()) return state.status().WithPrefix(Describe(result.snapshot));
  MATERIA_ASSIGN_OR_RETURN(result.plan, PlanCluster(result.snapshot, configs, *state));
  for (const ClusterAction& action : result.plan.diff.actions) {
    result.actions.push_back({.action = action, .strategy = ActionStrategy(action)});
  }
  LogDecisions(options, result);
  return result;
}

json ReplicasJson(const ClusterSnapshot& snapshot) {
  json replicas = json::array();
  for (const ReplicaSnapshot& replica : snapshot.replicas) {
    replicas.push_back(
        {{"name", replica.name}, {"size", replica.size}, {"status", replica.status}, {"hydrated", replica.hydrated}});
  }
  return replicas;
}

// Runs one action, or records why it did not run; then writes its audit row.
void ApplyAction(ControllerTables& tables, DdlExecutor& executor, const ControllerOptions& options,
                 const std::string& run_id, int sequence, ClusterResult& cluster, ActionResult& action,
                 std::string* failure, std::string* failed_action_id) {
  action.action_id = run_id + "-" + std::to_string(sequence);
  action.decision_ctx =
      DecisionContext(run_id, action.action_id, sequence, cluster.snapshot, cluster.plan, action.action);
  ControlEvent event{.message = action.action.sql,
                     .cluster_id = cluster.snapshot.id,
                     .cluster = cluster.snapshot.name,
                     .strategy = action.strategy,
                     .action_id = action.action_id};
  if (!failure->empty()) {
    action.outcome = ActionOutcome::kNotExecuted;
    action.error = "not executed: action " + *failed_action_id + " failed before it";
    event.event = "action_not_executed";
    event.level = "warning";
  } else {
    const Status executed = executor.Execute(cluster.snapshot, action.action);
    if (executed.ok()) {
      action.outcome = ActionOutcome::kExecuted;
      event.event = "action_executed";
    } else {
      action.outcome = ActionOutcome::kFailed;
      action.error = OneLine(executed.message());
      *failed_action_id = action.action_id;
      *failure = Describe(cluster.snapshot) + ": action " + action.action_id + " failed: " + action.error;
      event.event = "action_failed";
      event.level = "error";
    }
  }
  if (!action.error.empty()) event.fields.push_back({"error", action.error});
  Log(options, event);
  const Status recorded = tables.RecordAction({.action_id = action.action_id,
                                               .cluster_id = cluster.snapshot.id,
                                               .action_sql = action.action.sql,
                                               .decision_ctx_json = action.decision_ctx,
                                               .executed = action.outcome == ActionOutcome::kExecuted,
                                               .error_message = action.error.empty()
                                                                    ? std::nullopt
                                                                    : std::optional<std::string>(action.error),
                                               .created_at_ms = NowMs()});
  if (!recorded.ok()) {
    Log(options, {.level = "error", .event = "audit_failed", .message = recorded.message(),
                  .cluster_id = cluster.snapshot.id, .action_id = action.action_id});
    if (failure->empty()) {
      *failed_action_id = action.action_id;
      *failure = Describe(cluster.snapshot) + ": " + OneLine(recorded.message());
    }
  }
}

// Step 4 of apply, for every planned cluster in order.
void Apply(ControllerTables& tables, DdlExecutor& executor, const ControllerOptions& options,
           ControllerReport& report) {
  int sequence = 0;
  std::string failed_action_id;
  for (ClusterResult& cluster : report.clusters) {
    for (ActionResult& action : cluster.actions) {
      ApplyAction(tables, executor, options, report.run_id, ++sequence, cluster, action, &report.failure,
                  &failed_action_id);
    }
    if (!report.failure.empty()) continue;  // the state of this cluster and the later ones stays as it was
    const Status saved = tables.SaveState(cluster.snapshot.id, kStateVersion,
                                          ClusterStateToJson(cluster.plan.next_state), NowMs());
    if (!saved.ok()) {
      report.failure = Describe(cluster.snapshot) + ": " + OneLine(saved.message());
      Log(options, {.level = "error", .event = "state_not_saved", .message = saved.message(),
                    .cluster_id = cluster.snapshot.id, .cluster = cluster.snapshot.name});
      continue;
    }
    cluster.state_saved = true;
    Log(options, {.event = "state_saved", .cluster_id = cluster.snapshot.id, .cluster = cluster.snapshot.name});
  }
}

// The strategy rows of each cluster id, in the order LoadStrategies gave them.
std::map<std::string, std::vector<const StrategyRow*>> ByCluster(const std::vector<StrategyRow>& rows) {
  std::map<std::string, std::vector<const StrategyRow*>> by_cluster;
  for (const StrategyRow& row : rows) by_cluster[row.cluster_id].push_back(&row);
  return by_cluster;
}

Status PrepareSession(PgConnection& connection, ControllerTables& tables, const ControllerOptions& options) {
  // Marks the controller's own statements, which the activity reading leaves out.
  MATERIA_RETURN_IF_ERROR(connection.Execute(std::string("SET application_name = '") + kApplicationName + "'")
                              .WithPrefix("cannot set application_name"));
  int found = 0;
  MATERIA_RETURN_IF_ERROR(tables.EnsureSchema(&found));
  if (found < kControllerSchemaVersion) {
    Log(options, {.event = "schema_migrated",
                  .message = "controller tables brought to schema version " + std::to_string(kControllerSchemaVersion),
                  .fields = {{"from_version", std::to_string(found)}}});
  }
  return Status::Ok();
}

}  // namespace

Result<ClusterFilter> ClusterFilter::Parse(const std::string& pattern) {
  ClusterFilter filter;
  filter.pattern_ = pattern;
  try {
    filter.regex_.emplace(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& error) {
    return Status::InvalidInput("invalid --cluster regex '" + pattern + "': " + ToLower(error.what()));
  }
  return filter;
}

bool ClusterFilter::Matches(const std::string& name) const {
  return !regex_.has_value() || std::regex_match(name, *regex_);
}

std::string_view ActionOutcomeName(ActionOutcome outcome) {
  switch (outcome) {
    case ActionOutcome::kPlanned: return "planned";
    case ActionOutcome::kExecuted: return "executed";
    case ActionOutcome::kFailed: return "failed";
    case ActionOutcome::kNotExecuted: return "not_executed";
  }
  return "unknown";
}

int ControllerReport::Count(ActionOutcome outcome) const {
  int count = 0;
  for (const ClusterResult& cluster : clusters) {
    for (const ActionResult& action : cluster.actions) count += action.outcome == outcome ? 1 : 0;
  }
  return count;
}

int ControllerReport::TotalActions() const {
  int count = 0;
  for (const ClusterResult& cluster : clusters) count += static_cast<int>(cluster.actions.size());
  return count;
}

std::string MakeRunId(TimestampMs now_ms) {
  const CivilTime civil = ToCivil(now_ms);
  char stamp[32];
  std::snprintf(stamp, sizeof(stamp), "%04d%02d%02dT%02d%02d%02dZ", civil.year, civil.month, civil.day, civil.hour,
                civil.minute, civil.second);
  std::random_device random;
  char suffix[8];
  std::snprintf(suffix, sizeof(suffix), "%06x", static_cast<unsigned>(random() & 0xffffffu));
  return std::string(stamp) + "-" + suffix;
}

nlohmann::ordered_json ClusterSnapshotJson(const ClusterSnapshot& snapshot) {
  json cluster = {{"id", snapshot.id},
                  {"name", snapshot.name},
                  {"managed", snapshot.managed},
                  {"replicas", ReplicasJson(snapshot)},
                  {"last_activity", snapshot.last_activity_ms ? json(FormatIso(*snapshot.last_activity_ms)) : json()}};
  if (snapshot.managed) {
    cluster["size"] = snapshot.size;
    cluster["replication_factor"] = snapshot.replication_factor;
  }
  return cluster;
}

nlohmann::ordered_json ClusterPlanJson(const ClusterPlan& plan) {
  json decisions = json::array();
  for (const StrategyDecision& decision : plan.decisions) {
    decisions.push_back({{"strategy", StrategyKindName(decision.strategy)},
                         {"decision", DescribeDecision(decision)},
                         {"reasons", decision.reasons}});
  }
  json desired = json::array();
  for (const DesiredReplica& replica : plan.desired.replicas) {
    desired.push_back({{"name", replica.spec.name}, {"size", replica.spec.size}, {"why", replica.why}});
  }
  return {{"decisions", decisions}, {"desired", desired}, {"reasons", plan.desired.reasons},
          {"waiting", plan.diff.waiting}};
}

std::string DecisionContext(const std::string& run_id, const std::string& action_id, int sequence,
                            const ClusterSnapshot& snapshot, const ClusterPlan& plan, const ClusterAction& action) {
  json context = {{"run_id", run_id},
                  {"action_id", action_id},
                  {"sequence", sequence},
                  {"decided_at", FormatIso(snapshot.now_ms)},
                  {"cluster", ClusterSnapshotJson(snapshot)},
                  {"action",
                   {{"kind", ActionKindName(action.kind)},
                    {"reason", action.reason},
                    {"expected_change", action.expected_change}}}};
  context.update(ClusterPlanJson(plan));
  return context.dump();
}

Result<ControllerReport> RunController(PgConnection& connection, DdlExecutor& executor,
                                       const ControllerOptions& options) {
  ControllerReport report;
  report.mode = options.mode;
  report.now_ms = options.now_ms;
  report.run_id = options.run_id.empty() ? MakeRunId(options.now_ms) : options.run_id;
  ControllerTables tables(&connection);
  MATERIA_RETURN_IF_ERROR(PrepareSession(connection, tables, options));
  MATERIA_ASSIGN_OR_RETURN(const std::vector<StrategyRow> strategies, tables.LoadStrategies());
  MATERIA_ASSIGN_OR_RETURN(const std::vector<CatalogCluster> clusters, ReadCatalogClusters(connection));
  MATERIA_ASSIGN_OR_RETURN(const auto states, tables.LoadStates(kStateVersion));
  const auto by_cluster = ByCluster(strategies);
  std::set<std::string> known;
  for (const CatalogCluster& cluster : clusters) {
    known.insert(cluster.id);
    const auto rows = by_cluster.find(cluster.id);
    if (rows == by_cluster.end() || !options.filter.Matches(cluster.name)) continue;
    MATERIA_ASSIGN_OR_RETURN(ClusterResult result, PlanOne(connection, cluster, rows->second, states, options));
    report.clusters.push_back(std::move(result));
  }
  if (options.filter.all()) {
    for (const auto& [cluster_id, rows] : by_cluster) {
      if (known.contains(cluster_id)) continue;
      report.warnings.push_back("strategies for cluster id '" + cluster_id +
                                "', which is not in mz_catalog.mz_clusters, are ignored");
      Log(options, {.level = "warning", .event = "unknown_cluster", .message = report.warnings.back(),
                    .cluster_id = cluster_id});
    }
  }
  if (options.mode == ControllerMode::kApply) Apply(tables, executor, options, report);
  return report;
}

Result<WipeReport> WipeControllerState(PgConnection& connection, const ClusterFilter& filter,
                                       const ControlLogger& log) {
  ControllerOptions options;
  options.log = log;
  ControllerTables tables(&connection);
  MATERIA_RETURN_IF_ERROR(PrepareSession(connection, tables, options));
  WipeReport report;
  report.all = filter.all();
  if (report.all) {
    MATERIA_ASSIGN_OR_RETURN(report.rows_deleted, tables.WipeState(std::nullopt));
  } else {
    MATERIA_ASSIGN_OR_RETURN(const std::vector<CatalogCluster> clusters, ReadCatalogClusters(connection));
    std::vector<std::string> ids;
    for (const CatalogCluster& cluster : clusters) {
      if (!filter.Matches(cluster.name)) continue;
      report.clusters.push_back(cluster);
      ids.push_back(cluster.id);
    }
    MATERIA_ASSIGN_OR_RETURN(report.rows_deleted, tables.WipeState(ids));
  }
  for (const CatalogCluster& cluster : report.clusters) {
    Log(options, {.event = "state_wiped", .cluster_id = cluster.id, .cluster = cluster.name});
  }
  if (report.all) {
    Log(options, {.event = "state_wiped", .fields = {{"rows_deleted", std::to_string(report.rows_deleted)}}});
  }
  return report;
}

}  // namespace materia
