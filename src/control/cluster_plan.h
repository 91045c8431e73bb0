// One cycle of the cluster controller for one cluster, as a pure function: run each
// configured strategy (strategy.h), merge their decisions (merge.h), and diff the
// result against what the cluster runs (differ.h). This is what `mz-schedctl plan`
// shows and `apply` runs; reading the catalog, running the SQL, storing the state and
// writing the audit log are the caller's.
//
// Pure functions; thread-safe.
#pragma once

#include <vector>

#include "base/status.h"
#include "control/cluster_snapshot.h"
#include "control/differ.h"
#include "control/merge.h"
#include "control/strategy.h"
#include "control/strategy_config.h"

namespace materia {

struct ClusterPlan {
  std::vector<StrategyDecision> decisions;  // one per configured strategy, in merge order
  DesiredState desired;
  ClusterDiff diff;          // the actions, in order, and what waits for a later cycle
  ClusterState next_state;   // to store once the actions ran (one state per configured strategy)
};

// Plans one cycle for `snapshot`'s cluster with its configured strategies (at most one
// of each kind) and its stored state. Returns kInvalidInput, one line naming the
// cluster, when a strategy is configured twice, when burst is configured for a managed
// cluster (burst replicas are created and dropped one by one, which a managed
// cluster does not allow), or when the differ refuses the desired state.
Result<ClusterPlan> PlanCluster(const ClusterSnapshot& snapshot, const std::vector<StrategyConfig>& configs,
                                const ClusterState& state);

}  // namespace materia
