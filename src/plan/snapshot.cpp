#include "plan/snapshot.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/hash.h"
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
  if (definition.kind == ModelKind::kIncrementalByTimeRange) {
    hasher.Add("cron").Add(definition.cron);  // intervals follow the cron
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
  nlohmann::json json = {
      {"path", definition.path},
      {"kind", ModelKindName(definition.kind)},
      {"cron", definition.cron},
      {"start", definition.start},
      {"tags", definition.tags},
      {"grains", definition.grains},
      {"owner", definition.owner},
      {"description", definition.description},
      {"time_column", definition.time_column},
      {"external_tables", model.external_tables},
      {"select_star", std::find(model.select_names.begin(), model.select_names.end(), "*") !=
                          model.select_names.end()},
      {"properties_hash", properties_hash},
  };
  nlohmann::json sources = nlohmann::json::array();
  for (const SourceReference& source : model.sources) {
    sources.push_back({{"function", source.function}, {"globs", source.globs}});
  }
  json["sources"] = sources;
  return json.dump();
}

}  // namespace

std::map<std::string, SnapshotRecord> ComputeSnapshots(const Project& project) {
  std::map<std::string, SnapshotRecord> snapshots;
  for (const Model& model : project.models) {  // parents first
    SnapshotRecord record;
    record.name = model.name();
    record.kind = ModelKindName(model.definition.kind);
    std::string properties_hash = PropertiesHash(model);
    record.data_hash = DataHash(model, properties_hash);
    record.query = model.rendered_query;
    record.definition_json = DefinitionJson(model, properties_hash);
    Hasher hasher;
    hasher.Add(record.data_hash);
    nlohmann::json parents = nlohmann::json::array();
    for (const std::string& parent : model.parents) {
      const std::string& fingerprint = snapshots.at(parent).fingerprint;
      hasher.Add(parent).Add(fingerprint);
      parents.push_back({{"name", parent}, {"fingerprint", fingerprint}});
    }
    record.fingerprint = hasher.Sha256().substr(0, 32);
    record.parents_json = parents.dump();
    snapshots.emplace(record.name, std::move(record));
  }
  return snapshots;
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
