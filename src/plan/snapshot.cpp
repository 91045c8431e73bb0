#include "plan/snapshot.h"

#include <algorithm>


#include "base/hash.h"
#include "base/json_writer.h"
#include "base/parallel.h"
#include "db/duckdb.h"

namespace materia {

namespace {

// Everything but the query that determines the data: kind and its properties, the seed
// file, pre/post statements. A change here is always breaking.
std::string PropertiesHash(const Model& model) {
  const ModelDefinition& definition = model.definition;
  Hasher hasher;
  hasher.Add(ModelKindName(definition.kind));
  hasher.Add(definition.time_column).Add(definition.time_column_format);
  if (IsIncrementalKind(definition.kind)) {
    hasher.Add("cron").Add(definition.cron);  // intervals follow the cron
  }
  if (IsScdKind(definition.kind)) {
    hasher.Add("scd").Add(definition.valid_from_name).Add(definition.valid_to_name);
    hasher.Add(definition.updated_at_name).Add(definition.time_data_type);
    hasher.Add(definition.invalidate_hard_deletes ? "invalidate" : "keep");
    hasher.Add(definition.updated_at_as_valid_from ? "updated_at" : "");
    hasher.Add(definition.execution_time_as_valid_from ? "execution_time" : "");
    for (const std::string& column : definition.scd_columns) hasher.Add(column);
  }
  if (definition.kind == ModelKind::kIncrementalByUniqueKey || IsScdKind(definition.kind)) {
    hasher.Add("unique_key");
    for (const std::string& column : definition.unique_key) hasher.Add(column);
    hasher.Add("when_matched").Add(definition.when_matched);
    hasher.Add("merge_filter").Add(definition.merge_filter);
  }
  auto columns = definition.properties.find("columns");
  if (columns != definition.properties.end()) hasher.Add("columns").Add(columns->second);
  hasher.Add(model.seed_content_hash);
  for (const auto& [key, value] : definition.seed_csv_settings) hasher.Add(key).Add(value);
  for (const std::string& statement : definition.pre_statements) hasher.Add("pre").Add(statement);
  for (const std::string& statement : definition.post_statements) hasher.Add("post").Add(statement);
  return hasher.Sha256();
}

std::string DataHash(const Model& model, const std::string& properties_hash) {
  return Hasher().Add(properties_hash).Add(model.query_hash).Sha256();
}

std::string DefinitionJson(const Model& model, const std::string& properties_hash) {
  const ModelDefinition& definition = model.definition;
  JsonWriter json;
  json.BeginObject();
  json.Key("path").String(definition.path);
  json.Key("kind").String(ModelKindName(definition.kind));
  json.Key("cron").String(definition.cron);
  json.Key("start").String(definition.start);
  json.Key("tags").StringArray(definition.tags);
  json.Key("grains").BeginArray();
  for (const std::vector<std::string>& grain : definition.grains) json.StringArray(grain);
  json.EndArray();
  json.Key("owner").String(definition.owner);
  json.Key("description").String(definition.description);
  json.Key("time_column").String(definition.time_column);
  json.Key("external_tables").StringArray(model.external_tables);
  json.Key("select_star").Bool(std::find(model.select_names.begin(), model.select_names.end(),
                                         "*") != model.select_names.end());
  json.Key("properties_hash").String(properties_hash);
  json.Key("sources").BeginArray();
  for (const SourceReference& source : model.sources) {
    json.BeginObject().Key("function").String(source.function).Key("globs").StringArray(source.globs);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
  return json.Take();
}

}  // namespace

std::map<std::string, SnapshotRecord> ComputeSnapshots(const Project& project) {
  // What each model determines alone, on all cores; then the fingerprints, which
  // chain through parents, in topological order.
  std::vector<SnapshotRecord> records(project.models.size());
  ParallelFor(project.models.size(), 0, [&](size_t i) {
    const Model& model = project.models[i];
    SnapshotRecord& record = records[i];
    record.name = model.name();
    record.kind = ModelKindName(model.definition.kind);
    std::string properties_hash = PropertiesHash(model);
    record.data_hash = DataHash(model, properties_hash);
    record.query = model.rendered_query;
    record.definition_json = DefinitionJson(model, properties_hash);
  });
  std::map<std::string, SnapshotRecord> snapshots;
  for (size_t i = 0; i < project.models.size(); i++) {  // parents first
    ChainFingerprint(project.models[i], snapshots, &records[i]);
    snapshots.emplace(records[i].name, std::move(records[i]));
  }
  return snapshots;
}

void ChainFingerprint(const Model& model, const std::map<std::string, SnapshotRecord>& snapshots,
                      SnapshotRecord* record) {
  Hasher hasher;
  hasher.Add(record->data_hash);
  JsonWriter parents;
  parents.BeginArray();
  for (const std::string& parent : model.parents) {
    const std::string& fingerprint = snapshots.at(parent).fingerprint;
    hasher.Add(parent).Add(fingerprint);
    parents.BeginObject().Key("name").String(parent).Key("fingerprint").String(fingerprint).EndObject();
  }
  parents.EndArray();
  record->fingerprint = hasher.Sha256().substr(0, 32);
  record->parents_json = parents.Take();
}

std::string PreviewFingerprint(const std::string& fingerprint) {
  return Hasher().Add(fingerprint).Add("preview").Sha256().substr(0, 32);
}

std::pair<std::string, std::string> SplitModelName(const std::string& name) {
  size_t dot = name.find('.');
  if (dot == std::string::npos) return {"main", name};
  return {name.substr(0, dot), name.substr(dot + 1)};
}

std::string PhysicalSchema(const std::string& schema) { return "materia__" + schema; }

std::string PhysicalTableName(const std::string& schema, const std::string& table,
                              const std::string& version) {
  return schema + "__" + table + "__" + version;
}

std::string QualifiedPhysicalTable(const std::string& model_name, const std::string& version) {
  auto [schema, table] = SplitModelName(model_name);
  return QuoteIdentifier(PhysicalSchema(schema)) + "." +
         QuoteIdentifier(PhysicalTableName(schema, table, version));
}

std::string EnvironmentSchema(const std::string& schema, const std::string& environment) {
  return environment == "prod" ? schema : schema + "__" + environment;
}

bool ValidEnvironmentName(const std::string& name) {
  if (name.empty() || name.size() > 48) return false;
  for (char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          c == '_')) {
      return false;
    }
  }
  return true;
}

}  // namespace materia
