#include "control/report_format.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace materia {

namespace {

using json = nlohmann::ordered_json;

std::string Plural(int count, const char* one, const char* many) {
  return std::to_string(count) + " " + (count == 1 ? one : many);
}

std::string ClusterHeading(const ClusterResult& cluster, bool apply) {
  const ClusterSnapshot& snapshot = cluster.snapshot;
  std::string line = snapshot.name + " (" + snapshot.id + ", " + (snapshot.managed ? "managed" : "unmanaged") + "): ";
  line += cluster.actions.empty() ? "nothing to do"
                                  : Plural(static_cast<int>(cluster.actions.size()), "action", "actions");
  if (apply) line += cluster.state_saved ? ", state saved" : ", state not saved";
  return line;
}

std::string ActionLine(const ActionResult& action, bool apply) {
  std::string line = "  ";
  if (apply) {
    std::string outcome(ActionOutcomeName(action.outcome));
    for (char& c : outcome) c = c == '_' ? ' ' : c;
    outcome.resize(std::max<size_t>(outcome.size(), 12), ' ');
    line += outcome + " " + action.action_id + "  ";
  }
  line += action.action.sql + ";  -- " + action.action.reason + "\n";
  if (apply && !action.error.empty() && action.outcome == ActionOutcome::kFailed) {
    line += "    error: " + action.error + "\n";
  }
  return line;
}

std::string Summary(const ControllerReport& report) {
  const int clusters = static_cast<int>(report.clusters.size());
  if (report.mode == ControllerMode::kPlan) {
    const int actions = report.TotalActions();
    if (actions == 0) return "plan: nothing to do on " + Plural(clusters, "cluster", "clusters") + "\n";
    return "plan: " + Plural(actions, "action", "actions") + " on " + Plural(clusters, "cluster", "clusters") +
           "; mz-schedctl apply executes " + (actions == 1 ? "it" : "them") + "\n";
  }
  return "apply (run " + report.run_id + "): " + std::to_string(report.Count(ActionOutcome::kExecuted)) +
         " executed, " + std::to_string(report.Count(ActionOutcome::kFailed)) + " failed, " +
         std::to_string(report.Count(ActionOutcome::kNotExecuted)) + " not executed on " +
         Plural(clusters, "cluster", "clusters") + "\n";
}

json ActionJson(const ActionResult& action, bool apply) {
  json object = {{"kind", ActionKindName(action.action.kind)},
                 {"sql", action.action.sql},
                 {"reason", action.action.reason},
                 {"expected_change", action.action.expected_change},
                 {"strategy", action.strategy.empty() ? json() : json(action.strategy)},
                 {"outcome", ActionOutcomeName(action.outcome)},
                 {"error", action.error.empty() ? json() : json(action.error)}};
  if (apply) object["action_id"] = action.action_id;
  return object;
}

json ClusterJson(const ClusterResult& cluster, bool apply) {
  json object = {{"cluster_id", cluster.snapshot.id},
                 {"cluster", cluster.snapshot.name},
                 {"snapshot", ClusterSnapshotJson(cluster.snapshot)}};
  object.update(ClusterPlanJson(cluster.plan));
  json actions = json::array();
  for (const ActionResult& action : cluster.actions) actions.push_back(ActionJson(action, apply));
  object["actions"] = actions;
  if (apply) object["state_saved"] = cluster.state_saved;
  return object;
}

}  // namespace

std::string FormatReportText(const ControllerReport& report) {
  const bool apply = report.mode == ControllerMode::kApply;
  std::string text;
  if (report.clusters.empty()) {
    text += "no selected cluster has a strategy: insert rows into mz_cluster_strategies (see mz-schedctl --help)\n";
  }
  for (const ClusterResult& cluster : report.clusters) {
    text += ClusterHeading(cluster, apply) + "\n";
    for (const ActionResult& action : cluster.actions) text += ActionLine(action, apply);
    for (const std::string& waiting : cluster.plan.diff.waiting) text += "  waiting: " + waiting + "\n";
  }
  for (const std::string& warning : report.warnings) text += "warning: " + warning + "\n";
  if (!report.clusters.empty()) text += Summary(report);
  return text;
}

std::string FormatReportJson(const ControllerReport& report) {
  const bool apply = report.mode == ControllerMode::kApply;
  json clusters = json::array();
  for (const ClusterResult& cluster : report.clusters) clusters.push_back(ClusterJson(cluster, apply));
  const json document = {
      {"command", apply ? "apply" : "plan"},
      {"run_id", report.run_id},
      {"decided_at", FormatIso(report.now_ms)},
      {"clusters", clusters},
      {"warnings", report.warnings},
      {"summary",
       {{"clusters", report.clusters.size()},
        {"actions", report.TotalActions()},
        {"executed", report.Count(ActionOutcome::kExecuted)},
        {"failed", report.Count(ActionOutcome::kFailed)},
        {"not_executed", report.Count(ActionOutcome::kNotExecuted)}}},
      {"failure", report.failure.empty() ? json() : json(report.failure)}};
  return document.dump(2) + "\n";
}

std::string FormatWipeText(const WipeReport& report) {
  if (report.all) {
    return "wiped the stored state of every cluster (" + Plural(static_cast<int>(report.rows_deleted), "row", "rows") +
           " deleted)\n";
  }
  std::string names;
  for (const CatalogCluster& cluster : report.clusters) {
    names += (names.empty() ? "" : ", ") + cluster.name + " (" + cluster.id + ")";
  }
  return "wiped the stored state of " + Plural(static_cast<int>(report.clusters.size()), "cluster", "clusters") +
         (names.empty() ? "" : ": " + names) + " (" + Plural(static_cast<int>(report.rows_deleted), "row", "rows") +
         " deleted)\n";
}

std::string FormatWipeJson(const WipeReport& report) {
  json clusters = json::array();
  for (const CatalogCluster& cluster : report.clusters) {
    clusters.push_back({{"cluster_id", cluster.id}, {"cluster", cluster.name}});
  }
  const json document = {{"command", "wipe-state"},
                         {"all", report.all},
                         {"clusters", report.all ? json() : clusters},
                         {"rows_deleted", report.rows_deleted}};
  return document.dump(2) + "\n";
}

}  // namespace materia
