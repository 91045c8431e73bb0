#include "state/migrations.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace materia {

namespace {

// Version 1: everything the StateStore interface keeps. Intervals are merged ranges,
// one row per range (never one per cron tick); maps are JSON objects in text columns.
const char* const kInitialSchema = R"sql(
CREATE TABLE snapshots (
  name             TEXT    NOT NULL,
  fingerprint      TEXT    NOT NULL,
  version          TEXT    NOT NULL,
  kind             TEXT    NOT NULL,
  data_hash        TEXT    NOT NULL,
  normalized_query TEXT    NOT NULL,
  parents_json     TEXT    NOT NULL,
  change_category  TEXT    NOT NULL,
  definition_json  TEXT    NOT NULL,
  data_identity    TEXT    NOT NULL,
  created_ms       INTEGER NOT NULL,
  PRIMARY KEY (name, fingerprint)
);
CREATE INDEX snapshots_by_version ON snapshots (name, version);

CREATE TABLE environments (
  name        TEXT    NOT NULL PRIMARY KEY,
  promoted_ms INTEGER NOT NULL,
  plan_id     TEXT    NOT NULL
);

CREATE TABLE environment_snapshots (
  environment TEXT NOT NULL REFERENCES environments (name) ON DELETE CASCADE,
  model       TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  version     TEXT NOT NULL,
  PRIMARY KEY (environment, model)
);

-- Merged, disjoint, non-touching ranges [start_ms, end_ms) per physical table.
CREATE TABLE intervals (
  name     TEXT    NOT NULL,
  version  TEXT    NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms   INTEGER NOT NULL,
  PRIMARY KEY (name, version, start_ms),
  CHECK (start_ms < end_ms)
);

-- Data versions of evaluated intervals [start_ms, end_ms); rows never overlap.
CREATE TABLE interval_versions (
  name                TEXT    NOT NULL,
  version             TEXT    NOT NULL,
  start_ms            INTEGER NOT NULL,
  end_ms              INTEGER NOT NULL,
  data_version        TEXT    NOT NULL,
  input_versions_json TEXT    NOT NULL,
  PRIMARY KEY (name, version, start_ms),
  CHECK (start_ms < end_ms)
);

CREATE TABLE materializations (
  name                TEXT    NOT NULL,
  version             TEXT    NOT NULL,
  fingerprint         TEXT    NOT NULL,
  data_version        TEXT    NOT NULL,
  input_versions_json TEXT    NOT NULL,
  rows                INTEGER NOT NULL,
  finished_ms         INTEGER NOT NULL,
  run_id              TEXT    NOT NULL,
  PRIMARY KEY (name, version)
);

CREATE TABLE runs (
  run_id       TEXT    NOT NULL PRIMARY KEY,
  command      TEXT    NOT NULL,
  environment  TEXT    NOT NULL,
  status       TEXT    NOT NULL,
  started_ms   INTEGER NOT NULL,
  finished_ms  INTEGER NOT NULL,
  summary_json TEXT    NOT NULL,
  error        TEXT    NOT NULL
);
CREATE INDEX runs_by_start ON runs (started_ms);

CREATE TABLE run_models (
  id        INTEGER NOT NULL PRIMARY KEY,
  run_id    TEXT    NOT NULL,
  model     TEXT    NOT NULL,
  action    TEXT    NOT NULL,
  reason    TEXT    NOT NULL,
  intervals TEXT    NOT NULL,
  rows      INTEGER NOT NULL,
  seconds   REAL    NOT NULL,
  error     TEXT    NOT NULL
);
CREATE INDEX run_models_by_run ON run_models (run_id, id);

CREATE TABLE key_values (
  key   TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL
);
)sql";

const char* const kCreateVersionTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_version (
  version     INTEGER NOT NULL PRIMARY KEY,
  description TEXT    NOT NULL,
  applied_ms  INTEGER NOT NULL
))sql";

int64_t WallClockMs() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
}

Status NewerError(int found, int latest) {
  return Status::InvalidInput("state store schema version " + std::to_string(found) +
                              " is newer than this materia (" + std::to_string(latest) + ")");
}

// Applies `migration` in its own write transaction unless the file already has it.
Status ApplyMigration(SqliteDatabase& database, const StateMigration& migration) {
  MATERIA_ASSIGN_OR_RETURN(
      SqliteTransaction transaction,
      SqliteTransaction::Begin(database, SqliteTransaction::Mode::kImmediate));
  MATERIA_RETURN_IF_ERROR(database.Execute(kCreateVersionTable));
  MATERIA_ASSIGN_OR_RETURN(int current, ReadStateSchemaVersion(database));
  if (current > LatestStateSchemaVersion()) {
    return NewerError(current, LatestStateSchemaVersion());
  }
  if (current >= migration.version) return Status::Ok();  // rolled back: nothing written
  if (current != migration.version - 1) {
    return Status::Internal("state store schema version " + std::to_string(current) +
                            " cannot take migration " + std::to_string(migration.version));
  }
  Status applied = database.Execute(migration.sql);
  MATERIA_RETURN_IF_ERROR(applied.WithPrefix("migration " + std::to_string(migration.version) +
                                             " (" + migration.description + ") failed"));
  MATERIA_ASSIGN_OR_RETURN(
      SqliteStatement insert,
      database.PrepareBound(
          "INSERT INTO schema_version (version, description, applied_ms) VALUES (?, ?, ?)",
          {int64_t{migration.version}, migration.description, WallClockMs()}));
  MATERIA_RETURN_IF_ERROR(insert.Run());
  return transaction.Commit();
}

}  // namespace

const std::vector<StateMigration>& StateMigrations() {
  static const std::vector<StateMigration> migrations = {
      {1, "initial schema", kInitialSchema},
      {2, "snapshots keep their query as rendered; fingerprints hash its parse tree",
       "ALTER TABLE snapshots RENAME COLUMN normalized_query TO query;"},
      {3, "pipeline runs and serving exports", R"sql(
CREATE TABLE pipeline_runs (
  run_id       TEXT    NOT NULL PRIMARY KEY,
  pipeline     TEXT    NOT NULL,
  status       TEXT    NOT NULL,
  attempt      INTEGER NOT NULL,
  started_ms   INTEGER NOT NULL,
  finished_ms  INTEGER NOT NULL,
  worker_size  TEXT    NOT NULL,
  trigger      TEXT    NOT NULL,
  summary_json TEXT    NOT NULL,
  error        TEXT    NOT NULL
);
CREATE INDEX pipeline_runs_by_start ON pipeline_runs (started_ms);
CREATE INDEX pipeline_runs_by_pipeline ON pipeline_runs (pipeline, started_ms);
CREATE TABLE serving_exports (
  export_id          TEXT    NOT NULL PRIMARY KEY,
  path               TEXT    NOT NULL,
  status             TEXT    NOT NULL,
  started_ms         INTEGER NOT NULL,
  finished_ms        INTEGER NOT NULL,
  tables_json        TEXT    NOT NULL,
  rows               INTEGER NOT NULL,
  bytes              INTEGER NOT NULL,
  data_versions_json TEXT    NOT NULL,
  error              TEXT    NOT NULL
);
CREATE INDEX serving_exports_by_start ON serving_exports (started_ms);
)sql"},
  };
  return migrations;
}

int LatestStateSchemaVersion() { return static_cast<int>(StateMigrations().size()); }

Result<int> ReadStateSchemaVersion(SqliteDatabase& database) {
  MATERIA_ASSIGN_OR_RETURN(
      std::string table,
      database.QueryText("SELECT name FROM sqlite_master "
                         "WHERE type = 'table' AND name = 'schema_version'"));
  if (table.empty()) return 0;
  MATERIA_ASSIGN_OR_RETURN(SqliteStatement query,
                           database.Prepare("SELECT MAX(version) FROM schema_version"));
  MATERIA_ASSIGN_OR_RETURN(bool has_row, query.Step());
  if (!has_row || query.ColumnIsNull(0)) return 0;
  int64_t version = query.ColumnInt64(0);
  if (version < 0 || version > 1'000'000) {
    return Status::DatabaseError(database.path() + ": schema version " +
                                 std::to_string(version) + " is not valid");
  }
  return static_cast<int>(version);
}

Status MigrateStateSchema(SqliteDatabase& database) {
  MATERIA_ASSIGN_OR_RETURN(int current, ReadStateSchemaVersion(database));
  int latest = LatestStateSchemaVersion();
  if (current > latest) return NewerError(current, latest);
  for (const StateMigration& migration : StateMigrations()) {
    if (migration.version <= current) continue;
    MATERIA_RETURN_IF_ERROR(ApplyMigration(database, migration));
  }
  return Status::Ok();
}

Status CheckStateSchema(SqliteDatabase& database) {
  MATERIA_ASSIGN_OR_RETURN(int current, ReadStateSchemaVersion(database));
  int latest = LatestStateSchemaVersion();
  if (current > latest) return NewerError(current, latest);
  if (current < latest) {
    return Status::InvalidInput("state store schema version " + std::to_string(current) +
                                " is older than this materia (" + std::to_string(latest) +
                                "); run `materia plan` to upgrade it");
  }
  return Status::Ok();
}

}  // namespace materia
