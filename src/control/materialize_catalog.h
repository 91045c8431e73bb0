// Reading what the cluster controller decides with from Materialize's system catalog:
// the clusters, their replicas, each replica's status and hydration, and the last
// activity and the activity latency of each cluster. The relations and columns read (as Materialize documents
// them, doc/user/content/sql/system-catalog/):
//
//   mz_catalog.mz_clusters            id, name, managed, size, replication_factor
//   mz_catalog.mz_cluster_replicas    id, name, cluster_id, size
//   mz_internal.mz_cluster_replica_statuses   replica_id, process_id, status
//   mz_internal.mz_hydration_statuses         object_id, replica_id, hydrated
//   mz_internal.mz_recent_activity_log        cluster_id, application_name, statement_type,
//                                             began_at, finished_at, finished_status
//
// How the rows become a ClusterSnapshot (cluster_snapshot.h):
//   - a replica's status is "online" when every one of its processes is online, else
//     the status of the first process that is not ("offline"); with no status row yet
//     (a replica being created) it is "unknown", which does not serve;
//   - a replica is hydrated when every object on it is (bool_and over its rows of
//     mz_hydration_statuses); a replica with no rows there has nothing to hydrate and
//     counts as hydrated;
//   - the last activity is the latest finished_at of the cluster's statements, leaving
//     out those of mz-schedctl itself (application_name kApplicationName), so that the
//     controller's own queries never keep a cluster awake;
//   - the activity latency is the longest (finished_at - began_at), in milliseconds, of
//     the cluster's SELECT statements that finished at or after `now_ms` minus
//     kActivityLatencyWindowMs (5 minutes), again leaving out mz-schedctl's own and
//     those Materialize aborted by exiting (finished_status 'aborted'); empty (no opinion)
//     when there were none. Only SELECTs count: a SUBSCRIBE or a FETCH runs or waits for
//     as long as its client wants, which says nothing about how fast the cluster
//     answers. It is the maximum, not a p90: Materialize documents no percentile_cont
//     (its docs build percentiles from histograms, sql/patterns/percentiles), and the
//     query has to run on Materialize and on Postgres alike. The log is sampled, so a
//     cycle may see only some statements.
//
// Functions borrow the connection: one thread at a time. Errors are one line naming the
// relation: "cannot read mz_catalog.mz_clusters: relation ... does not exist (SQLSTATE 42P01)".
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "control/cluster_snapshot.h"
#include "db/postgres.h"

namespace materia {

// The application_name mz-schedctl sets on its session.
constexpr const char* kApplicationName = "mz-schedctl";

// How far back the activity latency looks: statements that finished within this long
// before the snapshot's instant.
constexpr TimestampMs kActivityLatencyWindowMs = 5 * kMsPerMinute;

// Limits on what one cycle reads.
constexpr size_t kClustersMax = 10'000;
constexpr size_t kReplicasPerClusterMax = 1'000;

// One row of mz_catalog.mz_clusters.
struct CatalogCluster {
  std::string id;
  std::string name;
  bool managed = false;
  std::string size;            // managed clusters only
  int replication_factor = 0;  // managed clusters only
};

// Every cluster, ordered by name.
Result<std::vector<CatalogCluster>> ReadCatalogClusters(PgConnection& connection);

// The snapshot of `cluster` at `now_ms`: its replicas (ordered by name) with status and
// hydration, its last activity and its activity latency.
Result<ClusterSnapshot> ReadClusterSnapshot(PgConnection& connection, const CatalogCluster& cluster,
                                            TimestampMs now_ms);

}  // namespace materia
