// Metadata stores: where a feature's metadata rows live. A row is one sample as written
// at one moment: its id columns, the user's columns, the provenance and data version of
// every field and of the sample, the feature version, materia_created_at and
// materia_deleted. Tables are append-only: a rewrite appends a newer row, a delete
// appends a tombstone (or, hard, removes the rows); readers take the latest row per
// sample and skip tombstones.
//
// Every store is read and written through one DuckDB connection, the "compute"
// connection of the feature engine, so that resolve runs as one DuckDB query whatever
// the store:
//   duckdb   a DuckDB file (default .materia/features.duckdb), ATTACHed; one table per
//            feature named by its key
//   parquet  a folder, one Parquet file per write under <root>/<key>/@rows/,
//            hive-partitioned by the store's partition_by columns; readable by any engine
//   postgres a schema in a Postgres database (features/postgres_store.h)
//
// Stores are not thread-safe: one engine, one thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "db/duckdb.h"

namespace materia {

// One store as configured (config.yaml `features: stores:`).
struct StoreConfig {
  std::string name;                     // "dev"
  std::string type = "duckdb";          // duckdb | parquet | postgres
  std::string path;                     // duckdb file or parquet folder, absolute
  std::string url;                      // postgres connection (URL or key=value)
  std::string schema = "materia_features";  // postgres schema
  std::vector<std::string> partition_by;    // parquet: hive partition columns
  std::vector<std::string> fallback;        // stores to read features this one lacks from
};

// Counters per store, for /metrics and logs.
struct StoreCounters {
  int64_t reads = 0;
  int64_t writes = 0;
  int64_t rows_written = 0;  // rows appended (tombstones included)
  double read_seconds = 0;
  double write_seconds = 0;
};

// What a store knows of one feature's rows.
struct StoredFeature {
  std::string relation;              // SQL after FROM: the latest live row per sample
  std::vector<std::string> columns;  // its columns
};

class MetadataStore {
 public:
  virtual ~MetadataStore() = default;

  const StoreConfig& config() const { return config_; }
  const std::string& name() const { return config_.name; }
  // The container the materialization catalog records: "duckdb:/abs/f.duckdb",
  // "parquet:/abs/dir", "postgres:host/db/schema" (never a password).
  virtual std::string container() const = 0;

  // Makes the store reachable from `compute` (ATTACH, connect). Called once, first.
  virtual Status Attach(DuckConnection& compute, bool read_only) = 0;

  // The features this store holds rows of (tombstones count), sorted.
  virtual Result<std::vector<std::string>> Features(DuckConnection& compute) = 0;

  // The latest live row per sample of `feature`, `filters` (SQL conditions on its
  // columns) applied inside the store's own query; nullopt when the store holds no
  // rows of the feature. The relation stays valid until the next write to this store.
  virtual Result<std::optional<StoredFeature>> Latest(DuckConnection& compute, const std::string& feature,
                                                      const std::vector<std::string>& id_columns,
                                                      const std::vector<std::string>& filters = {}) = 0;

  // Appends every row of `relation` (evaluated on `compute`, columns by name) to
  // `feature`, adding columns the table lacks. All or nothing: a failed append leaves
  // no row behind. A column whose type cannot hold the existing one is an error:
  //   "video/crop: column 'score' is DOUBLE in store dev, the rows have VARCHAR"
  virtual Result<int64_t> Append(DuckConnection& compute, const std::string& feature,
                                 const std::vector<std::string>& id_columns, const std::string& relation) = 0;

  // Removes for good every row of `feature` whose columns in `keys` match a row of
  // `keys_relation` (all rows when `keys_relation` is ""). Returns the rows removed.
  virtual Result<int64_t> HardDelete(DuckConnection& compute, const std::string& feature,
                                     const std::vector<std::string>& keys, const std::string& keys_relation) = 0;

  // Remembers the definition (JSON) behind a feature version, for migrate; and reads
  // it back (nullopt when never recorded here).
  virtual Status RecordFeatureVersion(DuckConnection& compute, const std::string& feature,
                                      const std::string& feature_version, const std::string& definition_json) = 0;
  virtual Result<std::optional<std::string>> FeatureVersionDefinition(DuckConnection& compute,
                                                                      const std::string& feature,
                                                                      const std::string& feature_version) = 0;

  StoreCounters& counters() { return counters_; }
  const StoreCounters& counters() const { return counters_; }

 protected:
  explicit MetadataStore(StoreConfig config) : config_(std::move(config)) {}

 private:
  StoreConfig config_;
  StoreCounters counters_;
};

// Opens the store `config` describes (not yet attached). kInvalidInput for an unknown
// type or a missing path/url.
Result<std::unique_ptr<MetadataStore>> OpenMetadataStore(const StoreConfig& config);

// Helpers shared by the implementations.
//
// The SQL that keeps the latest row per sample of `history` (all rows, tombstones
// included) and drops tombstones; `filters` are applied to the latest rows.
std::string LatestRowsSql(const std::string& history, const std::vector<std::string>& id_columns,
                          const std::vector<std::string>& filters);
// The column names of a relation on `compute` (DESCRIBE).
Result<std::vector<std::string>> RelationColumns(DuckConnection& compute, const std::string& relation);
// (name, DuckDB type) of a relation's columns.
Result<std::vector<std::pair<std::string, std::string>>> RelationSchema(DuckConnection& compute,
                                                                        const std::string& relation);
// Whether rows whose column has DuckDB type `from` may be appended to a column of type
// `to`: the same type, an all-NULL column, integers into integers, decimals or integers
// into decimals, any number into floats, timestamps into timestamps.
bool TypesFit(const std::string& to, const std::string& from);
// A name safe inside SQL identifiers for attaching a store: "store_<name>".
std::string StoreCatalogName(const std::string& store_name);

}  // namespace materia
