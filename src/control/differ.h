// The differ: from the replicas a cluster runs now and the desired state (merge.h),
// the ordered actions that move it there, each with its SQL, why, and the change it
// is expected to make.
//
// Unmanaged clusters are changed replica by replica. A desired replica is met by the
// replica of the same name and size, else by one of the same size (one that serves
// first); a desired replica not met is created, under its own name if free, else the
// first free <name>_2, <name>_3, ... (burst replicas: the first free burst_<n>).
// Replicas that meet no desired replica are dropped, with one guarantee: a serving
// replica (online and hydrated) is dropped only when a replica that stays serves
// already, or when the cluster is to run no replicas at all. So a resize is a create
// in one cycle and the drop of the old replica in the first cycle that finds the new
// one hydrated; until then the plan says what it waits for. Creates come before drops.
//
// Managed clusters are changed with ALTER CLUSTER: the replication factor is the
// number of desired replicas and the size theirs (they must share one size). When
// the factor goes down it is set first, otherwise the size is (so no replica is
// started at a size about to change). A cluster going to no replicas keeps its size.
// Materialize replaces the replicas of a managed cluster itself on a size change.
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "control/cluster_snapshot.h"
#include "control/merge.h"

namespace materia {

enum class ActionKind { kCreateReplica, kDropReplica, kSetSize, kSetReplicationFactor };

// "create_replica", "drop_replica", "set_size", "set_replication_factor".
std::string_view ActionKindName(ActionKind kind);

struct ClusterAction {
  ActionKind kind = ActionKind::kCreateReplica;
  std::string sql;
  std::string reason;           // one line
  std::string expected_change;  // "replicas: r1 (small) -> r1 (small), r1_2 (medium)", "replication factor: 1 -> 0"
};

struct ClusterDiff {
  std::vector<ClusterAction> actions;  // to run in this order
  std::vector<std::string> waiting;    // changes left for a later cycle, and why
};

// Plans the actions from `current` to `desired`. Returns kInvalidInput when a managed
// cluster's desired replicas have different sizes, or a name is listed twice.
Result<ClusterDiff> DiffCluster(const ClusterSnapshot& current, const DesiredState& desired);

}  // namespace materia
