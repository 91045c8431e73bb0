#include "control/merge.h"

#include <algorithm>
#include <set>

namespace materia {

namespace {

struct Bounds {
  int min_replicas = 0;
  std::optional<int> max_replicas;
};

Bounds TightestBounds(const std::vector<const StrategyDecision*>& decisions) {
  Bounds bounds;
  for (const StrategyDecision* decision : decisions) {
    bounds.min_replicas = std::max(bounds.min_replicas, decision->min_replicas);
    if (decision->max_replicas) {
      bounds.max_replicas = std::min(bounds.max_replicas.value_or(kReplicasMax), *decision->max_replicas);
    }
  }
  return bounds;
}

// Rule 1 without target_size: what the cluster runs now, burst replicas aside.
std::vector<DesiredReplica> CurrentSteadyReplicas(const ClusterSnapshot& snapshot) {
  std::vector<DesiredReplica> steady;
  const std::string why = "no target_size strategy: kept as it is";
  if (snapshot.managed) {
    for (int index = 1; index <= snapshot.replication_factor; index++) {
      steady.push_back({{"r" + std::to_string(index), snapshot.size}, why});
    }
    return steady;
  }
  for (const ReplicaSnapshot& replica : snapshot.replicas) {
    if (!IsBurstReplicaName(replica.name)) steady.push_back({{replica.name, replica.size}, why});
  }
  return steady;
}

std::vector<ReplicaSpec> SpecsOf(const std::vector<DesiredReplica>& replicas) {
  std::vector<ReplicaSpec> specs;
  for (const DesiredReplica& replica : replicas) specs.push_back(replica.spec);
  return specs;
}

std::vector<DesiredReplica> FromDecision(const StrategyDecision& decision) {
  std::vector<DesiredReplica> replicas;
  const std::string why = decision.reasons.empty() ? std::string(StrategyKindName(decision.strategy))
                                                   : decision.reasons.back();
  for (const ReplicaSpec& spec : decision.replicas) replicas.push_back({spec, why});
  return replicas;
}

// Rule 4, the upper bound: burst replicas go first, then steady ones, from the end.
void ClampToMax(int max_replicas, std::vector<DesiredReplica>* steady, std::vector<DesiredReplica>* burst,
                DesiredState* desired) {
  std::vector<ReplicaSpec> left_out;
  while (static_cast<int>(steady->size() + burst->size()) > max_replicas) {
    std::vector<DesiredReplica>* from = burst->empty() ? steady : burst;
    left_out.insert(left_out.begin(), from->back().spec);
    from->pop_back();
  }
  if (left_out.empty()) return;
  desired->reasons.push_back("max_replicas " + std::to_string(max_replicas) + ": leaves out " +
                             DescribeReplicas(left_out));
}

// The first "<name>_<n>" (n = 2, 3, ...) not in `taken`.
std::string CopyName(const std::string& name, const std::set<std::string>& taken) {
  // Of taken.size() + 1 candidates, at least one is free.
  const int last = static_cast<int>(taken.size()) + 2;
  for (int index = 2; index < last; index++) {
    std::string candidate = name + "_" + std::to_string(index);
    if (!taken.contains(candidate)) return candidate;
  }
  return name + "_" + std::to_string(last);
}

// Rule 4, the lower bound: suspended steady replicas return, then copies of the first.
void FillToMin(int min_replicas, const std::vector<DesiredReplica>& suspended, std::vector<DesiredReplica>* steady,
               const std::vector<DesiredReplica>& burst, DesiredState* desired) {
  const std::string why = "min_replicas " + std::to_string(min_replicas);
  auto count = [&] { return static_cast<int>(steady->size() + burst.size()); };
  std::vector<ReplicaSpec> added;
  for (const DesiredReplica& replica : suspended) {
    if (count() >= min_replicas) break;
    steady->push_back({replica.spec, why});
    added.push_back(replica.spec);
  }
  std::set<std::string> taken;
  for (const DesiredReplica& replica : *steady) taken.insert(replica.spec.name);
  for (const DesiredReplica& replica : burst) taken.insert(replica.spec.name);
  while (count() < min_replicas && !steady->empty()) {
    const ReplicaSpec copy{CopyName(steady->front().spec.name, taken), steady->front().spec.size};
    taken.insert(copy.name);
    steady->push_back({copy, why});
    added.push_back(copy);
  }
  if (!added.empty()) desired->reasons.push_back(why + ": adds " + DescribeReplicas(added));
  if (count() < min_replicas) {
    desired->reasons.push_back(why + " not reached: no steady replica to copy the size of");
  }
}

}  // namespace

std::vector<ReplicaSpec> DesiredState::Specs() const { return SpecsOf(replicas); }

Result<DesiredState> MergeDecisions(const ClusterSnapshot& snapshot,
                                    const std::vector<StrategyDecision>& decisions) {
  std::vector<const StrategyDecision*> ordered;
  for (StrategyKind kind : kStrategyKinds) {
    const StrategyDecision* found = nullptr;
    for (const StrategyDecision& decision : decisions) {
      if (decision.strategy != kind) continue;
      if (found != nullptr) {
        return Status::InvalidInput("cluster '" + snapshot.name + "' has more than one " +
                                    std::string(StrategyKindName(kind)) + " strategy");
      }
      found = &decision;
    }
    if (found != nullptr) ordered.push_back(found);
  }
  DesiredState desired;
  const StrategyDecision* target = nullptr;
  const StrategyDecision* extra = nullptr;
  const StrategyDecision* suspend = nullptr;
  for (const StrategyDecision* decision : ordered) {
    desired.reasons.insert(desired.reasons.end(), decision->reasons.begin(), decision->reasons.end());
    if (decision->kind == DecisionKind::kReplicas) target = decision;
    if (decision->kind == DecisionKind::kExtra) extra = decision;
    if (decision->kind == DecisionKind::kSuspend) suspend = decision;
  }
  std::vector<DesiredReplica> steady = target ? FromDecision(*target) : CurrentSteadyReplicas(snapshot);
  std::vector<DesiredReplica> burst = extra ? FromDecision(*extra) : std::vector<DesiredReplica>{};
  std::vector<DesiredReplica> suspended;
  if (suspend != nullptr) {
    if (!steady.empty() || !burst.empty()) {
      std::vector<ReplicaSpec> left_out = SpecsOf(steady);
      for (const DesiredReplica& replica : burst) left_out.push_back(replica.spec);
      desired.reasons.push_back("idle_suspend wins while idle: leaves out " + DescribeReplicas(left_out));
    }
    suspended = std::move(steady);
    steady.clear();
    burst.clear();
  }
  const Bounds bounds = TightestBounds(ordered);
  if (bounds.min_replicas > 0) FillToMin(bounds.min_replicas, suspended, &steady, burst, &desired);
  if (bounds.max_replicas) ClampToMax(*bounds.max_replicas, &steady, &burst, &desired);
  desired.replicas = std::move(steady);
  desired.replicas.insert(desired.replicas.end(), burst.begin(), burst.end());
  return desired;
}

}  // namespace materia
