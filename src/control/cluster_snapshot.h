// What the cluster controller knows about one Materialize cluster at one instant,
// and the vocabulary of replicas it decides with.
//
// A ClusterSnapshot is read from Materialize's catalog once per cycle (the reading is
// not here): the cluster, whether Materialize manages its replicas (a managed cluster
// has one size and a replication factor; Materialize names its replicas r1, r2, ...),
// its replicas with their status and hydration, the time of the last activity on it
// and an activity latency figure. `now_ms` is the instant of the snapshot: every
// decision of a cycle is taken at this one instant, so decisions are pure functions
// of the snapshot and can be replayed in tests.
//
// A replica *serves* when it is online and hydrated: only such a replica answers
// queries with fresh results. The controller never plans to drop the last serving
// replica while its replacement does not serve yet.
//
// Plain values; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.h"

namespace materia {

struct ReplicaSnapshot {
  std::string name;
  std::string size;
  std::string status = "online";  // as Materialize reports it: "online", "offline", ...
  bool hydrated = false;

  // True when the replica answers queries now: online and hydrated.
  bool Serving() const { return hydrated && status == "online"; }
};

struct ClusterSnapshot {
  std::string id;    // "u1"
  std::string name;  // as in the catalog, unquoted
  bool managed = false;
  std::string size;             // managed clusters only: the size of every replica
  int replication_factor = 0;   // managed clusters only
  std::vector<ReplicaSnapshot> replicas;  // names unique
  std::optional<TimestampMs> last_activity_ms;  // the latest finished activity; none seen: empty
  std::optional<int64_t> activity_latency_ms;   // of recent statements (materialize_catalog.h); none: empty
  TimestampMs now_ms = 0;

  // The replica named `name`, or nullptr.
  const ReplicaSnapshot* FindReplica(std::string_view name) const;
  // True when at least one replica serves.
  bool AnyServing() const;
};

// A replica the controller wants: a name and a size. Two specs are equal when both are.
struct ReplicaSpec {
  std::string name;
  std::string size;
  bool operator==(const ReplicaSpec& other) const = default;
};

// "r1 (small), burst_1 (xl)"; "none" for an empty list.
std::string DescribeReplicas(const std::vector<ReplicaSpec>& replicas);
std::string DescribeReplicas(const std::vector<ReplicaSnapshot>& replicas);

}  // namespace materia
