#include "project/config.h"

#include "base/cron.h"
#include "base/text.h"
#include "base/time.h"
#include "base/yaml_syntax.h"
#include "db/duckdb.h"
#include "project/model_parser.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>

namespace materia {

namespace {

namespace fs = std::filesystem;

constexpr size_t kConfigBytesMax = 4 * 1024 * 1024;
constexpr int kVariableDepthMax = 16;
constexpr const char* kDefaultGateway = "local";
constexpr const char* kDefaultDatabase = "warehouse.duckdb";
constexpr const char* kDefaultStateDatabase = ".materia/state.db";

// SQLMesh's top-level keys, and Materia's own sections; all accepted.
constexpr std::string_view kTopLevelKeys[] = {
    "gateways", "default_gateway", "model_defaults", "variables", "project", "before_all",
    "after_all", "format", "ui", "plan", "linter", "cicd_bot", "users", "notification_targets",
    "default_target_environment", "physical_schema_mapping", "environment_suffix_target",
    "default_connection", "default_test_connection", "default_scheduler", "env_vars",
    "cache_dir", "extract", "pipelines", "workers", "supervisor", "serving", "features", "migration", "run",
    "environment_catalog_mapping", "environment_ttl", "snapshot_ttl"};

constexpr std::string_view kGatewayKeys[] = {
    "connection", "state_connection", "test_connection", "scheduler", "state_schema",
    "variables"};

// SQLMesh's model_defaults keys that Materia accepts and does not use yet.
constexpr std::string_view kKeptModelDefaults[] = {
    "owner", "cron_tz", "storage_format", "table_format", "physical_properties",
    "virtual_properties", "session_properties", "optimize_query", "allow_partials",
    "enabled", "formatting", "validate_query", "on_destructive_change",
    "on_additive_change", "batch_concurrency"};

// SQLMesh's model_defaults keys that would change what models do; refused rather than
// ignored, so that no model silently behaves differently than under SQLMesh.
constexpr std::string_view kUnsupportedModelDefaults[] = {
    "kind", "pre_statements", "post_statements", "on_virtual_update"};

template <size_t N>
bool Contains(const std::string_view (&names)[N], std::string_view name) {
  for (std::string_view candidate : names) {
    if (candidate == name) return true;
  }
  return false;
}

// Builds "config.yaml:line:col: message" from a node's 0-based mark.
class ConfigReader {
 public:
  explicit ConfigReader(std::string file_name) : file_name_(std::move(file_name)) {}

  Status Error(const YAML::Mark& mark, const std::string& message) const {
    if (mark.is_null()) return Status::InvalidInput(file_name_ + ": " + message);
    return Status::InvalidInput(file_name_ + ":" + std::to_string(mark.line + 1) + ":" +
                                std::to_string(mark.column + 1) + ": " + message);
  }

  Status Read(const YAML::Node& root, ProjectConfig* config) const;

 private:
  Result<std::string> Text(const YAML::Node& node, const std::string& what) const;
  Result<std::string> KeyOf(const YAML::const_iterator& entry) const;
  Status ReadTopLevelKey(const std::string& key, const YAML::Node& value,
                         const YAML::Mark& key_mark, ProjectConfig* config,
                         std::string* first_gateway) const;
  Status ReadGateways(const YAML::Node& node, ProjectConfig* config,
                      std::string* first_gateway) const;
  Status ReadGateway(const std::string& name, const YAML::Node& node, const YAML::Mark& name_mark,
                     GatewayConfig* gateway) const;
  Status ReadConnection(const std::string& what, const YAML::Node& node, std::string* type,
                        std::string* database, std::string* unsupported) const;
  Status ReadModelDefaults(const YAML::Node& node, ProjectConfig* config) const;
  Status ReadDefaultAudits(const YAML::Node& node, ProjectConfig* config) const;
  Status ReadDuration(const std::string& key, const YAML::Node& node, Duration* duration) const;
  Status ReadVariables(const YAML::Node& node, ProjectConfig* config) const;
  Status RenderVariable(const YAML::Node& node, int depth, std::string* literal,
                        std::string* text) const;
  Status CheckDefaultGateway(const YAML::Node& root, ProjectConfig* config,
                             const std::string& first_gateway) const;

  std::string file_name_;
};

Result<std::string> ConfigReader::Text(const YAML::Node& node, const std::string& what) const {
  if (node.IsNull()) return std::string();
  if (!node.IsScalar()) return Error(node.Mark(), what + " must be a single value");
  return node.Scalar();
}

Result<std::string> ConfigReader::KeyOf(const YAML::const_iterator& entry) const {
  if (!entry->first.IsScalar()) {
    return Error(entry->first.Mark(), "keys must be plain names");
  }
  return entry->first.Scalar();
}

Status ConfigReader::Read(const YAML::Node& root, ProjectConfig* config) const {
  std::string first_gateway;
  if (root.IsNull()) return CheckDefaultGateway(root, config, first_gateway);
  if (!root.IsMap()) {
    return Error(root.Mark(),
                 "expected a mapping of settings such as 'gateways:' at the top level");
  }
  std::set<std::string> seen;
  for (auto entry = root.begin(); entry != root.end(); ++entry) {
    MATERIA_ASSIGN_OR_RETURN(std::string key, KeyOf(entry));
    const YAML::Mark key_mark = entry->first.Mark();
    if (!Contains(kTopLevelKeys, key)) return Error(key_mark, "unknown key '" + key + "'");
    if (!seen.insert(key).second) return Error(key_mark, "key '" + key + "' appears twice");
    MATERIA_RETURN_IF_ERROR(ReadTopLevelKey(key, entry->second, key_mark, config, &first_gateway));
  }
  return CheckDefaultGateway(root, config, first_gateway);
}

Status ConfigReader::ReadTopLevelKey(const std::string& key, const YAML::Node& value,
                                     const YAML::Mark& key_mark, ProjectConfig* config,
                                     std::string* first_gateway) const {
  if (key == "gateways") return ReadGateways(value, config, first_gateway);
  if (key == "model_defaults") return ReadModelDefaults(value, config);
  if (key == "variables") return ReadVariables(value, config);
  if (key == "default_gateway") {
    MATERIA_ASSIGN_OR_RETURN(config->default_gateway, Text(value, "default_gateway"));
  }
  if (key == "environment_ttl") return ReadDuration(key, value, &config->environment_ttl);
  if (key == "snapshot_ttl") return ReadDuration(key, value, &config->snapshot_ttl);
  if (key == "serving" && value.IsMap()) {
    // export-serving and serve read serving.database themselves; a misspelt key here
    // would otherwise be ignored and the export land in the default file.
    for (auto entry = value.begin(); entry != value.end(); ++entry) {
      MATERIA_ASSIGN_OR_RETURN(std::string name, KeyOf(entry));
      if (name != "database") {
        return Error(entry->first.Mark(), "unknown key '" + name + "' in serving (expected database)");
      }
    }
  }
  return Status::Ok();  // the other sections are read by the parts that use them
}

Status ConfigReader::ReadGateways(const YAML::Node& node, ProjectConfig* config,
                                  std::string* first_gateway) const {
  if (node.IsNull()) return Status::Ok();
  if (!node.IsMap()) {
    return Error(node.Mark(), "gateways must be a mapping of gateway names to their settings");
  }
  for (auto entry = node.begin(); entry != node.end(); ++entry) {
    MATERIA_ASSIGN_OR_RETURN(std::string name, KeyOf(entry));
    if (config->gateways.count(name) > 0) {
      return Error(entry->first.Mark(), "gateway '" + name + "' appears twice");
    }
    GatewayConfig gateway;
    gateway.name = name;
    MATERIA_RETURN_IF_ERROR(ReadGateway(name, entry->second, entry->first.Mark(), &gateway));
    config->gateways[name] = gateway;
    if (first_gateway->empty()) *first_gateway = name;
  }
  return Status::Ok();
}

Status ConfigReader::ReadGateway(const std::string& name, const YAML::Node& node,
                                 const YAML::Mark& name_mark, GatewayConfig* gateway) const {
  if (!node.IsMap()) {
    // An empty value has no position of its own; name the gateway's line instead.
    const YAML::Mark mark = node.IsNull() ? name_mark : node.Mark();
    return Error(mark, "gateway '" + name + "' must be a mapping with a connection");
  }
  for (auto entry = node.begin(); entry != node.end(); ++entry) {
    MATERIA_ASSIGN_OR_RETURN(std::string key, KeyOf(entry));
    if (!Contains(kGatewayKeys, key)) {
      return Error(entry->first.Mark(), "unknown key '" + key + "' in gateway '" + name + "'");
    }
    if (key == "connection") {
      MATERIA_RETURN_IF_ERROR(ReadConnection("connection", entry->second, &gateway->connection_type,
                                             &gateway->database, &gateway->unsupported_engine));
    } else if (key == "state_connection") {
      MATERIA_RETURN_IF_ERROR(ReadConnection("state_connection", entry->second, &gateway->state_type,
                                             &gateway->state_database, &gateway->unsupported_engine));
    }
  }
  if (gateway->connection_type == "duckdb" && gateway->database.empty()) {
    gateway->database = kDefaultDatabase;
  }
  if (gateway->state_type == "sqlite" && gateway->state_database.empty()) {
    gateway->state_database = kDefaultStateDatabase;
  }
  return Status::Ok();
}

// Reads `type` and `database`; other keys belong to the engine and are left alone.
Status ConfigReader::ReadConnection(const std::string& what, const YAML::Node& node,
                                    std::string* type, std::string* database,
                                    std::string* unsupported) const {
  if (node.IsNull()) return Status::Ok();
  if (!node.IsMap()) {
    return Error(node.Mark(), what + " must be a mapping, e.g. {type: duckdb, database: " +
                                  kDefaultDatabase + "}");
  }
  if (node["type"]) {
    MATERIA_ASSIGN_OR_RETURN(std::string text, Text(node["type"], what + " type"));
    if (!text.empty()) *type = ToLower(text);
    // Models run on embedded DuckDB and state lives in SQLite: another engine named
    // here would be ignored, and the project would silently run somewhere else. Kept
    // as the gateway's error, reported when the gateway is the one used.
    const std::string supported = what == "connection" ? "duckdb" : "sqlite";
    if (!text.empty() && *type != supported && unsupported->empty()) {
      *unsupported = Error(node["type"].Mark(), what + " type '" + text + "' is not supported (materia " +
                                                    (what == "connection" ? "runs models on DuckDB"
                                                                          : "keeps state in SQLite") +
                                                    ": use type: " + supported + ")")
                         .message();
    }
  }
  if (node["database"]) {
    MATERIA_ASSIGN_OR_RETURN(*database, Text(node["database"], what + " database"));
  }
  return Status::Ok();
}

Status ConfigReader::ReadModelDefaults(const YAML::Node& node, ProjectConfig* config) const {
  if (node.IsNull()) return Status::Ok();
  if (!node.IsMap()) return Error(node.Mark(), "model_defaults must be a mapping");
  for (auto entry = node.begin(); entry != node.end(); ++entry) {
    MATERIA_ASSIGN_OR_RETURN(std::string key, KeyOf(entry));
    const YAML::Mark key_mark = entry->first.Mark();
    std::string* target = key == "dialect" ? &config->default_dialect
                          : key == "start" ? &config->default_start
                          : key == "cron"  ? &config->default_cron
                                           : nullptr;
    if (target != nullptr) {
      MATERIA_ASSIGN_OR_RETURN(std::string text, Text(entry->second, key));
      if (!text.empty()) *target = text;  // an empty value keeps the default
      if (key == "cron" && !text.empty()) {
        if (auto cron = Cron::Parse(text); !cron.ok()) return Error(entry->second.Mark(), cron.status().message());
      } else if (key == "start" && !text.empty()) {
        if (auto time = ParseTimestamp(text, NowMs()); !time.ok()) {
          return Error(entry->second.Mark(), "start: " + time.status().message());
        }
      }
    } else if (key == "interval_unit") {
      MATERIA_ASSIGN_OR_RETURN(std::string text, Text(entry->second, key));
      if (!text.empty() && !IsIntervalUnit(ToLower(text))) {  // empty: the default
        return Error(entry->second.Mark(), "interval_unit must be one of " + std::string(kIntervalUnitList) +
                                               ", got '" + text + "'");
      }
    } else if (key == "audits") {
      MATERIA_RETURN_IF_ERROR(ReadDefaultAudits(entry->second, config));
    } else if (Contains(kUnsupportedModelDefaults, key)) {
      return Error(key_mark, "model_defaults key '" + key + "' is not supported yet");
    } else if (!Contains(kKeptModelDefaults, key)) {
      return Error(key_mark, "unknown key '" + key + "' in model_defaults");
    }
  }
  return Status::Ok();
}

// model_defaults: audits: a list of audit calls as a MODEL header writes them:
//   audits: ["not_null(columns := (id))", assert_positive]
Status ConfigReader::ReadDefaultAudits(const YAML::Node& node, ProjectConfig* config) const {
  if (node.IsNull()) return Status::Ok();
  if (!node.IsSequence()) {
    return Error(node.Mark(), "model_defaults audits must be a list, e.g. audits: [\"not_null(columns := (id))\"]");
  }
  for (const YAML::Node& item : node) {
    MATERIA_ASSIGN_OR_RETURN(std::string text, Text(item, "an audit"));
    const YAML::Mark mark = item.Mark();
    // Quoted scalars start one column after their mark.
    int column = mark.column + 1 + (item.Tag() == "!" ? 1 : 0);
    SourceLocation start{file_name_, mark.line + 1, column};
    MATERIA_ASSIGN_OR_RETURN(AuditCall call, ParseAuditCall(text, start));
    config->default_audits.push_back(std::move(call));
  }
  return Status::Ok();
}

// An empty value keeps the default, as for model_defaults.
Status ConfigReader::ReadDuration(const std::string& key, const YAML::Node& node,
                                  Duration* duration) const {
  MATERIA_ASSIGN_OR_RETURN(std::string text, Text(node, key));
  if (text.empty()) return Status::Ok();
  Result<Duration> parsed = ParseDuration(text, key);
  if (!parsed.ok()) return Error(node.Mark(), parsed.status().message());
  *duration = *parsed;
  return Status::Ok();
}

// A scalar's SQL literal: quoted scalars are strings; plain ones may be null, a
// boolean or a number (YAML 1.2 core schema), else a string.
void RenderScalar(const YAML::Node& node, std::string* literal, std::string* text) {
  const std::string& value = node.Scalar();
  bool quoted = node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str";
  if (!quoted && IsYamlNull(value)) {
    *literal = "NULL";
    text->clear();
  } else if (!quoted && IsYamlBool(value)) {
    *literal = ToLower(value);
    *text = *literal;
  } else if (!quoted && IsYamlNumber(value)) {
    *literal = value[0] == '+' ? value.substr(1) : value;
    *text = *literal;
  } else {
    *literal = QuoteLiteral(value);
    *text = value;
  }
}

Status ConfigReader::RenderVariable(const YAML::Node& node, int depth, std::string* literal,
                                    std::string* text) const {
  if (depth > kVariableDepthMax) {
    return Error(node.Mark(),
                 "variables nest deeper than " + std::to_string(kVariableDepthMax) + " levels");
  }
  if (node.IsNull()) {
    *literal = "NULL";
    text->clear();
    return Status::Ok();
  }
  if (node.IsScalar()) {
    RenderScalar(node, literal, text);
    return Status::Ok();
  }
  // A sequence becomes a DuckDB list [a, b]; a mapping a struct {'k': v}.
  bool is_map = node.IsMap();
  std::string rendered = is_map ? "{" : "[";
  for (auto entry = node.begin(); entry != node.end(); ++entry) {
    if (rendered.size() > 1) rendered += ", ";
    std::string item_literal, item_text;
    const YAML::Node& item = is_map ? entry->second : *entry;
    MATERIA_RETURN_IF_ERROR(RenderVariable(item, depth + 1, &item_literal, &item_text));
    if (is_map) {
      MATERIA_ASSIGN_OR_RETURN(std::string key, KeyOf(entry));
      rendered += QuoteLiteral(key) + ": ";
    }
    rendered += item_literal;
  }
  *literal = rendered + (is_map ? "}" : "]");
  *text = *literal;
  return Status::Ok();
}

Status ConfigReader::ReadVariables(const YAML::Node& node, ProjectConfig* config) const {
  if (node.IsNull()) return Status::Ok();
  if (!node.IsMap()) return Error(node.Mark(), "variables must be a mapping of names to values");
  for (auto entry = node.begin(); entry != node.end(); ++entry) {
    MATERIA_ASSIGN_OR_RETURN(std::string name, KeyOf(entry));
    name = ToLower(name);  // SQLMesh's variable names are case-insensitive
    if (config->variables.count(name) > 0) {
      return Error(entry->first.Mark(), "variable '" + name + "' appears twice");
    }
    std::string literal, text;
    MATERIA_RETURN_IF_ERROR(RenderVariable(entry->second, 0, &literal, &text));
    config->variables[name] = literal;
    config->variable_text[name] = text;
  }
  return Status::Ok();
}

Status ConfigReader::CheckDefaultGateway(const YAML::Node& root, ProjectConfig* config,
                                         const std::string& first_gateway) const {
  if (config->gateways.empty()) {
    GatewayConfig local;
    local.name = kDefaultGateway;
    local.database = kDefaultDatabase;
    local.state_database = kDefaultStateDatabase;
    config->gateways[local.name] = local;
  }
  if (config->default_gateway.empty()) {
    config->default_gateway = first_gateway.empty() ? kDefaultGateway : first_gateway;
  }
  if (config->gateways.count(config->default_gateway) == 0) {
    std::string names;
    for (const auto& [name, gateway] : config->gateways)
      names += (names.empty() ? "" : ", ") + name;
    YAML::Mark mark = root.IsMap() && root["default_gateway"] ? root["default_gateway"].Mark()
                                                              : YAML::Mark::null_mark();
    return Error(mark, "default_gateway '" + config->default_gateway +
                           "' is not one of the gateways (" + names + ")");
  }
  const std::string& unsupported = config->gateways.at(config->default_gateway).unsupported_engine;
  if (!unsupported.empty()) return Status::InvalidInput(unsupported);
  return Status::Ok();
}

void ApplyEnvironment(ProjectConfig* config) {
  const char* duckdb_path = std::getenv("DUCKDB_PATH");
  if (duckdb_path != nullptr && duckdb_path[0] != '\0') {
    for (auto& [name, gateway] : config->gateways) {
      if (gateway.connection_type == "duckdb") gateway.database = duckdb_path;
    }
  }
  const char* landing_dir = std::getenv("LANDING_DIR");
  if (landing_dir != nullptr && landing_dir[0] != '\0') {
    config->variables["landing_dir"] = QuoteLiteral(landing_dir);
    config->variable_text["landing_dir"] = landing_dir;
  }
}

Result<std::string> ReadFile(const fs::path& path) {
  std::error_code error;
  uintmax_t size = fs::file_size(path, error);
  if (!error && size > kConfigBytesMax) {
    return Status::InvalidInput(path.filename().string() + ": the file is " + std::to_string(size) +
                                " bytes, more than the limit of " +
                                std::to_string(kConfigBytesMax));
  }
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    return Status::IoError("cannot read " + path.string() + ": " + std::strerror(errno));
  }
  std::ostringstream content;
  content << stream.rdbuf();
  if (stream.bad()) return Status::IoError("cannot read " + path.string());
  return content.str();
}

fs::path AbsoluteDirectory(const std::string& project_dir) {
  std::error_code error;
  fs::path absolute = fs::absolute(project_dir.empty() ? "." : project_dir, error);
  if (error) absolute = project_dir;
  absolute = absolute.lexically_normal();
  if (!absolute.has_filename() && absolute.has_parent_path() && absolute != absolute.root_path()) {
    absolute = absolute.parent_path();
  }
  return absolute;
}

}  // namespace

Result<ProjectConfig> LoadConfig(const std::string& project_dir) {
  fs::path directory = AbsoluteDirectory(project_dir);
  fs::path path = directory / "config.yaml";
  std::error_code error;
  if (!fs::is_regular_file(path, error)) path = directory / "config.yml";
  if (!fs::is_regular_file(path, error)) {
    return Status::NotFound("no config.yaml in " + directory.string() +
                            " (is this a Materia project?)");
  }
  MATERIA_ASSIGN_OR_RETURN(std::string content, ReadFile(path));
  ProjectConfig config;
  config.project_dir = directory.string();
  ConfigReader reader(path.filename().string());
  try {
    YAML::Node root = YAML::Load(content);
    MATERIA_RETURN_IF_ERROR(reader.Read(root, &config));
  } catch (const YAML::Exception& exception) {
    YamlSyntaxError syntax = ExplainYamlError(content, exception);
    return reader.Error(syntax.mark, syntax.message);
  }
  ApplyEnvironment(&config);
  return config;
}

}  // namespace materia
