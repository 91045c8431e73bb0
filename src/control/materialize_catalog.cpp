#include "control/materialize_catalog.h"

#include <charconv>
#include <map>

namespace materia {

namespace {

std::string Text(const std::optional<std::string>& value) { return value.value_or(""); }

// Postgres and Materialize write booleans as "t" / "f" in the text format.
bool IsTrue(const std::optional<std::string>& value) { return value == "t" || value == "true"; }

Result<PgResult> Read(PgConnection& connection, const char* relation, const std::string& sql,
                      const std::vector<std::optional<std::string>>& params) {
  Result<PgResult> result = connection.QueryParams(sql, params);
  if (!result.ok()) return result.status().WithPrefix(std::string("cannot read ") + relation);
  return result;
}

Result<int64_t> ReadInteger(const std::optional<std::string>& text, const std::string& what) {
  int64_t value = 0;
  const std::string digits = Text(text);
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size()) {
    return Status::InvalidInput(what + " is '" + digits + "', not a whole number");
  }
  return value;
}

// Status per replica id: "online" when every process is, else the first other status.
Result<std::map<std::string, std::string>> ReadStatuses(PgConnection& connection, const std::string& cluster_id) {
  MATERIA_ASSIGN_OR_RETURN(
      PgResult result,
      Read(connection, "mz_internal.mz_cluster_replica_statuses",
           "SELECT s.replica_id, s.status FROM mz_internal.mz_cluster_replica_statuses AS s "
           "JOIN mz_catalog.mz_cluster_replicas AS r ON r.id = s.replica_id "
           "WHERE r.cluster_id = $1 ORDER BY s.replica_id, s.process_id",
           {cluster_id}));
  std::map<std::string, std::string> statuses;
  for (const auto& row : result.rows) {
    std::string status = Text(row[1]);
    if (status == "ready") status = "online";  // the name before Materialize v0.80 or so
    auto [entry, inserted] = statuses.emplace(Text(row[0]), status);
    if (!inserted && entry->second == "online") entry->second = status;
  }
  return statuses;
}

// Whether every object of each replica (that has any) is hydrated, per replica id.
Result<std::map<std::string, bool>> ReadHydration(PgConnection& connection, const std::string& cluster_id) {
  MATERIA_ASSIGN_OR_RETURN(PgResult result,
                           Read(connection, "mz_internal.mz_hydration_statuses",
                                "SELECT h.replica_id, bool_and(h.hydrated) FROM mz_internal.mz_hydration_statuses AS h "
                                "JOIN mz_catalog.mz_cluster_replicas AS r ON r.id = h.replica_id "
                                "WHERE r.cluster_id = $1 GROUP BY h.replica_id",
                                {cluster_id}));
  std::map<std::string, bool> hydrated;
  for (const auto& row : result.rows) hydrated[Text(row[0])] = IsTrue(row[1]);
  return hydrated;
}

Result<std::optional<TimestampMs>> ReadLastActivity(PgConnection& connection, const std::string& cluster_id) {
  MATERIA_ASSIGN_OR_RETURN(
      PgResult result,
      Read(connection, "mz_internal.mz_recent_activity_log",
           "SELECT (EXTRACT(EPOCH FROM max(finished_at)) * 1000)::bigint FROM mz_internal.mz_recent_activity_log "
           "WHERE cluster_id = $1 AND coalesce(application_name, '') <> $2",
           {cluster_id, std::string(kApplicationName)}));
  const std::optional<std::string> scalar = result.Scalar();
  if (!scalar) return std::optional<TimestampMs>();
  MATERIA_ASSIGN_OR_RETURN(const int64_t ms, ReadInteger(scalar, "the last activity of cluster " + cluster_id));
  return std::optional<TimestampMs>(ms);
}

// The latency of the cluster's recent SELECT statements in milliseconds (see the header),
// or empty when none finished in the window.
Result<std::optional<int64_t>> ReadActivityLatency(PgConnection& connection, const std::string& cluster_id,
                                                   TimestampMs now_ms) {
  MATERIA_ASSIGN_OR_RETURN(
      PgResult result,
      Read(connection, "mz_internal.mz_recent_activity_log",
           "SELECT (max(EXTRACT(EPOCH FROM (finished_at - began_at))) * 1000)::bigint "
           "FROM mz_internal.mz_recent_activity_log "
           "WHERE cluster_id = $1 AND coalesce(application_name, '') <> $2 AND statement_type = 'select' "
           "AND coalesce(finished_status, '') <> 'aborted' AND finished_at >= $3::timestamptz",
           {cluster_id, std::string(kApplicationName), FormatIso(now_ms - kActivityLatencyWindowMs)}));
  const std::optional<std::string> scalar = result.Scalar();
  if (!scalar) return std::optional<int64_t>();
  MATERIA_ASSIGN_OR_RETURN(const int64_t ms, ReadInteger(scalar, "the activity latency of cluster " + cluster_id));
  return std::optional<int64_t>(ms);
}

}  // namespace

Result<std::vector<CatalogCluster>> ReadCatalogClusters(PgConnection& connection) {
  MATERIA_ASSIGN_OR_RETURN(PgResult result,
                           Read(connection, "mz_catalog.mz_clusters",
                                "SELECT id, name, managed, size, replication_factor FROM mz_catalog.mz_clusters "
                                "ORDER BY name LIMIT " +
                                    std::to_string(kClustersMax + 1),
                                {}));
  if (result.rows.size() > kClustersMax) {
    return Status::InvalidInput("more than " + std::to_string(kClustersMax) + " clusters; mz-schedctl reads at most that many");
  }
  std::vector<CatalogCluster> clusters;
  for (const auto& row : result.rows) {
    CatalogCluster cluster;
    cluster.id = Text(row[0]);
    cluster.name = Text(row[1]);
    cluster.managed = IsTrue(row[2]);
    cluster.size = Text(row[3]);
    if (cluster.managed) {
      MATERIA_ASSIGN_OR_RETURN(const int64_t factor,
                               ReadInteger(row[4], "the replication factor of cluster '" + cluster.name + "'"));
      if (factor < 0 || factor > 1'000) {
        return Status::InvalidInput("the replication factor of cluster '" + cluster.name + "' is out of range: " +
                                    std::to_string(factor));
      }
      cluster.replication_factor = static_cast<int>(factor);
    }
    clusters.push_back(std::move(cluster));
  }
  return clusters;
}

Result<ClusterSnapshot> ReadClusterSnapshot(PgConnection& connection, const CatalogCluster& cluster,
                                            TimestampMs now_ms) {
  ClusterSnapshot snapshot;
  snapshot.id = cluster.id;
  snapshot.name = cluster.name;
  snapshot.managed = cluster.managed;
  snapshot.size = cluster.size;
  snapshot.replication_factor = cluster.replication_factor;
  snapshot.now_ms = now_ms;
  MATERIA_ASSIGN_OR_RETURN(PgResult replicas,
                           Read(connection, "mz_catalog.mz_cluster_replicas",
                                "SELECT id, name, size FROM mz_catalog.mz_cluster_replicas WHERE cluster_id = $1 "
                                "ORDER BY name LIMIT " +
                                    std::to_string(kReplicasPerClusterMax + 1),
                                {cluster.id}));
  if (replicas.rows.size() > kReplicasPerClusterMax) {
    return Status::InvalidInput("cluster '" + cluster.name + "' has more than " +
                                std::to_string(kReplicasPerClusterMax) + " replicas");
  }
  MATERIA_ASSIGN_OR_RETURN(const auto statuses, ReadStatuses(connection, cluster.id));
  MATERIA_ASSIGN_OR_RETURN(const auto hydration, ReadHydration(connection, cluster.id));
  for (const auto& row : replicas.rows) {
    ReplicaSnapshot replica;
    const std::string id = Text(row[0]);
    replica.name = Text(row[1]);
    replica.size = Text(row[2]);
    const auto status = statuses.find(id);
    replica.status = status == statuses.end() ? "unknown" : status->second;
    const auto hydrated = hydration.find(id);
    replica.hydrated = hydrated == hydration.end() || hydrated->second;
    snapshot.replicas.push_back(std::move(replica));
  }
  MATERIA_ASSIGN_OR_RETURN(snapshot.last_activity_ms, ReadLastActivity(connection, cluster.id));
  MATERIA_ASSIGN_OR_RETURN(snapshot.activity_latency_ms, ReadActivityLatency(connection, cluster.id, now_ms));
  return snapshot;
}

}  // namespace materia
