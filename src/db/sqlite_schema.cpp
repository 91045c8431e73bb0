#include "db/sqlite_schema.h"

#include <chrono>
#include <cstdint>

namespace materia {

namespace {

constexpr int64_t kVersionMax = 1'000'000;

int64_t WallClockMs() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
}

// Applies `migration` in its own write transaction unless the file already has it.
Status ApplyMigration(SqliteDatabase& database, const SqliteSchema& schema,
                      const SqliteMigration& migration) {
  MATERIA_ASSIGN_OR_RETURN(
      SqliteTransaction transaction,
      SqliteTransaction::Begin(database, SqliteTransaction::Mode::kImmediate));
  MATERIA_RETURN_IF_ERROR(database.Execute("CREATE TABLE IF NOT EXISTS " + schema.version_table +
                                           " (version INTEGER NOT NULL PRIMARY KEY, "
                                           "description TEXT NOT NULL, applied_ms INTEGER NOT NULL)"));
  MATERIA_ASSIGN_OR_RETURN(int current, ReadSchemaVersion(database, schema));
  if (current > schema.latest()) return schema.newer_error(current, schema.latest());
  if (current >= migration.version) return Status::Ok();  // rolled back: nothing written
  if (current != migration.version - 1) {
    return Status::Internal(schema.label + "schema version " + std::to_string(current) +
                            " cannot take migration " + std::to_string(migration.version));
  }
  Status applied = database.Execute(migration.sql);
  MATERIA_RETURN_IF_ERROR(applied.WithPrefix(schema.label + "migration " + std::to_string(migration.version) +
                                             " (" + migration.description + ") failed"));
  MATERIA_ASSIGN_OR_RETURN(
      SqliteStatement insert,
      database.PrepareBound("INSERT INTO " + schema.version_table +
                                " (version, description, applied_ms) VALUES (?, ?, ?)",
                            {int64_t{migration.version}, migration.description, WallClockMs()}));
  MATERIA_RETURN_IF_ERROR(insert.Run());
  return transaction.Commit();
}

}  // namespace

Result<int> ReadSchemaVersion(SqliteDatabase& database, const SqliteSchema& schema) {
  MATERIA_ASSIGN_OR_RETURN(SqliteStatement exists,
                           database.PrepareBound("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?",
                                                 {schema.version_table}));
  MATERIA_ASSIGN_OR_RETURN(bool has_table, exists.Step());
  if (!has_table) return 0;
  MATERIA_ASSIGN_OR_RETURN(SqliteStatement query,
                           database.Prepare("SELECT MAX(version) FROM " + schema.version_table));
  MATERIA_ASSIGN_OR_RETURN(bool has_row, query.Step());
  if (!has_row || query.ColumnIsNull(0)) return 0;
  int64_t version = query.ColumnInt64(0);
  if (version < 0 || version > kVersionMax) {
    return Status::DatabaseError(database.path() + ": " + schema.label + "schema version " +
                                 std::to_string(version) + " is not valid");
  }
  return static_cast<int>(version);
}

Status MigrateSchema(SqliteDatabase& database, const SqliteSchema& schema) {
  MATERIA_ASSIGN_OR_RETURN(int current, ReadSchemaVersion(database, schema));
  if (current > schema.latest()) return schema.newer_error(current, schema.latest());
  for (const SqliteMigration& migration : *schema.migrations) {
    if (migration.version <= current) continue;
    MATERIA_RETURN_IF_ERROR(ApplyMigration(database, schema, migration));
  }
  return Status::Ok();
}

Status CheckSchema(SqliteDatabase& database, const SqliteSchema& schema) {
  MATERIA_ASSIGN_OR_RETURN(int current, ReadSchemaVersion(database, schema));
  if (current > schema.latest()) return schema.newer_error(current, schema.latest());
  if (current < schema.latest()) return schema.older_error(current, schema.latest());
  return Status::Ok();
}

}  // namespace materia
