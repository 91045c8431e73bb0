#include "control/cluster_snapshot.h"

namespace materia {

const ReplicaSnapshot* ClusterSnapshot::FindReplica(std::string_view name) const {
  for (const ReplicaSnapshot& replica : replicas) {
    if (replica.name == name) return &replica;
  }
  return nullptr;
}

bool ClusterSnapshot::AnyServing() const {
  for (const ReplicaSnapshot& replica : replicas) {
    if (replica.Serving()) return true;
  }
  return false;
}

namespace {

template <typename Replica>
std::string Describe(const std::vector<Replica>& replicas) {
  if (replicas.empty()) return "none";
  std::string text;
  for (const Replica& replica : replicas) {
    if (!text.empty()) text += ", ";
    text += replica.name + " (" + replica.size + ")";
  }
  return text;
}

}  // namespace

std::string DescribeReplicas(const std::vector<ReplicaSpec>& replicas) { return Describe(replicas); }
std::string DescribeReplicas(const std::vector<ReplicaSnapshot>& replicas) { return Describe(replicas); }

}  // namespace materia
