// Versioned SQLite schemas: an ordered list of migrations numbered 1, 2, 3, ... without
// gaps, and a version table holding one row per applied migration, so that a file's
// version is the largest number in it (0 for a new, empty file). Migrations are only
// ever appended: a released one is never edited, files in the field have run it.
//
// MigrateSchema is safe to call from several processes at once on one file: each
// migration runs in its own BEGIN IMMEDIATE transaction that first re-reads the
// version, so a migration another process applied meanwhile is skipped.
// Used by the state store and the materialization catalog; thread-compatible.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "db/sqlite.h"

namespace materia {

struct SqliteMigration {
  int version = 0;          // 1-based position in the list
  std::string description;  // one line, stored with the version
  std::string sql;          // statements separated by ';'
};

struct SqliteSchema {
  std::string version_table;  // e.g. "schema_version"
  std::string label;          // prefixes "schema version" in internal messages, e.g. "catalog "
  const std::vector<SqliteMigration>* migrations = nullptr;
  // The errors users see for a file written by a newer binary, and (by CheckSchema)
  // for a file not migrated yet: (the file's version, this binary's).
  std::function<Status(int found, int latest)> newer_error;
  std::function<Status(int found, int latest)> older_error;

  int latest() const { return static_cast<int>(migrations->size()); }
};

// The schema version of `database`: 0 when it has no version table.
Result<int> ReadSchemaVersion(SqliteDatabase& database, const SqliteSchema& schema);

// Applies, in order and one transaction each, every migration newer than the file.
// Returns schema.newer_error when the file is newer than this binary; kDatabaseError
// when a migration fails (that migration is rolled back; earlier ones stay).
Status MigrateSchema(SqliteDatabase& database, const SqliteSchema& schema);

// Checks, without writing, that `database` is at exactly the latest version; returns
// schema.newer_error or schema.older_error otherwise.
Status CheckSchema(SqliteDatabase& database, const SqliteSchema& schema);

}  // namespace materia
