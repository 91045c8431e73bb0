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
#pragma once

#include <map>
#include <string>

#include "base/status.h"

namespace materia {

struct GatewayConfig {
  std::string name;
  std::string connection_type = "duckdb";
  std::string database;        // warehouse file; relative paths are project-relative
  std::string state_type = "sqlite";
  std::string state_database;  // default ".materia/state.db"
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

  const GatewayConfig& gateway() const { return gateways.at(default_gateway); }
};

// Reads `project_dir`/config.yaml (or config.yml), applies environment overrides
// and defaults. A project with no gateways gets one named "local" with database
// "warehouse.duckdb". Errors: "config.yaml:3:5: unknown key 'modle_defaults'" etc.
Result<ProjectConfig> LoadConfig(const std::string& project_dir);

}  // namespace materia
