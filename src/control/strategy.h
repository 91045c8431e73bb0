// Scaling strategies: pure functions that decide, for one cluster and one instant,
// which replicas the cluster should run, and why.
//
// A strategy is (snapshot, config, state) -> (decision, next state), with the instant
// taken from snapshot.now_ms; it reads nothing else and writes nothing. Three exist:
//
//   target_size   the cluster runs one replica of target_size, named replica_name.
//   burst         extra replicas of burst_replica_size, named burst_1, burst_2, ...:
//                 while no replica serves (or the activity latency is above
//                 scale_up_threshold_ms) one more is asked for per decision, as long
//                 as the cluster has fewer than max_replicas replicas; once a steady
//                 (not burst) replica serves and the latency is fine, none; otherwise
//                 the burst replicas there are kept.
//   idle_suspend  no replicas at all once there was no activity for idle_after_s
//                 (a cluster with no recorded activity counts as idle); otherwise no
//                 opinion, so that the cluster comes back through target_size.
//
// Around each strategy's own rule, the same two brakes apply:
//   - cooldown_s: after the decision changed, it keeps for cooldown_s before it may
//     change again.
//   - stabilization_s: a scale-down (a decision asking for fewer replicas than the one
//     in force) is acted on only when every decision for the last stabilization_s
//     asked for that few replicas or fewer, as Kubernetes' HPA does. Decisions are
//     counted from when they were first seen, so a freshly started state waits a
//     whole window before it scales down.
// A decision's *level* is the number of replicas it asks for: target_size 1, burst
// its extra replicas, idle_suspend 0 while idle and unbounded otherwise.
//
// State persists between cycles as JSON carrying kStateVersion. A missing state, or
// one written with another version, starts fresh: each strategy then takes what the
// cluster runs now as the decision in force, with no cooldown running.
//
// Plain values and pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "control/cluster_snapshot.h"
#include "control/strategy_config.h"

namespace materia {

enum class DecisionKind {
  kNoOpinion,  // the strategy leaves the replicas to the others
  kReplicas,   // the cluster's steady replicas are exactly `replicas` (target_size)
  kExtra,      // `replicas` run on top of the steady ones, maybe none (burst)
  kSuspend,    // no replicas at all (idle_suspend)
};

constexpr int kLevelUnbounded = std::numeric_limits<int>::max();

struct StrategyDecision {
  StrategyKind strategy = StrategyKind::kTargetSize;
  DecisionKind kind = DecisionKind::kNoOpinion;
  std::vector<ReplicaSpec> replicas;
  // The bounds of the strategy that decided, applied when decisions are merged.
  int min_replicas = 0;
  std::optional<int> max_replicas;
  // One line each, "burst: no replica is hydrated"; in the order they were reached.
  std::vector<std::string> reasons;

  // The number of replicas asked for (kLevelUnbounded for no opinion).
  int Level() const;
  // True when both ask for the same thing (kind and replicas; reasons aside).
  bool SameAs(const StrategyDecision& other) const;
};

// "r1 (medium)", "no extra replicas", "no replicas", "no opinion".
std::string DescribeDecision(const StrategyDecision& decision);

// A stretch of time during which a strategy's own rule asked for one level:
// from since_ms (included) to the next run's since_ms (not included), or now.
struct LevelRun {
  TimestampMs since_ms = 0;
  int level = 0;
  bool operator==(const LevelRun& other) const = default;
};
constexpr size_t kLevelRunsMax = 64;  // older runs are forgotten (then no scale-down is stable)

// What one strategy remembers about one cluster.
struct StrategyState {
  std::optional<StrategyDecision> applied;   // the decision in force (kind and replicas only)
  std::optional<TimestampMs> changed_at_ms;  // when it last changed; starts the cooldown
  std::vector<LevelRun> recent;              // covering at least the stabilization window
};

// What the controller remembers about one cluster: one state per configured strategy.
struct ClusterState {
  std::map<StrategyKind, StrategyState> strategies;
};

constexpr int kStateVersion = 1;

// Reads a state payload. No payload, a payload that is not an object with
// "state_version": kStateVersion, or one with another version: a fresh state. A
// payload of this version that does not read is kInvalidInput, one line ending
// "wipe the state to start fresh".
Result<ClusterState> ParseClusterState(const std::optional<std::string>& payload);
// The payload ParseClusterState reads back: {"state_version":1,"strategies":{...}}.
std::string ClusterStateToJson(const ClusterState& state);

struct StrategyOutcome {
  StrategyDecision decision;  // what the strategy asks for now, cooldown and stabilization applied
  StrategyState next_state;   // to be stored for the next cycle
};

// Runs one strategy for one cluster at snapshot.now_ms.
StrategyOutcome EvaluateStrategy(const ClusterSnapshot& snapshot, const StrategyConfig& config,
                                 const StrategyState& state);

// The strategy's own rule, without cooldown or stabilization.
StrategyDecision DecideWithoutBrakes(const ClusterSnapshot& snapshot, const StrategyConfig& config);

// Burst replicas are named burst_1 .. burst_<kReplicasMax>.
std::string BurstReplicaName(int index);
bool IsBurstReplicaName(std::string_view name);

}  // namespace materia
