#include "control/differ.h"

#include <set>

#include "control/cluster_sql.h"
#include "control/strategy.h"

namespace materia {

namespace {

// Which existing replica meets each desired replica (-1: none; it is to be created).
struct Matching {
  std::vector<int> existing_of_desired;
  std::vector<bool> existing_matched;
};

Matching Match(const std::vector<ReplicaSnapshot>& existing, const std::vector<DesiredReplica>& desired) {
  Matching matching{std::vector<int>(desired.size(), -1), std::vector<bool>(existing.size(), false)};
  // Pass 1: same name and size. Pass 2: same size and serving. Pass 3: same size.
  for (int pass = 1; pass <= 3; pass++) {
    for (size_t d = 0; d < desired.size(); d++) {
      if (matching.existing_of_desired[d] >= 0) continue;
      for (size_t e = 0; e < existing.size(); e++) {
        if (matching.existing_matched[e] || existing[e].size != desired[d].spec.size) continue;
        if (pass == 1 && existing[e].name != desired[d].spec.name) continue;
        if (pass == 2 && !existing[e].Serving()) continue;
        matching.existing_of_desired[d] = static_cast<int>(e);
        matching.existing_matched[e] = true;
        break;
      }
    }
  }
  return matching;
}

std::string FreshName(const std::string& name, const std::set<std::string>& taken) {
  const int last = static_cast<int>(taken.size()) + 2;  // of these candidates one is free
  if (IsBurstReplicaName(name)) {
    for (int index = 1; index <= kReplicasMax; index++) {
      if (!taken.contains(BurstReplicaName(index))) return BurstReplicaName(index);
    }
  }
  for (int index = 2; index < last; index++) {
    std::string candidate = name + "_" + std::to_string(index);
    if (!taken.contains(candidate)) return candidate;
  }
  return name + "_" + std::to_string(last);
}

Status CheckUniqueNames(const ClusterSnapshot& current, const DesiredState& desired) {
  std::set<std::string> names;
  for (const ReplicaSnapshot& replica : current.replicas) {
    if (!names.insert(replica.name).second) {
      return Status::InvalidInput("cluster '" + current.name + "' lists replica '" + replica.name + "' twice");
    }
  }
  names.clear();
  for (const DesiredReplica& replica : desired.replicas) {
    if (!names.insert(replica.spec.name).second) {
      return Status::InvalidInput("cluster '" + current.name + "' has replica '" + replica.spec.name +
                                  "' desired twice");
    }
  }
  return Status::Ok();
}

// Applies one create or drop to `replicas` and says how it changed them.
std::string ChangeReplicas(std::vector<ReplicaSpec>* replicas, const ReplicaSpec& spec, bool create) {
  const std::string before = DescribeReplicas(*replicas);
  if (create) {
    replicas->push_back(spec);
  } else {
    std::erase(*replicas, spec);
  }
  return "replicas: " + before + " -> " + DescribeReplicas(*replicas);
}

ClusterDiff DiffUnmanaged(const ClusterSnapshot& current, const DesiredState& desired) {
  const Matching matching = Match(current.replicas, desired.replicas);
  std::set<std::string> taken;
  for (const ReplicaSnapshot& replica : current.replicas) taken.insert(replica.name);
  for (const DesiredReplica& replica : desired.replicas) taken.insert(replica.spec.name);
  std::vector<ReplicaSpec> replicas;
  for (const ReplicaSnapshot& replica : current.replicas) replicas.push_back({replica.name, replica.size});

  ClusterDiff diff;
  std::vector<std::string> unready;  // replicas that stay or come but do not serve yet
  bool staying_serves = false;
  for (size_t d = 0; d < desired.replicas.size(); d++) {
    const DesiredReplica& want = desired.replicas[d];
    const int e = matching.existing_of_desired[d];
    if (e >= 0) {
      const ReplicaSnapshot& replica = current.replicas[static_cast<size_t>(e)];
      staying_serves = staying_serves || replica.Serving();
      if (!replica.Serving()) unready.push_back(replica.name);
      continue;
    }
    ReplicaSpec spec = want.spec;
    if (current.FindReplica(spec.name) != nullptr) spec.name = FreshName(spec.name, taken);
    taken.insert(spec.name);
    unready.push_back(spec.name);
    diff.actions.push_back({ActionKind::kCreateReplica, CreateReplicaSql(current.name, spec.name, spec.size),
                            want.why, ChangeReplicas(&replicas, spec, /*create=*/true)});
  }
  const std::string wanted = DescribeReplicas(desired.Specs());
  for (size_t e = 0; e < current.replicas.size(); e++) {
    if (matching.existing_matched[e]) continue;
    const ReplicaSnapshot& replica = current.replicas[e];
    const ReplicaSpec spec{replica.name, replica.size};
    if (replica.Serving() && !staying_serves && !desired.replicas.empty()) {
      std::string names;
      for (const std::string& name : unready) names += (names.empty() ? "" : ", ") + name;
      diff.waiting.push_back(replica.name + " (" + replica.size + ") is kept until a replacement is hydrated (" +
                             names + " not yet)");
      continue;
    }
    diff.actions.push_back({ActionKind::kDropReplica, DropReplicaSql(current.name, replica.name),
                            "not among the desired replicas (" + wanted + ")",
                            ChangeReplicas(&replicas, spec, /*create=*/false)});
  }
  return diff;
}

Result<ClusterDiff> DiffManaged(const ClusterSnapshot& current, const DesiredState& desired) {
  const int factor = static_cast<int>(desired.replicas.size());
  std::string size = current.size;
  if (factor > 0) size = desired.replicas.front().spec.size;
  for (const DesiredReplica& replica : desired.replicas) {
    if (replica.spec.size == size) continue;
    return Status::InvalidInput("cluster '" + current.name + "' is managed, so its replicas share one size, but '" +
                                size + "' and '" + replica.spec.size + "' are desired");
  }
  ClusterDiff diff;
  const ClusterAction set_factor{
      ActionKind::kSetReplicationFactor, SetReplicationFactorSql(current.name, factor),
      "desired replicas: " + DescribeReplicas(desired.Specs()),
      "replication factor: " + std::to_string(current.replication_factor) + " -> " + std::to_string(factor)};
  const bool factor_changes = factor != current.replication_factor;
  const bool size_changes = size != current.size;
  if (factor_changes && factor < current.replication_factor) diff.actions.push_back(set_factor);
  if (size_changes) {
    diff.actions.push_back({ActionKind::kSetSize, SetSizeSql(current.name, size), desired.replicas.front().why,
                            "size: '" + current.size + "' -> '" + size + "'"});
  }
  if (factor_changes && factor > current.replication_factor) diff.actions.push_back(set_factor);
  return diff;
}

}  // namespace

std::string_view ActionKindName(ActionKind kind) {
  switch (kind) {
    case ActionKind::kCreateReplica: return "create_replica";
    case ActionKind::kDropReplica: return "drop_replica";
    case ActionKind::kSetSize: return "set_size";
    case ActionKind::kSetReplicationFactor: return "set_replication_factor";
  }
  return "unknown";
}

Result<ClusterDiff> DiffCluster(const ClusterSnapshot& current, const DesiredState& desired) {
  MATERIA_RETURN_IF_ERROR(CheckUniqueNames(current, desired));
  if (current.managed) return DiffManaged(current, desired);
  return DiffUnmanaged(current, desired);
}

}  // namespace materia
