// The executor: evaluates the models of an environment that need work, in dependency
// order, on a pool of threads, each with its own DuckDB connection.
//
// Every evaluation is atomic and idempotent: a FULL model is rebuilt with CREATE OR
// REPLACE in one transaction; each interval of a time-ranged model is
// delete-then-insert in one transaction. State records an evaluation only after its
// transaction committed, so a crash between the two re-runs that interval and
// converges to the same data. A failed model stops its downstream models; the others
// go on. One Execute call at a time per warehouse.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "db/duckdb.h"
#include "project/project.h"
#include "run/audit.h"
#include "state/state_store.h"

namespace materia {

struct ExecuteOptions {
  std::string environment = "prod";
  std::string command = "run";
  int threads = 4;
  TimestampMs now_ms = 0;
  bool progress = false;  // live progress lines on stderr (a terminal)
  // Why a plan builds a model ("code changed (breaking)"), shown instead of "not built yet".
  std::map<std::string, std::string> plan_reasons;
  // Models rebuilt whatever their versions say (`plan --restate-model`); incremental
  // models are restated by removing their intervals from state instead.
  std::set<std::string> restate;
};

struct ModelOutcome {
  std::string name;
  std::string action;  // "ran", "skipped", "failed", "upstream failed"
  std::vector<std::string> reasons;
  std::string intervals;  // what ran, described
  int64_t rows = 0;  // rows in the table afterwards; -1 for a view
  double seconds = 0;
  std::string error;
  std::vector<AuditOutcome> audits;  // the audits that ran after its evaluation
};

struct ExecuteSummary {
  std::string run_id;
  std::vector<ModelOutcome> outcomes;  // project order
  double seconds = 0;
  int ran = 0;
  int skipped = 0;
  int failed = 0;
};

// Evaluates what needs work among `snapshots` (every model of `project`, versions
// decided) against `warehouse`. Returns the summary; models that failed are in it
// with their error (the Status is an error only when the run could not proceed at all).
Result<ExecuteSummary> Execute(const Project& project, StateStore& state,
                               std::shared_ptr<DuckDatabase> warehouse,
                               const std::map<std::string, SnapshotRecord>& snapshots,
                               const ExecuteOptions& options);

// "20261122T045012Z-3fa2c1": a run id, sortable by time, unique across processes.
std::string NewRunId(TimestampMs now_ms);

// Points the environment's views at `snapshots` and drops the views of models not in
// it, in one warehouse transaction, after the statements `before` (a forward-only
// model's ALTER TABLE). Returns an error and changes nothing on failure.
Status PromoteViews(DuckConnection& connection, const std::string& environment,
                    const std::map<std::string, SnapshotRecord>& snapshots,
                    const std::vector<std::string>& removed_models,
                    const std::vector<std::string>& before = {});

}  // namespace materia
