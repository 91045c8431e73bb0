// The versioned schema of the SQLite state store, and how a file is brought up to it.
//
// The schema is an ordered list of migrations, numbered 1, 2, 3, ... without gaps.
// The table `schema_version` holds one row per applied migration, so the version of a
// file is the largest number in it (0 for a new, empty file). Migrations only ever
// get appended: a released migration is never edited, since files in the field have
// already run it.
//
// MigrateStateSchema is safe to call from several processes at once on one file:
// each migration runs in its own BEGIN IMMEDIATE transaction that first re-reads the
// version, so a migration that another process applied meanwhile is skipped.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "db/sqlite.h"
#include "db/sqlite_schema.h"

namespace materia {

using StateMigration = SqliteMigration;

// The migrations this binary knows, in order.
const std::vector<StateMigration>& StateMigrations();

// The version this binary expects a state store to be at.
int LatestStateSchemaVersion();

// Returns the schema version of `database`: 0 when it has no `schema_version` table.
Result<int> ReadStateSchemaVersion(SqliteDatabase& database);

// Applies, in order and one transaction each, every migration newer than the file.
// Returns kInvalidInput "state store schema version N is newer than this materia (M)"
// when the file was written by a newer binary; kDatabaseError when a migration fails
// (that migration is rolled back; earlier ones stay).
Status MigrateStateSchema(SqliteDatabase& database);

// Checks, without writing, that `database` is at exactly the latest version. Returns
// the "newer" error above, or kInvalidInput "state store schema version N is older
// than this materia (M); run `materia plan` to upgrade it".
Status CheckStateSchema(SqliteDatabase& database);

}  // namespace materia
