// The feature engine: the C++ API of feature metadata. It holds the feature graph,
// the metadata stores of config.yaml and the materialization catalog, and runs every
// operation on one DuckDB connection of its own:
//
//   auto engine = FeatureEngine::Open({.project_dir = "."});
//   auto todo = (*engine)->Resolve("video/crop");        // new / stale / orphaned
//   ... compute the samples of todo->Relation("new") and todo->Relation("stale") ...
//   (*engine)->Write("video/crop", "my_results");        // any relation on connection()
//
// Reads are lazy: Resolve leaves its rows in a temporary table and Read returns SQL
// over the store; nothing is fetched until the caller does (connection().Query(...),
// or SaveRelation to a file).
//
// Writes go to the configured store (`features.store`). Reads of a feature take the
// first store that holds it: the store itself, then its fallbacks in order, so one
// feature is never read from two stores at once. Every write, delete and copy brings
// the catalog's entries for that feature and store up to date.
//
// Every resolve, write, delete, copy and migrate appends one JSON line to the project's
// .materia/logs/features.log: time, event, feature, store, counts and milliseconds.
//
// Not thread-safe: one engine per thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "db/duckdb.h"
#include "features/feature_config.h"
#include "features/feature_graph.h"
#include "features/materialization_catalog.h"
#include "features/metadata_store.h"
#include "features/provenance.h"

namespace materia {

struct FeatureEngineOptions {
  std::string project_dir = ".";
  std::string store;                    // the store to write; "" = features.store
  bool read_only = false;               // no writes; stores and catalog opened read-only
  std::vector<std::string> also_writable;  // other stores this engine will write (copy)
  int threads = 0;                      // DuckDB threads; 0 = all cores
  // Where operations are logged as JSON lines; Open uses
  // <project_dir>/.materia/logs/features.log when empty, Create logs nowhere.
  std::string log_file;
};

// What Resolve found. `table` is a temporary table on the engine's connection with the
// columns of BuildResolveQuery (features/provenance.h).
struct ResolveResult {
  std::string feature;
  std::string table;
  int64_t new_count = 0;
  int64_t stale_count = 0;
  int64_t orphaned_count = 0;
  double seconds = 0;
  // "(SELECT * FROM <table> WHERE materia_status = '<status>')".
  std::string Relation(const std::string& status) const;
};

struct WriteResult {
  int64_t rows = 0;
  std::string feature_version;
  std::string store;
};

// One feature's place in the stores, for `features status`.
struct FeatureStatus {
  std::string feature;
  std::string feature_version;
  std::string store;              // where it is read from; "" when no store holds it
  int64_t samples = 0;            // latest live samples stored
  int64_t current_version = 0;    // of them, written at the current feature version
  std::optional<int64_t> new_count;       // nullopt for a root (its sample list is not known)
  std::optional<int64_t> stale_count;
  std::optional<int64_t> orphaned_count;
  std::vector<std::pair<std::string, int64_t>> stale_fields;  // field -> stale samples
  bool InSync() const;
};

struct MigrateResult {
  int64_t migrated = 0;    // samples whose provenance moved to the new code version
  int64_t left_stale = 0;  // samples whose inputs changed too: they must be recomputed
};

// One disagreement between the catalog and a store.
struct CatalogDriftLine {
  std::string kind;  // missing | count | data | unregistered
  std::string line;
};

class FeatureEngine {
 public:
  static Result<std::unique_ptr<FeatureEngine>> Open(const FeatureEngineOptions& options);
  // For programs that define features in code: the graph, stores and catalog given.
  static Result<std::unique_ptr<FeatureEngine>> Create(FeatureGraph graph, FeatureConfig config,
                                                       std::unique_ptr<MaterializationCatalog> catalog,
                                                       const FeatureEngineOptions& options);
  ~FeatureEngine();

  const FeatureGraph& graph() const { return graph_; }
  const FeatureConfig& config() const { return config_; }
  DuckConnection& connection() { return *connection_; }
  MaterializationCatalog& catalog() { return *catalog_; }
  MetadataStore& store() { return *primary_; }
  std::vector<MetadataStore*> stores();

  // The feature, or kNotFound "unknown feature 'video/crp' (known: ...)".
  Result<const FeatureDefinition*> Find(const std::string& key) const;

  // New, stale and orphaned samples of `feature`, as one DuckDB query. A root feature
  // needs `samples` (a relation with its id columns, and optionally
  // materia_sample_version); without it, its stored rows stand in for the sample list
  // (so only code-version changes show, as stale).
  Result<ResolveResult> Resolve(const std::string& feature, const std::string& samples = "");

  // Appends the rows of `relation` to `feature` in the write store. Rows carrying the
  // provenance columns of a resolve keep them; other rows get the provenance of the
  // current upstream data (a row matching no expected sample is an error). Data
  // versions come from materia_data_version__<field> / materia_data_version when
  // present. `source` names the rows in messages ("crops.parquet").
  Result<WriteResult> Write(const std::string& feature, const std::string& relation,
                            const std::string& source = "the rows");

  // Deletes the samples of `feature` whose id columns (those present in `keys`) match a
  // row of `keys`; every sample when `keys` is "". Soft (a tombstone row) unless `hard`.
  Result<int64_t> Delete(const std::string& feature, const std::string& keys, bool hard,
                         const std::string& source = "the ids");

  // The latest live rows of `feature` from the store that holds it, filtered in the
  // store's own query: SQL to use after FROM. kNotFound when no store holds it.
  Result<std::string> Read(const std::string& feature, const std::vector<std::string>& filters = {});

  // Every feature in upstream-first order with what its store holds and needs.
  Result<std::vector<FeatureStatus>> StatusOfFeatures();

  // Copies the latest rows of `features` (every feature `from` holds when empty) from
  // store `from` to store `to` (which must be in also_writable or the write store).
  Result<std::vector<std::pair<std::string, int64_t>>> Copy(const std::string& from, const std::string& to,
                                                           const std::vector<std::string>& features);

  // After a code_version bump the user marks as metadata-only: stored samples whose
  // stored provenance is what the definition they were written with gives on today's
  // inputs get the current provenance, keeping their data versions. `field` and
  // `to_code_version` (optional) check that the definitions say what the user expects.
  Result<MigrateResult> Migrate(const std::string& feature, const std::string& field,
                                const std::string& to_code_version);

  // Compares the catalog with every store it names that this engine has.
  Result<std::vector<CatalogDriftLine>> VerifyCatalog();

  // Reads a Parquet, CSV or JSON-lines file (by extension) into a temporary table and
  // returns its name. kInvalidInput for another extension, kIoError for a missing file.
  Result<std::string> LoadFile(const std::string& path);
  // Writes a relation to a Parquet, CSV or JSON-lines file (by extension), through a
  // temporary file renamed into place. Returns the rows written.
  Result<int64_t> SaveRelation(const std::string& relation, const std::string& path);

 private:
  FeatureEngine() = default;
  Status AttachStores(const FeatureEngineOptions& options);
  // The store holding `feature`: the write store, then its fallback chain.
  Result<MetadataStore*> StoreHolding(const std::string& feature);
  // The first dependency of `feature` that no store holds, or "".
  Result<std::string> MissingUpstream(const FeatureDefinition& feature);
  Result<std::vector<ProvenanceInput>> Inputs(const FeatureDefinition& feature, const std::string& samples,
                                              const std::string& samples_source);
  Result<std::optional<StoredFeature>> LatestIn(MetadataStore& store, const FeatureDefinition& feature);
  Status RefreshCatalog(MetadataStore& store, const std::string& feature);
  // Appends one JSON line {"time", "event", ...fields} to the log file, if any.
  void Log(const std::string& event, const std::string& fields_json);
  std::string NextTemporary(const std::string& prefix);
  std::string CreatedAtSql(MetadataStore& store, const std::string& feature);

  FeatureGraph graph_;
  FeatureConfig config_;
  std::string project_dir_;
  std::string log_file_;
  bool read_only_ = false;
  std::shared_ptr<DuckDatabase> database_;
  std::unique_ptr<DuckConnection> connection_;
  std::unique_ptr<MaterializationCatalog> catalog_;
  std::vector<std::unique_ptr<MetadataStore>> stores_;
  MetadataStore* primary_ = nullptr;
  int temporary_counter_ = 0;
  int64_t last_created_us_ = 0;
};

// The definition of a feature as JSON, as stores record it per feature version.
std::string FeatureDefinitionJson(const FeatureDefinition& feature);

}  // namespace materia
