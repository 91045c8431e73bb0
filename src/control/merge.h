// Merging the decisions of a cluster's strategies into one desired state: the
// replicas the cluster should run, each with why, and the reasons behind the whole.
//
// The rules, applied in this fixed order:
//   1. Steady replicas: those target_size asks for. With no target_size strategy, the
//      replicas the cluster runs now that are not burst replicas, kept as they are (for
//      a managed cluster, replication_factor replicas of its size, named r1, r2, ...).
//   2. Burst replicas are added on top of the steady ones.
//   3. While idle_suspend asks for no replicas (only while the cluster is idle), there
//      are none: zero wins over target_size and burst. Once activity returns,
//      idle_suspend has no opinion and rules 1 and 2 bring the replicas back.
//   4. Bounds clamp last. The bounds are the tightest of all strategies: the largest
//      min_replicas and the smallest max_replicas. Above max_replicas, burst replicas
//      are left out first (the last added first), then steady ones from the end. Below
//      min_replicas, steady replicas that a suspension left out come back first, then
//      copies of the first steady replica (named <name>_2, <name>_3, ...); with no
//      steady replica to copy, the shortfall is a reason. max_replicas wins over a
//      larger min_replicas.
// The differ (differ.h) then plans the way there, and never drops the last serving
// replica while a replacement does not serve yet.
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "control/cluster_snapshot.h"
#include "control/strategy.h"

namespace materia {

struct DesiredReplica {
  ReplicaSpec spec;
  std::string why;  // one line: "target_size: one replica r1 of size 'medium'"
};

struct DesiredState {
  std::vector<DesiredReplica> replicas;  // names unique; steady first, then burst
  std::vector<std::string> reasons;      // the strategies' reasons in merge order, then the merge's own

  std::vector<ReplicaSpec> Specs() const;
};

// Merges the decisions taken for `snapshot`'s cluster, at most one per strategy, in any
// order. Returns kInvalidInput when two decisions come from the same strategy
// ("cluster 'c' has more than one target_size strategy").
Result<DesiredState> MergeDecisions(const ClusterSnapshot& snapshot,
                                    const std::vector<StrategyDecision>& decisions);

}  // namespace materia
