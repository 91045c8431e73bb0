// config.yaml: the project's settings, SQLMesh-compatible where SQLMesh has a key.
//
//   gateways:
//     local:
//       connection: {type: duckdb, database: warehouse.duckdb}
//       state_connection: {type: sqlite, database: .materia/state.db}   # optional
//   default_gateway: local
//   model_defaults: {dialect: duckdb, start: 2024-01-01, cron: '@daily'}
//   variables: {landing_dir: data/landing, n: 3}
//
// Environment variables override paths: DUCKDB_PATH replaces the gateway's database,
// LANDING_DIR the `landing_dir` variable. Unknown top-level keys are errors (with
// "config.yaml:line:col"), so typos do not pass silently. Thread-safe once loaded.
//
// Details: SQLMesh's other top-level keys (project, before_all, plan, linter, ...) and
// Materia's own sections (extract, pipelines, workers, serving, features) are
// accepted and left to the parts that read them; environment_ttl and snapshot_ttl are
// durations ("in 1 week", "3 days", see base/duration.h). Gateway keys are SQLMesh's
// (connection, state_connection, test_connection, scheduler, state_schema,
// variables); of a connection only `type` and `database` are read. The first gateway
// in the file is the default when default_gateway is absent. model_defaults reads
// dialect, start and cron, accepts SQLMesh's metadata keys (owner, storage_format,
// ...), and refuses kind, pre_statements, post_statements and on_virtual_update as
// not supported yet. Variable names are lower-cased (SQLMesh's are case-insensitive);
// YAML 1.2 plain scalars become numbers, true/false or NULL, everything else (and any
// quoted scalar) a string; a list becomes a DuckDB list ['a', 1], a mapping a struct
// {'k': 'v'}. DUCKDB_PATH applies to every duckdb gateway; empty variables are unset.
//
// Errors, kInvalidInput unless said otherwise (positions are 1-based):
//   no config.yaml in /abs/dir (is this a Materia project?)      kNotFound
//   config.yaml:3:1: unknown key 'modle_defaults'
//   config.yaml:2:1: key 'variables' appears twice
//   config.yaml:2:1: end of sequence flow not found              (YAML syntax, yaml-cpp's words)
//   config.yaml:3:3: unknown key 'statr' in model_defaults
//   config.yaml:2:3: model_defaults key 'kind' is not supported yet
//   config.yaml:3:5: unknown key 'conection' in gateway 'local'
//   config.yaml:4:18: default_gateway 'prod' is not one of the gateways (ci, local)
//   config.yaml:1:18: default_gateway must be a single value
//   config.yaml:3:3: variable 'n' appears twice
//   config.yaml:1:18: invalid environment_ttl 'soon': expected a count and a unit, such as ...
//   "... must be a mapping" for gateways, a gateway, connection, model_defaults, variables;
//   "expected a mapping of settings such as 'gateways:' at the top level";
//   "keys must be plain names"; "variables nest deeper than 16 levels".
// The file name in messages is the one found (config.yaml or config.yml).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/duration.h"
#include "base/status.h"
#include "project/model.h"

namespace materia {

struct GatewayConfig {
  std::string name;
  std::string connection_type = "duckdb";
  std::string database;        // warehouse file; relative paths are project-relative
  std::string state_type = "sqlite";
  std::string state_database;  // default ".materia/state.db"
  // "config.yaml:3:24: connection type 'postgres' is not supported ...": an engine
  // materia cannot use; an error only when this gateway is the one used.
  std::string unsupported_engine;
};

struct ProjectConfig {
  std::string project_dir;   // absolute
  std::map<std::string, GatewayConfig> gateways;
  std::string default_gateway;
  std::string default_dialect = "duckdb";
  std::string default_start;  // as written; empty = "yesterday" at plan time
  std::string default_cron = "@daily";
  // Variables as SQL literals ('text', 42, true), for @VAR.
  std::map<std::string, std::string> variables;
  // Variables as plain text (the string without quotes), for paths and display.
  std::map<std::string, std::string> variable_text;
  // How long a development environment lives after its last promotion, and an unused
  // snapshot after its creation, before `materia janitor` removes it (SQLMesh's
  // environment_ttl and snapshot_ttl, both "in 1 week" by default).
  Duration environment_ttl{1, DurationUnit::kWeek};
  Duration snapshot_ttl{1, DurationUnit::kWeek};
  // model_defaults' audits: every model runs them, before its own.
  std::vector<AuditCall> default_audits;

  const GatewayConfig& gateway() const { return gateways.at(default_gateway); }
};

// Reads `project_dir`/config.yaml (or config.yml), applies environment overrides
// and defaults. A project with no gateways gets one named "local" with database
// "warehouse.duckdb". Errors: "config.yaml:3:5: unknown key 'modle_defaults'" etc.
Result<ProjectConfig> LoadConfig(const std::string& project_dir);

}  // namespace materia
