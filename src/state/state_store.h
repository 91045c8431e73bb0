// The StateStore: everything Materia knows about what exists and what was done —
// snapshots, their intervals, environments, materializations with their data
// versions, and runs. It lives apart from the warehouse so that `check`, `plan` and
// the web app read it without touching DuckDB's file lock.
//
// Implementations (SQLite by default, Postgres later) are safe for concurrent use
// from several threads of one process and from several processes: each method is one
// transaction. Methods return kDatabaseError with the backend's message on failure.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/interval.h"
#include "base/status.h"
#include "base/time.h"

namespace materia {

// One version of one model. A snapshot owns the physical table
// materia__<schema>.<schema>__<table>__<version>.
struct SnapshotRecord {
  std::string name;         // "schema.table"
  std::string fingerprint;  // hex; identity of the snapshot together with name
  std::string version;      // hex; names the physical table (shared by non-breaking children)
  std::string kind;         // ModelKindName
  std::string data_hash;    // hash of the model's own query and data properties
  std::string query;  // rendered for analysis; for diffs and breaking-change detection
  std::string parents_json;      // JSON array of {"name","fingerprint"}
  std::string change_category;   // "", "breaking", "non-breaking"
  std::string definition_json;   // tags, grain, cron, ... for display
  // What the data of this snapshot is equal to: its own fingerprint for new and
  // breaking changes, inherited from the previous snapshot for non-breaking ones (so
  // children see an unchanged data version and are not rebuilt).
  std::string data_identity;
  TimestampMs created_ms = 0;
};

struct SnapshotRef {
  std::string fingerprint;
  std::string version;
  bool operator==(const SnapshotRef& other) const = default;
};

// An environment: which snapshot of each model its views point at.
struct EnvironmentRecord {
  std::string name;                               // "prod", "dev", ...
  std::map<std::string, SnapshotRef> snapshots;   // model name -> snapshot
  TimestampMs promoted_ms = 0;
  std::string plan_id;
};

// The last materialization of a snapshot's table as a whole (FULL, VIEW, SEED), or the
// last evaluation of any of its intervals (INCREMENTAL_BY_TIME_RANGE).
struct MaterializationRecord {
  std::string name;
  std::string version;
  std::string fingerprint;
  std::string data_version;                           // hash of fingerprint + inputs
  std::map<std::string, std::string> input_versions;  // input key -> data version
  int64_t rows = 0;
  TimestampMs finished_ms = 0;
  std::string run_id;
};

// The data version of one evaluated interval [start, end) of a time-ranged snapshot.
struct IntervalVersionRecord {
  std::string name;
  std::string version;
  Interval interval;
  std::string data_version;
  std::map<std::string, std::string> input_versions;
};

// What one evaluation committed: recorded in one state transaction after the warehouse
// transaction committed.
struct EvaluationRecord {
  std::string name;
  std::string version;
  IntervalSet intervals;  // intervals now complete (empty for non-time models)
  std::optional<MaterializationRecord> materialization;
  // Replace any stored interval versions that overlap these intervals.
  std::vector<IntervalVersionRecord> interval_versions;
};

struct RunRecord {
  std::string run_id;
  std::string command;      // "run", "apply", ...
  std::string environment;
  std::string status;       // "running", "success", "failed"
  TimestampMs started_ms = 0;
  TimestampMs finished_ms = 0;
  std::string summary_json;
  std::string error;
};

struct RunModelRecord {
  std::string run_id;
  std::string model;
  std::string action;  // "ran", "skipped", "failed"
  std::string reason;  // why it ran or was skipped
  std::string intervals;  // IntervalSet::ToString of what ran, "" for none
  int64_t rows = 0;
  double seconds = 0;
  std::string error;
};

// One run of a pipeline (extract, transform, export_serving) by `pipeline run` or the
// supervisor: one row per attempt.
struct PipelineRunRecord {
  std::string run_id;
  std::string pipeline;
  std::string status;  // "running", "success", "failed", "timeout", "cancelled"
  int attempt = 1;     // 1 for the first try, 2 for the first retry, ...
  TimestampMs started_ms = 0;
  TimestampMs finished_ms = 0;  // 0 while running
  std::string worker_size;      // "small", "medium", "large", ...
  std::string trigger;          // "manual", "supervisor"
  std::string summary_json;     // what the pipeline reports (files, models, tables), a JSON object
  std::string error;            // one line, "" on success
};

// One export of the serving layer into its own DuckDB file.
struct ServingExportRecord {
  std::string export_id;
  std::string path;    // the serving file written
  std::string status;  // "success", "failed", "skipped"
  TimestampMs started_ms = 0;
  TimestampMs finished_ms = 0;
  std::string tables_json;  // [{"name": "serving.x", "rows": N}, ...]
  int64_t rows = 0;
  int64_t bytes = 0;
  std::string data_versions_json;  // {"serving.x": "<data version>", ...} of what was exported
  std::string error;
};

class StateStore {
 public:
  virtual ~StateStore() = default;

  // Snapshots. PutSnapshot is idempotent: an existing (name, fingerprint) is kept.
  virtual Status PutSnapshot(const SnapshotRecord& snapshot) = 0;
  // PutSnapshot of each, in one transaction (a plan records every model at once).
  virtual Status PutSnapshots(const std::vector<SnapshotRecord>& snapshots) = 0;
  virtual Result<std::optional<SnapshotRecord>> GetSnapshot(const std::string& name,
                                                            const std::string& fingerprint) = 0;
  virtual Result<std::vector<SnapshotRecord>> ListSnapshots() = 0;
  virtual Status DeleteSnapshot(const std::string& name, const std::string& fingerprint) = 0;

  // Environments. PutEnvironment replaces the whole record.
  virtual Result<std::optional<EnvironmentRecord>> GetEnvironment(const std::string& name) = 0;
  virtual Status PutEnvironment(const EnvironmentRecord& environment) = 0;
  virtual Result<std::vector<std::string>> ListEnvironments() = 0;
  virtual Status DeleteEnvironment(const std::string& name) = 0;

  // Intervals of a physical table (name, version), merged.
  virtual Result<IntervalSet> GetIntervals(const std::string& name,
                                           const std::string& version) = 0;
  virtual Status RemoveIntervals(const std::string& name, const std::string& version,
                                 const IntervalSet& intervals) = 0;

  // Materializations and interval data versions.
  virtual Result<std::optional<MaterializationRecord>> GetMaterialization(
      const std::string& name, const std::string& version) = 0;
  virtual Result<std::vector<IntervalVersionRecord>> GetIntervalVersions(
      const std::string& name, const std::string& version) = 0;

  // Records one committed evaluation atomically: intervals added, materialization
  // replaced, overlapping interval versions replaced.
  virtual Status RecordEvaluation(const EvaluationRecord& evaluation) = 0;

  // Runs.
  virtual Status PutRun(const RunRecord& run) = 0;  // insert or replace
  virtual Status AddRunModel(const RunModelRecord& record) = 0;
  virtual Result<std::vector<RunRecord>> ListRuns(int limit) = 0;  // newest first
  virtual Result<std::vector<RunModelRecord>> ListRunModels(const std::string& run_id) = 0;

  // Pipeline runs: PutPipelineRun inserts or replaces by run_id; lists are newest
  // first, at most `limit` (all when limit <= 0), of one pipeline when `pipeline` is set.
  virtual Status PutPipelineRun(const PipelineRunRecord& run) = 0;
  virtual Result<std::vector<PipelineRunRecord>> ListPipelineRuns(const std::string& pipeline,
                                                                  int limit) = 0;

  // Serving exports, as for pipeline runs; LastServingExport is the newest with
  // status "success", if any.
  virtual Status PutServingExport(const ServingExportRecord& record) = 0;
  virtual Result<std::vector<ServingExportRecord>> ListServingExports(int limit) = 0;
  virtual Result<std::optional<ServingExportRecord>> LastServingExport() = 0;

  // A small key-value area for caches and bookkeeping (e.g. "analysis:<hash>").
  virtual Result<std::optional<std::string>> GetValue(const std::string& key) = 0;
  virtual Status PutValue(const std::string& key, const std::string& value) = 0;

  // The schema version this store is at (after migrations).
  virtual Result<int> SchemaVersion() = 0;
};

// Opens (creating and migrating if needed) the SQLite state store at `path`, in WAL
// mode with a busy timeout. `read_only` opens without creating or migrating; a
// missing file is then kNotFound.
Result<std::unique_ptr<StateStore>> OpenSqliteStateStore(const std::string& path,
                                                         bool read_only = false);

}  // namespace materia
