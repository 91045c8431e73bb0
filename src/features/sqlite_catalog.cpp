// The SQLite MaterializationCatalog: one connection guarded by a mutex. Each read is
// one statement (SQLite runs it on one consistent view); writes run in BEGIN IMMEDIATE. The schema
// is the list of migrations below, applied one transaction each, in the manner of the
// state store's (see src/state/migrations.h): released migrations are never edited,
// only appended.

#include "features/sqlite_catalog.h"

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "db/sqlite.h"
#include "db/sqlite_schema.h"

namespace materia {

namespace {

using Mode = SqliteTransaction::Mode;

constexpr int kBusyTimeoutMs = 10'000;

const std::vector<SqliteMigration>& CatalogMigrations() {
  static const std::vector<SqliteMigration> migrations = {
      {1, "feature materializations", R"sql(
CREATE TABLE feature_materializations (
  feature            TEXT    NOT NULL,
  feature_version    TEXT    NOT NULL,
  container          TEXT    NOT NULL,
  data_version       TEXT    NOT NULL,
  sample_count       INTEGER NOT NULL,
  materialized_at_ms INTEGER NOT NULL,
  PRIMARY KEY (feature, feature_version, container, data_version),
  CHECK (sample_count >= 0 AND materialized_at_ms >= 0)
);
CREATE INDEX feature_materializations_by_container
  ON feature_materializations (feature, container);
)sql"},
  };
  return migrations;
}

const char* const kEntryColumns =
    "feature, feature_version, container, data_version, sample_count, materialized_at_ms";

// The order of IsNewerEntry, in SQL.
const char* const kNewestFirst =
    "materialized_at_ms DESC, feature_version ASC, container ASC, data_version ASC";

Status NewerError(const std::string& path, int found, int latest) {
  return Status::InvalidInput("materialization catalog " + path + " has schema version " +
                              std::to_string(found) + ", newer than this materia (" +
                              std::to_string(latest) + ")");
}

Status OlderError(const std::string& path, int found, int latest) {
  return Status::InvalidInput("materialization catalog " + path + " has schema version " +
                              std::to_string(found) + ", older than this materia (" +
                              std::to_string(latest) + "); open it for writing once to upgrade it");
}

// The catalog's schema, with messages naming the file at `path`.
SqliteSchema CatalogSchema(const std::string& path) {
  return SqliteSchema{"catalog_schema_version", "catalog ", &CatalogMigrations(),
                      [path](int found, int latest) { return NewerError(path, found, latest); },
                      [path](int found, int latest) { return OlderError(path, found, latest); }};
}

MaterializationEntry ReadEntry(const SqliteStatement& row) {
  MaterializationEntry entry;
  entry.feature = row.ColumnText(0);
  entry.feature_version = row.ColumnText(1);
  entry.container = row.ColumnText(2);
  entry.data_version = row.ColumnText(3);
  entry.sample_count = row.ColumnInt64(4);
  entry.materialized_at_ms = row.ColumnInt64(5);
  return entry;
}

Status TooManyEntries(const std::string& path) {
  return Status::DatabaseError("materialization catalog " + path + " has more than " +
                               std::to_string(kCatalogEntriesMax) + " entries");
}

class SqliteCatalog final : public MaterializationCatalog {
 public:
  explicit SqliteCatalog(std::unique_ptr<SqliteDatabase> database)
      : database_(std::move(database)) {}

  Status Register(const MaterializationEntry& entry) override {
    MATERIA_RETURN_IF_ERROR(CheckMaterializationEntry(entry));
    std::lock_guard<std::mutex> lock(mutex_);
    MATERIA_RETURN_IF_ERROR(CheckWritable("register " + entry.feature));
    MATERIA_ASSIGN_OR_RETURN(SqliteTransaction transaction,
                             SqliteTransaction::Begin(*database_, Mode::kImmediate));
    MATERIA_ASSIGN_OR_RETURN(
        SqliteStatement update,
        database_->PrepareBound(
            "UPDATE feature_materializations SET sample_count = ?, materialized_at_ms = ? "
            "WHERE feature = ? AND feature_version = ? AND container = ? AND data_version = ?",
            {entry.sample_count, entry.materialized_at_ms, entry.feature, entry.feature_version,
             entry.container, entry.data_version}));
    MATERIA_RETURN_IF_ERROR(update.Run());
    if (database_->ChangedRows() == 0) {
      MATERIA_ASSIGN_OR_RETURN(
          std::string count, database_->QueryText("SELECT COUNT(*) FROM feature_materializations"));
      if (std::stoll(count) >= static_cast<int64_t>(kCatalogEntriesMax)) {
        return Status::InvalidInput("the materialization catalog is full (" +
                                    std::to_string(kCatalogEntriesMax) + " entries)");
      }
      MATERIA_ASSIGN_OR_RETURN(
          SqliteStatement insert,
          database_->PrepareBound(std::string("INSERT INTO feature_materializations (") +
                                      kEntryColumns + ") VALUES (?, ?, ?, ?, ?, ?)",
                                  {entry.feature, entry.feature_version, entry.container,
                                   entry.data_version, entry.sample_count,
                                   entry.materialized_at_ms}));
      MATERIA_RETURN_IF_ERROR(insert.Run());
    }
    return transaction.Commit();
  }

  Result<bool> HasFeature(const std::string& feature,
                          const std::optional<std::string>& container,
                          const std::optional<std::string>& data_version) const override {
    MATERIA_RETURN_IF_ERROR(CheckCatalogFeatureKey(feature));
    if (container) MATERIA_RETURN_IF_ERROR(CheckCatalogContainer(*container));
    if (data_version) {
      MATERIA_RETURN_IF_ERROR(CheckCatalogVersion("data version", *data_version));
    }
    std::string sql = "SELECT 1 FROM feature_materializations WHERE feature = ?";
    std::vector<SqliteValue> values = {feature};
    if (container) {
      sql += " AND container = ?";
      values.push_back(*container);
    }
    if (data_version) {
      sql += " AND data_version = ?";
      values.push_back(*data_version);
    }
    sql += " LIMIT 1";
    std::lock_guard<std::mutex> lock(mutex_);
    MATERIA_ASSIGN_OR_RETURN(SqliteStatement query, database_->PrepareBound(sql, values));
    return query.Step();
  }

  Result<std::vector<std::string>> Versions(const std::string& feature) const override {
    MATERIA_RETURN_IF_ERROR(CheckCatalogFeatureKey(feature));
    std::lock_guard<std::mutex> lock(mutex_);
    MATERIA_ASSIGN_OR_RETURN(
        SqliteStatement query,
        database_->PrepareBound(
            "SELECT data_version, MAX(materialized_at_ms) AS latest_ms "
            "FROM feature_materializations WHERE feature = ? GROUP BY data_version "
            "ORDER BY latest_ms DESC, data_version ASC LIMIT " +
                std::to_string(kCatalogEntriesMax + 1),
            {feature}));
    std::vector<std::string> versions;
    MATERIA_RETURN_IF_ERROR(query.ForEachRow([&](const SqliteStatement& row) {
      if (versions.size() >= kCatalogEntriesMax) return TooManyEntries(database_->path());
      versions.push_back(row.ColumnText(0));
      return Status::Ok();
    }));
    return versions;
  }

  Result<std::vector<MaterializationEntry>> List(
      const std::optional<std::string>& feature_prefix) const override {
    if (feature_prefix) MATERIA_RETURN_IF_ERROR(CheckCatalogFeatureKey(*feature_prefix));
    std::string sql = std::string("SELECT ") + kEntryColumns + " FROM feature_materializations";
    std::vector<SqliteValue> values;
    if (feature_prefix) {
      // The feature itself, or keys in ["prefix/", "prefix0"): '0' follows '/'.
      sql += " WHERE feature = ? OR (feature >= ? AND feature < ?)";
      values = {*feature_prefix, *feature_prefix + "/", *feature_prefix + "0"};
    }
    sql += std::string(" ORDER BY feature ASC, ") + kNewestFirst + " LIMIT " +
           std::to_string(kCatalogEntriesMax + 1);
    std::lock_guard<std::mutex> lock(mutex_);
    MATERIA_ASSIGN_OR_RETURN(SqliteStatement query, database_->PrepareBound(sql, values));
    std::vector<MaterializationEntry> entries;
    MATERIA_RETURN_IF_ERROR(query.ForEachRow([&](const SqliteStatement& row) {
      if (entries.size() >= kCatalogEntriesMax) return TooManyEntries(database_->path());
      entries.push_back(ReadEntry(row));
      return Status::Ok();
    }));
    return entries;
  }

  Result<std::optional<MaterializationEntry>> Info(
      const std::string& feature, const std::optional<std::string>& container) const override {
    MATERIA_RETURN_IF_ERROR(CheckCatalogFeatureKey(feature));
    if (container) MATERIA_RETURN_IF_ERROR(CheckCatalogContainer(*container));
    std::string sql = std::string("SELECT ") + kEntryColumns +
                      " FROM feature_materializations WHERE feature = ?";
    std::vector<SqliteValue> values = {feature};
    if (container) {
      sql += " AND container = ?";
      values.push_back(*container);
    }
    sql += std::string(" ORDER BY ") + kNewestFirst + " LIMIT 1";
    std::lock_guard<std::mutex> lock(mutex_);
    MATERIA_ASSIGN_OR_RETURN(SqliteStatement query, database_->PrepareBound(sql, values));
    MATERIA_ASSIGN_OR_RETURN(bool has_row, query.Step());
    if (!has_row) return std::optional<MaterializationEntry>();
    return std::optional<MaterializationEntry>(ReadEntry(query));
  }

  Status Remove(const std::string& feature, const std::string& container) override {
    MATERIA_RETURN_IF_ERROR(CheckCatalogFeatureKey(feature));
    MATERIA_RETURN_IF_ERROR(CheckCatalogContainer(container));
    std::lock_guard<std::mutex> lock(mutex_);
    MATERIA_RETURN_IF_ERROR(CheckWritable("remove " + feature));
    MATERIA_ASSIGN_OR_RETURN(SqliteTransaction transaction,
                             SqliteTransaction::Begin(*database_, Mode::kImmediate));
    MATERIA_ASSIGN_OR_RETURN(
        SqliteStatement remove,
        database_->PrepareBound(
            "DELETE FROM feature_materializations WHERE feature = ? AND container = ?",
            {feature, container}));
    MATERIA_RETURN_IF_ERROR(remove.Run());
    if (database_->ChangedRows() == 0) {
      return Status::NotFound("no materialization of feature " + feature + " in " + container);
    }
    return transaction.Commit();
  }

  Status Replace(const std::string& feature, const std::string& container,
                 const std::vector<MaterializationEntry>& entries) override {
    MATERIA_RETURN_IF_ERROR(CheckReplacement(feature, container, entries));
    std::lock_guard<std::mutex> lock(mutex_);
    MATERIA_RETURN_IF_ERROR(CheckWritable("replace the entries of " + feature));
    MATERIA_ASSIGN_OR_RETURN(SqliteTransaction transaction,
                             SqliteTransaction::Begin(*database_, Mode::kImmediate));
    MATERIA_ASSIGN_OR_RETURN(
        SqliteStatement remove,
        database_->PrepareBound(
            "DELETE FROM feature_materializations WHERE feature = ? AND container = ?",
            {feature, container}));
    MATERIA_RETURN_IF_ERROR(remove.Run());
    MATERIA_ASSIGN_OR_RETURN(
        std::string count, database_->QueryText("SELECT COUNT(*) FROM feature_materializations"));
    if (std::stoll(count) + entries.size() > kCatalogEntriesMax) {
      return Status::InvalidInput("the materialization catalog is full (" +
                                  std::to_string(kCatalogEntriesMax) + " entries)");
    }
    for (const MaterializationEntry& entry : entries) {
      MATERIA_ASSIGN_OR_RETURN(
          SqliteStatement insert,
          database_->PrepareBound(std::string("INSERT OR REPLACE INTO feature_materializations (") +
                                      kEntryColumns + ") VALUES (?, ?, ?, ?, ?, ?)",
                                  {entry.feature, entry.feature_version, entry.container,
                                   entry.data_version, entry.sample_count,
                                   entry.materialized_at_ms}));
      MATERIA_RETURN_IF_ERROR(insert.Run());
    }
    return transaction.Commit();  // the removal and the entries, or neither
  }

 private:
  // kInvalidInput when the catalog was opened read-only; `action` names the write.
  Status CheckWritable(const std::string& action) const {
    if (!database_->read_only()) return Status::Ok();
    return Status::InvalidInput("materialization catalog " + database_->path() +
                                " is open read-only: cannot " + action);
  }

  mutable std::mutex mutex_;
  std::unique_ptr<SqliteDatabase> database_;  // guarded by mutex_
};

}  // namespace

int LatestCatalogSchemaVersion() { return static_cast<int>(CatalogMigrations().size()); }

Result<std::unique_ptr<MaterializationCatalog>> OpenSqliteCatalog(const std::string& path,
                                                                  bool read_only) {
  if (path.empty()) return Status::InvalidInput("no materialization catalog path given");
  std::error_code error;
  if (read_only && !std::filesystem::exists(path, error)) {
    return Status::NotFound("no materialization catalog at " + path);
  }
  if (!read_only) {
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
      std::filesystem::create_directories(parent, error);
      if (error) {
        return Status::IoError("cannot create directory " + parent.string() + ": " +
                               error.message());
      }
    }
  }
  SqliteOptions options;
  options.mode = read_only ? SqliteOpenMode::kReadOnly : SqliteOpenMode::kReadWriteCreate;
  options.busy_timeout_ms = kBusyTimeoutMs;
  options.write_ahead_log = true;
  MATERIA_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDatabase> database,
                           SqliteDatabase::Open(path, options));
  if (read_only) {
    MATERIA_RETURN_IF_ERROR(CheckSchema(*database, CatalogSchema(database->path())));
  } else {
    MATERIA_RETURN_IF_ERROR(MigrateSchema(*database, CatalogSchema(database->path())));
  }
  return std::unique_ptr<MaterializationCatalog>(new SqliteCatalog(std::move(database)));
}

}  // namespace materia
