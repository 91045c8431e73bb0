#include "control/strategy.h"

#include <algorithm>
#include <cassert>

#include "base/text.h"

namespace materia {

namespace {

std::string Prefix(StrategyKind kind) { return std::string(StrategyKindName(kind)) + ": "; }

std::string Seconds(TimestampMs ms) { return std::to_string(ms / kMsPerSecond) + "s"; }

StrategyDecision NewDecision(const StrategyConfig& config, DecisionKind kind) {
  StrategyDecision decision;
  decision.strategy = config.kind;
  decision.kind = kind;
  decision.min_replicas = config.min_replicas;
  decision.max_replicas = config.max_replicas;
  return decision;
}

StrategyDecision DecideTargetSize(const StrategyConfig& config) {
  StrategyDecision decision = NewDecision(config, DecisionKind::kReplicas);
  decision.replicas.push_back({config.replica_name, config.target_size});
  decision.reasons.push_back(Prefix(config.kind) + "one replica " + config.replica_name + " of size '" +
                             config.target_size + "'");
  return decision;
}

// The burst replicas the cluster runs now, in the order of the snapshot.
std::vector<ReplicaSpec> CurrentBurstReplicas(const ClusterSnapshot& snapshot) {
  std::vector<ReplicaSpec> burst;
  for (const ReplicaSnapshot& replica : snapshot.replicas) {
    if (IsBurstReplicaName(replica.name)) burst.push_back({replica.name, replica.size});
  }
  return burst;
}

// burst_1 .. burst_<count>, all of the configured size.
std::vector<ReplicaSpec> BurstReplicas(const StrategyConfig& config, int count) {
  std::vector<ReplicaSpec> replicas;
  for (int index = 1; index <= count; index++) {
    replicas.push_back({BurstReplicaName(index), config.burst_replica_size});
  }
  return replicas;
}

const ReplicaSnapshot* FirstServingSteadyReplica(const ClusterSnapshot& snapshot) {
  for (const ReplicaSnapshot& replica : snapshot.replicas) {
    if (replica.Serving() && !IsBurstReplicaName(replica.name)) return &replica;
  }
  return nullptr;
}

StrategyDecision DecideBurst(const ClusterSnapshot& snapshot, const StrategyConfig& config) {
  assert(config.max_replicas.has_value());
  StrategyDecision decision = NewDecision(config, DecisionKind::kExtra);
  const std::string prefix = Prefix(config.kind);
  const int current = static_cast<int>(CurrentBurstReplicas(snapshot).size());
  const bool latency_high = config.scale_up_threshold_ms && snapshot.activity_latency_ms &&
                            *snapshot.activity_latency_ms > *config.scale_up_threshold_ms;
  const bool serving = snapshot.AnyServing();
  if (!serving || latency_high) {
    decision.reasons.push_back(prefix + (!serving ? std::string("no replica is hydrated")
                                                  : "activity latency " + std::to_string(*snapshot.activity_latency_ms) +
                                                        "ms is above scale_up_threshold_ms " +
                                                        std::to_string(*config.scale_up_threshold_ms)));
    const int total = static_cast<int>(snapshot.replicas.size());
    if (total < *config.max_replicas) {
      decision.replicas = BurstReplicas(config, current + 1);
      decision.reasons.push_back(prefix + "adds " + BurstReplicaName(current + 1) + " (" +
                                 config.burst_replica_size + ")");
    } else {
      decision.replicas = BurstReplicas(config, current);
      decision.reasons.push_back(prefix + "the cluster has " + std::to_string(total) +
                                 " replicas, max_replicas " + std::to_string(*config.max_replicas) +
                                 ": no burst replica added");
    }
    return decision;
  }
  if (const ReplicaSnapshot* steady = FirstServingSteadyReplica(snapshot)) {
    decision.reasons.push_back(prefix + "steady replica " + steady->name +
                               " is hydrated: no burst replica needed");
    return decision;
  }
  decision.replicas = BurstReplicas(config, current);
  decision.reasons.push_back(prefix + "only burst replicas are hydrated: kept until a steady replica is");
  return decision;
}

StrategyDecision DecideIdleSuspend(const ClusterSnapshot& snapshot, const StrategyConfig& config) {
  const std::string prefix = Prefix(config.kind);
  const std::string setting = "idle_after_s " + std::to_string(config.idle_after_s);
  if (!snapshot.last_activity_ms) {
    StrategyDecision decision = NewDecision(config, DecisionKind::kSuspend);
    decision.reasons.push_back(prefix + "no activity recorded (" + setting + "): no replicas");
    return decision;
  }
  const TimestampMs idle_ms = snapshot.now_ms - *snapshot.last_activity_ms;
  if (idle_ms >= config.idle_after_s * kMsPerSecond) {
    StrategyDecision decision = NewDecision(config, DecisionKind::kSuspend);
    decision.reasons.push_back(prefix + "no activity for " + Seconds(idle_ms) + " (" + setting +
                               "): no replicas");
    return decision;
  }
  StrategyDecision decision = NewDecision(config, DecisionKind::kNoOpinion);
  decision.reasons.push_back(prefix + "last activity " + Seconds(std::max<TimestampMs>(idle_ms, 0)) +
                             " ago (" + setting + ")");
  return decision;
}

// The decision taken to be in force when a strategy has no state: what the cluster
// runs now, as far as the strategy is concerned.
StrategyDecision Baseline(const ClusterSnapshot& snapshot, const StrategyConfig& config) {
  switch (config.kind) {
    case StrategyKind::kTargetSize:
      return DecideTargetSize(config);
    case StrategyKind::kBurst: {
      StrategyDecision decision = NewDecision(config, DecisionKind::kExtra);
      decision.replicas = CurrentBurstReplicas(snapshot);
      return decision;
    }
    case StrategyKind::kIdleSuspend: {
      const bool none = snapshot.managed ? snapshot.replication_factor == 0 : snapshot.replicas.empty();
      return NewDecision(config, none ? DecisionKind::kSuspend : DecisionKind::kNoOpinion);
    }
  }
  return NewDecision(config, DecisionKind::kNoOpinion);
}

// Appends `level` at `now_ms` to the runs and forgets the runs that ended before the
// window began (the run in force at its start is kept).
void RecordLevel(std::vector<LevelRun>* runs, int level, TimestampMs now_ms, TimestampMs window_ms) {
  if (runs->empty() || runs->back().level != level) runs->push_back({now_ms, level});
  const TimestampMs window_start_ms = now_ms - window_ms;
  size_t forget = 0;
  while (forget + 1 < runs->size() && (*runs)[forget + 1].since_ms <= window_start_ms) forget++;
  if (runs->size() - forget > kLevelRunsMax) forget = runs->size() - kLevelRunsMax;
  runs->erase(runs->begin(), runs->begin() + static_cast<std::ptrdiff_t>(forget));
}

// Since when every recorded decision asked for `level` replicas or fewer.
TimestampMs AgreeingSince(const std::vector<LevelRun>& runs, int level) {
  assert(!runs.empty() && runs.back().level <= level);
  size_t first = runs.size() - 1;
  while (first > 0 && runs[first - 1].level <= level) first--;
  return runs[first].since_ms;
}

StrategyDecision Held(const StrategyDecision& applied, const StrategyDecision& wanted, std::string why) {
  StrategyDecision held = wanted;  // strategy and bounds
  held.kind = applied.kind;
  held.replicas = applied.replicas;
  held.reasons.push_back(Prefix(wanted.strategy) + why + ": keeps " + DescribeDecision(applied) +
                         " instead of " + DescribeDecision(wanted));
  return held;
}

}  // namespace

int StrategyDecision::Level() const {
  switch (kind) {
    case DecisionKind::kNoOpinion: return kLevelUnbounded;
    case DecisionKind::kSuspend: return 0;
    case DecisionKind::kReplicas:
    case DecisionKind::kExtra: return static_cast<int>(replicas.size());
  }
  return kLevelUnbounded;
}

bool StrategyDecision::SameAs(const StrategyDecision& other) const {
  return kind == other.kind && replicas == other.replicas;
}

std::string DescribeDecision(const StrategyDecision& decision) {
  switch (decision.kind) {
    case DecisionKind::kNoOpinion: return "no opinion";
    case DecisionKind::kSuspend: return "no replicas";
    case DecisionKind::kExtra:
      if (decision.replicas.empty()) return "no extra replicas";
      return DescribeReplicas(decision.replicas);
    case DecisionKind::kReplicas: return DescribeReplicas(decision.replicas);
  }
  return "";
}

std::string BurstReplicaName(int index) { return "burst_" + std::to_string(index); }

bool IsBurstReplicaName(std::string_view name) {
  constexpr std::string_view kPrefix = "burst_";
  if (!name.starts_with(kPrefix)) return false;
  const std::string_view digits = name.substr(kPrefix.size());
  if (!IsAllDigits(digits) || digits.size() > 2 || digits[0] == '0') return false;
  const int index = std::stoi(std::string(digits));
  return index >= 1 && index <= kReplicasMax;
}

StrategyDecision DecideWithoutBrakes(const ClusterSnapshot& snapshot, const StrategyConfig& config) {
  switch (config.kind) {
    case StrategyKind::kTargetSize: return DecideTargetSize(config);
    case StrategyKind::kBurst: return DecideBurst(snapshot, config);
    case StrategyKind::kIdleSuspend: return DecideIdleSuspend(snapshot, config);
  }
  return NewDecision(config, DecisionKind::kNoOpinion);
}

StrategyOutcome EvaluateStrategy(const ClusterSnapshot& snapshot, const StrategyConfig& config,
                                 const StrategyState& state) {
  const TimestampMs now_ms = snapshot.now_ms;
  const StrategyDecision wanted = DecideWithoutBrakes(snapshot, config);
  StrategyOutcome outcome{wanted, state};
  StrategyState& next = outcome.next_state;
  const TimestampMs window_ms = config.stabilization_s * kMsPerSecond;
  RecordLevel(&next.recent, wanted.Level(), now_ms, window_ms);

  const StrategyDecision applied = state.applied ? *state.applied : Baseline(snapshot, config);
  const TimestampMs cooldown_ms = config.cooldown_s * kMsPerSecond;
  if (wanted.SameAs(applied)) {
    // Nothing changes; the decision in force is confirmed.
  } else if (state.changed_at_ms && now_ms - *state.changed_at_ms < cooldown_ms) {
    const TimestampMs left_ms = cooldown_ms - (now_ms - *state.changed_at_ms);
    outcome.decision = Held(applied, wanted, "cooldown_s " + std::to_string(config.cooldown_s) + " has " +
                                                 Seconds(left_ms + kMsPerSecond - 1) + " left");
  } else if (wanted.Level() < applied.Level() && window_ms > 0 &&
             AgreeingSince(next.recent, wanted.Level()) > now_ms - window_ms) {
    const TimestampMs agreeing_ms = now_ms - AgreeingSince(next.recent, wanted.Level());
    outcome.decision = Held(applied, wanted, "stabilization_s " + std::to_string(config.stabilization_s) +
                                                 " holds the scale-down, asked for " + Seconds(agreeing_ms) +
                                                 " so far");
  } else {
    next.changed_at_ms = now_ms;
  }
  StrategyDecision in_force = outcome.decision;
  in_force.reasons.clear();
  next.applied = in_force;
  return outcome;
}

}  // namespace materia
