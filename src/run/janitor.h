// The janitor: removes what no environment needs any more, as SQLMesh's janitor does.
//
//   - An environment other than prod whose last promotion is older than environment_ttl
//     expires: its views are dropped, then its state record is deleted.
//   - A snapshot that no remaining environment uses and that was created more than
//     snapshot_ttl ago is deleted from state; its physical table (or view) is dropped
//     when no remaining snapshot or environment shares its version.
//   - Physical objects in materia__* schemas that state does not know at all (left by
//     a crash) are dropped, and so are materia__* schemas left empty.
//
// Crash safety: every step drops warehouse objects before it deletes the state rows
// that name them, and every statement is idempotent (IF EXISTS; a missing state row is
// no error). All expired environments are deleted from state before any physical
// table is dropped, so a janitor killed at any point never leaves a remaining
// environment pointing at a dropped table, and running it again converges.
//
// Not thread-safe, and not safe beside an apply or a run: the caller holds the
// warehouse's write lock (one DuckDB process) for PlanJanitor and ExecuteJanitor.
#pragma once

#include <string>
#include <vector>

#include "base/duration.h"
#include "base/status.h"
#include "db/duckdb.h"
#include "state/state_store.h"

namespace materia {

struct JanitorOptions {
  Duration environment_ttl{1, DurationUnit::kWeek};
  Duration snapshot_ttl{1, DurationUnit::kWeek};
  TimestampMs now_ms = 0;
};

// A table or view of the warehouse.
struct WarehouseObject {
  std::string schema;
  std::string name;
  bool is_view = false;
  std::string reason;  // why it goes, e.g. "unknown to state"

  std::string QualifiedName() const { return schema + "." + name; }  // for display
};

struct ExpiredEnvironment {
  std::string name;
  TimestampMs promoted_ms = 0;
  std::vector<WarehouseObject> views;  // its views that exist in the warehouse
  std::vector<std::string> schemas;    // its view schemas that nothing else is left in
};

struct OrphanedSnapshot {
  std::string name;
  std::string fingerprint;
  std::string version;
  TimestampMs created_ms = 0;
};

// What the janitor removes, in the order it removes it.
struct JanitorPlan {
  std::vector<ExpiredEnvironment> environments;  // by name
  std::vector<OrphanedSnapshot> snapshots;       // by name, then creation
  std::vector<WarehouseObject> objects;          // physical tables and views, by schema.name
  std::vector<std::string> schemas;              // materia__* schemas left empty, by name

  bool empty() const {
    return environments.empty() && snapshots.empty() && objects.empty() && schemas.empty();
  }
};

// Decides what to remove from what `state` records and what `warehouse` holds now;
// changes nothing. Objects that state knows of nothing are only removed when state
// records at least one snapshot: a warehouse full of tables next to an empty state
// store is more likely a wrong state path than a crash. Returns kDatabaseError when
// either store cannot be read.
Result<JanitorPlan> PlanJanitor(StateStore& state, DuckConnection& warehouse,
                                const JanitorOptions& options);

// Removes what `plan` lists: each expired environment's views and empty schemas, then
// its state record; then the physical objects; then the snapshots' state rows; then
// the empty schemas. Stops at the first error and returns it (running the janitor
// again finishes the work).
Status ExecuteJanitor(const JanitorPlan& plan, StateStore& state, DuckConnection& warehouse);

}  // namespace materia
