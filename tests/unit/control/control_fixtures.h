// Builders shared by the control tests: snapshots of clusters and replicas written
// the way a reader thinks of them ("r1, small, hydrated"), and configs from JSON text.
// Materialize cannot run here, so every snapshot is built by hand, as the catalog
// queries of mz-schedctl would return it.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "control/cluster_snapshot.h"
#include "control/strategy_config.h"

namespace materia::control_test {

constexpr TimestampMs kT0 = 1'700'000'000'000;  // 2023-11-14 22:13:20 UTC

inline TimestampMs AtSecond(int64_t seconds) { return kT0 + seconds * kMsPerSecond; }

inline ReplicaSnapshot Hydrated(std::string name, std::string size) {
  return {std::move(name), std::move(size), "online", true};
}
inline ReplicaSnapshot Hydrating(std::string name, std::string size) {
  return {std::move(name), std::move(size), "online", false};
}
inline ReplicaSnapshot Offline(std::string name, std::string size) {
  return {std::move(name), std::move(size), "offline", true};
}

inline ClusterSnapshot Unmanaged(std::vector<ReplicaSnapshot> replicas, TimestampMs now_ms = kT0) {
  ClusterSnapshot snapshot;
  snapshot.id = "u1";
  snapshot.name = "analytics";
  snapshot.replicas = std::move(replicas);
  snapshot.last_activity_ms = now_ms;
  snapshot.now_ms = now_ms;
  return snapshot;
}

// A managed cluster whose replicas r1..r<factor> are all hydrated.
inline ClusterSnapshot Managed(std::string size, int replication_factor, TimestampMs now_ms = kT0) {
  ClusterSnapshot snapshot = Unmanaged({}, now_ms);
  snapshot.managed = true;
  snapshot.size = size;
  snapshot.replication_factor = replication_factor;
  for (int index = 1; index <= replication_factor; index++) {
    snapshot.replicas.push_back(Hydrated("r" + std::to_string(index), size));
  }
  return snapshot;
}

inline StrategyConfig Config(std::string_view kind, std::string_view json) {
  Result<StrategyConfig> config = ParseStrategyConfig(kind, json);
  EXPECT_TRUE(config.ok()) << kind << " " << json << ": " << config.status().message();
  return config.ok() ? *config : StrategyConfig{};
}

inline std::vector<std::string> Names(const std::vector<ReplicaSpec>& replicas) {
  std::vector<std::string> names;
  for (const ReplicaSpec& replica : replicas) names.push_back(replica.name + " " + replica.size);
  return names;
}

}  // namespace materia::control_test
