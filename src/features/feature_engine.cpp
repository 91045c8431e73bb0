#include "features/feature_engine.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include "base/text.h"
#include "base/json_writer.h"
#include "base/time.h"
#include "features/sqlite_catalog.h"

namespace materia {

namespace {

namespace fs = std::filesystem;

int64_t ToInt(const std::optional<std::string>& value) {
  if (!value || value->empty()) return 0;
  return std::stoll(*value);
}

double SecondsSince(std::chrono::steady_clock::time_point started) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

// "video_id=7, chunk=2" for the first row of a query over key columns.
std::string DescribeKeys(const QueryResult& result) {
  if (result.rows.empty()) return "";
  std::vector<std::string> parts;
  for (size_t i = 0; i < result.column_names.size(); i++) {
    parts.push_back(result.column_names[i] + "=" + result.rows[0][i].value_or("NULL"));
  }
  return JoinText(parts, ", ");
}

Result<std::unique_ptr<MaterializationCatalog>> OpenCatalog(const CatalogConfig& config, bool read_only);

// Per feature version of the latest rows in `relation`: (feature version, samples, data
// version), the data version being an order-free digest (xor of md5) of every sample's
// ids and data version, so the catalog and a store can be compared without moving rows.
std::string DigestByVersionSql(const FeatureDefinition& feature, const std::string& relation) {
  std::vector<std::string> parts;
  for (const std::string& id : feature.id_columns) {
    parts.push_back("coalesce(CAST(" + QuoteIdentifier(id) + " AS VARCHAR), '')");
  }
  parts.push_back(QuoteIdentifier(kDataVersionColumn));
  return "SELECT " + QuoteIdentifier(kFeatureVersionColumn) +
         ", count(*), lower(hex(bit_xor(md5_number(concat_ws('|', " + JoinText(parts, ", ") + "))))) FROM " +
         relation + " GROUP BY ALL";
}

}  // namespace

Result<std::unique_ptr<MaterializationCatalog>> OpenPostgresCatalogFromConfig(const CatalogConfig& config,
                                                                              bool read_only);

namespace {

Result<std::unique_ptr<MaterializationCatalog>> OpenCatalog(const CatalogConfig& config, bool read_only) {
  if (config.type == "memory") return std::unique_ptr<MaterializationCatalog>(new InMemoryCatalog());
  if (config.type == "postgres") return OpenPostgresCatalogFromConfig(config, read_only);
  if (read_only && !fs::exists(config.path)) {
    return std::unique_ptr<MaterializationCatalog>(new InMemoryCatalog());  // nothing written yet
  }
  return OpenSqliteCatalog(config.path, read_only);
}

}  // namespace

void FeatureEngine::Log(const std::string& event, const std::string& fields_json) {
  if (log_file_.empty()) return;
  std::error_code error;
  fs::create_directories(fs::path(log_file_).parent_path(), error);
  FILE* file = std::fopen(log_file_.c_str(), "a");
  if (file == nullptr) return;  // logging never fails an operation
  std::string line = "{\"time\":" + JsonQuote(FormatIso(NowMs())) + ",\"event\":" + JsonQuote(event) +
                     (fields_json.size() > 2 ? "," + fields_json.substr(1, fields_json.size() - 2) : "") + "}\n";
  std::fwrite(line.data(), 1, line.size(), file);
  std::fclose(file);
}

std::string FeatureDefinitionJson(const FeatureDefinition& feature) {
  nlohmann::json fields = nlohmann::json::array();
  for (const FieldDefinition& field : feature.fields) {
    fields.push_back({{"key", field.key}, {"code_version", field.code_version}});
  }
  return nlohmann::json{{"key", feature.key}, {"fields", fields}}.dump();
}

std::string ResolveResult::Relation(const std::string& status) const {
  return "(SELECT * FROM " + table + " WHERE " + QuoteIdentifier(kStatusColumn) + " = " + QuoteLiteral(status) + ")";
}

bool FeatureStatus::InSync() const {
  return new_count.value_or(0) == 0 && stale_count.value_or(0) == 0 && orphaned_count.value_or(0) == 0;
}

FeatureEngine::~FeatureEngine() = default;

Result<std::unique_ptr<FeatureEngine>> FeatureEngine::Open(const FeatureEngineOptions& options) {
  MATERIA_ASSIGN_OR_RETURN(FeatureGraph graph, LoadFeatureGraph(options.project_dir));
  MATERIA_ASSIGN_OR_RETURN(FeatureConfig config, LoadFeatureConfig(options.project_dir));
  MATERIA_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(config.catalog, options.read_only));
  FeatureEngineOptions opened = options;
  if (opened.log_file.empty()) {
    opened.log_file = (fs::path(options.project_dir) / ".materia" / "logs" / "features.log").string();
  }
  return Create(std::move(graph), std::move(config), std::move(catalog), opened);
}

Result<std::unique_ptr<FeatureEngine>> FeatureEngine::Create(FeatureGraph graph, FeatureConfig config,
                                                             std::unique_ptr<MaterializationCatalog> catalog,
                                                             const FeatureEngineOptions& options) {
  std::unique_ptr<FeatureEngine> engine(new FeatureEngine());
  engine->graph_ = std::move(graph);
  engine->config_ = std::move(config);
  engine->catalog_ = std::move(catalog);
  engine->project_dir_ = options.project_dir;
  engine->log_file_ = options.log_file;
  engine->read_only_ = options.read_only;
  if (!options.store.empty()) {
    if (!engine->config_.FindStore(options.store)) {
      std::vector<std::string> names;
      for (const StoreConfig& store : engine->config_.stores) names.push_back(store.name);
      return Status::NotFound("unknown store '" + options.store + "' (stores: " + JoinText(names, ", ") + ")");
    }
    engine->config_.store = options.store;
  }
  DuckOptions duck;
  duck.threads = options.threads;
  MATERIA_ASSIGN_OR_RETURN(engine->database_, DuckDatabase::Open(":memory:", duck));
  MATERIA_ASSIGN_OR_RETURN(engine->connection_, DuckConnection::Connect(engine->database_));
  MATERIA_RETURN_IF_ERROR(engine->AttachStores(options));
  return engine;
}

Status FeatureEngine::AttachStores(const FeatureEngineOptions& options) {
  for (const StoreConfig& config : config_.stores) {
    MATERIA_ASSIGN_OR_RETURN(auto store, OpenMetadataStore(config));
    const bool writable = !read_only_ && (config.name == config_.store || ContainsText(options.also_writable, config.name));
    MATERIA_RETURN_IF_ERROR(store->Attach(*connection_, !writable));
    if (config.name == config_.store) primary_ = store.get();
    stores_.push_back(std::move(store));
  }
  for (const std::string& name : options.also_writable) {
    if (!config_.FindStore(name)) return Status::NotFound("unknown store '" + name + "'");
  }
  return Status::Ok();
}

std::vector<MetadataStore*> FeatureEngine::stores() {
  std::vector<MetadataStore*> stores;
  for (auto& store : stores_) stores.push_back(store.get());
  return stores;
}

Result<const FeatureDefinition*> FeatureEngine::Find(const std::string& key) const {
  const FeatureDefinition* feature = graph_.Find(key);
  if (feature != nullptr) return feature;
  std::vector<std::string> keys;
  for (const FeatureDefinition& known : graph_.features()) keys.push_back(known.key);
  return Status::NotFound("unknown feature '" + key + "' (known: " + (keys.empty() ? "none" : JoinText(keys, ", ")) + ")");
}

Result<MetadataStore*> FeatureEngine::StoreHolding(const std::string& feature) {
  std::vector<std::string> chain = {primary_->name()};
  std::set<std::string> seen;
  for (size_t i = 0; i < chain.size(); i++) {
    if (!seen.insert(chain[i]).second) continue;
    const StoreConfig* config = config_.FindStore(chain[i]);
    for (const std::string& next : config->fallback) chain.push_back(next);
  }
  for (const std::string& name : chain) {
    for (auto& store : stores_) {
      if (store->name() != name) continue;
      MATERIA_ASSIGN_OR_RETURN(auto features, store->Features(*connection_));
      if (ContainsText(features, feature)) return store.get();
    }
  }
  return static_cast<MetadataStore*>(nullptr);
}

Result<std::optional<StoredFeature>> FeatureEngine::LatestIn(MetadataStore& store, const FeatureDefinition& feature) {
  return store.Latest(*connection_, feature.key, feature.id_columns);
}

Result<std::string> FeatureEngine::MissingUpstream(const FeatureDefinition& feature) {
  for (const FeatureDependency& dependency : feature.deps) {
    MATERIA_ASSIGN_OR_RETURN(MetadataStore * store, StoreHolding(dependency.feature));
    if (store == nullptr) return dependency.feature;
  }
  return std::string();
}

Result<std::vector<ProvenanceInput>> FeatureEngine::Inputs(const FeatureDefinition& feature,
                                                           const std::string& samples,
                                                           const std::string& samples_source) {
  std::vector<ProvenanceInput> inputs;
  if (feature.deps.empty()) {
    ProvenanceInput input;
    input.relation = samples;
    input.source = samples_source;
    MATERIA_ASSIGN_OR_RETURN(input.columns, RelationColumns(*connection_, samples));
    inputs.push_back(std::move(input));
    return inputs;
  }
  for (const FeatureDependency& dependency : feature.deps) {
    const FeatureDefinition* upstream = graph_.Find(dependency.feature);
    ProvenanceInput input;
    input.feature = dependency.feature;
    input.id_columns = upstream->id_columns;
    MATERIA_ASSIGN_OR_RETURN(MetadataStore * store, StoreHolding(dependency.feature));
    std::optional<StoredFeature> stored;
    if (store != nullptr) {
      MATERIA_ASSIGN_OR_RETURN(stored, LatestIn(*store, *upstream));
    }
    if (stored) {
      input.relation = stored->relation;
      input.columns = stored->columns;
      input.source = dependency.feature + " in store " + store->name();
    } else {
      // Nothing upstream yet: an empty relation with the upstream's id columns.
      std::vector<std::string> columns;
      for (const std::string& id : upstream->id_columns) {
        columns.push_back("NULL::VARCHAR AS " + QuoteIdentifier(id));
        input.columns.push_back(id);
      }
      for (const FieldDefinition& field : upstream->fields) {
        columns.push_back("NULL::VARCHAR AS " + QuoteIdentifier(FieldDataVersionColumn(field.key)));
        input.columns.push_back(FieldDataVersionColumn(field.key));
      }
      columns.push_back("NULL::VARCHAR AS " + QuoteIdentifier(kProvenanceColumn));
      input.columns.push_back(kProvenanceColumn);
      input.relation = "(SELECT " + JoinText(columns, ", ") + " WHERE false)";
      input.source = dependency.feature + " (stored nowhere yet)";
    }
    inputs.push_back(std::move(input));
  }
  return inputs;
}

std::string FeatureEngine::NextTemporary(const std::string& prefix) {
  return "__materia_" + prefix + "_" + std::to_string(++temporary_counter_);
}

std::string FeatureEngine::CreatedAtSql(MetadataStore& store, const std::string& feature) {
  int64_t now_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  // Never at or before a row this engine wrote, so "latest" is always well defined.
  now_us = std::max(now_us, last_created_us_ + 1);
  last_created_us_ = now_us;
  return "make_timestamp(" + std::to_string(now_us) + "::BIGINT)";
}

Result<ResolveResult> FeatureEngine::Resolve(const std::string& key, const std::string& samples) {
  auto started = std::chrono::steady_clock::now();
  MATERIA_ASSIGN_OR_RETURN(const FeatureDefinition* feature, Find(key));
  MATERIA_ASSIGN_OR_RETURN(MetadataStore * holder, StoreHolding(key));
  std::optional<StoredFeature> stored;
  if (holder != nullptr) {
    MATERIA_ASSIGN_OR_RETURN(stored, LatestIn(*holder, *feature));
  }
  std::string sample_relation = samples;
  std::string sample_source = "the samples";
  if (feature->deps.empty() && sample_relation.empty()) {
    if (!stored) {
      return Status::InvalidInput(key + " is a root feature with nothing stored: give its samples (--samples FILE)");
    }
    sample_relation = stored->relation;
    sample_source = key + " as stored";
  }
  MATERIA_ASSIGN_OR_RETURN(std::string missing, MissingUpstream(*feature));
  std::string sql;
  if (!missing.empty()) {
    // An upstream feature is stored nowhere: nothing is expected, whatever is stored
    // is orphaned.
    std::vector<std::string> columns = {"'orphaned' AS " + QuoteIdentifier(kStatusColumn)};
    for (const std::string& column : KeyColumns(*feature)) columns.push_back(QuoteIdentifier(column));
    sql = stored ? "SELECT DISTINCT " + JoinText(columns, ", ") + ", NULL::VARCHAR AS " + QuoteIdentifier(kStaleFieldsColumn) +
                       " FROM " + stored->relation
                 : "SELECT 'new' AS " + QuoteIdentifier(kStatusColumn) + " WHERE false";
  } else {
    MATERIA_ASSIGN_OR_RETURN(auto inputs, Inputs(*feature, sample_relation, sample_source));
    MATERIA_ASSIGN_OR_RETURN(ExpectedSamples expected, BuildExpectedSamples(*feature, inputs));
    sql = BuildResolveQuery(*feature, expected, stored ? stored->relation : "",
                            stored ? stored->columns : std::vector<std::string>{});
  }
  ResolveResult result;
  result.feature = key;
  result.table = NextTemporary("resolve");
  MATERIA_RETURN_IF_ERROR(connection_->Execute("CREATE TEMP TABLE " + result.table + " AS " + sql)
                              .WithPrefix("resolving " + key));
  MATERIA_ASSIGN_OR_RETURN(QueryResult counts,
                           connection_->Query("SELECT " + QuoteIdentifier(kStatusColumn) + ", count(*) FROM " +
                                              result.table + " GROUP BY ALL"));
  for (const auto& row : counts.rows) {
    int64_t count = ToInt(row[1]);
    if (row[0] == "new") result.new_count = count;
    if (row[0] == "stale") result.stale_count = count;
    if (row[0] == "orphaned") result.orphaned_count = count;
  }
  result.seconds = SecondsSince(started);
  JsonWriter fields;
  fields.BeginObject().Key("feature").String(key).Key("store").String(holder ? holder->name() : "");
  fields.Key("new").Int(result.new_count).Key("stale").Int(result.stale_count);
  fields.Key("orphaned").Int(result.orphaned_count).Key("ms").Double(result.seconds * 1000).EndObject();
  Log("resolve", fields.str());
  return result;
}

Result<WriteResult> FeatureEngine::Write(const std::string& key, const std::string& relation,
                                         const std::string& source) {
  if (read_only_) return Status::InvalidInput("the feature engine was opened read-only");
  auto started = std::chrono::steady_clock::now();
  MATERIA_ASSIGN_OR_RETURN(const FeatureDefinition* feature, Find(key));
  MATERIA_ASSIGN_OR_RETURN(auto schema, RelationSchema(*connection_, relation));
  std::vector<std::string> columns;
  for (const auto& [name, type] : schema) columns.push_back(name);
  for (const std::string& id : feature->id_columns) {
    if (!ContainsText(columns, id)) {
      return Status::InvalidInput("id column '" + id + "' of " + key + " is missing from " + source +
                                  " (its columns: " + JoinText(columns, ", ") + ")");
    }
  }
  // One row per sample.
  MATERIA_ASSIGN_OR_RETURN(QueryResult repeated,
                           connection_->Query("SELECT " + QuoteIdentifierList(feature->id_columns) + " FROM " + relation +
                                              " GROUP BY ALL HAVING count(*) > 1 LIMIT 1"));
  if (!repeated.rows.empty()) {
    return Status::InvalidInput(source + " has more than one row for sample " + DescribeKeys(repeated) + " of " + key);
  }
  // Provenance: carried from a resolve, or computed from today's upstream rows.
  bool carried = true;
  for (const FieldDefinition& field : feature->fields) {
    carried = carried && ContainsText(columns, FieldProvenanceColumn(field.key));
  }
  const std::vector<std::string> keys = KeyColumns(*feature);
  std::string with_provenance = relation;
  if (!carried) {
    MATERIA_ASSIGN_OR_RETURN(std::string missing, MissingUpstream(*feature));
    if (!missing.empty()) {
      MATERIA_ASSIGN_OR_RETURN(QueryResult first,
                               connection_->Query("SELECT " + QuoteIdentifierList(keys) + " FROM " + relation + " LIMIT 1"));
      if (!first.rows.empty()) {
        return Status::InvalidInput(source + ": sample " + DescribeKeys(first) + " of " + key +
                                    " matches no upstream sample (" + missing + " is stored nowhere yet)");
      }
    }
    MATERIA_ASSIGN_OR_RETURN(auto inputs, Inputs(*feature, relation, source));
    MATERIA_ASSIGN_OR_RETURN(ExpectedSamples expected, BuildExpectedSamples(*feature, inputs));
    if (!feature->deps.empty()) {
      MATERIA_ASSIGN_OR_RETURN(QueryResult unmatched,
                               connection_->Query("SELECT " + QuoteIdentifierList(keys) + " FROM " + relation +
                                                  " AS i ANTI JOIN (" + expected.sql + ") AS e USING (" +
                                                  QuoteIdentifierList(keys) + ") LIMIT 1"));
      if (!unmatched.rows.empty()) {
        return Status::InvalidInput(source + ": sample " + DescribeKeys(unmatched) + " of " + key +
                                    " matches no upstream sample (resolve first, or check the ids)");
      }
    }
    std::vector<std::string> provenance;
    for (const FieldDefinition& field : feature->fields) {
      provenance.push_back("e." + QuoteIdentifier(FieldProvenanceColumn(field.key)));
    }
    std::vector<std::string> kept;
    for (const std::string& column : columns) {
      if (!IsSystemColumn(column) || column == kSampleVersionColumn || column == kDataVersionColumn ||
          column.rfind(std::string(kDataVersionColumn) + "__", 0) == 0) {
        kept.push_back("i." + QuoteIdentifier(column));
      }
    }
    with_provenance = "(SELECT " + JoinText(kept, ", ") + ", " + JoinText(provenance, ", ") + " FROM " + relation +
                      " AS i JOIN (" + expected.sql + ") AS e USING (" + QuoteIdentifierList(keys) + "))";
  }
  // The row as stored.
  std::vector<std::string> select;
  for (const std::string& column : columns) {
    if (!IsSystemColumn(column) || column == kSampleVersionColumn) select.push_back(QuoteIdentifier(column));
  }
  std::vector<std::pair<std::string, std::string>> provenance_columns;
  std::vector<std::pair<std::string, std::string>> version_columns;
  for (const FieldDefinition& field : feature->fields) {
    std::string provenance = QuoteIdentifier(FieldProvenanceColumn(field.key));
    std::string version = provenance;
    if (ContainsText(columns, FieldDataVersionColumn(field.key))) {
      version = "coalesce(CAST(" + QuoteIdentifier(FieldDataVersionColumn(field.key)) + " AS VARCHAR), " + version + ")";
    } else if (ContainsText(columns, kDataVersionColumn)) {
      version = "coalesce(CAST(" + QuoteIdentifier(kDataVersionColumn) + " AS VARCHAR), " + version + ")";
    }
    select.push_back(provenance);
    select.push_back(version + " AS " + QuoteIdentifier(FieldDataVersionColumn(field.key)));
    provenance_columns.emplace_back(field.key, provenance);
    version_columns.emplace_back(field.key, QuoteIdentifier(FieldDataVersionColumn(field.key)));
  }
  MATERIA_ASSIGN_OR_RETURN(MetadataStore * store, Result<MetadataStore*>(primary_));
  const std::string feature_version = graph_.FeatureVersion(key);
  const std::string batch = NextTemporary("write");
  std::string sql = "CREATE TEMP TABLE " + batch + " AS SELECT *, " + SampleHashSql(provenance_columns) + " AS " +
                    QuoteIdentifier(kProvenanceColumn) + ", " + SampleHashSql(version_columns) + " AS " +
                    QuoteIdentifier(kDataVersionColumn) + ", " + QuoteLiteral(feature_version) + " AS " +
                    QuoteIdentifier(kFeatureVersionColumn) + ", " + CreatedAtSql(*store, key) + " AS " +
                    QuoteIdentifier(kCreatedAtColumn) + ", false AS " + QuoteIdentifier(kDeletedColumn) +
                    " FROM (SELECT " + JoinText(select, ", ") + " FROM " + with_provenance + ")";
  MATERIA_RETURN_IF_ERROR(connection_->Execute(sql).WithPrefix("writing " + key));
  int64_t replaced_children = 0;
  if (feature->lineage.type == LineageType::kExpansion) {
    // An expansion's children of one parent are written together: the children a
    // parent had before and no longer has get tombstones in the same append.
    MATERIA_ASSIGN_OR_RETURN(auto stored, LatestIn(*store, *feature));
    if (stored) {
      MATERIA_ASSIGN_OR_RETURN(QueryResult tombstones, connection_->Query(
          "INSERT INTO " + batch + " BY NAME SELECT * REPLACE ((SELECT max(" + QuoteIdentifier(kCreatedAtColumn) +
          ") FROM " + batch + ") AS " + QuoteIdentifier(kCreatedAtColumn) + ", true AS " +
          QuoteIdentifier(kDeletedColumn) + ") FROM " + stored->relation + " AS l SEMI JOIN " + batch +
          " AS b USING (" + QuoteIdentifierList(keys) + ") ANTI JOIN " + batch + " AS c USING (" +
          QuoteIdentifierList(feature->id_columns) + ")"));
      replaced_children = tombstones.rows_changed;
    }
  }
  WriteResult result;
  result.feature_version = feature_version;
  result.store = store->name();
  MATERIA_ASSIGN_OR_RETURN(QueryResult batch_rows, connection_->Query("SELECT count(*) FROM " + batch));
  if (ToInt(batch_rows.Scalar()) == 0) {  // nothing to write: the store stays as it is
    (void)connection_->Execute("DROP TABLE " + batch);
    return result;
  }
  MATERIA_ASSIGN_OR_RETURN(result.rows, store->Append(*connection_, key, feature->id_columns, batch));
  result.rows -= replaced_children;
  (void)connection_->Execute("DROP TABLE " + batch);
  MATERIA_RETURN_IF_ERROR(store->RecordFeatureVersion(*connection_, key, feature_version, FeatureDefinitionJson(*feature)));
  MATERIA_RETURN_IF_ERROR(RefreshCatalog(*store, key));
  JsonWriter fields;
  fields.BeginObject().Key("feature").String(key).Key("store").String(store->name()).Key("rows").Int(result.rows);
  fields.Key("feature_version").String(feature_version).Key("ms").Double(SecondsSince(started) * 1000).EndObject();
  Log("write", fields.str());
  return result;
}

Result<int64_t> FeatureEngine::Delete(const std::string& key, const std::string& keys, bool hard,
                                      const std::string& source) {
  if (read_only_) return Status::InvalidInput("the feature engine was opened read-only");
  MATERIA_ASSIGN_OR_RETURN(const FeatureDefinition* feature, Find(key));
  std::vector<std::string> match;
  if (!keys.empty()) {
    MATERIA_ASSIGN_OR_RETURN(auto columns, RelationColumns(*connection_, keys));
    for (const std::string& column : columns) {
      if (ContainsText(feature->id_columns, column)) match.push_back(column);
    }
    if (match.empty()) {
      return Status::InvalidInput(source + " has none of the id columns of " + key + " (" +
                                  JoinText(feature->id_columns, ", ") + ")");
    }
  }
  MetadataStore& store = *primary_;
  int64_t removed = 0;
  if (hard) {
    MATERIA_ASSIGN_OR_RETURN(removed, store.HardDelete(*connection_, key, match, keys));
  } else {
    MATERIA_ASSIGN_OR_RETURN(auto stored, LatestIn(store, *feature));
    if (!stored) return int64_t{0};
    std::string rows = stored->relation;
    std::string filter;
    if (!keys.empty()) filter = " SEMI JOIN " + keys + " AS k USING (" + QuoteIdentifierList(match) + ")";
    const std::string batch = NextTemporary("delete");
    MATERIA_RETURN_IF_ERROR(connection_->Execute(
        "CREATE TEMP TABLE " + batch + " AS SELECT * REPLACE (" + CreatedAtSql(store, key) + " AS " +
        QuoteIdentifier(kCreatedAtColumn) + ", true AS " + QuoteIdentifier(kDeletedColumn) + ") FROM " + rows +
        " AS l" + filter));
    MATERIA_ASSIGN_OR_RETURN(removed, store.Append(*connection_, key, feature->id_columns, batch));
    (void)connection_->Execute("DROP TABLE " + batch);
  }
  MATERIA_RETURN_IF_ERROR(RefreshCatalog(store, key));
  JsonWriter fields;
  fields.BeginObject().Key("feature").String(key).Key("store").String(store.name()).Key("rows").Int(removed);
  fields.Key("hard").Bool(hard).EndObject();
  Log("delete", fields.str());
  return removed;
}

Result<std::string> FeatureEngine::Read(const std::string& key, const std::vector<std::string>& filters) {
  MATERIA_ASSIGN_OR_RETURN(const FeatureDefinition* feature, Find(key));
  MATERIA_ASSIGN_OR_RETURN(MetadataStore * store, StoreHolding(key));
  if (store == nullptr) return Status::NotFound("no store holds feature " + key);
  MATERIA_ASSIGN_OR_RETURN(auto stored, store->Latest(*connection_, key, feature->id_columns, filters));
  if (!stored) return Status::NotFound("no store holds feature " + key);
  return stored->relation;
}

Status FeatureEngine::RefreshCatalog(MetadataStore& store, const std::string& key) {
  const FeatureDefinition* feature = graph_.Find(key);
  MATERIA_ASSIGN_OR_RETURN(auto stored, LatestIn(store, *feature));
  // The new entries are computed first and replace the old ones in one catalog
  // transaction: a process killed meanwhile leaves the old entries, never none.
  std::vector<MaterializationEntry> entries;
  if (!stored) return catalog_->Replace(key, store.container(), entries);
  MATERIA_ASSIGN_OR_RETURN(QueryResult versions, connection_->Query(DigestByVersionSql(*feature, stored->relation)));
  const int64_t now = NowMs();
  for (const auto& row : versions.rows) {
    MaterializationEntry entry;
    entry.feature = key;
    entry.feature_version = row[0].value_or("0");
    entry.container = store.container();
    entry.data_version = row[2].value_or("0");
    entry.sample_count = ToInt(row[1]);
    entry.materialized_at_ms = now;
    entries.push_back(std::move(entry));
  }
  return catalog_->Replace(key, store.container(), entries);
}

Result<std::vector<FeatureStatus>> FeatureEngine::StatusOfFeatures() {
  std::vector<FeatureStatus> statuses;
  for (const FeatureDefinition* feature : graph_.TopologicalOrder()) {
    FeatureStatus status;
    status.feature = feature->key;
    status.feature_version = graph_.FeatureVersion(feature->key);
    MATERIA_ASSIGN_OR_RETURN(MetadataStore * store, StoreHolding(feature->key));
    std::optional<StoredFeature> stored;
    if (store != nullptr) {
      status.store = store->name();
      MATERIA_ASSIGN_OR_RETURN(stored, LatestIn(*store, *feature));
    }
    if (stored) {
      MATERIA_ASSIGN_OR_RETURN(QueryResult counts,
                               connection_->Query("SELECT count(*), count(*) FILTER (WHERE " +
                                                  QuoteIdentifier(kFeatureVersionColumn) + " = " +
                                                  QuoteLiteral(status.feature_version) + ") FROM " + stored->relation));
      status.samples = ToInt(counts.rows[0][0]);
      status.current_version = ToInt(counts.rows[0][1]);
    }
    if (feature->deps.empty() && !stored) {
      statuses.push_back(status);
      continue;
    }
    MATERIA_ASSIGN_OR_RETURN(ResolveResult resolved, Resolve(feature->key));
    if (!feature->deps.empty()) {
      status.new_count = resolved.new_count;
      status.orphaned_count = resolved.orphaned_count;
    }
    status.stale_count = resolved.stale_count;
    if (resolved.stale_count > 0) {
      MATERIA_ASSIGN_OR_RETURN(QueryResult fields,
                               connection_->Query("SELECT field, count(*) FROM (SELECT unnest(string_split(" +
                                                  QuoteIdentifier(kStaleFieldsColumn) + ", ',')) AS field FROM " +
                                                  resolved.table + " WHERE " + QuoteIdentifier(kStatusColumn) +
                                                  " = 'stale') GROUP BY ALL ORDER BY field"));
      for (const auto& row : fields.rows) status.stale_fields.emplace_back(row[0].value_or(""), ToInt(row[1]));
    }
    (void)connection_->Execute("DROP TABLE " + resolved.table);
    statuses.push_back(std::move(status));
  }
  return statuses;
}

Result<std::vector<std::pair<std::string, int64_t>>> FeatureEngine::Copy(const std::string& from,
                                                                        const std::string& to,
                                                                        const std::vector<std::string>& features) {
  if (read_only_) return Status::InvalidInput("the feature engine was opened read-only");
  MetadataStore* source = nullptr;
  MetadataStore* target = nullptr;
  for (auto& store : stores_) {
    if (store->name() == from) source = store.get();
    if (store->name() == to) target = store.get();
  }
  if (source == nullptr) return Status::NotFound("unknown store '" + from + "'");
  if (target == nullptr) return Status::NotFound("unknown store '" + to + "'");
  if (source == target) return Status::InvalidInput("copy needs two different stores (both are " + from + ")");
  MATERIA_ASSIGN_OR_RETURN(std::vector<std::string> held, source->Features(*connection_));
  std::vector<std::string> keys = features.empty() ? held : features;
  std::vector<std::pair<std::string, int64_t>> copied;
  for (const std::string& key : keys) {
    MATERIA_ASSIGN_OR_RETURN(const FeatureDefinition* feature, Find(key));
    if (!ContainsText(held, key)) return Status::NotFound("store " + from + " holds no rows of " + key);
    MATERIA_ASSIGN_OR_RETURN(auto stored, LatestIn(*source, *feature));
    int64_t rows = 0;
    if (stored) {
      const std::string batch = NextTemporary("copy");
      MATERIA_RETURN_IF_ERROR(connection_->Execute("CREATE TEMP TABLE " + batch + " AS SELECT * FROM " + stored->relation));
      MATERIA_ASSIGN_OR_RETURN(rows, target->Append(*connection_, key, feature->id_columns, batch));
      (void)connection_->Execute("DROP TABLE " + batch);
      MATERIA_ASSIGN_OR_RETURN(auto versions, connection_->Query("SELECT DISTINCT " + QuoteIdentifier(kFeatureVersionColumn) +
                                                                  " FROM " + stored->relation));
      for (const auto& row : versions.rows) {
        MATERIA_ASSIGN_OR_RETURN(auto definition,
                                 source->FeatureVersionDefinition(*connection_, key, row[0].value_or("")));
        if (definition) {
          MATERIA_RETURN_IF_ERROR(target->RecordFeatureVersion(*connection_, key, row[0].value_or(""), *definition));
        }
      }
    }
    MATERIA_RETURN_IF_ERROR(RefreshCatalog(*target, key));
    copied.emplace_back(key, rows);
    JsonWriter fields;
    fields.BeginObject().Key("feature").String(key).Key("from").String(from).Key("to").String(to);
    fields.Key("rows").Int(rows).EndObject();
    Log("copy", fields.str());
  }
  return copied;
}

Result<MigrateResult> FeatureEngine::Migrate(const std::string& key, const std::string& field_key,
                                             const std::string& to_code_version) {
  if (read_only_) return Status::InvalidInput("the feature engine was opened read-only");
  MATERIA_ASSIGN_OR_RETURN(const FeatureDefinition* feature, Find(key));
  if (!field_key.empty()) {
    const FieldDefinition* field = feature->FindField(field_key);
    if (field == nullptr) {
      std::vector<std::string> names;
      for (const FieldDefinition& known : feature->fields) names.push_back(known.key);
      return Status::NotFound(key + " has no field '" + field_key + "' (its fields: " + JoinText(names, ", ") + ")");
    }
    if (!to_code_version.empty() && field->code_version != to_code_version) {
      return Status::InvalidInput(field->location.ToString() + ": field '" + field_key + "' of " + key +
                                  " has code_version \"" + field->code_version + "\", not \"" + to_code_version +
                                  "\": change the definition first");
    }
  } else if (!to_code_version.empty()) {
    if (feature->fields.size() != 1) {
      return Status::InvalidInput(key + " has several fields: name one with --field");
    }
    if (feature->fields[0].code_version != to_code_version) {
      return Status::InvalidInput(feature->fields[0].location.ToString() + ": field '" + feature->fields[0].key +
                                  "' of " + key + " has code_version \"" + feature->fields[0].code_version +
                                  "\", not \"" + to_code_version + "\": change the definition first");
    }
  }
  MetadataStore& store = *primary_;
  MATERIA_ASSIGN_OR_RETURN(auto stored, LatestIn(store, *feature));
  MigrateResult result;
  if (!stored) return result;
  // A store's relation is valid until its next write, and migrate writes as it goes:
  // work from a copy of the rows as they were.
  const std::string snapshot = NextTemporary("migrate_rows");
  MATERIA_RETURN_IF_ERROR(connection_->Execute("CREATE TEMP TABLE " + snapshot + " AS SELECT * FROM " + stored->relation));
  stored->relation = snapshot;
  const std::string feature_version = graph_.FeatureVersion(key);
  // The samples written at an older feature version, per version.
  MATERIA_ASSIGN_OR_RETURN(QueryResult versions,
                           connection_->Query("SELECT DISTINCT " + QuoteIdentifier(kFeatureVersionColumn) + " FROM " +
                                              stored->relation + " WHERE " + QuoteIdentifier(kFeatureVersionColumn) +
                                              " IS DISTINCT FROM " + QuoteLiteral(feature_version)));
  const std::vector<std::string> keys = KeyColumns(*feature);
  const std::string created_at = CreatedAtSql(store, key);
  for (const auto& row : versions.rows) {
    const std::string old_version = row[0].value_or("");
    MATERIA_ASSIGN_OR_RETURN(auto definition, store.FeatureVersionDefinition(*connection_, key, old_version));
    FeatureDefinition old_feature = *feature;
    bool comparable = definition.has_value();
    if (comparable) {
      auto json = nlohmann::json::parse(*definition, nullptr, false);
      const auto& fields = json.contains("fields") ? json["fields"] : nlohmann::json::array();
      comparable = fields.is_array() && fields.size() == old_feature.fields.size();
      for (size_t i = 0; comparable && i < fields.size(); i++) {
        comparable = fields[i].value("key", "") == old_feature.fields[i].key;
        old_feature.fields[i].code_version = fields[i].value("code_version", "");
      }
    }
    const std::string at_version = "(SELECT * FROM " + stored->relation + " WHERE " +
                                   QuoteIdentifier(kFeatureVersionColumn) + " = " + QuoteLiteral(old_version) + ")";
    if (!comparable) {
      MATERIA_ASSIGN_OR_RETURN(QueryResult count, connection_->Query("SELECT count(*) FROM " + at_version));
      result.left_stale += ToInt(count.Scalar());
      continue;
    }
    MATERIA_ASSIGN_OR_RETURN(std::string missing, MissingUpstream(*feature));
    if (!missing.empty()) {  // no inputs today: nothing can be shown unchanged
      MATERIA_ASSIGN_OR_RETURN(QueryResult count, connection_->Query("SELECT count(*) FROM " + at_version));
      result.left_stale += ToInt(count.Scalar());
      continue;
    }
    // Today's inputs under the old definition and under the new one.
    std::string samples = feature->deps.empty() ? at_version : "";
    MATERIA_ASSIGN_OR_RETURN(auto inputs, Inputs(*feature, samples, key + " as stored"));
    MATERIA_ASSIGN_OR_RETURN(ExpectedSamples old_expected, BuildExpectedSamples(old_feature, inputs));
    MATERIA_ASSIGN_OR_RETURN(ExpectedSamples new_expected, BuildExpectedSamples(*feature, inputs));
    std::vector<std::string> replace;
    for (const FieldDefinition& field : feature->fields) {
      replace.push_back("n." + QuoteIdentifier(FieldProvenanceColumn(field.key)) + " AS " +
                        QuoteIdentifier(FieldProvenanceColumn(field.key)));
    }
    replace.push_back("n." + QuoteIdentifier(kProvenanceColumn) + " AS " + QuoteIdentifier(kProvenanceColumn));
    replace.push_back(QuoteLiteral(feature_version) + " AS " + QuoteIdentifier(kFeatureVersionColumn));
    replace.push_back(created_at + " AS " + QuoteIdentifier(kCreatedAtColumn));
    // Stored rows whose provenance is what the old definition gives on today's inputs:
    // only the code version moved, so the data stays and the provenance moves on.
    const std::string batch = NextTemporary("migrate");
    MATERIA_RETURN_IF_ERROR(connection_->Execute(
        "CREATE TEMP TABLE " + batch + " AS SELECT s.* REPLACE (" + JoinText(replace, ", ") + ") FROM " + at_version +
        " AS s JOIN (" + old_expected.sql + ") AS o USING (" + QuoteIdentifierList(keys) + ") JOIN (" + new_expected.sql +
        ") AS n USING (" + QuoteIdentifierList(keys) + ") WHERE s." + QuoteIdentifier(kProvenanceColumn) + " = o." +
        QuoteIdentifier(kProvenanceColumn)).WithPrefix("migrating " + key));
    MATERIA_ASSIGN_OR_RETURN(QueryResult counts, connection_->Query("SELECT (SELECT count(*) FROM " + batch +
                                                                     "), (SELECT count(*) FROM " + at_version + ")"));
    const int64_t migrated = ToInt(counts.rows[0][0]);
    result.migrated += migrated;
    result.left_stale += ToInt(counts.rows[0][1]) - migrated;
    if (migrated > 0) {
      MATERIA_RETURN_IF_ERROR(store.Append(*connection_, key, feature->id_columns, batch).status());
    }
    (void)connection_->Execute("DROP TABLE " + batch);
  }
  if (result.migrated > 0) {
    MATERIA_RETURN_IF_ERROR(
        store.RecordFeatureVersion(*connection_, key, feature_version, FeatureDefinitionJson(*feature)));
    MATERIA_RETURN_IF_ERROR(RefreshCatalog(store, key));
  }
  JsonWriter fields;
  fields.BeginObject().Key("feature").String(key).Key("store").String(store.name());
  fields.Key("migrated").Int(result.migrated).Key("left_stale").Int(result.left_stale).EndObject();
  Log("migrate", fields.str());
  return result;
}

Result<std::vector<CatalogDriftLine>> FeatureEngine::VerifyCatalog() {
  std::vector<CatalogDriftLine> drifts;
  MATERIA_ASSIGN_OR_RETURN(std::vector<MaterializationEntry> entries, catalog_->List());
  std::map<std::string, MetadataStore*> by_container;
  for (auto& store : stores_) by_container[store->container()] = store.get();
  // What each store holds: (feature, container, feature_version) -> (count, data version).
  std::map<std::tuple<std::string, std::string, std::string>, std::pair<int64_t, std::string>> held;
  for (auto& store : stores_) {
    MATERIA_ASSIGN_OR_RETURN(auto features, store->Features(*connection_));
    for (const std::string& key : features) {
      const FeatureDefinition* feature = graph_.Find(key);
      if (feature == nullptr) continue;
      MATERIA_ASSIGN_OR_RETURN(auto stored, LatestIn(*store, *feature));
      if (!stored) continue;
      MATERIA_ASSIGN_OR_RETURN(QueryResult versions,
                               connection_->Query(DigestByVersionSql(*feature, stored->relation)));
      for (const auto& row : versions.rows) {
        held[{key, store->container(), row[0].value_or("")}] = {ToInt(row[1]), row[2].value_or("")};
      }
    }
  }
  std::set<std::tuple<std::string, std::string, std::string>> registered;
  for (const MaterializationEntry& entry : entries) {
    if (!by_container.count(entry.container)) continue;  // a store this project does not configure
    auto key = std::make_tuple(entry.feature, entry.container, entry.feature_version);
    registered.insert(key);
    const std::string what = entry.feature + " " + entry.feature_version + " in " + entry.container;
    auto found = held.find(key);
    if (found == held.end()) {
      drifts.push_back({"missing", "missing: " + what + " is in the catalog (" + std::to_string(entry.sample_count) +
                                       " samples) but not in the store"});
    } else if (found->second.first != entry.sample_count) {
      drifts.push_back({"count", "count: " + what + " has " + std::to_string(found->second.first) +
                                     " samples in the store, the catalog says " + std::to_string(entry.sample_count)});
    } else if (found->second.second != entry.data_version) {
      drifts.push_back({"data", "data: " + what + " has data version " + found->second.second +
                                    " in the store, the catalog says " + entry.data_version});
    }
  }
  for (const auto& [key, value] : held) {
    if (registered.count(key)) continue;
    drifts.push_back({"unregistered", "unregistered: " + std::get<0>(key) + " " + std::get<2>(key) + " in " +
                                          std::get<1>(key) + " holds " + std::to_string(value.first) +
                                          " samples the catalog does not list"});
  }
  return drifts;
}

Result<std::string> FeatureEngine::LoadFile(const std::string& path) {
  std::error_code error;
  if (!fs::exists(path, error)) return Status::IoError("cannot read " + path + ": no such file");
  const std::string extension = fs::path(path).extension().string();
  std::string reader;
  if (extension == ".parquet") {
    reader = "read_parquet(" + QuoteLiteral(path) + ")";
  } else if (extension == ".csv") {
    reader = "read_csv(" + QuoteLiteral(path) + ", header = true)";
  } else if (extension == ".jsonl" || extension == ".ndjson" || extension == ".json") {
    reader = "read_json(" + QuoteLiteral(path) + ", format = 'newline_delimited')";
  } else {
    return Status::InvalidInput(path + ": unknown file type '" + extension +
                                "' (use .parquet, .csv or .jsonl)");
  }
  const std::string table = NextTemporary("file");
  MATERIA_RETURN_IF_ERROR(connection_->Execute("CREATE TEMP TABLE " + table + " AS SELECT * FROM " + reader)
                              .WithPrefix("reading " + path));
  return table;
}

Result<int64_t> FeatureEngine::SaveRelation(const std::string& relation, const std::string& path) {
  const std::string extension = fs::path(path).extension().string();
  std::string format;
  if (extension == ".parquet") {
    format = "FORMAT parquet";
  } else if (extension == ".csv") {
    format = "FORMAT csv, HEADER true";
  } else if (extension == ".jsonl" || extension == ".ndjson" || extension == ".json") {
    format = "FORMAT json";
  } else {
    return Status::InvalidInput(path + ": unknown file type '" + extension + "' (use .parquet, .csv or .jsonl)");
  }
  const std::string temporary = path + ".tmp-" + std::to_string(::getpid());
  MATERIA_ASSIGN_OR_RETURN(QueryResult written,
                           connection_->Query("COPY (SELECT * FROM " + relation + ") TO " + QuoteLiteral(temporary) +
                                              " (" + format + ")"));
  std::error_code error;
  fs::rename(temporary, path, error);
  if (error) {
    fs::remove(temporary, error);
    return Status::IoError("cannot write " + path + ": " + error.message());
  }
  return written.rows_changed;
}

}  // namespace materia
