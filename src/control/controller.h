// The cluster controller's cycle, as `mz-schedctl plan` and `apply` run it once per
// invocation, over one connection to the user's database:
//
//   1. bring the controller's tables up to date (controller_tables.h) and load the
//      configured strategies;
//   2. for each cluster that has strategies and whose name the filter matches, read its
//      snapshot from the catalog (materialize_catalog.h) and its stored state;
//   3. plan it (PlanCluster, cluster_plan.h).
//   All of this happens before anything runs, so a bad strategy anywhere among the
//   selected clusters stops the run before any change.
//   4. plan: report. apply: run the actions cluster by cluster, in order, each in
//      autocommit through a DdlExecutor, recording one audit row per action; after the
//      last action of a cluster succeeded, store its next state (also when it had no
//      action: the strategies' stabilization windows count cycles).
//
// Failure: the first action that fails stops the run. Its audit row has executed =
// false and the error; every later action (of that cluster and of the clusters after
// it) gets a row with executed = false and "not executed: ...". The state of the
// failed cluster and of the clusters after it is NOT stored: their next cycle plans
// again from the state stored before and from what the catalog shows then, which
// includes whatever the actions that ran did. (Storing it would record decisions as
// applied that were not.) Clusters before the failure keep the state they stored.
//
// `plan` writes nothing but the tables in step 1 when they are missing.
//
// Functions borrow the connection: one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "control/cluster_plan.h"
#include "control/ddl_executor.h"
#include "control/materialize_catalog.h"
#include "db/postgres.h"

namespace materia {

enum class ControllerMode { kPlan, kApply };

// One structured log event. Fields that do not apply stay empty and are left out.
struct ControlEvent {
  std::string level = "info";  // "info", "warning" or "error"
  std::string event;           // "strategy_decision", "action_executed", ...
  std::string message;
  std::string cluster_id;
  std::string cluster;
  std::string strategy;
  std::string action_id;
  std::vector<std::pair<std::string, std::string>> fields;  // more, as text
};
// Receives the events of a run, in order; called on the caller's thread.
using ControlLogger = std::function<void(const ControlEvent&)>;

// Which clusters a command works on: an ECMAScript regular expression that the whole
// cluster name must match ("analytics" selects only analytics; "analytics.*" more).
class ClusterFilter {
 public:
  ClusterFilter() = default;  // every cluster
  // Error: "invalid --cluster regex '(': <why>".
  static Result<ClusterFilter> Parse(const std::string& pattern);
  bool Matches(const std::string& name) const;
  bool all() const { return !regex_.has_value(); }
  const std::string& pattern() const { return pattern_; }

 private:
  std::optional<std::regex> regex_;
  std::string pattern_;
};

struct ControllerOptions {
  ControllerMode mode = ControllerMode::kPlan;
  ClusterFilter filter;
  TimestampMs now_ms = 0;  // the instant of every decision of the run
  std::string run_id;      // prefix of the action ids; empty: MakeRunId(now_ms)
  ControlLogger log;       // may be empty
};

enum class ActionOutcome { kPlanned, kExecuted, kFailed, kNotExecuted };
// "planned", "executed", "failed", "not_executed".
std::string_view ActionOutcomeName(ActionOutcome outcome);

struct ActionResult {
  ClusterAction action;
  std::string strategy;   // the strategy its reason names ("target_size"), or ""
  std::string action_id;  // apply only: "<run_id>-<n>", n counting from 1 over the run
  ActionOutcome outcome = ActionOutcome::kPlanned;
  std::string error;         // failed or not executed: why, one line
  std::string decision_ctx;  // the JSON object the audit log keeps (see DecisionContext)
};

struct ClusterResult {
  ClusterSnapshot snapshot;
  ClusterPlan plan;
  std::vector<ActionResult> actions;  // plan.diff.actions with their outcomes
  bool state_saved = false;
};

struct ControllerReport {
  ControllerMode mode = ControllerMode::kPlan;
  std::string run_id;
  TimestampMs now_ms = 0;
  std::vector<ClusterResult> clusters;  // ordered by name
  std::vector<std::string> warnings;    // one line each
  std::string failure;  // apply: the error that stopped it, one line; empty when none

  int Count(ActionOutcome outcome) const;
  int TotalActions() const;
};

// Runs one cycle (see above) with `executor` running the DDL of apply. Returns the
// report, also when an action failed (report.failure). Errors, each one line and
// before anything ran: the tables cannot be created or read, the catalog cannot be
// read, a strategy type is unknown ("cluster 'analytics' (u1): unknown strategy
// 'burts' (...)"), a config is bad ("cluster 'analytics' (u1), strategy burst:
// 'cooldown_s' in burst config must be ..."), a stored state does not read, or
// PlanCluster refuses.
Result<ControllerReport> RunController(PgConnection& connection, DdlExecutor& executor,
                                       const ControllerOptions& options);

// What `wipe-state` did.
struct WipeReport {
  bool all = true;                        // every row, filter or not
  std::vector<CatalogCluster> clusters;   // with a filter: the clusters it matched
  int64_t rows_deleted = 0;
};

// Deletes the stored state of every cluster (`filter.all()`), or of the clusters whose
// name it matches (read from mz_catalog.mz_clusters). Creates the tables when missing.
Result<WipeReport> WipeControllerState(PgConnection& connection, const ClusterFilter& filter,
                                       const ControlLogger& log);

// "20240131T123000Z-1a2b3c": the instant and six random hex digits.
std::string MakeRunId(TimestampMs now_ms);

// What the controller saw of a cluster: {id, name, managed, size and
// replication_factor (managed clusters only), replicas: [{name, size, status,
// hydrated}], last_activity (ISO 8601 or null)}.
nlohmann::ordered_json ClusterSnapshotJson(const ClusterSnapshot& snapshot);
// What it decided: {decisions: [{strategy, decision, reasons}], desired: [{name, size,
// why}], reasons: [...], waiting: [...]}.
nlohmann::ordered_json ClusterPlanJson(const ClusterPlan& plan);

// The audit log's decision_ctx of `action`, the sequence-th of the run: {run_id,
// action_id, sequence, decided_at, cluster: ClusterSnapshotJson, action: {kind, reason,
// expected_change}} and the members of ClusterPlanJson.
std::string DecisionContext(const std::string& run_id, const std::string& action_id, int sequence,
                            const ClusterSnapshot& snapshot, const ClusterPlan& plan, const ClusterAction& action);

}  // namespace materia
