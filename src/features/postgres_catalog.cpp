// The Postgres MaterializationCatalog: one connection guarded by a mutex. Each read is
// one statement (Postgres runs it on one snapshot); writes run in a transaction. The
// schema is the list of migrations below, applied one transaction each under an
// advisory lock, in the manner of the SQLite catalog's: released migrations are never
// edited, only appended.

#include "features/postgres_catalog.h"

#include <charconv>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "db/postgres.h"

namespace materia {

namespace {

using Params = std::vector<std::optional<std::string>>;

constexpr size_t kSchemaNameLengthMax = 63;  // Postgres's NAMEDATALEN - 1
constexpr int kConnectTimeoutS = 10;
constexpr int kStatementTimeoutMs = 60'000;
constexpr int64_t kVersionMax = 1'000'000;

struct PgMigration {
  int version = 0;          // 1-based position in the list
  std::string description;  // one line, stored with the version
  std::string sql;          // statements separated by ';', run with the catalog's schema
                            // first on the search path
};

// Text columns compare in byte order (COLLATE "C"), as std::string does, so ORDER BY
// and the prefix ranges of List agree with the other implementations whatever the
// database's collation.
const std::vector<PgMigration>& CatalogMigrations() {
  static const std::vector<PgMigration> migrations = {
      {1, "feature materializations", R"sql(
CREATE TABLE feature_materializations (
  feature            TEXT COLLATE "C" NOT NULL,
  feature_version    TEXT COLLATE "C" NOT NULL,
  container          TEXT COLLATE "C" NOT NULL,
  data_version       TEXT COLLATE "C" NOT NULL,
  sample_count       BIGINT NOT NULL,
  materialized_at_ms BIGINT NOT NULL,
  PRIMARY KEY (feature, feature_version, container, data_version),
  CHECK (sample_count >= 0 AND materialized_at_ms >= 0)
);
CREATE INDEX feature_materializations_by_container
  ON feature_materializations (feature, container);
)sql"},
  };
  return migrations;
}

const char* const kVersionTable = "catalog_schema_version";

const char* const kEntryColumns =
    "feature, feature_version, container, data_version, sample_count, materialized_at_ms";

// The order of IsNewerEntry, in SQL.
const char* const kNewestFirst =
    "materialized_at_ms DESC, feature_version ASC, container ASC, data_version ASC";

int64_t WallClockMs() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
}

Status CheckSchemaName(const std::string& schema) {
  if (schema.empty()) return Status::InvalidInput("Postgres schema name is empty");
  bool valid = schema.size() <= kSchemaNameLengthMax && !(schema[0] >= '0' && schema[0] <= '9') &&
               schema.rfind("pg_", 0) != 0;
  for (char character : schema) {
    valid = valid && ((character >= 'a' && character <= 'z') ||
                      (character >= '0' && character <= '9') || character == '_');
  }
  if (valid) return Status::Ok();
  return Status::InvalidInput("Postgres schema name '" + schema +
                              "' is not valid: use 1 to 63 characters of a-z, 0-9 and '_', "
                              "not starting with a digit or 'pg_'");
}

Result<int64_t> ParseInteger(const std::optional<std::string>& text, const std::string& what) {
  int64_t value = 0;
  if (text) {
    const char* end = text->data() + text->size();
    auto [parsed_end, error] = std::from_chars(text->data(), end, value);
    if (error == std::errc() && parsed_end == end) return value;
  }
  return Status::DatabaseError(what + " '" + text.value_or("NULL") + "' is not an integer");
}

Result<MaterializationEntry> ReadEntry(const std::vector<std::optional<std::string>>& row) {
  if (row.size() != 6) return Status::Internal("a catalog row has " + std::to_string(row.size()) + " columns");
  MaterializationEntry entry;
  entry.feature = row[0].value_or("");
  entry.feature_version = row[1].value_or("");
  entry.container = row[2].value_or("");
  entry.data_version = row[3].value_or("");
  MATERIA_ASSIGN_OR_RETURN(entry.sample_count, ParseInteger(row[4], "sample count"));
  MATERIA_ASSIGN_OR_RETURN(entry.materialized_at_ms, ParseInteger(row[5], "materialization time"));
  return entry;
}

// Settings every session of the catalog starts with; applied again after a reconnect.
Status ConfigureSession(PgConnection& connection, bool read_only) {
  MATERIA_RETURN_IF_ERROR(
      connection.Execute("SET statement_timeout = " + std::to_string(kStatementTimeoutMs)));
  if (!read_only) return Status::Ok();
  return connection.Execute("SET default_transaction_read_only = on");
}

// One catalog's place: its schema on one server, and the messages that name it.
struct CatalogPlace {
  std::string schema;
  std::string label;  // "materialization catalog in Postgres schema S at host H port P"

  std::string Table(const char* name) const { return QuotePgIdentifier(schema) + "." + name; }
};

Result<bool> SchemaExists(PgConnection& connection, const CatalogPlace& place) {
  MATERIA_ASSIGN_OR_RETURN(
      PgResult found,
      connection.QueryParams("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1",
                             {place.schema}));
  return !found.rows.empty();
}

// The schema version of the catalog at `place`: 0 when it has no version table.
Result<int> ReadSchemaVersion(PgConnection& connection, const CatalogPlace& place) {
  MATERIA_ASSIGN_OR_RETURN(
      PgResult table,
      connection.QueryParams(
          "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = $1 AND tablename = $2",
          {place.schema, std::string(kVersionTable)}));
  if (table.rows.empty()) return 0;
  MATERIA_ASSIGN_OR_RETURN(PgResult latest,
                           connection.Query("SELECT MAX(version) FROM " + place.Table(kVersionTable)));
  std::optional<std::string> text = latest.Scalar();
  if (!text) return 0;
  MATERIA_ASSIGN_OR_RETURN(int64_t version, ParseInteger(text, "catalog schema version"));
  if (version < 0 || version > kVersionMax) {
    return Status::DatabaseError(place.label + ": schema version " + std::to_string(version) +
                                 " is not valid");
  }
  return static_cast<int>(version);
}

int Latest() { return static_cast<int>(CatalogMigrations().size()); }

Status NewerError(const CatalogPlace& place, int found) {
  return Status::InvalidInput(place.label + " has schema version " + std::to_string(found) +
                              ", newer than this materia (" + std::to_string(Latest()) + ")");
}

Status OlderError(const CatalogPlace& place, int found) {
  return Status::InvalidInput(place.label + " has schema version " + std::to_string(found) +
                              ", older than this materia (" + std::to_string(Latest()) +
                              "); open it for writing once to upgrade it");
}

// Applies `migration` in its own transaction unless the catalog already has it. The
// advisory lock (held until the transaction ends) makes concurrent openers take
// turns, so each migration runs once and the schema is created once.
Status ApplyMigration(PgConnection& connection, const CatalogPlace& place,
                      const PgMigration& migration) {
  MATERIA_ASSIGN_OR_RETURN(PgTransaction transaction, PgTransaction::Begin(connection));
  MATERIA_RETURN_IF_ERROR(
      connection.QueryParams("SELECT pg_advisory_xact_lock(hashtext($1))",
                             {"materia materialization catalog " + place.schema})
          .status());
  MATERIA_ASSIGN_OR_RETURN(bool schema_exists, SchemaExists(connection, place));
  if (!schema_exists) {
    MATERIA_RETURN_IF_ERROR(connection.Execute("CREATE SCHEMA " + QuotePgIdentifier(place.schema)));
  }
  MATERIA_RETURN_IF_ERROR(connection.Execute(
      "CREATE TABLE IF NOT EXISTS " + place.Table(kVersionTable) +
      " (version INTEGER NOT NULL PRIMARY KEY, description TEXT NOT NULL, "
      "applied_ms BIGINT NOT NULL)"));
  MATERIA_ASSIGN_OR_RETURN(int current, ReadSchemaVersion(connection, place));
  if (current > Latest()) return NewerError(place, current);
  if (current >= migration.version) return Status::Ok();  // rolled back: nothing written
  if (current != migration.version - 1) {
    return Status::Internal(place.label + ": schema version " + std::to_string(current) +
                            " cannot take migration " + std::to_string(migration.version));
  }
  MATERIA_RETURN_IF_ERROR(
      connection.Execute("SET LOCAL search_path TO " + QuotePgIdentifier(place.schema)));
  Status applied = connection.Execute(migration.sql);
  MATERIA_RETURN_IF_ERROR(applied.WithPrefix(place.label + ": migration " +
                                             std::to_string(migration.version) + " (" +
                                             migration.description + ") failed"));
  MATERIA_RETURN_IF_ERROR(
      connection
          .QueryParams("INSERT INTO " + place.Table(kVersionTable) +
                           " (version, description, applied_ms) VALUES ($1, $2, $3)",
                       {std::to_string(migration.version), migration.description,
                        std::to_string(WallClockMs())})
          .status());
  return transaction.Commit();
}

Status MigrateSchema(PgConnection& connection, const CatalogPlace& place) {
  MATERIA_ASSIGN_OR_RETURN(int current, ReadSchemaVersion(connection, place));
  if (current > Latest()) return NewerError(place, current);
  for (const PgMigration& migration : CatalogMigrations()) {
    if (migration.version <= current) continue;
    MATERIA_RETURN_IF_ERROR(ApplyMigration(connection, place, migration));
  }
  return Status::Ok();
}

Status CheckSchema(PgConnection& connection, const CatalogPlace& place) {
  MATERIA_ASSIGN_OR_RETURN(bool schema_exists, SchemaExists(connection, place));
  if (!schema_exists) return Status::NotFound("no " + place.label);
  MATERIA_ASSIGN_OR_RETURN(int current, ReadSchemaVersion(connection, place));
  if (current > Latest()) return NewerError(place, current);
  if (current < Latest()) return OlderError(place, current);
  return Status::Ok();
}

Status TooManyEntries(const CatalogPlace& place) {
  return Status::DatabaseError(place.label + " has more than " +
                               std::to_string(kCatalogEntriesMax) + " entries");
}

class PostgresCatalog final : public MaterializationCatalog {
 public:
  PostgresCatalog(std::unique_ptr<PgConnection> connection, CatalogPlace place, bool read_only)
      : connection_(std::move(connection)),
        place_(std::move(place)),
        table_(place_.Table("feature_materializations")),
        read_only_(read_only) {}

  Status Register(const MaterializationEntry& entry) override {
    MATERIA_RETURN_IF_ERROR(CheckMaterializationEntry(entry));
    std::lock_guard<std::mutex> lock(mutex_);
    MATERIA_RETURN_IF_ERROR(CheckWritable("register " + entry.feature));
    // An upsert: run again after a lost session, it leaves the same row.
    return OnceMoreIfLost([&] { return Upsert(entry); });
  }

  Result<bool> HasFeature(const std::string& feature,
                          const std::optional<std::string>& container,
                          const std::optional<std::string>& data_version) const override {
    MATERIA_RETURN_IF_ERROR(CheckCatalogFeatureKey(feature));
    if (container) MATERIA_RETURN_IF_ERROR(CheckCatalogContainer(*container));
    if (data_version) {
      MATERIA_RETURN_IF_ERROR(CheckCatalogVersion("data version", *data_version));
    }
    std::string sql = "SELECT 1 FROM " + table_ + " WHERE feature = $1";
    Params params = {feature};
    if (container) {
      params.push_back(*container);
      sql += " AND container = $" + std::to_string(params.size());
    }
    if (data_version) {
      params.push_back(*data_version);
      sql += " AND data_version = $" + std::to_string(params.size());
    }
    sql += " LIMIT 1";
    std::lock_guard<std::mutex> lock(mutex_);
    MATERIA_ASSIGN_OR_RETURN(PgResult found, Read(sql, params));
    return !found.rows.empty();
  }

  Result<std::vector<std::string>> Versions(const std::string& feature) const override {
    MATERIA_RETURN_IF_ERROR(CheckCatalogFeatureKey(feature));
    std::lock_guard<std::mutex> lock(mutex_);
    MATERIA_ASSIGN_OR_RETURN(
        PgResult found,
        Read("SELECT data_version, MAX(materialized_at_ms) AS latest_ms FROM " + table_ +
                 " WHERE feature = $1 GROUP BY data_version "
                 "ORDER BY latest_ms DESC, data_version ASC LIMIT " +
                 std::to_string(kCatalogEntriesMax + 1),
             {feature}));
    if (found.rows.size() > kCatalogEntriesMax) return TooManyEntries(place_);
    std::vector<std::string> versions;
    versions.reserve(found.rows.size());
    for (const auto& row : found.rows) versions.push_back(row.at(0).value_or(""));
    return versions;
  }

  Result<std::vector<MaterializationEntry>> List(
      const std::optional<std::string>& feature_prefix) const override {
    if (feature_prefix) MATERIA_RETURN_IF_ERROR(CheckCatalogFeatureKey(*feature_prefix));
    std::string sql = std::string("SELECT ") + kEntryColumns + " FROM " + table_;
    Params params;
    if (feature_prefix) {
      // The feature itself, or keys in ["prefix/", "prefix0"): '0' follows '/'.
      sql += " WHERE feature = $1 OR (feature >= $2 AND feature < $3)";
      params = {*feature_prefix, *feature_prefix + "/", *feature_prefix + "0"};
    }
    sql += std::string(" ORDER BY feature ASC, ") + kNewestFirst + " LIMIT " +
           std::to_string(kCatalogEntriesMax + 1);
    std::lock_guard<std::mutex> lock(mutex_);
    MATERIA_ASSIGN_OR_RETURN(PgResult found, Read(sql, params));
    if (found.rows.size() > kCatalogEntriesMax) return TooManyEntries(place_);
    std::vector<MaterializationEntry> entries;
    entries.reserve(found.rows.size());
    for (const auto& row : found.rows) {
      MATERIA_ASSIGN_OR_RETURN(MaterializationEntry entry, ReadEntry(row));
      entries.push_back(std::move(entry));
    }
    return entries;
  }

  Result<std::optional<MaterializationEntry>> Info(
      const std::string& feature, const std::optional<std::string>& container) const override {
    MATERIA_RETURN_IF_ERROR(CheckCatalogFeatureKey(feature));
    if (container) MATERIA_RETURN_IF_ERROR(CheckCatalogContainer(*container));
    std::string sql =
        std::string("SELECT ") + kEntryColumns + " FROM " + table_ + " WHERE feature = $1";
    Params params = {feature};
    if (container) {
      sql += " AND container = $2";
      params.push_back(*container);
    }
    sql += std::string(" ORDER BY ") + kNewestFirst + " LIMIT 1";
    std::lock_guard<std::mutex> lock(mutex_);
    MATERIA_ASSIGN_OR_RETURN(PgResult found, Read(sql, params));
    if (found.rows.empty()) return std::optional<MaterializationEntry>();
    MATERIA_ASSIGN_OR_RETURN(MaterializationEntry entry, ReadEntry(found.rows[0]));
    return std::optional<MaterializationEntry>(std::move(entry));
  }

  Status Remove(const std::string& feature, const std::string& container) override {
    MATERIA_RETURN_IF_ERROR(CheckCatalogFeatureKey(feature));
    MATERIA_RETURN_IF_ERROR(CheckCatalogContainer(container));
    std::lock_guard<std::mutex> lock(mutex_);
    MATERIA_RETURN_IF_ERROR(CheckWritable("remove " + feature));
    MATERIA_RETURN_IF_ERROR(Ready());
    // One statement: its own transaction. Not run again after a lost session: the
    // first may have removed the entries, and a second would report kNotFound.
    MATERIA_ASSIGN_OR_RETURN(
        PgResult removed,
        connection_->QueryParams("DELETE FROM " + table_ + " WHERE feature = $1 AND container = $2",
                                 {feature, container}));
    if (removed.rows_changed == 0) {
      return Status::NotFound("no materialization of feature " + feature + " in " + container);
    }
    return Status::Ok();
  }

  Status Replace(const std::string& feature, const std::string& container,
                 const std::vector<MaterializationEntry>& entries) override {
    MATERIA_RETURN_IF_ERROR(CheckReplacement(feature, container, entries));
    std::lock_guard<std::mutex> lock(mutex_);
    MATERIA_RETURN_IF_ERROR(CheckWritable("replace the entries of " + feature));
    // One transaction, the same done twice: run again after a lost session.
    return OnceMoreIfLost([&]() -> Status {
      MATERIA_ASSIGN_OR_RETURN(PgTransaction transaction, PgTransaction::Begin(*connection_));
      MATERIA_RETURN_IF_ERROR(
          connection_->QueryParams("DELETE FROM " + table_ + " WHERE feature = $1 AND container = $2",
                                   {feature, container})
              .status());
      for (const MaterializationEntry& entry : entries) {
        MATERIA_RETURN_IF_ERROR(CheckRoomForOneMore());
        MATERIA_RETURN_IF_ERROR(
            connection_
                ->QueryParams("INSERT INTO " + table_ + " (" + kEntryColumns +
                                  ") VALUES ($1, $2, $3, $4, $5, $6) "
                                  "ON CONFLICT (feature, feature_version, container, data_version) "
                                  "DO UPDATE SET sample_count = EXCLUDED.sample_count, "
                                  "materialized_at_ms = EXCLUDED.materialized_at_ms",
                              {entry.feature, entry.feature_version, entry.container, entry.data_version,
                               std::to_string(entry.sample_count), std::to_string(entry.materialized_at_ms)})
                .status());
      }
      return transaction.Commit();
    });
  }

 private:
  // kInvalidInput when the catalog was opened read-only; `action` names the write.
  Status CheckWritable(const std::string& action) const {
    if (!read_only_) return Status::Ok();
    return Status::InvalidInput(place_.label + " is open read-only: cannot " + action);
  }

  // Reconnects (once) after a lost connection, with the session set up as at open.
  // The caller holds mutex_.
  Status Ready() const {
    if (connection_->connected()) return Status::Ok();
    MATERIA_RETURN_IF_ERROR(connection_->EnsureConnected());
    return ConfigureSession(*connection_, read_only_);
  }

  // Runs `attempt` (returning a Status or a Result); when it failed because the
  // session was lost (a server restart, say), reconnects and runs it once more. Only
  // for work that is the same done twice. The caller holds mutex_.
  template <typename Attempt>
  auto OnceMoreIfLost(const Attempt& attempt) const -> decltype(attempt()) {
    MATERIA_RETURN_IF_ERROR(Ready());
    auto first = attempt();
    if (first.ok() || connection_->connected()) return first;
    MATERIA_RETURN_IF_ERROR(Ready());
    return attempt();
  }

  // Runs one read statement. The caller holds mutex_.
  Result<PgResult> Read(const std::string& sql, const Params& params) const {
    return OnceMoreIfLost([&] { return connection_->QueryParams(sql, params); });
  }

  // Inserts `entry`, or updates its count and time, in one transaction. The caller
  // holds mutex_.
  Status Upsert(const MaterializationEntry& entry) const {
    MATERIA_ASSIGN_OR_RETURN(PgTransaction transaction, PgTransaction::Begin(*connection_));
    std::string count = std::to_string(entry.sample_count);
    std::string time_ms = std::to_string(entry.materialized_at_ms);
    MATERIA_ASSIGN_OR_RETURN(
        PgResult updated,
        connection_->QueryParams(
            "UPDATE " + table_ + " SET sample_count = $1, materialized_at_ms = $2 "
            "WHERE feature = $3 AND feature_version = $4 AND container = $5 AND data_version = $6",
            {count, time_ms, entry.feature, entry.feature_version, entry.container,
             entry.data_version}));
    if (updated.rows_changed == 0) {
      MATERIA_RETURN_IF_ERROR(CheckRoomForOneMore());
      // Another process may have inserted the same key since the UPDATE: then this
      // becomes the update.
      MATERIA_RETURN_IF_ERROR(
          connection_
              ->QueryParams(
                  "INSERT INTO " + table_ + " (" + kEntryColumns +
                      ") VALUES ($1, $2, $3, $4, $5, $6) "
                      "ON CONFLICT (feature, feature_version, container, data_version) "
                      "DO UPDATE SET sample_count = EXCLUDED.sample_count, "
                      "materialized_at_ms = EXCLUDED.materialized_at_ms",
                  {entry.feature, entry.feature_version, entry.container, entry.data_version,
                   count, time_ms})
              .status());
    }
    return transaction.Commit();
  }

  // kInvalidInput when the catalog already holds kCatalogEntriesMax entries. Counts
  // at most that many rows. The caller holds mutex_.
  Status CheckRoomForOneMore() const {
    MATERIA_ASSIGN_OR_RETURN(PgResult counted,
                             connection_->Query("SELECT COUNT(*) FROM (SELECT 1 FROM " + table_ +
                                                " LIMIT " + std::to_string(kCatalogEntriesMax) +
                                                ") AS capped"));
    MATERIA_ASSIGN_OR_RETURN(int64_t count, ParseInteger(counted.Scalar(), "entry count"));
    if (count < static_cast<int64_t>(kCatalogEntriesMax)) return Status::Ok();
    return Status::InvalidInput("the materialization catalog is full (" +
                                std::to_string(kCatalogEntriesMax) + " entries)");
  }

  mutable std::mutex mutex_;
  std::unique_ptr<PgConnection> connection_;  // guarded by mutex_
  const CatalogPlace place_;
  const std::string table_;  // the schema-qualified entries table
  const bool read_only_;
};

}  // namespace

int LatestPostgresCatalogSchemaVersion() { return Latest(); }

Result<std::unique_ptr<MaterializationCatalog>> OpenPostgresCatalog(const std::string& conninfo,
                                                                    const std::string& schema,
                                                                    bool read_only) {
  MATERIA_RETURN_IF_ERROR(CheckSchemaName(schema));
  MATERIA_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> connection,
                           PgConnection::Connect(conninfo, kConnectTimeoutS));
  MATERIA_RETURN_IF_ERROR(ConfigureSession(*connection, read_only));
  CatalogPlace place{schema, "materialization catalog in Postgres schema " + schema + " at " +
                                 connection->server()};
  if (read_only) {
    MATERIA_RETURN_IF_ERROR(CheckSchema(*connection, place));
  } else {
    MATERIA_RETURN_IF_ERROR(MigrateSchema(*connection, place));
  }
  return std::unique_ptr<MaterializationCatalog>(
      new PostgresCatalog(std::move(connection), std::move(place), read_only));
}

}  // namespace materia
