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

Status NewerError(int found, int latest) {
  return Status::InvalidInput("state store schema version " + std::to_string(found) +
                              " is newer than this materia (" + std::to_string(latest) + ")");
}

Status OlderError(int found, int latest) {
  return Status::InvalidInput("state store schema version " + std::to_string(found) +
                              " is older than this materia (" + std::to_string(latest) +
                              "); run `materia plan` to upgrade it");
}

const SqliteSchema& StateSchema() {
  static const SqliteSchema schema{"schema_version", "", &StateMigrations(), NewerError, OlderError};
  return schema;
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
  return ReadSchemaVersion(database, StateSchema());
}

Status MigrateStateSchema(SqliteDatabase& database) { return MigrateSchema(database, StateSchema()); }

Status CheckStateSchema(SqliteDatabase& database) { return CheckSchema(database, StateSchema()); }

}  // namespace materia
