#include "control/cluster_plan.h"

namespace materia {

Result<ClusterPlan> PlanCluster(const ClusterSnapshot& snapshot, const std::vector<StrategyConfig>& configs,
                                const ClusterState& state) {
  ClusterPlan plan;
  for (StrategyKind kind : kStrategyKinds) {
    const StrategyConfig* config = nullptr;
    for (const StrategyConfig& candidate : configs) {
      if (candidate.kind != kind) continue;
      if (config != nullptr) {
        return Status::InvalidInput("cluster '" + snapshot.name + "' has more than one " +
                                    std::string(StrategyKindName(kind)) + " strategy");
      }
      config = &candidate;
    }
    if (config == nullptr) continue;
    if (kind == StrategyKind::kBurst && snapshot.managed) {
      return Status::InvalidInput("cluster '" + snapshot.name +
                                  "' is managed, but burst needs an unmanaged cluster (it creates and drops "
                                  "replicas one by one)");
    }
    const auto stored = state.strategies.find(kind);
    StrategyOutcome outcome =
        EvaluateStrategy(snapshot, *config, stored == state.strategies.end() ? StrategyState{} : stored->second);
    plan.decisions.push_back(std::move(outcome.decision));
    plan.next_state.strategies[kind] = std::move(outcome.next_state);
  }
  MATERIA_ASSIGN_OR_RETURN(plan.desired, MergeDecisions(snapshot, plan.decisions));
  MATERIA_ASSIGN_OR_RETURN(plan.diff, DiffCluster(snapshot, plan.desired));
  return plan;
}

}  // namespace materia
