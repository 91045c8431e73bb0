// The SQLite StateStore: one connection to `.materia/state.db` (WAL mode, 10 s busy
// timeout, foreign keys on), guarded by a mutex so that any number of threads of one
// process may share the store. Other processes open their own connection; SQLite's
// locks serialize writers, and every method that writes runs in one BEGIN IMMEDIATE
// transaction, so two processes never see each other's half-done work.
//
// The schema lives in migrations.cpp. Intervals are kept as merged ranges, one row per
// range: adding a range deletes the rows it touches and inserts their union, so the
// rows for a physical table stay disjoint and their number follows the gaps, never the
// cron ticks.

#include <algorithm>
#include <cassert>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "db/sqlite.h"
#include "state/migrations.h"
#include "state/state_store.h"

namespace materia {

namespace {

using StringMap = std::map<std::string, std::string>;
using Mode = SqliteTransaction::Mode;

constexpr int kBusyTimeoutMs = 10'000;

const char* const kSnapshotColumns =
    "name, fingerprint, version, kind, data_hash, query, parents_json, "
    "change_category, definition_json, data_identity, created_ms";

const char* const kRunColumns =
    "run_id, command, environment, status, started_ms, finished_ms, summary_json, error";

const char* const kRunModelColumns =
    "run_id, model, action, reason, intervals, rows, seconds, error";

// Serializes a map as a JSON object. Returns kInvalidInput when a key or value is not
// valid UTF-8 (JSON cannot hold it, and replacing bytes would change the key).
Result<std::string> MapToJson(const StringMap& map, const std::string& owner) {
  try {
    return nlohmann::json(map).dump();
  } catch (const nlohmann::json::exception& error) {
    return Status::InvalidInput("input versions of " + owner + " cannot be stored: " +
                                error.what());
  }
}

// Reads back what MapToJson wrote.
Result<StringMap> MapFromJson(const std::string& text, const std::string& owner) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return Status::DatabaseError("stored input versions of " + owner + " are not a JSON object");
  }
  StringMap map;
  for (const auto& [key, value] : json.items()) {
    if (!value.is_string()) {
      return Status::DatabaseError("stored input version '" + key + "' of " + owner +
                                   " is not a string");
    }
    map.emplace(key, value.get<std::string>());
  }
  return map;
}

SnapshotRecord ReadSnapshot(const SqliteStatement& row) {
  SnapshotRecord snapshot;
  snapshot.name = row.ColumnText(0);
  snapshot.fingerprint = row.ColumnText(1);
  snapshot.version = row.ColumnText(2);
  snapshot.kind = row.ColumnText(3);
  snapshot.data_hash = row.ColumnText(4);
  snapshot.query = row.ColumnText(5);
  snapshot.parents_json = row.ColumnText(6);
  snapshot.change_category = row.ColumnText(7);
  snapshot.definition_json = row.ColumnText(8);
  snapshot.data_identity = row.ColumnText(9);
  snapshot.created_ms = row.ColumnInt64(10);
  return snapshot;
}

const char* const kPipelineRunColumns =
    "run_id, pipeline, status, attempt, started_ms, finished_ms, worker_size, trigger, "
    "summary_json, error";

const char* const kServingExportColumns =
    "export_id, path, status, started_ms, finished_ms, tables_json, rows, bytes, "
    "data_versions_json, error";

PipelineRunRecord ReadPipelineRun(const SqliteStatement& row) {
  PipelineRunRecord run;
  run.run_id = row.ColumnText(0);
  run.pipeline = row.ColumnText(1);
  run.status = row.ColumnText(2);
  run.attempt = static_cast<int>(row.ColumnInt64(3));
  run.started_ms = row.ColumnInt64(4);
  run.finished_ms = row.ColumnInt64(5);
  run.worker_size = row.ColumnText(6);
  run.trigger = row.ColumnText(7);
  run.summary_json = row.ColumnText(8);
  run.error = row.ColumnText(9);
  return run;
}

ServingExportRecord ReadServingExport(const SqliteStatement& row) {
  ServingExportRecord record;
  record.export_id = row.ColumnText(0);
  record.path = row.ColumnText(1);
  record.status = row.ColumnText(2);
  record.started_ms = row.ColumnInt64(3);
  record.finished_ms = row.ColumnInt64(4);
  record.tables_json = row.ColumnText(5);
  record.rows = row.ColumnInt64(6);
  record.bytes = row.ColumnInt64(7);
  record.data_versions_json = row.ColumnText(8);
  record.error = row.ColumnText(9);
  return record;
}

RunRecord ReadRun(const SqliteStatement& row) {
  RunRecord run;
  run.run_id = row.ColumnText(0);
  run.command = row.ColumnText(1);
  run.environment = row.ColumnText(2);
  run.status = row.ColumnText(3);
  run.started_ms = row.ColumnInt64(4);
  run.finished_ms = row.ColumnInt64(5);
  run.summary_json = row.ColumnText(6);
  run.error = row.ColumnText(7);
  return run;
}

RunModelRecord ReadRunModel(const SqliteStatement& row) {
  RunModelRecord record;
  record.run_id = row.ColumnText(0);
  record.model = row.ColumnText(1);
  record.action = row.ColumnText(2);
  record.reason = row.ColumnText(3);
  record.intervals = row.ColumnText(4);
  record.rows = row.ColumnInt64(5);
  record.seconds = row.ColumnDouble(6);
  record.error = row.ColumnText(7);
  return record;
}

// Returns an error when a record inside an evaluation names another physical table;
// an empty name or version means "the evaluation's own".
Status CheckOwner(const EvaluationRecord& evaluation, const std::string& name,
                  const std::string& version, const char* what) {
  bool same_name = name.empty() || name == evaluation.name;
  bool same_version = version.empty() || version == evaluation.version;
  if (same_name && same_version) return Status::Ok();
  return Status::Internal(std::string(what) + " of " + name + "@" + version +
                          " was given in the evaluation of " + evaluation.name + "@" +
                          evaluation.version);
}

Status CheckEvaluation(const EvaluationRecord& evaluation) {
  if (evaluation.name.empty() || evaluation.version.empty()) {
    return Status::Internal("an evaluation record needs a name and a version");
  }
  if (evaluation.materialization) {
    const MaterializationRecord& record = *evaluation.materialization;
    MATERIA_RETURN_IF_ERROR(CheckOwner(evaluation, record.name, record.version,
                                       "the materialization"));
  }
  for (const IntervalVersionRecord& record : evaluation.interval_versions) {
    MATERIA_RETURN_IF_ERROR(CheckOwner(evaluation, record.name, record.version,
                                       "an interval version"));
    if (record.interval.empty()) {
      return Status::Internal("empty interval [" + std::to_string(record.interval.start) +
                              ", " + std::to_string(record.interval.end) + ") for " +
                              evaluation.name);
    }
  }
  return Status::Ok();
}

class SqliteStateStore final : public StateStore {
 public:
  explicit SqliteStateStore(std::unique_ptr<SqliteDatabase> database)
      : database_(std::move(database)) {
    assert(database_ != nullptr);
  }

  Status PutSnapshot(const SnapshotRecord& snapshot) override;
  Status PutSnapshots(const std::vector<SnapshotRecord>& snapshots) override;
  Result<std::optional<SnapshotRecord>> GetSnapshot(const std::string& name,
                                                    const std::string& fingerprint) override;
  Result<std::vector<SnapshotRecord>> ListSnapshots() override;
  Status DeleteSnapshot(const std::string& name, const std::string& fingerprint) override;

  Result<std::optional<EnvironmentRecord>> GetEnvironment(const std::string& name) override;
  Status PutEnvironment(const EnvironmentRecord& environment) override;
  Result<std::vector<std::string>> ListEnvironments() override;
  Status DeleteEnvironment(const std::string& name) override;

  Result<IntervalSet> GetIntervals(const std::string& name, const std::string& version) override;
  Status RemoveIntervals(const std::string& name, const std::string& version,
                         const IntervalSet& intervals) override;

  Result<std::optional<MaterializationRecord>> GetMaterialization(
      const std::string& name, const std::string& version) override;
  Result<std::vector<IntervalVersionRecord>> GetIntervalVersions(
      const std::string& name, const std::string& version) override;
  Status RecordEvaluation(const EvaluationRecord& evaluation) override;

  Status PutRun(const RunRecord& run) override;
  Status AddRunModel(const RunModelRecord& record) override;
  Result<std::vector<RunRecord>> ListRuns(int limit) override;
  Result<std::vector<RunModelRecord>> ListRunModels(const std::string& run_id) override;

  Status PutPipelineRun(const PipelineRunRecord& run) override;
  Result<std::vector<PipelineRunRecord>> ListPipelineRuns(const std::string& pipeline,
                                                          int limit) override;
  Status PutServingExport(const ServingExportRecord& record) override;
  Result<std::vector<ServingExportRecord>> ListServingExports(int limit) override;
  Result<std::optional<ServingExportRecord>> LastServingExport() override;

  Result<std::optional<std::string>> GetValue(const std::string& key) override;
  Status PutValue(const std::string& key, const std::string& value) override;

  Result<int> SchemaVersion() override;

 private:
  // The helpers below run inside a transaction the caller holds, with mutex_ held.
  Status Run(const std::string& sql, const std::vector<SqliteValue>& values);
  Status InsertSnapshot(const SnapshotRecord& snapshot);  // caller holds mutex_
  Status AddRange(const std::string& name, const std::string& version, Interval range);
  Status RemoveRange(const std::string& name, const std::string& version, Interval range);
  Status DeleteTableState(const std::string& name, const std::string& version);
  Status ReplaceMaterialization(const std::string& name, const std::string& version,
                                const MaterializationRecord& record);
  Status ReplaceIntervalVersion(const std::string& name, const std::string& version,
                                const IntervalVersionRecord& record);
  Result<std::optional<EnvironmentRecord>> ReadEnvironment(const std::string& name);

  std::mutex mutex_;
  std::unique_ptr<SqliteDatabase> database_;
};

Status SqliteStateStore::Run(const std::string& sql, const std::vector<SqliteValue>& values) {
  MATERIA_ASSIGN_OR_RETURN(SqliteStatement statement, database_->PrepareBound(sql, values));
  return statement.Run();
}

// ---------------------------------------------------------------------------
// Snapshots

Status SqliteStateStore::PutSnapshot(const SnapshotRecord& snapshot) {
  std::lock_guard<std::mutex> lock(mutex_);
  return InsertSnapshot(snapshot);
}

Status SqliteStateStore::PutSnapshots(const std::vector<SnapshotRecord>& snapshots) {
  std::lock_guard<std::mutex> lock(mutex_);
  MATERIA_ASSIGN_OR_RETURN(SqliteTransaction transaction,
                           SqliteTransaction::Begin(*database_, Mode::kImmediate));
  for (const SnapshotRecord& snapshot : snapshots) MATERIA_RETURN_IF_ERROR(InsertSnapshot(snapshot));
  return transaction.Commit();
}

Status SqliteStateStore::InsertSnapshot(const SnapshotRecord& snapshot) {
  return Run(std::string("INSERT INTO snapshots (") + kSnapshotColumns +
                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                 "ON CONFLICT (name, fingerprint) DO NOTHING",
             {snapshot.name, snapshot.fingerprint, snapshot.version, snapshot.kind,
              snapshot.data_hash, snapshot.query, snapshot.parents_json,
              snapshot.change_category, snapshot.definition_json, snapshot.data_identity,
              snapshot.created_ms});
}

Result<std::optional<SnapshotRecord>> SqliteStateStore::GetSnapshot(
    const std::string& name, const std::string& fingerprint) {
  std::lock_guard<std::mutex> lock(mutex_);
  MATERIA_ASSIGN_OR_RETURN(
      SqliteStatement query,
      database_->PrepareBound(std::string("SELECT ") + kSnapshotColumns +
                                  " FROM snapshots WHERE name = ? AND fingerprint = ?",
                              {name, fingerprint}));
  MATERIA_ASSIGN_OR_RETURN(bool has_row, query.Step());
  if (!has_row) return std::optional<SnapshotRecord>();
  return std::optional<SnapshotRecord>(ReadSnapshot(query));
}

Result<std::vector<SnapshotRecord>> SqliteStateStore::ListSnapshots() {
  std::lock_guard<std::mutex> lock(mutex_);
  MATERIA_ASSIGN_OR_RETURN(
      SqliteStatement query,
      database_->Prepare(std::string("SELECT ") + kSnapshotColumns +
                         " FROM snapshots ORDER BY name, created_ms, fingerprint"));
  std::vector<SnapshotRecord> snapshots;
  MATERIA_RETURN_IF_ERROR(query.ForEachRow([&](const SqliteStatement& row) {
    snapshots.push_back(ReadSnapshot(row));
    return Status::Ok();
  }));
  return snapshots;
}

// Deletes the snapshot; when no other snapshot of the model shares its version, the
// physical table is gone for good, so its intervals, interval versions and
// materialization are deleted too (a later snapshot of that version starts afresh).
Status SqliteStateStore::DeleteSnapshot(const std::string& name, const std::string& fingerprint) {
  std::lock_guard<std::mutex> lock(mutex_);
  MATERIA_ASSIGN_OR_RETURN(SqliteTransaction transaction,
                           SqliteTransaction::Begin(*database_, Mode::kImmediate));
  MATERIA_ASSIGN_OR_RETURN(
      SqliteStatement find,
      database_->PrepareBound("SELECT version FROM snapshots WHERE name = ? AND fingerprint = ?",
                              {name, fingerprint}));
  MATERIA_ASSIGN_OR_RETURN(bool found, find.Step());
  if (!found) return Status::Ok();
  std::string version = find.ColumnText(0);
  MATERIA_RETURN_IF_ERROR(find.Reset());
  MATERIA_RETURN_IF_ERROR(
      Run("DELETE FROM snapshots WHERE name = ? AND fingerprint = ?", {name, fingerprint}));
  MATERIA_ASSIGN_OR_RETURN(
      SqliteStatement shared,
      database_->PrepareBound("SELECT 1 FROM snapshots WHERE name = ? AND version = ? LIMIT 1",
                              {name, version}));
  MATERIA_ASSIGN_OR_RETURN(bool version_shared, shared.Step());
  MATERIA_RETURN_IF_ERROR(shared.Reset());
  if (!version_shared) MATERIA_RETURN_IF_ERROR(DeleteTableState(name, version));
  return transaction.Commit();
}

Status SqliteStateStore::DeleteTableState(const std::string& name, const std::string& version) {
  for (const char* table : {"intervals", "interval_versions", "materializations"}) {
    MATERIA_RETURN_IF_ERROR(Run(std::string("DELETE FROM ") + table +
                                    " WHERE name = ? AND version = ?",
                                {name, version}));
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// Environments

Result<std::optional<EnvironmentRecord>> SqliteStateStore::GetEnvironment(
    const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  MATERIA_ASSIGN_OR_RETURN(SqliteTransaction transaction,
                           SqliteTransaction::Begin(*database_, Mode::kDeferred));
  MATERIA_ASSIGN_OR_RETURN(std::optional<EnvironmentRecord> environment, ReadEnvironment(name));
  MATERIA_RETURN_IF_ERROR(transaction.Commit());
  return environment;
}

Result<std::optional<EnvironmentRecord>> SqliteStateStore::ReadEnvironment(
    const std::string& name) {
  MATERIA_ASSIGN_OR_RETURN(
      SqliteStatement head,
      database_->PrepareBound("SELECT promoted_ms, plan_id FROM environments WHERE name = ?",
                              {name}));
  MATERIA_ASSIGN_OR_RETURN(bool found, head.Step());
  if (!found) return std::optional<EnvironmentRecord>();
  EnvironmentRecord environment;
  environment.name = name;
  environment.promoted_ms = head.ColumnInt64(0);
  environment.plan_id = head.ColumnText(1);
  MATERIA_ASSIGN_OR_RETURN(
      SqliteStatement members,
      database_->PrepareBound("SELECT model, fingerprint, version FROM environment_snapshots "
                              "WHERE environment = ? ORDER BY model",
                              {name}));
  MATERIA_RETURN_IF_ERROR(members.ForEachRow([&](const SqliteStatement& row) {
    environment.snapshots[row.ColumnText(0)] = SnapshotRef{row.ColumnText(1), row.ColumnText(2)};
    return Status::Ok();
  }));
  return std::optional<EnvironmentRecord>(std::move(environment));
}

Status SqliteStateStore::PutEnvironment(const EnvironmentRecord& environment) {
  if (environment.name.empty()) return Status::Internal("an environment needs a name");
  std::lock_guard<std::mutex> lock(mutex_);
  MATERIA_ASSIGN_OR_RETURN(SqliteTransaction transaction,
                           SqliteTransaction::Begin(*database_, Mode::kImmediate));
  // Deleting the row cascades to its environment_snapshots.
  MATERIA_RETURN_IF_ERROR(Run("DELETE FROM environments WHERE name = ?", {environment.name}));
  MATERIA_RETURN_IF_ERROR(
      Run("INSERT INTO environments (name, promoted_ms, plan_id) VALUES (?, ?, ?)",
          {environment.name, environment.promoted_ms, environment.plan_id}));
  MATERIA_ASSIGN_OR_RETURN(
      SqliteStatement insert,
      database_->Prepare("INSERT INTO environment_snapshots "
                         "(environment, model, fingerprint, version) VALUES (?, ?, ?, ?)"));
  for (const auto& [model, reference] : environment.snapshots) {
    MATERIA_RETURN_IF_ERROR(
        insert.BindAll({environment.name, model, reference.fingerprint, reference.version}));
    MATERIA_RETURN_IF_ERROR(insert.Run());
    MATERIA_RETURN_IF_ERROR(insert.Reset());
  }
  return transaction.Commit();
}

Result<std::vector<std::string>> SqliteStateStore::ListEnvironments() {
  std::lock_guard<std::mutex> lock(mutex_);
  MATERIA_ASSIGN_OR_RETURN(SqliteStatement query,
                           database_->Prepare("SELECT name FROM environments ORDER BY name"));
  std::vector<std::string> names;
  MATERIA_RETURN_IF_ERROR(query.ForEachRow([&](const SqliteStatement& row) {
    names.push_back(row.ColumnText(0));
    return Status::Ok();
  }));
  return names;
}

Status SqliteStateStore::DeleteEnvironment(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  return Run("DELETE FROM environments WHERE name = ?", {name});
}

// ---------------------------------------------------------------------------
// Intervals

Result<IntervalSet> SqliteStateStore::GetIntervals(const std::string& name,
                                                   const std::string& version) {
  std::lock_guard<std::mutex> lock(mutex_);
  MATERIA_ASSIGN_OR_RETURN(
      SqliteStatement query,
      database_->PrepareBound("SELECT start_ms, end_ms FROM intervals "
                              "WHERE name = ? AND version = ? ORDER BY start_ms",
                              {name, version}));
  std::vector<Interval> ranges;
  MATERIA_RETURN_IF_ERROR(query.ForEachRow([&](const SqliteStatement& row) {
    ranges.push_back(Interval{row.ColumnInt64(0), row.ColumnInt64(1)});
    return Status::Ok();
  }));
  return IntervalSet(std::move(ranges));
}

// Replaces the stored ranges that overlap or touch `range` with their union. Since the
// stored ranges are disjoint and do not touch, that union is one range.
Status SqliteStateStore::AddRange(const std::string& name, const std::string& version,
                                  Interval range) {
  if (range.empty()) return Status::Ok();
  const std::string touching =
      " FROM intervals WHERE name = ? AND version = ? AND start_ms <= ? AND end_ms >= ?";
  const std::vector<SqliteValue> values = {name, version, range.end, range.start};
  MATERIA_ASSIGN_OR_RETURN(
      SqliteStatement bounds,
      database_->PrepareBound("SELECT MIN(start_ms), MAX(end_ms)" + touching, values));
  MATERIA_ASSIGN_OR_RETURN(bool has_row, bounds.Step());
  Interval merged = range;
  if (has_row && !bounds.ColumnIsNull(0)) {
    merged.start = std::min(merged.start, bounds.ColumnInt64(0));
    merged.end = std::max(merged.end, bounds.ColumnInt64(1));
  }
  MATERIA_RETURN_IF_ERROR(bounds.Reset());
  MATERIA_RETURN_IF_ERROR(Run("DELETE" + touching, values));
  return Run("INSERT INTO intervals (name, version, start_ms, end_ms) VALUES (?, ?, ?, ?)",
             {name, version, merged.start, merged.end});
}

// Deletes the stored ranges that overlap `range` and puts back the parts of them that
// lie outside it: only the first can stick out on the left, only the last on the right.
Status SqliteStateStore::RemoveRange(const std::string& name, const std::string& version,
                                     Interval range) {
  if (range.empty()) return Status::Ok();
  const std::string overlapping =
      " FROM intervals WHERE name = ? AND version = ? AND start_ms < ? AND end_ms > ?";
  const std::vector<SqliteValue> values = {name, version, range.end, range.start};
  MATERIA_ASSIGN_OR_RETURN(
      SqliteStatement bounds,
      database_->PrepareBound("SELECT MIN(start_ms), MAX(end_ms)" + overlapping, values));
  MATERIA_ASSIGN_OR_RETURN(bool has_row, bounds.Step());
  if (!has_row || bounds.ColumnIsNull(0)) return Status::Ok();
  Interval left{bounds.ColumnInt64(0), range.start};
  Interval right{range.end, bounds.ColumnInt64(1)};
  MATERIA_RETURN_IF_ERROR(bounds.Reset());
  MATERIA_RETURN_IF_ERROR(Run("DELETE" + overlapping, values));
  const std::string insert =
      "INSERT INTO intervals (name, version, start_ms, end_ms) VALUES (?, ?, ?, ?)";
  if (!left.empty()) MATERIA_RETURN_IF_ERROR(Run(insert, {name, version, left.start, left.end}));
  if (!right.empty()) {
    MATERIA_RETURN_IF_ERROR(Run(insert, {name, version, right.start, right.end}));
  }
  return Status::Ok();
}

Status SqliteStateStore::RemoveIntervals(const std::string& name, const std::string& version,
                                         const IntervalSet& intervals) {
  std::lock_guard<std::mutex> lock(mutex_);
  MATERIA_ASSIGN_OR_RETURN(SqliteTransaction transaction,
                           SqliteTransaction::Begin(*database_, Mode::kImmediate));
  for (const Interval& range : intervals.ranges()) {
    MATERIA_RETURN_IF_ERROR(RemoveRange(name, version, range));
  }
  return transaction.Commit();
}

// ---------------------------------------------------------------------------
// Materializations and evaluations

Result<std::optional<MaterializationRecord>> SqliteStateStore::GetMaterialization(
    const std::string& name, const std::string& version) {
  std::lock_guard<std::mutex> lock(mutex_);
  MATERIA_ASSIGN_OR_RETURN(
      SqliteStatement query,
      database_->PrepareBound("SELECT fingerprint, data_version, input_versions_json, rows, "
                              "finished_ms, run_id FROM materializations "
                              "WHERE name = ? AND version = ?",
                              {name, version}));
  MATERIA_ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) return std::optional<MaterializationRecord>();
  MaterializationRecord record;
  record.name = name;
  record.version = version;
  record.fingerprint = query.ColumnText(0);
  record.data_version = query.ColumnText(1);
  MATERIA_ASSIGN_OR_RETURN(record.input_versions,
                           MapFromJson(query.ColumnText(2), name + "@" + version));
  record.rows = query.ColumnInt64(3);
  record.finished_ms = query.ColumnInt64(4);
  record.run_id = query.ColumnText(5);
  return std::optional<MaterializationRecord>(std::move(record));
}

Result<std::vector<IntervalVersionRecord>> SqliteStateStore::GetIntervalVersions(
    const std::string& name, const std::string& version) {
  std::lock_guard<std::mutex> lock(mutex_);
  MATERIA_ASSIGN_OR_RETURN(
      SqliteStatement query,
      database_->PrepareBound("SELECT start_ms, end_ms, data_version, input_versions_json "
                              "FROM interval_versions WHERE name = ? AND version = ? "
                              "ORDER BY start_ms",
                              {name, version}));
  std::vector<IntervalVersionRecord> records;
  MATERIA_RETURN_IF_ERROR(query.ForEachRow([&](const SqliteStatement& row) {
    IntervalVersionRecord record;
    record.name = name;
    record.version = version;
    record.interval = Interval{row.ColumnInt64(0), row.ColumnInt64(1)};
    record.data_version = row.ColumnText(2);
    MATERIA_ASSIGN_OR_RETURN(record.input_versions,
                             MapFromJson(row.ColumnText(3), name + "@" + version));
    records.push_back(std::move(record));
    return Status::Ok();
  }));
  return records;
}

Status SqliteStateStore::ReplaceMaterialization(const std::string& name,
                                                const std::string& version,
                                                const MaterializationRecord& record) {
  MATERIA_ASSIGN_OR_RETURN(std::string inputs,
                           MapToJson(record.input_versions, name + "@" + version));
  return Run("INSERT OR REPLACE INTO materializations (name, version, fingerprint, "
             "data_version, input_versions_json, rows, finished_ms, run_id) "
             "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
             {name, version, record.fingerprint, record.data_version, inputs, record.rows,
              record.finished_ms, record.run_id});
}

// Deletes every stored interval version that overlaps the record's interval (wholly:
// its data version described the whole of it), then inserts the record.
Status SqliteStateStore::ReplaceIntervalVersion(const std::string& name,
                                                const std::string& version,
                                                const IntervalVersionRecord& record) {
  MATERIA_ASSIGN_OR_RETURN(std::string inputs,
                           MapToJson(record.input_versions, name + "@" + version));
  MATERIA_RETURN_IF_ERROR(Run("DELETE FROM interval_versions WHERE name = ? AND version = ? "
                              "AND start_ms < ? AND end_ms > ?",
                              {name, version, record.interval.end, record.interval.start}));
  return Run("INSERT INTO interval_versions (name, version, start_ms, end_ms, data_version, "
             "input_versions_json) VALUES (?, ?, ?, ?, ?, ?)",
             {name, version, record.interval.start, record.interval.end, record.data_version,
              inputs});
}

Status SqliteStateStore::RecordEvaluation(const EvaluationRecord& evaluation) {
  MATERIA_RETURN_IF_ERROR(CheckEvaluation(evaluation));
  const std::string& name = evaluation.name;
  const std::string& version = evaluation.version;
  std::lock_guard<std::mutex> lock(mutex_);
  MATERIA_ASSIGN_OR_RETURN(SqliteTransaction transaction,
                           SqliteTransaction::Begin(*database_, Mode::kImmediate));
  for (const Interval& range : evaluation.intervals.ranges()) {
    MATERIA_RETURN_IF_ERROR(AddRange(name, version, range));
  }
  if (evaluation.materialization) {
    MATERIA_RETURN_IF_ERROR(ReplaceMaterialization(name, version, *evaluation.materialization));
  }
  for (const IntervalVersionRecord& record : evaluation.interval_versions) {
    MATERIA_RETURN_IF_ERROR(ReplaceIntervalVersion(name, version, record));
  }
  return transaction.Commit();
}

// ---------------------------------------------------------------------------
// Runs

Status SqliteStateStore::PutRun(const RunRecord& run) {
  if (run.run_id.empty()) return Status::Internal("a run needs an id");
  std::lock_guard<std::mutex> lock(mutex_);
  // An upsert rather than INSERT OR REPLACE keeps the row (and so its rowid).
  return Run(std::string("INSERT INTO runs (") + kRunColumns +
                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET "
                 "command = excluded.command, environment = excluded.environment, "
                 "status = excluded.status, started_ms = excluded.started_ms, "
                 "finished_ms = excluded.finished_ms, summary_json = excluded.summary_json, "
                 "error = excluded.error",
             {run.run_id, run.command, run.environment, run.status, run.started_ms,
              run.finished_ms, run.summary_json, run.error});
}

Status SqliteStateStore::AddRunModel(const RunModelRecord& record) {
  std::lock_guard<std::mutex> lock(mutex_);
  return Run(std::string("INSERT INTO run_models (") + kRunModelColumns +
                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
             {record.run_id, record.model, record.action, record.reason, record.intervals,
              record.rows, record.seconds, record.error});
}

Status SqliteStateStore::PutPipelineRun(const PipelineRunRecord& run) {
  if (run.run_id.empty() || run.pipeline.empty()) return Status::Internal("a pipeline run needs an id and a pipeline");
  std::lock_guard<std::mutex> lock(mutex_);
  return Run(std::string("INSERT OR REPLACE INTO pipeline_runs (") + kPipelineRunColumns +
                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
             {run.run_id, run.pipeline, run.status, int64_t{run.attempt}, run.started_ms,
              run.finished_ms, run.worker_size, run.trigger,
              run.summary_json.empty() ? std::string("{}") : run.summary_json, run.error});
}

Result<std::vector<PipelineRunRecord>> SqliteStateStore::ListPipelineRuns(const std::string& pipeline,
                                                                          int limit) {
  std::lock_guard<std::mutex> lock(mutex_);
  int64_t rows_max = limit > 0 ? limit : -1;
  MATERIA_ASSIGN_OR_RETURN(
      SqliteStatement query,
      database_->PrepareBound(std::string("SELECT ") + kPipelineRunColumns +
                                  " FROM pipeline_runs WHERE (? = '' OR pipeline = ?) "
                                  "ORDER BY started_ms DESC, rowid DESC LIMIT ?",
                              {pipeline, pipeline, rows_max}));
  std::vector<PipelineRunRecord> runs;
  MATERIA_RETURN_IF_ERROR(query.ForEachRow([&](const SqliteStatement& row) {
    runs.push_back(ReadPipelineRun(row));
    return Status::Ok();
  }));
  return runs;
}

Status SqliteStateStore::PutServingExport(const ServingExportRecord& record) {
  if (record.export_id.empty()) return Status::Internal("an export needs an id");
  std::lock_guard<std::mutex> lock(mutex_);
  return Run(std::string("INSERT OR REPLACE INTO serving_exports (") + kServingExportColumns +
                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
             {record.export_id, record.path, record.status, record.started_ms, record.finished_ms,
              record.tables_json.empty() ? std::string("[]") : record.tables_json, record.rows,
              record.bytes, record.data_versions_json.empty() ? std::string("{}") : record.data_versions_json,
              record.error});
}

Result<std::vector<ServingExportRecord>> SqliteStateStore::ListServingExports(int limit) {
  std::lock_guard<std::mutex> lock(mutex_);
  int64_t rows_max = limit > 0 ? limit : -1;
  MATERIA_ASSIGN_OR_RETURN(
      SqliteStatement query,
      database_->PrepareBound(std::string("SELECT ") + kServingExportColumns +
                                  " FROM serving_exports ORDER BY started_ms DESC, rowid DESC LIMIT ?",
                              {rows_max}));
  std::vector<ServingExportRecord> records;
  MATERIA_RETURN_IF_ERROR(query.ForEachRow([&](const SqliteStatement& row) {
    records.push_back(ReadServingExport(row));
    return Status::Ok();
  }));
  return records;
}

Result<std::optional<ServingExportRecord>> SqliteStateStore::LastServingExport() {
  std::lock_guard<std::mutex> lock(mutex_);
  MATERIA_ASSIGN_OR_RETURN(
      SqliteStatement query,
      database_->Prepare(std::string("SELECT ") + kServingExportColumns +
                         " FROM serving_exports WHERE status = 'success' "
                         "ORDER BY started_ms DESC, rowid DESC LIMIT 1"));
  std::optional<ServingExportRecord> last;
  MATERIA_RETURN_IF_ERROR(query.ForEachRow([&](const SqliteStatement& row) {
    last = ReadServingExport(row);
    return Status::Ok();
  }));
  return last;
}

// A limit of zero or less lists every run.
Result<std::vector<RunRecord>> SqliteStateStore::ListRuns(int limit) {
  std::lock_guard<std::mutex> lock(mutex_);
  int64_t rows_max = limit > 0 ? limit : -1;  // SQLite reads LIMIT -1 as "no limit"
  MATERIA_ASSIGN_OR_RETURN(
      SqliteStatement query,
      database_->PrepareBound(std::string("SELECT ") + kRunColumns +
                                  " FROM runs ORDER BY started_ms DESC, rowid DESC LIMIT ?",
                              {rows_max}));
  std::vector<RunRecord> runs;
  MATERIA_RETURN_IF_ERROR(query.ForEachRow([&](const SqliteStatement& row) {
    runs.push_back(ReadRun(row));
    return Status::Ok();
  }));
  return runs;
}

Result<std::vector<RunModelRecord>> SqliteStateStore::ListRunModels(const std::string& run_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  MATERIA_ASSIGN_OR_RETURN(
      SqliteStatement query,
      database_->PrepareBound(std::string("SELECT ") + kRunModelColumns +
                                  " FROM run_models WHERE run_id = ? ORDER BY id",
                              {run_id}));
  std::vector<RunModelRecord> records;
  MATERIA_RETURN_IF_ERROR(query.ForEachRow([&](const SqliteStatement& row) {
    records.push_back(ReadRunModel(row));
    return Status::Ok();
  }));
  return records;
}

// ---------------------------------------------------------------------------
// Key-value area and schema

Result<std::optional<std::string>> SqliteStateStore::GetValue(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  MATERIA_ASSIGN_OR_RETURN(
      SqliteStatement query,
      database_->PrepareBound("SELECT value FROM key_values WHERE key = ?", {key}));
  MATERIA_ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) return std::optional<std::string>();
  return std::optional<std::string>(query.ColumnText(0));
}

Status SqliteStateStore::PutValue(const std::string& key, const std::string& value) {
  std::lock_guard<std::mutex> lock(mutex_);
  return Run("INSERT INTO key_values (key, value) VALUES (?, ?) "
             "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
             {key, value});
}

Result<int> SqliteStateStore::SchemaVersion() {
  std::lock_guard<std::mutex> lock(mutex_);
  return ReadStateSchemaVersion(*database_);
}

// Makes the folder that will hold the state file (".materia/"), if it is missing.
Status MakeParentDirectory(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return Status::Ok();
  std::error_code error;
  std::filesystem::create_directories(parent, error);
  if (error) {
    return Status::IoError("cannot create directory " + parent.string() + ": " +
                           error.message());
  }
  return Status::Ok();
}

Result<std::unique_ptr<SqliteDatabase>> OpenDatabase(const std::string& path, bool read_only) {
  SqliteOptions options;
  options.mode = read_only ? SqliteOpenMode::kReadOnly : SqliteOpenMode::kReadWriteCreate;
  options.busy_timeout_ms = kBusyTimeoutMs;
  options.write_ahead_log = true;
  options.foreign_keys = true;
  MATERIA_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> database,
                           SqliteDatabase::Open(path, options));
  if (read_only) {
    MATERIA_RETURN_IF_ERROR(CheckStateSchema(*database));
  } else {
    MATERIA_RETURN_IF_ERROR(MigrateStateSchema(*database));
  }
  return database;
}

}  // namespace

Result<std::unique_ptr<StateStore>> OpenSqliteStateStore(const std::string& path,
                                                         bool read_only) {
  if (path.empty()) return Status::InvalidInput("no state store path given");
  std::error_code error;
  bool exists = std::filesystem::exists(path, error);
  if (read_only && !exists) {
    return Status::NotFound("no state store at " + path + " (run `materia plan` first)");
  }
  if (!read_only) MATERIA_RETURN_IF_ERROR(MakeParentDirectory(path));
  Result<std::unique_ptr<SqliteDatabase>> database = OpenDatabase(path, read_only);
  if (!database.ok()) return database.status();
  return std::unique_ptr<StateStore>(new SqliteStateStore(std::move(database).value()));
}

}  // namespace materia
