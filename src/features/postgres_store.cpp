// The Postgres store: a metadata store in one schema of a Postgres database, for teams
// whose machines share one set of feature metadata. Its layout in schema `config.schema`:
//
//   "<key>"               one table per feature, named by its key ("video/crop"), one
//                         column per column of its rows
//   "@tables"             (feature, superseded, write_id): superseded says some sample
//                         has more than one row, so readers must pick the latest (else
//                         they read the table as it is); write_id is the transaction of
//                         the feature's latest write, which tells readers whether what
//                         they copied before is still current
//   "@feature_versions"   (feature, feature_version, definition, recorded_at)
//
// Keys are [a-z0-9_-] segments joined by '/', so "@..." never names a feature. Postgres
// truncates identifiers beyond 63 bytes; a longer key or column is refused instead.
//
// Rows move through files in DuckDB's and Postgres's CSV dialect (every value quoted,
// NULL unquoted and empty, so NULL and '' stay apart): Append writes the rows with
// DuckDB's COPY TO and sends them with COPY FROM STDIN; Latest runs the latest-row query
// in Postgres (filters included), copies the result out and loads it into a temporary
// DuckDB table whose column types are those of the Postgres columns mapped back, so '007'
// stays text and timestamps stay timestamps. That table is the relation Latest returns;
// it is reused until the feature's write_id changes (a write from any process), and
// dropped at the first read of the feature after that, so it stays readable across the
// caller's own writes (the interface promises less; migrate relies on it).
//
// DuckDB types map to Postgres as BIGINT bigint, INTEGER integer, SMALLINT and TINYINT
// smallint (unsigned ones to the next wider), DOUBLE double precision, FLOAT real,
// VARCHAR text, BOOLEAN boolean, TIMESTAMP timestamp, TIMESTAMP WITH TIME ZONE
// timestamptz, DATE date, DECIMAL(p,s) numeric(p,s); every other type is stored as text
// holding DuckDB's text form, and reads back as VARCHAR.
//
// Every write is one Postgres transaction holding an advisory lock on the feature, so
// several processes on several machines may write one store at once; a failed write
// leaves nothing behind. A PostgresStore is not thread-safe: one engine, one thread.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "db/postgres.h"
#include "features/feature_config.h"
#include "features/materialization_catalog.h"
#include "features/metadata_store.h"
#include "features/postgres_catalog.h"
#include "features/provenance.h"

namespace materia {

namespace {

namespace fs = std::filesystem;

using Schema = std::vector<std::pair<std::string, std::string>>;  // (column, type)

constexpr const char* kTablesTable = "@tables";
constexpr const char* kVersionsTable = "@feature_versions";
// Postgres's NAMEDATALEN - 1: longer identifiers are silently cut.
constexpr size_t kIdentifierBytesMax = 63;
constexpr int kConnectTimeoutS = 10;
// Latest results kept per feature (one per distinct id columns and filters).
constexpr size_t kCachedPerFeatureMax = 8;

std::string Join(const std::vector<std::string>& items, const std::string& separator) {
  std::string text;
  for (size_t i = 0; i < items.size(); i++) text += (i ? separator : "") + items[i];
  return text;
}

// "a", "b" quoted for Postgres.
std::string PgList(const std::vector<std::string>& columns) {
  std::vector<std::string> quoted;
  for (const std::string& column : columns) quoted.push_back(QuotePgIdentifier(column));
  return Join(quoted, ", ");
}

std::vector<std::string> ColumnNames(const Schema& schema) {
  std::vector<std::string> names;
  for (const auto& [name, type] : schema) names.push_back(name);
  return names;
}

const std::string* FindType(const Schema& schema, const std::string& column) {
  for (const auto& [name, type] : schema) {
    if (name == column) return &type;
  }
  return nullptr;
}

bool StartsWith(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

double SecondsSince(std::chrono::steady_clock::time_point started) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

// The Postgres type that holds a DuckDB type exactly; "" when none does and the column
// keeps DuckDB's text form.
std::string PostgresType(const std::string& duck) {
  static const std::map<std::string, std::string> kTypes = {
      {"BIGINT", "bigint"},        {"INTEGER", "integer"},        {"SMALLINT", "smallint"},
      {"TINYINT", "smallint"},     {"UTINYINT", "smallint"},      {"USMALLINT", "integer"},
      {"UINTEGER", "bigint"},      {"DOUBLE", "double precision"}, {"FLOAT", "real"},
      {"VARCHAR", "text"},         {"BOOLEAN", "boolean"},        {"TIMESTAMP", "timestamp"},
      {"TIMESTAMP WITH TIME ZONE", "timestamptz"},                {"DATE", "date"},
      {"\"NULL\"", "text"},        {"NULL", "text"}};
  auto found = kTypes.find(duck);
  if (found != kTypes.end()) return found->second;
  if (StartsWith(duck, "DECIMAL(")) return "numeric" + duck.substr(7);
  return "";
}

// The DuckDB type a Postgres column (format_type's name) reads back as.
std::string DuckType(const std::string& postgres) {
  static const std::map<std::string, std::string> kTypes = {
      {"bigint", "BIGINT"},   {"integer", "INTEGER"},           {"smallint", "SMALLINT"},
      {"real", "FLOAT"},      {"double precision", "DOUBLE"},   {"boolean", "BOOLEAN"},
      {"date", "DATE"},       {"timestamp without time zone", "TIMESTAMP"},
      {"timestamp with time zone", "TIMESTAMP WITH TIME ZONE"}};
  auto found = kTypes.find(postgres);
  if (found != kTypes.end()) return found->second;
  if (StartsWith(postgres, "numeric(")) {
    const int precision = std::atoi(postgres.c_str() + 8);
    if (precision >= 1 && precision <= 38) return "DECIMAL" + postgres.substr(7);
  }
  return "VARCHAR";  // text, and anything this store did not create
}

// Whether rows of DuckDB type `from` may go into a stored column of DuckDB type `to`:
// TypesFit, or the type travels as text into a text column.
bool FitsStored(const std::string& to, const std::string& from) {
  if (TypesFit(to, from)) return true;
  return PostgresType(from).empty() && to == "VARCHAR";
}

// "SELECT <columns> FROM <relation>" with the columns Postgres cannot type as text.
std::string ExportSelect(const Schema& schema, const std::string& relation) {
  std::vector<std::string> select;
  for (const auto& [column, type] : schema) {
    const std::string quoted = QuoteIdentifier(column);
    select.push_back(PostgresType(type).empty() ? "CAST(" + quoted + " AS VARCHAR) AS " + quoted : quoted);
  }
  return "SELECT " + Join(select, ", ") + " FROM " + relation;
}

std::string RandomHex() {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  static const char kDigits[] = "0123456789abcdef";
  uint64_t bits = generator();
  std::string text(16, '0');
  for (char& digit : text) {
    digit = kDigits[bits & 0xf];
    bits >>= 4;
  }
  return text;
}

// A file name of its own in the temporary folder, removed with the object.
class TemporaryFile {
 public:
  TemporaryFile()
      : path_(fs::temp_directory_path() /
              ("materia-pg-" + std::to_string(::getpid()) + "-" + RandomHex() + ".csv")) {}
  ~TemporaryFile() {
    std::error_code ignored;
    fs::remove(path_, ignored);
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

// Writes the rows of `select` (on `compute`) to `file` as CSV that Postgres's COPY reads
// with NULL and '' apart. Returns the rows written.
Result<int64_t> ExportCsv(DuckConnection& compute, const std::string& select, const TemporaryFile& file) {
  MATERIA_ASSIGN_OR_RETURN(QueryResult written,
                           compute.Query("COPY (" + select + ") TO " + QuoteLiteral(file.path()) +
                                         " (FORMAT csv, HEADER false, FORCE_QUOTE *)"));
  return written.rows_changed;
}

// Sends `file` to the COPY ... FROM STDIN `copy_sql`. Returns the rows copied.
Result<int64_t> CopyFileIn(PgConnection& connection, const std::string& copy_sql, const TemporaryFile& file) {
  std::ifstream in(file.path(), std::ios::binary);
  if (!in) return Status::IoError("cannot read " + file.path());
  int64_t rows = 0;
  MATERIA_RETURN_IF_ERROR(connection.CopyIn(
      copy_sql,
      [&in, &file](std::string* chunk) {
        chunk->resize(PgConnection::kCopyChunkBytes);
        in.read(chunk->data(), static_cast<std::streamsize>(PgConnection::kCopyChunkBytes));
        chunk->resize(static_cast<size_t>(in.gcount()));
        return in.bad() ? Status::IoError("cannot read " + file.path()) : Status::Ok();
      },
      &rows));
  return rows;
}

// The settings every session of a store runs with: ISO dates and UTC, so values read
// back in the text DuckDB parses; floats in their shortest exact form.
Status ConfigureSession(PgConnection& connection, bool read_only) {
  MATERIA_RETURN_IF_ERROR(connection.Execute(
      "SET client_encoding = 'UTF8'; SET DateStyle = 'ISO, YMD'; SET TimeZone = 'UTC'; "
      "SET extra_float_digits = 3"));
  if (!read_only) return Status::Ok();
  return connection.Execute("SET default_transaction_read_only = on");
}

// One Latest result copied into DuckDB.
struct CachedLatest {
  std::vector<std::string> id_columns;
  std::vector<std::string> filters;
  std::string write_id;  // of the feature when copied; "" once this process wrote it since
  StoredFeature stored;
};

class PostgresStore final : public MetadataStore {
 public:
  explicit PostgresStore(StoreConfig config)
      : MetadataStore(std::move(config)), schema_(QuotePgIdentifier(this->config().schema)) {
    container_ = "postgres:" + MaskConninfoPassword(this->config().url) + "/" + this->config().schema;
  }

  std::string container() const override { return container_; }

  Status Attach(DuckConnection& compute, bool read_only) override;
  Result<std::vector<std::string>> Features(DuckConnection& compute) override;
  Result<std::optional<StoredFeature>> Latest(DuckConnection& compute, const std::string& feature,
                                              const std::vector<std::string>& id_columns,
                                              const std::vector<std::string>& filters) override;
  Result<int64_t> Append(DuckConnection& compute, const std::string& feature,
                         const std::vector<std::string>& id_columns, const std::string& relation) override;
  Result<int64_t> HardDelete(DuckConnection& compute, const std::string& feature,
                             const std::vector<std::string>& keys, const std::string& keys_relation) override;
  Status RecordFeatureVersion(DuckConnection& compute, const std::string& feature,
                              const std::string& feature_version, const std::string& definition_json) override;
  Result<std::optional<std::string>> FeatureVersionDefinition(DuckConnection& compute, const std::string& feature,
                                                              const std::string& feature_version) override;

 private:
  std::string Table(const std::string& feature) const { return schema_ + "." + QuotePgIdentifier(feature); }
  std::string Bookkeeping(const char* table) const { return schema_ + "." + QuotePgIdentifier(table); }

  Status Ready();
  Status CheckWritable() const;
  Status CreateBookkeeping();
  Status NameContainer();
  Status LockFeature(const std::string& feature);
  Result<Schema> StoredSchema(const std::string& feature);
  Result<std::optional<std::pair<bool, std::string>>> TableState(const std::string& feature);
  Status PrepareTable(const std::string& feature, const Schema& incoming, const Schema& stored);
  Result<int64_t> SendRows(DuckConnection& compute, const std::string& feature,
                           const std::vector<std::string>& id_columns, const std::string& relation,
                           const Schema& incoming, bool check_overlap, bool* overlaps);
  Status RecordWrite(const std::string& feature, bool superseded);
  std::string LatestSql(const std::string& feature, const Schema& stored, bool superseded,
                        const std::vector<std::string>& id_columns, const std::vector<std::string>& filters) const;
  Result<StoredFeature> CopyToDuck(DuckConnection& compute, const std::string& sql, const Schema& stored);
  Result<int64_t> DeleteAll(const std::string& feature);
  Result<int64_t> DeleteKeys(DuckConnection& compute, const std::string& feature,
                             const std::vector<std::string>& keys, const std::string& keys_relation);
  void Retire(const std::string& feature);
  void DropOutdatedCopies(DuckConnection& compute, const std::string& feature, const std::string& write_id);

  std::unique_ptr<PgConnection> connection_;
  const std::string schema_;  // quoted
  std::string container_;
  bool read_only_ = false;
  bool missing_ = false;  // read-only, and the schema holds no store
  std::map<std::string, std::vector<CachedLatest>> cache_;
  int temporary_counter_ = 0;
};

Status PostgresStore::Attach(DuckConnection& compute, bool read_only) {
  read_only_ = read_only;
  auto connected = PgConnection::Connect(config().url, kConnectTimeoutS);
  if (!connected.ok()) return connected.status().WithPrefix("store " + name());
  connection_ = std::move(connected).value();
  MATERIA_RETURN_IF_ERROR(ConfigureSession(*connection_, read_only).WithPrefix("store " + name()));
  MATERIA_RETURN_IF_ERROR(NameContainer().WithPrefix("store " + name()));
  if (!read_only) return CreateBookkeeping().WithPrefix("store " + name() + " (" + container_ + ")");
  MATERIA_ASSIGN_OR_RETURN(PgResult found,
                           connection_->QueryParams("SELECT to_regclass($1) IS NOT NULL",
                                                    {Bookkeeping(kTablesTable)}));
  missing_ = found.Scalar() != "t";  // nothing written yet: a store with no features
  return Status::Ok();
}

// "postgres:<host>[:<port>]/<database>/<schema>", from the session itself, so the same
// database reads the same however the url spells it.
Status PostgresStore::NameContainer() {
  MATERIA_ASSIGN_OR_RETURN(PgResult database, connection_->Query("SELECT current_database()"));
  const std::string& server = connection_->server();  // "host H port P"
  const size_t port_at = server.rfind(" port ");
  std::string host = server.substr(5, port_at == std::string::npos ? std::string::npos : port_at - 5);
  const std::string port = port_at == std::string::npos ? "" : server.substr(port_at + 6);
  if (!port.empty() && port != "5432") host += ":" + port;
  container_ = "postgres:" + host + "/" + database.Scalar().value_or("") + "/" + config().schema;
  return Status::Ok();
}

Status PostgresStore::CreateBookkeeping() {
  MATERIA_ASSIGN_OR_RETURN(PgTransaction transaction, PgTransaction::Begin(*connection_));
  MATERIA_RETURN_IF_ERROR(connection_
                              ->QueryParams("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                                            {"materia store " + config().schema})
                              .status());
  MATERIA_ASSIGN_OR_RETURN(PgResult exists,
                           connection_->QueryParams("SELECT count(*) FROM pg_namespace WHERE nspname = $1",
                                                    {config().schema}));
  // Created only when missing: CREATE SCHEMA IF NOT EXISTS needs the right to create
  // schemas even when this one exists.
  if (exists.Scalar() == "0") MATERIA_RETURN_IF_ERROR(connection_->Execute("CREATE SCHEMA " + schema_));
  MATERIA_RETURN_IF_ERROR(connection_->Execute(
      "CREATE TABLE IF NOT EXISTS " + Bookkeeping(kTablesTable) +
      " (feature text COLLATE \"C\" PRIMARY KEY, superseded boolean NOT NULL, write_id bigint NOT NULL); "
      "CREATE TABLE IF NOT EXISTS " + Bookkeeping(kVersionsTable) +
      " (feature text COLLATE \"C\", feature_version text COLLATE \"C\", definition text NOT NULL, "
      "recorded_at timestamp NOT NULL, PRIMARY KEY (feature, feature_version))"));
  return transaction.Commit();
}

// Reconnects (and sets the session up again) after a lost connection.
Status PostgresStore::Ready() {
  if (connection_ == nullptr) return Status::Internal("store " + name() + " is used before Attach");
  if (connection_->connected()) return Status::Ok();
  MATERIA_RETURN_IF_ERROR(connection_->EnsureConnected().WithPrefix("store " + name()));
  return ConfigureSession(*connection_, read_only_).WithPrefix("store " + name());
}

Status PostgresStore::CheckWritable() const {
  if (!read_only_) return Status::Ok();
  return Status::InvalidInput("store " + name() + " (" + container_ + ") is open read-only");
}

Status PostgresStore::LockFeature(const std::string& feature) {
  return connection_
      ->QueryParams("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                    {"materia store " + config().schema + "/" + feature})
      .status();
}

// The feature table's columns and Postgres types, in order; {} when it does not exist.
Result<Schema> PostgresStore::StoredSchema(const std::string& feature) {
  MATERIA_ASSIGN_OR_RETURN(PgResult columns,
                           connection_->QueryParams("SELECT attname, format_type(atttypid, atttypmod) FROM "
                                                    "pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 "
                                                    "AND NOT attisdropped ORDER BY attnum",
                                                    {Table(feature)}));
  Schema schema;
  for (const auto& row : columns.rows) schema.emplace_back(row[0].value_or(""), row[1].value_or(""));
  return schema;
}

// (superseded, write_id) of a feature the store holds, nullopt for one it does not.
Result<std::optional<std::pair<bool, std::string>>> PostgresStore::TableState(const std::string& feature) {
  using State = std::optional<std::pair<bool, std::string>>;
  if (missing_) return State();
  MATERIA_ASSIGN_OR_RETURN(PgResult state,
                           connection_->QueryParams("SELECT superseded, write_id FROM " + Bookkeeping(kTablesTable) +
                                                        " WHERE feature = $1",
                                                    {feature}));
  if (state.rows.empty()) return State();
  return State(std::make_pair(state.rows[0][0] == "t", state.rows[0][1].value_or("")));
}

Result<std::vector<std::string>> PostgresStore::Features(DuckConnection& compute) {
  if (missing_) return std::vector<std::string>{};
  MATERIA_RETURN_IF_ERROR(Ready());
  MATERIA_ASSIGN_OR_RETURN(
      PgResult result, connection_->Query("SELECT feature FROM " + Bookkeeping(kTablesTable) + " ORDER BY feature"));
  std::vector<std::string> features;
  for (const auto& row : result.rows) features.push_back(row[0].value_or(""));
  return features;
}

Result<std::optional<StoredFeature>> PostgresStore::Latest(DuckConnection& compute, const std::string& feature,
                                                           const std::vector<std::string>& id_columns,
                                                           const std::vector<std::string>& filters) {
  auto started = std::chrono::steady_clock::now();
  if (missing_) return std::optional<StoredFeature>();
  MATERIA_RETURN_IF_ERROR(Ready());
  // One snapshot for the state, the columns and the rows.
  MATERIA_ASSIGN_OR_RETURN(PgTransaction transaction,
                           PgTransaction::Begin(*connection_, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  MATERIA_ASSIGN_OR_RETURN(auto state, TableState(feature));
  DropOutdatedCopies(compute, feature, state ? state->second : "");
  if (!state) return std::optional<StoredFeature>();
  std::vector<CachedLatest>& cached = cache_[feature];
  for (const CachedLatest& entry : cached) {
    if (entry.id_columns == id_columns && entry.filters == filters) {
      counters().reads++;
      counters().read_seconds += SecondsSince(started);
      return std::optional<StoredFeature>(entry.stored);
    }
  }
  MATERIA_ASSIGN_OR_RETURN(Schema stored, StoredSchema(feature));
  if (stored.empty()) return Status::DatabaseError("store " + name() + ": the table of " + feature + " is missing");
  const std::string sql = LatestSql(feature, stored, state->first, id_columns, filters);
  auto copied = CopyToDuck(compute, sql, stored);
  if (!copied.ok()) return copied.status().WithPrefix(feature + ": reading store " + name());
  MATERIA_RETURN_IF_ERROR(transaction.Commit());
  if (cached.size() >= kCachedPerFeatureMax) {
    (void)compute.Execute("DROP TABLE IF EXISTS " + cached.front().stored.relation);
    cached.erase(cached.begin());
  }
  cached.push_back({id_columns, filters, state->second, *copied});
  counters().reads++;
  counters().read_seconds += SecondsSince(started);
  return std::optional<StoredFeature>(std::move(copied).value());
}

// Drops the copies of `feature` taken before its write `write_id` ("" when the store no
// longer holds it). Copies outlive a write until here, the next read of their feature,
// so a caller that reads a relation across its own writes (migrate does) still can.
void PostgresStore::DropOutdatedCopies(DuckConnection& compute, const std::string& feature,
                                       const std::string& write_id) {
  auto found = cache_.find(feature);
  if (found == cache_.end()) return;
  std::vector<CachedLatest>& cached = found->second;
  for (auto entry = cached.begin(); entry != cached.end();) {
    if (!write_id.empty() && entry->write_id == write_id) {
      ++entry;
      continue;
    }
    (void)compute.Execute("DROP TABLE IF EXISTS " + entry->stored.relation);
    entry = cached.erase(entry);
  }
}

// The latest live row per sample, filtered, as a Postgres SELECT.
std::string PostgresStore::LatestSql(const std::string& feature, const Schema& stored, bool superseded,
                                     const std::vector<std::string>& id_columns,
                                     const std::vector<std::string>& filters) const {
  const std::string columns = PgList(ColumnNames(stored));
  std::string rows = Table(feature);
  if (superseded) {
    rows = "(SELECT DISTINCT ON (" + PgList(id_columns) + ") " + columns + " FROM " + Table(feature) + " ORDER BY " +
           PgList(id_columns) + ", " + QuotePgIdentifier(kCreatedAtColumn) + " DESC)";
  }
  std::string sql = "SELECT " + columns + " FROM " + rows + " AS latest WHERE NOT coalesce(" +
                    QuotePgIdentifier(kDeletedColumn) + ", false)";
  for (const std::string& filter : filters) sql += " AND (" + filter + ")";
  return sql;
}

// Copies the rows of the Postgres `sql` (whose columns are `stored`) into a new
// temporary DuckDB table typed as the columns map back.
Result<StoredFeature> PostgresStore::CopyToDuck(DuckConnection& compute, const std::string& sql,
                                                const Schema& stored) {
  TemporaryFile file;
  std::ofstream out(file.path(), std::ios::binary | std::ios::trunc);
  int64_t rows = 0;
  auto sink = [&](std::string_view row) {
    out.write(row.data(), static_cast<std::streamsize>(row.size()));
    rows++;
    return out ? Status::Ok() : Status::IoError("cannot write " + file.path());
  };
  MATERIA_RETURN_IF_ERROR(connection_->CopyOut("COPY (" + sql + ") TO STDOUT (FORMAT csv, FORCE_QUOTE *)", sink));
  out.close();
  if (!out) return Status::IoError("cannot write " + file.path());
  StoredFeature feature;
  std::vector<std::string> definitions;
  std::vector<std::string> types;
  for (const auto& [column, type] : stored) {
    feature.columns.push_back(column);
    definitions.push_back(QuoteIdentifier(column) + " " + DuckType(type));
    types.push_back(QuoteLiteral(column) + ": " + QuoteLiteral(DuckType(type)));
  }
  const std::string table =
      QuoteIdentifier("__materia_pg_" + StoreCatalogName(name()) + "_" + std::to_string(++temporary_counter_));
  MATERIA_RETURN_IF_ERROR(compute.Execute("CREATE TEMP TABLE " + table + " (" + Join(definitions, ", ") + ")"));
  if (rows > 0) {
    Status loaded = compute.Execute("INSERT INTO " + table + " SELECT * FROM read_csv(" + QuoteLiteral(file.path()) +
                                    ", header = false, auto_detect = false, delim = ',', quote = '\"', "
                                    "escape = '\"', allow_quoted_nulls = false, columns = {" +
                                    Join(types, ", ") + "})");
    if (!loaded.ok()) {
      (void)compute.Execute("DROP TABLE " + table);
      return loaded;
    }
  }
  feature.relation = table;
  return feature;
}

Result<int64_t> PostgresStore::Append(DuckConnection& compute, const std::string& feature,
                                      const std::vector<std::string>& id_columns, const std::string& relation) {
  auto started = std::chrono::steady_clock::now();
  MATERIA_RETURN_IF_ERROR(CheckWritable());
  if (feature.size() > kIdentifierBytesMax) {
    return Status::InvalidInput(feature + ": the key is " + std::to_string(feature.size()) +
                                " bytes, more than the 63 Postgres allows in a table name (store " + name() + ")");
  }
  MATERIA_ASSIGN_OR_RETURN(Schema incoming, RelationSchema(compute, relation));
  for (const auto& [column, type] : incoming) {
    if (column.size() <= kIdentifierBytesMax) continue;
    return Status::InvalidInput(feature + ": column '" + column + "' is " + std::to_string(column.size()) +
                                " bytes, more than the 63 Postgres allows in a column name (store " + name() + ")");
  }
  bool tombstones = false;
  if (FindType(incoming, kDeletedColumn) != nullptr) {
    MATERIA_ASSIGN_OR_RETURN(QueryResult any, compute.Query("SELECT bool_or(" + QuoteIdentifier(kDeletedColumn) +
                                                            ") FROM " + relation));
    tombstones = any.Scalar() == "true";
  }
  MATERIA_RETURN_IF_ERROR(Ready());
  MATERIA_ASSIGN_OR_RETURN(PgTransaction transaction, PgTransaction::Begin(*connection_));
  MATERIA_RETURN_IF_ERROR(LockFeature(feature));
  MATERIA_ASSIGN_OR_RETURN(Schema stored, StoredSchema(feature));
  MATERIA_ASSIGN_OR_RETURN(auto state, TableState(feature));
  MATERIA_RETURN_IF_ERROR(PrepareTable(feature, incoming, stored));
  // Superseded once a sample has two rows: a tombstone, or an id already stored.
  const bool check_overlap = !tombstones && !stored.empty() && !(state && state->first);
  bool overlaps = false;
  auto rows = SendRows(compute, feature, id_columns, relation, incoming, check_overlap, &overlaps);
  if (!rows.ok()) return rows.status().WithPrefix(feature + ": appending to store " + name());
  const bool superseded = tombstones || overlaps || (state && state->first);
  MATERIA_RETURN_IF_ERROR(RecordWrite(feature, superseded).WithPrefix(feature + ": appending to store " + name()));
  MATERIA_RETURN_IF_ERROR(transaction.Commit().WithPrefix(feature + ": appending to store " + name()));
  Retire(feature);
  counters().writes++;
  counters().rows_written += *rows;
  counters().write_seconds += SecondsSince(started);
  return *rows;
}

// Creates the feature table, or adds the columns it lacks after checking that every
// column it has takes the incoming type.
Status PostgresStore::PrepareTable(const std::string& feature, const Schema& incoming, const Schema& stored) {
  std::vector<std::string> added;
  for (const auto& [column, type] : incoming) {
    const std::string* stored_type = FindType(stored, column);
    if (stored_type == nullptr) {
      const std::string postgres = PostgresType(type);
      added.push_back(QuotePgIdentifier(column) + " " + (postgres.empty() ? "text" : postgres));
    } else if (!FitsStored(DuckType(*stored_type), type)) {
      return Status::InvalidInput(feature + ": column '" + column + "' is " + DuckType(*stored_type) +
                                  " in store " + name() + ", the rows have " + type);
    }
  }
  if (added.empty()) return Status::Ok();
  std::string sql;
  if (stored.empty()) {
    sql = "CREATE TABLE " + Table(feature) + " (" + Join(added, ", ") + ")";
  } else {
    for (std::string& column : added) column = "ADD COLUMN " + column;
    sql = "ALTER TABLE " + Table(feature) + " " + Join(added, ", ");
  }
  return connection_->Execute(sql).WithPrefix(feature + ": appending to store " + name());
}

// Copies the rows of `relation` into the feature table (inside the caller's
// transaction). With `check_overlap`, the rows go through a temporary table first and
// `*overlaps` says whether one of their ids was already stored. Returns the rows copied.
Result<int64_t> PostgresStore::SendRows(DuckConnection& compute, const std::string& feature,
                                        const std::vector<std::string>& id_columns, const std::string& relation,
                                        const Schema& incoming, bool check_overlap, bool* overlaps) {
  TemporaryFile file;
  MATERIA_RETURN_IF_ERROR(ExportCsv(compute, ExportSelect(incoming, relation), file).status());
  const std::string columns = PgList(ColumnNames(incoming));
  if (!check_overlap) {
    return CopyFileIn(*connection_, "COPY " + Table(feature) + " (" + columns + ") FROM STDIN (FORMAT csv)", file);
  }
  const std::string staged = "pg_temp." + QuotePgIdentifier("@rows");
  MATERIA_RETURN_IF_ERROR(connection_->Execute("CREATE TEMP TABLE " + QuotePgIdentifier("@rows") + " (LIKE " +
                                               Table(feature) + ") ON COMMIT DROP"));
  MATERIA_RETURN_IF_ERROR(
      CopyFileIn(*connection_, "COPY " + staged + " (" + columns + ") FROM STDIN (FORMAT csv)", file).status());
  MATERIA_ASSIGN_OR_RETURN(PgResult overlap,
                           connection_->Query("SELECT EXISTS (SELECT 1 FROM " + staged + " JOIN " + Table(feature) +
                                              " USING (" + PgList(id_columns) + "))"));
  *overlaps = overlap.Scalar() == "t";
  MATERIA_ASSIGN_OR_RETURN(PgResult inserted, connection_->Query("INSERT INTO " + Table(feature) + " (" + columns +
                                                                 ") SELECT " + columns + " FROM " + staged));
  return inserted.rows_changed;
}

// Notes a write of `feature` in "@tables": superseded stays true once set; write_id
// moves on, so every reader's copy of the feature is out of date.
Status PostgresStore::RecordWrite(const std::string& feature, bool superseded) {
  return connection_
      ->QueryParams("INSERT INTO " + Bookkeeping(kTablesTable) +
                        " AS t (feature, superseded, write_id) VALUES ($1, $2::boolean, txid_current()) "
                        "ON CONFLICT (feature) DO UPDATE SET superseded = t.superseded OR excluded.superseded, "
                        "write_id = excluded.write_id",
                    {feature, superseded ? "true" : "false"})
      .status();
}

// Marks what Latest copied of `feature` as outdated: the next read copies it again
// (and drops the old copies).
void PostgresStore::Retire(const std::string& feature) {
  auto found = cache_.find(feature);
  if (found == cache_.end()) return;
  for (CachedLatest& entry : found->second) entry.write_id.clear();
}

Result<int64_t> PostgresStore::HardDelete(DuckConnection& compute, const std::string& feature,
                                          const std::vector<std::string>& keys, const std::string& keys_relation) {
  MATERIA_RETURN_IF_ERROR(CheckWritable());
  MATERIA_RETURN_IF_ERROR(Ready());
  MATERIA_ASSIGN_OR_RETURN(PgTransaction transaction, PgTransaction::Begin(*connection_));
  MATERIA_RETURN_IF_ERROR(LockFeature(feature));
  MATERIA_ASSIGN_OR_RETURN(auto state, TableState(feature));
  if (!state) return int64_t{0};
  auto removed = keys_relation.empty() ? DeleteAll(feature) : DeleteKeys(compute, feature, keys, keys_relation);
  if (!removed.ok()) return removed.status().WithPrefix(feature + ": deleting from store " + name());
  MATERIA_RETURN_IF_ERROR(transaction.Commit().WithPrefix(feature + ": deleting from store " + name()));
  Retire(feature);
  return *removed;
}

// Drops the feature table and its "@tables" row; returns the rows it had.
Result<int64_t> PostgresStore::DeleteAll(const std::string& feature) {
  MATERIA_ASSIGN_OR_RETURN(PgResult count, connection_->Query("SELECT count(*) FROM " + Table(feature)));
  MATERIA_RETURN_IF_ERROR(connection_->Execute("DROP TABLE " + Table(feature)));
  MATERIA_RETURN_IF_ERROR(
      connection_->QueryParams("DELETE FROM " + Bookkeeping(kTablesTable) + " WHERE feature = $1", {feature}).status());
  return std::stoll(count.Scalar().value_or("0"));
}

// Removes every row whose `keys` match a row of `keys_relation` (NULL matching NULL).
Result<int64_t> PostgresStore::DeleteKeys(DuckConnection& compute, const std::string& feature,
                                          const std::vector<std::string>& keys, const std::string& keys_relation) {
  if (keys.empty()) return Status::InvalidInput(feature + ": a hard delete by keys needs key columns");
  Schema key_schema;
  for (const std::string& key : keys) {
    MATERIA_ASSIGN_OR_RETURN(Schema one, RelationSchema(compute, "(SELECT " + QuoteIdentifier(key) + " FROM " +
                                                                     keys_relation + ")"));
    key_schema.push_back(one.at(0));
  }
  TemporaryFile file;
  MATERIA_RETURN_IF_ERROR(
      ExportCsv(compute, "SELECT DISTINCT * FROM (" + ExportSelect(key_schema, keys_relation) + ")", file).status());
  const std::string staged = "pg_temp." + QuotePgIdentifier("@keys");
  MATERIA_RETURN_IF_ERROR(connection_->Execute("CREATE TEMP TABLE " + QuotePgIdentifier("@keys") +
                                               " ON COMMIT DROP AS SELECT " + PgList(keys) + " FROM " +
                                               Table(feature) + " WITH NO DATA"));
  MATERIA_RETURN_IF_ERROR(
      CopyFileIn(*connection_, "COPY " + staged + " (" + PgList(keys) + ") FROM STDIN (FORMAT csv)", file).status());
  std::vector<std::string> match;
  for (const std::string& key : keys) {
    match.push_back("t." + QuotePgIdentifier(key) + " IS NOT DISTINCT FROM k." + QuotePgIdentifier(key));
  }
  MATERIA_ASSIGN_OR_RETURN(PgResult deleted,
                           connection_->Query("DELETE FROM " + Table(feature) + " AS t WHERE EXISTS (SELECT 1 FROM " +
                                              staged + " AS k WHERE " + Join(match, " AND ") + ")"));
  if (deleted.rows_changed > 0) {
    MATERIA_RETURN_IF_ERROR(connection_
                                ->QueryParams("UPDATE " + Bookkeeping(kTablesTable) +
                                                  " SET write_id = txid_current() WHERE feature = $1",
                                              {feature})
                                .status());
  }
  return deleted.rows_changed;
}

Status PostgresStore::RecordFeatureVersion(DuckConnection& compute, const std::string& feature,
                                           const std::string& feature_version, const std::string& definition_json) {
  MATERIA_RETURN_IF_ERROR(CheckWritable());
  MATERIA_RETURN_IF_ERROR(Ready());
  return connection_
      ->QueryParams("INSERT INTO " + Bookkeeping(kVersionsTable) +
                        " (feature, feature_version, definition, recorded_at) VALUES ($1, $2, $3, localtimestamp) "
                        "ON CONFLICT (feature, feature_version) DO NOTHING",
                    {feature, feature_version, definition_json})
      .status()
      .WithPrefix("store " + name());
}

Result<std::optional<std::string>> PostgresStore::FeatureVersionDefinition(DuckConnection& compute,
                                                                           const std::string& feature,
                                                                           const std::string& feature_version) {
  if (missing_) return std::optional<std::string>();
  MATERIA_RETURN_IF_ERROR(Ready());
  MATERIA_ASSIGN_OR_RETURN(PgResult result,
                           connection_->QueryParams("SELECT definition FROM " + Bookkeeping(kVersionsTable) +
                                                        " WHERE feature = $1 AND feature_version = $2",
                                                    {feature, feature_version}));
  if (result.rows.empty()) return std::optional<std::string>();
  return result.rows[0][0];
}

}  // namespace

Result<std::unique_ptr<MetadataStore>> OpenPostgresStore(const StoreConfig& config) {
  if (config.url.empty()) return Status::InvalidInput("store " + config.name + " (postgres) has no url");
  if (config.schema.empty() || config.schema.size() > kIdentifierBytesMax) {
    return Status::InvalidInput("store " + config.name + " (postgres): the schema name '" + config.schema +
                                "' must be 1 to 63 bytes");
  }
  return std::unique_ptr<MetadataStore>(new PostgresStore(config));
}

Result<std::unique_ptr<MaterializationCatalog>> OpenPostgresCatalogFromConfig(const CatalogConfig& config,
                                                                              bool read_only) {
  auto catalog = OpenPostgresCatalog(config.url, config.schema, read_only);
  // Read-only before anything was written (the schema is missing): an empty catalog,
  // as for a SQLite catalog whose file does not exist yet.
  if (read_only && !catalog.ok() && catalog.status().code() == StatusCode::kNotFound) {
    return std::unique_ptr<MaterializationCatalog>(new InMemoryCatalog());
  }
  return catalog;
}

}  // namespace materia
