#include "features/metadata_store.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>

#include "base/text.h"
#include "features/provenance.h"

namespace materia {

namespace {

bool IsIntegerType(const std::string& type) {
  static const char* const kIntegers[] = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
                                          "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"};
  return std::find(std::begin(kIntegers), std::end(kIntegers), type) != std::end(kIntegers);
}

bool IsFloatType(const std::string& type) { return type == "FLOAT" || type == "DOUBLE"; }

bool IsDecimalType(const std::string& type) { return type.rfind("DECIMAL", 0) == 0; }

}  // namespace

std::string LatestRowsSql(const std::string& history, const std::vector<std::string>& id_columns,
                          const std::vector<std::string>& filters) {
  std::string sql = "(SELECT * FROM (SELECT * FROM " + history + " QUALIFY row_number() OVER (PARTITION BY " +
                    QuoteIdentifierList(id_columns) + " ORDER BY " + QuoteIdentifier(kCreatedAtColumn) +
                    " DESC) = 1) WHERE NOT coalesce(" + QuoteIdentifier(kDeletedColumn) + ", false)";
  for (const std::string& filter : filters) sql += " AND (" + filter + ")";
  return sql + ")";
}

Result<std::vector<std::pair<std::string, std::string>>> RelationSchema(DuckConnection& compute,
                                                                        const std::string& relation) {
  MATERIA_ASSIGN_OR_RETURN(QueryResult result, compute.Query("DESCRIBE SELECT * FROM " + relation));
  std::vector<std::pair<std::string, std::string>> schema;
  for (const auto& row : result.rows) schema.emplace_back(row[0].value_or(""), row[1].value_or(""));
  return schema;
}

Result<std::vector<std::string>> RelationColumns(DuckConnection& compute, const std::string& relation) {
  MATERIA_ASSIGN_OR_RETURN(auto schema, RelationSchema(compute, relation));
  std::vector<std::string> columns;
  for (const auto& [name, type] : schema) columns.push_back(name);
  return columns;
}

std::string StoreCatalogName(const std::string& store_name) {
  std::string name = "store_";
  for (char c : store_name) name += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return name;
}

// Whether rows of type `from` may be appended to a column of type `to`.
bool TypesFit(const std::string& to, const std::string& from) {
  if (to == from || from == "\"NULL\"" || from == "NULL") return true;
  if (IsIntegerType(to) && IsIntegerType(from)) return true;
  if (IsFloatType(to) && (IsFloatType(from) || IsIntegerType(from) || IsDecimalType(from))) return true;
  // Decimals of any width into decimals (DuckDB checks each value on insert), and
  // integers into decimals: SQL literals such as 0.5 and 0.75 are DECIMAL(2,1) and (3,2).
  if (IsDecimalType(to) && (IsDecimalType(from) || IsIntegerType(from))) return true;
  if (to.rfind("TIMESTAMP", 0) == 0 && from.rfind("TIMESTAMP", 0) == 0) return true;
  return false;
}

namespace {

// The DuckDB store: one DuckDB file, ATTACHed to the compute connection as
// store_<name>. Feature tables live in schema `features` under their keys; the store's
// own bookkeeping in schema `materia_meta`:
//   tables(feature, superseded)       superseded: some sample has more than one row,
//                                     so readers must pick the latest (else they skip
//                                     the window and read the table as it is)
//   feature_versions(feature, feature_version, definition, recorded_at)
class DuckStore final : public MetadataStore {
 public:
  explicit DuckStore(StoreConfig config) : MetadataStore(std::move(config)), catalog_(StoreCatalogName(name())) {}

  std::string container() const override { return "duckdb:" + config().path; }

  Status Attach(DuckConnection& compute, bool read_only) override {
    namespace fs = std::filesystem;
    if (read_only && !fs::exists(config().path)) {
      missing_ = true;  // nothing written yet: a store with no features
      return Status::Ok();
    }
    std::error_code error;
    fs::create_directories(fs::path(config().path).parent_path(), error);
    Status attached = compute.Execute("ATTACH " + QuoteLiteral(config().path) + " AS " + catalog_ +
                                      (read_only ? " (READ_ONLY)" : ""));
    if (!attached.ok()) {
      return attached.WithPrefix("store " + name() + " (" + config().path + ")");
    }
    if (!read_only) {
      MATERIA_RETURN_IF_ERROR(compute.Execute(
          "CREATE SCHEMA IF NOT EXISTS " + catalog_ + ".features; CREATE SCHEMA IF NOT EXISTS " + catalog_ +
          ".materia_meta; CREATE TABLE IF NOT EXISTS " + catalog_ +
          ".materia_meta.tables (feature VARCHAR PRIMARY KEY, superseded BOOLEAN NOT NULL); "
          "CREATE TABLE IF NOT EXISTS " + catalog_ +
          ".materia_meta.feature_versions (feature VARCHAR, feature_version VARCHAR, definition VARCHAR, "
          "recorded_at TIMESTAMP, PRIMARY KEY (feature, feature_version))"));
    }
    return Status::Ok();
  }

  Result<std::vector<std::string>> Features(DuckConnection& compute) override {
    if (missing_) return std::vector<std::string>{};
    MATERIA_ASSIGN_OR_RETURN(QueryResult result,
                             compute.QueryParams("SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND "
                                                 "schema_name = 'features' ORDER BY table_name",
                                                 {catalog_}));
    std::vector<std::string> features;
    for (const auto& row : result.rows) features.push_back(row[0].value_or(""));
    return features;
  }

  Result<std::optional<StoredFeature>> Latest(DuckConnection& compute, const std::string& feature,
                                              const std::vector<std::string>& id_columns,
                                              const std::vector<std::string>& filters) override {
    auto started = std::chrono::steady_clock::now();
    MATERIA_ASSIGN_OR_RETURN(bool exists, Holds(compute, feature));
    if (!exists) return std::optional<StoredFeature>();
    MATERIA_ASSIGN_OR_RETURN(QueryResult superseded,
                             compute.QueryParams("SELECT superseded FROM " + catalog_ +
                                                     ".materia_meta.tables WHERE feature = ?",
                                                 {feature}));
    StoredFeature stored;
    std::string table = Table(feature);
    if (superseded.Scalar().value_or("true") == "false") {
      std::string where = "NOT " + QuoteIdentifier(kDeletedColumn);
      for (const std::string& filter : filters) where += " AND (" + filter + ")";
      stored.relation = "(SELECT * FROM " + table + " WHERE " + where + ")";
    } else {
      stored.relation = LatestRowsSql(table, id_columns, filters);
    }
    MATERIA_ASSIGN_OR_RETURN(stored.columns, RelationColumns(compute, table));
    counters().reads++;
    counters().read_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return std::optional<StoredFeature>(std::move(stored));
  }

  Result<int64_t> Append(DuckConnection& compute, const std::string& feature,
                         const std::vector<std::string>& id_columns, const std::string& relation) override {
    auto started = std::chrono::steady_clock::now();
    MATERIA_ASSIGN_OR_RETURN(auto schema, RelationSchema(compute, relation));
    MATERIA_ASSIGN_OR_RETURN(bool exists, Holds(compute, feature));
    const std::string table = Table(feature);
    MATERIA_RETURN_IF_ERROR(compute.Execute("BEGIN TRANSACTION"));
    auto rollback = [&](Status status) {
      (void)compute.Execute("ROLLBACK");
      return status;
    };
    bool superseded = false;
    if (!exists) {
      Status created = compute.Execute("CREATE TABLE " + table + " AS SELECT * FROM " + relation + " LIMIT 0");
      if (!created.ok()) return rollback(created);
    } else {
      auto existing = RelationSchema(compute, table);
      if (!existing.ok()) return rollback(existing.status());
      for (const auto& [column, type] : schema) {
        auto found = std::find_if(existing->begin(), existing->end(),
                                  [&](const auto& pair) { return pair.first == column; });
        if (found == existing->end()) {
          std::string add_type = (type == "\"NULL\"" || type == "NULL") ? "VARCHAR" : type;
          Status added = compute.Execute("ALTER TABLE " + table + " ADD COLUMN " + QuoteIdentifier(column) + " " + add_type);
          if (!added.ok()) return rollback(added);
        } else if (!TypesFit(found->second, type)) {
          return rollback(Status::InvalidInput(feature + ": column '" + column + "' is " + found->second +
                                               " in store " + name() + ", the rows have " + type));
        }
      }
      auto overlap = compute.Query("SELECT EXISTS (SELECT 1 FROM " + relation + " AS r SEMI JOIN " + table +
                                   " AS t USING (" + QuoteIdentifierList(id_columns) + "))");
      if (!overlap.ok()) return rollback(overlap.status());
      superseded = overlap->Scalar().value_or("false") == "true";
    }
    auto tombstones = compute.Query("SELECT bool_or(" + QuoteIdentifier(kDeletedColumn) + ") FROM " + relation);
    if (!tombstones.ok()) return rollback(tombstones.status());
    superseded = superseded || tombstones->Scalar().value_or("false") == "true";
    auto inserted = compute.Query("INSERT INTO " + table + " BY NAME SELECT * FROM " + relation);
    if (!inserted.ok()) return rollback(inserted.status().WithPrefix(feature + ": appending to store " + name()));
    Status meta = compute.QueryParams(
                             "INSERT INTO " + catalog_ + ".materia_meta.tables VALUES (?, ?::BOOLEAN) ON CONFLICT "
                             "(feature) DO UPDATE SET superseded = superseded OR excluded.superseded",
                             {feature, superseded ? "true" : "false"})
                      .status();
    if (!meta.ok()) return rollback(meta);
    MATERIA_RETURN_IF_ERROR(compute.Execute("COMMIT"));
    counters().writes++;
    counters().rows_written += inserted->rows_changed;
    counters().write_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return inserted->rows_changed;
  }

  Result<int64_t> HardDelete(DuckConnection& compute, const std::string& feature,
                             const std::vector<std::string>& keys, const std::string& keys_relation) override {
    MATERIA_ASSIGN_OR_RETURN(bool exists, Holds(compute, feature));
    if (!exists) return int64_t{0};
    const std::string table = Table(feature);
    if (keys_relation.empty()) {
      MATERIA_ASSIGN_OR_RETURN(QueryResult count, compute.Query("SELECT count(*) FROM " + table));
      MATERIA_RETURN_IF_ERROR(compute.Execute("BEGIN TRANSACTION"));
      Status dropped = compute.Execute("DROP TABLE " + table);
      if (dropped.ok()) {
        dropped = compute.QueryParams("DELETE FROM " + catalog_ + ".materia_meta.tables WHERE feature = ?", {feature})
                      .status();
      }
      if (!dropped.ok()) {
        (void)compute.Execute("ROLLBACK");
        return dropped;
      }
      MATERIA_RETURN_IF_ERROR(compute.Execute("COMMIT"));
      return std::stoll(count.Scalar().value_or("0"));
    }
    std::vector<std::string> match;
    for (const std::string& key : keys) {
      match.push_back("t." + QuoteIdentifier(key) + " IS NOT DISTINCT FROM k." + QuoteIdentifier(key));
    }
    MATERIA_ASSIGN_OR_RETURN(QueryResult deleted,
                             compute.Query("DELETE FROM " + table + " AS t WHERE EXISTS (SELECT 1 FROM " +
                                           keys_relation + " AS k WHERE " + JoinText(match, " AND ") + ")"));
    return deleted.rows_changed;
  }

  Status RecordFeatureVersion(DuckConnection& compute, const std::string& feature,
                              const std::string& feature_version, const std::string& definition_json) override {
    return compute
        .QueryParams("INSERT INTO " + catalog_ + ".materia_meta.feature_versions VALUES (?, ?, ?, now()) "
                     "ON CONFLICT (feature, feature_version) DO NOTHING",
                     {feature, feature_version, definition_json})
        .status();
  }

  Result<std::optional<std::string>> FeatureVersionDefinition(DuckConnection& compute, const std::string& feature,
                                                              const std::string& feature_version) override {
    if (missing_) return std::optional<std::string>();
    MATERIA_ASSIGN_OR_RETURN(QueryResult result,
                             compute.QueryParams("SELECT definition FROM " + catalog_ +
                                                     ".materia_meta.feature_versions WHERE feature = ? AND "
                                                     "feature_version = ?",
                                                 {feature, feature_version}));
    if (result.rows.empty()) return std::optional<std::string>();
    return result.rows[0][0];
  }

 private:
  std::string Table(const std::string& feature) const { return catalog_ + ".features." + QuoteIdentifier(feature); }

  Result<bool> Holds(DuckConnection& compute, const std::string& feature) {
    if (missing_) return false;
    MATERIA_ASSIGN_OR_RETURN(QueryResult result,
                             compute.QueryParams("SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND "
                                                 "schema_name = 'features' AND table_name = ?",
                                                 {catalog_, feature}));
    return result.Scalar().value_or("0") != "0";
  }

  std::string catalog_;
  bool missing_ = false;
};

}  // namespace

Result<std::unique_ptr<MetadataStore>> OpenParquetStore(const StoreConfig& config);
Result<std::unique_ptr<MetadataStore>> OpenPostgresStore(const StoreConfig& config);

Result<std::unique_ptr<MetadataStore>> OpenMetadataStore(const StoreConfig& config) {
  if (config.type == "duckdb") {
    if (config.path.empty()) return Status::InvalidInput("store " + config.name + " (duckdb) has no path");
    return std::unique_ptr<MetadataStore>(new DuckStore(config));
  }
  if (config.type == "parquet") return OpenParquetStore(config);
  if (config.type == "postgres") return OpenPostgresStore(config);
  return Status::InvalidInput("store " + config.name + " has unknown type '" + config.type +
                              "' (use duckdb, parquet or postgres)");
}

}  // namespace materia
