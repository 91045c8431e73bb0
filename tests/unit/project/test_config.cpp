#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "project/config.h"

namespace materia {
namespace {

namespace fs = std::filesystem;

// Each test gets a fresh project directory and a clean environment.
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    directory_ = fs::temp_directory_path() / ("materia_config_test_" + std::to_string(getpid()) +
                                              "_" + std::to_string(counter++));
    fs::remove_all(directory_);
    fs::create_directories(directory_);
    unsetenv("DUCKDB_PATH");
    unsetenv("LANDING_DIR");
  }

  void TearDown() override {
    unsetenv("DUCKDB_PATH");
    unsetenv("LANDING_DIR");
    fs::remove_all(directory_);
  }

  void Write(const std::string& content, const std::string& name = "config.yaml") {
    std::ofstream(directory_ / name) << content;
  }

  ProjectConfig Load(const std::string& content) {
    Write(content);
    Result<ProjectConfig> config = LoadConfig(directory_.string());
    EXPECT_TRUE(config.ok()) << config.status().message();
    return config.ok() ? config.value() : ProjectConfig();
  }

  std::string ErrorOf(const std::string& content) {
    Write(content);
    Result<ProjectConfig> config = LoadConfig(directory_.string());
    if (config.ok()) return "ok";
    EXPECT_EQ(config.status().code(), StatusCode::kInvalidInput);
    return config.status().message();
  }

  fs::path directory_;
};

TEST_F(ConfigTest, ReadsTheDocumentedExample) {
  ProjectConfig config = Load(R"(gateways:
  local:
    connection: {type: duckdb, database: warehouse.duckdb}
    state_connection: {type: sqlite, database: .materia/state.db}
default_gateway: local
model_defaults: {dialect: duckdb, start: 2024-01-01, cron: '@daily'}
variables: {landing_dir: data/landing, n: 3}
)");
  EXPECT_EQ(config.project_dir, directory_.string());
  ASSERT_EQ(config.gateways.size(), 1u);
  const GatewayConfig& gateway = config.gateway();
  EXPECT_EQ(gateway.name, "local");
  EXPECT_EQ(gateway.connection_type, "duckdb");
  EXPECT_EQ(gateway.database, "warehouse.duckdb");
  EXPECT_EQ(gateway.state_type, "sqlite");
  EXPECT_EQ(gateway.state_database, ".materia/state.db");
  EXPECT_EQ(config.default_gateway, "local");
  EXPECT_EQ(config.default_dialect, "duckdb");
  EXPECT_EQ(config.default_start, "2024-01-01");
  EXPECT_EQ(config.default_cron, "@daily");
  EXPECT_EQ(config.variables.at("landing_dir"), "'data/landing'");
  EXPECT_EQ(config.variable_text.at("landing_dir"), "data/landing");
  EXPECT_EQ(config.variables.at("n"), "3");
  EXPECT_EQ(config.variable_text.at("n"), "3");
}

TEST_F(ConfigTest, EmptyConfigGetsDefaults) {
  for (const std::string content : {"", "# only a comment\n", "---\n"}) {
    ProjectConfig config = Load(content);
    ASSERT_EQ(config.gateways.size(), 1u) << content;
    EXPECT_EQ(config.default_gateway, "local");
    EXPECT_EQ(config.gateway().name, "local");
    EXPECT_EQ(config.gateway().connection_type, "duckdb");
    EXPECT_EQ(config.gateway().database, "warehouse.duckdb");
    EXPECT_EQ(config.gateway().state_type, "sqlite");
    EXPECT_EQ(config.gateway().state_database, ".materia/state.db");
    EXPECT_EQ(config.default_dialect, "duckdb");
    EXPECT_EQ(config.default_start, "");
    EXPECT_EQ(config.default_cron, "@daily");
    EXPECT_TRUE(config.variables.empty());
  }
}

TEST_F(ConfigTest, GatewayDefaultsFillMissingSettings) {
  ProjectConfig config = Load("gateways:\n  dev:\n    connection:\n      type: duckdb\n");
  EXPECT_EQ(config.default_gateway, "dev");
  EXPECT_EQ(config.gateway().database, "warehouse.duckdb");
  EXPECT_EQ(config.gateway().state_database, ".materia/state.db");
}

TEST_F(ConfigTest, FirstGatewayInTheFileIsTheDefault) {
  ProjectConfig config = Load(R"(gateways:
  zeta:
    connection: {type: duckdb, database: zeta.duckdb}
  alpha:
    connection: {type: duckdb, database: alpha.duckdb}
)");
  EXPECT_EQ(config.default_gateway, "zeta");
  EXPECT_EQ(config.gateway().database, "zeta.duckdb");
}

TEST_F(ConfigTest, DefaultGatewayChoosesAmongGateways) {
  ProjectConfig config = Load(R"(gateways:
  local:
    connection: {type: duckdb, database: local.duckdb}
  shared:
    connection: {type: duckdb, database: /data/shared.duckdb, extensions: [spatial]}
    state_connection: {type: sqlite, database: /data/state.db}
    state_schema: materia
default_gateway: shared
)");
  EXPECT_EQ(config.default_gateway, "shared");
  EXPECT_EQ(config.gateway().database, "/data/shared.duckdb");
  EXPECT_EQ(config.gateway().state_type, "sqlite");
  EXPECT_EQ(config.gateway().state_database, "/data/state.db");
  EXPECT_EQ(config.gateways.at("local").database, "local.duckdb");
}

TEST_F(ConfigTest, RendersVariablesAsSqlLiterals) {
  ProjectConfig config = Load(R"(variables:
  text: hello world
  quoted_number: '42'
  quote: "it's"
  integer: 42
  negative: -7
  plus: +3
  decimal: 2.5
  exponent: 1e3
  yes_text: yes
  truth: True
  falsity: false
  nothing: null
  tilde: ~
  empty:
  date: 2024-01-01
  Upper_Case: x
  list: [a, 1, true]
  mapping: {k: v, n: 2}
)");
  auto literal = [&](const std::string& name) { return config.variables.at(name); };
  auto text = [&](const std::string& name) { return config.variable_text.at(name); };
  EXPECT_EQ(literal("text"), "'hello world'");
  EXPECT_EQ(text("text"), "hello world");
  EXPECT_EQ(literal("quoted_number"), "'42'");
  EXPECT_EQ(text("quoted_number"), "42");
  EXPECT_EQ(literal("quote"), "'it''s'");
  EXPECT_EQ(text("quote"), "it's");
  EXPECT_EQ(literal("integer"), "42");
  EXPECT_EQ(literal("negative"), "-7");
  EXPECT_EQ(literal("plus"), "3");
  EXPECT_EQ(literal("decimal"), "2.5");
  EXPECT_EQ(literal("exponent"), "1e3");
  EXPECT_EQ(literal("yes_text"), "'yes'");
  EXPECT_EQ(literal("truth"), "true");
  EXPECT_EQ(text("truth"), "true");
  EXPECT_EQ(literal("falsity"), "false");
  EXPECT_EQ(literal("nothing"), "NULL");
  EXPECT_EQ(text("nothing"), "");
  EXPECT_EQ(literal("tilde"), "NULL");
  EXPECT_EQ(literal("empty"), "NULL");
  EXPECT_EQ(literal("date"), "'2024-01-01'");
  EXPECT_EQ(literal("upper_case"), "'x'");
  EXPECT_EQ(config.variables.count("Upper_Case"), 0u);
  EXPECT_EQ(literal("list"), "['a', 1, true]");
  EXPECT_EQ(literal("mapping"), "{'k': 'v', 'n': 2}");
}

TEST_F(ConfigTest, EmptyModelDefaultsKeepTheBuiltInDefaults) {
  ProjectConfig config = Load("model_defaults:\n  cron:\n  dialect:\n  start: 1 year ago\n");
  EXPECT_EQ(config.default_cron, "@daily");
  EXPECT_EQ(config.default_dialect, "duckdb");
  EXPECT_EQ(config.default_start, "1 year ago");
}

TEST_F(ConfigTest, ExplicitStringTagKeepsAString) {
  ProjectConfig config = Load("variables:\n  code: !!str 42\n  flag: !!str true\n");
  EXPECT_EQ(config.variables.at("code"), "'42'");
  EXPECT_EQ(config.variables.at("flag"), "'true'");
}

TEST_F(ConfigTest, EnvironmentOverridesPaths) {
  setenv("DUCKDB_PATH", "/tmp/other.duckdb", 1);
  setenv("LANDING_DIR", "/mnt/landing's", 1);
  ProjectConfig config = Load(R"(gateways:
  local:
    connection: {type: duckdb, database: warehouse.duckdb}
variables: {landing_dir: data/landing}
)");
  EXPECT_EQ(config.gateway().database, "/tmp/other.duckdb");
  EXPECT_EQ(config.variables.at("landing_dir"), "'/mnt/landing''s'");
  EXPECT_EQ(config.variable_text.at("landing_dir"), "/mnt/landing's");
}

TEST_F(ConfigTest, EnvironmentOverridesApplyToTheDefaultGatewayToo) {
  setenv("DUCKDB_PATH", "env.duckdb", 1);
  setenv("LANDING_DIR", "landing", 1);
  ProjectConfig config = Load("");
  EXPECT_EQ(config.gateway().database, "env.duckdb");
  EXPECT_EQ(config.variable_text.at("landing_dir"), "landing");
}

TEST_F(ConfigTest, EmptyEnvironmentVariablesAreIgnored) {
  setenv("DUCKDB_PATH", "", 1);
  setenv("LANDING_DIR", "", 1);
  ProjectConfig config = Load("variables: {landing_dir: data/landing}\n");
  EXPECT_EQ(config.gateway().database, "warehouse.duckdb");
  EXPECT_EQ(config.variable_text.at("landing_dir"), "data/landing");
}

TEST_F(ConfigTest, RelativeDatabasePathsStayRelative) {
  ProjectConfig config = Load("gateways:\n  local:\n    connection: {database: data/w.duckdb}\n");
  EXPECT_EQ(config.gateway().database, "data/w.duckdb");
}

TEST_F(ConfigTest, ReadsConfigYml) {
  Write("variables: {n: 1}\n", "config.yml");
  Result<ProjectConfig> config = LoadConfig(directory_.string());
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->variables.at("n"), "1");
}

TEST_F(ConfigTest, ProjectDirIsAbsoluteAndNormal) {
  Write("");
  Result<ProjectConfig> config = LoadConfig(directory_.string() + "/./");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->project_dir, directory_.string());

  fs::path previous = fs::current_path();
  fs::current_path(directory_);
  Result<ProjectConfig> relative = LoadConfig(".");
  fs::current_path(previous);
  ASSERT_TRUE(relative.ok()) << relative.status().message();
  EXPECT_EQ(relative->project_dir, fs::canonical(directory_).string());
}

TEST_F(ConfigTest, AcceptsSqlmeshAndMateriaSections) {
  ProjectConfig config = Load(R"(project: psd
before_all: ["SET threads = 4"]
after_all: []
format: {normalize: true}
ui: {format_on_save: false}
plan: {auto_categorize_changes: {sql: full}}
linter: {enabled: false}
cicd_bot: {type: github}
users: []
notification_targets: []
default_target_environment: dev
physical_schema_mapping: {}
environment_suffix_target: schema
default_connection: {type: duckdb}
default_test_connection: {type: duckdb}
default_scheduler: {type: builtin}
env_vars: {A: b}
cache_dir: .cache
extract: {psd: {url: 'https://example.com/psd.zip'}}
pipelines: {}
workers: {count: 2}
serving: {database: served.duckdb}
features: {}
model_defaults:
  dialect: duckdb
  owner: data-team
  storage_format: parquet
  audits: [not_null]
  enabled: true
)");
  EXPECT_EQ(config.default_gateway, "local");
}

TEST_F(ConfigTest, ModelDefaultAuditsAreParsedLikeHeaderAudits) {
  ProjectConfig config = Load(R"yaml(model_defaults:
  audits:
    - "not_null(columns := (id, name))"
    - at_least_one(column := id)
    - assert_positive
)yaml");
  ASSERT_EQ(config.default_audits.size(), 3u);
  EXPECT_EQ(config.default_audits[0].name, "not_null");
  ASSERT_EQ(config.default_audits[0].arguments.size(), 1u);
  EXPECT_EQ(config.default_audits[0].arguments[0].items, (std::vector<std::string>{"id", "name"}));
  EXPECT_EQ(config.default_audits[1].name, "at_least_one");
  EXPECT_EQ(config.default_audits[2].name, "assert_positive");
  EXPECT_EQ(config.default_audits[0].location.ToString(), "config.yaml:3:8");  // after the quote
  EXPECT_EQ(config.default_audits[2].location.ToString(), "config.yaml:5:7");
}

// --- Invalid configs ------------------------------------------------------------------

TEST_F(ConfigTest, BadModelDefaultAudits) {
  EXPECT_EQ(ErrorOf("model_defaults:\n  audits: not_null\n"),
            "config.yaml:2:11: model_defaults audits must be a list, e.g. audits: "
            "[\"not_null(columns := (id))\"]");
  EXPECT_EQ(ErrorOf("model_defaults:\n  audits:\n    - not_null(id)\n"),
            "config.yaml:3:16: arguments of audit not_null must be written name := value, found "
            "'id'");
  EXPECT_EQ(ErrorOf("model_defaults:\n  audits:\n    - not_null, unique_values\n"),
            "config.yaml:3:17: one audit per entry");
}

TEST_F(ConfigTest, MissingConfigIsNotFound) {
  Result<ProjectConfig> config = LoadConfig(directory_.string());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(config.status().message(),
            "no config.yaml in " + directory_.string() + " (is this a Materia project?)");
}

TEST_F(ConfigTest, MissingDirectoryIsNotFound) {
  Result<ProjectConfig> config = LoadConfig((directory_ / "nope").string());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(config.status().message(), "no config.yaml in " + (directory_ / "nope").string() +
                                           " (is this a Materia project?)");
}

TEST_F(ConfigTest, UnknownTopLevelKey) {
  EXPECT_EQ(ErrorOf("gateways: {}\n\nmodle_defaults: {dialect: duckdb}\n"),
            "config.yaml:3:1: unknown key 'modle_defaults'");
}

TEST_F(ConfigTest, UnknownKeyNamesConfigYml) {
  Write("  varibles: {}\n", "config.yml");
  Result<ProjectConfig> config = LoadConfig(directory_.string());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(), "config.yml:1:3: unknown key 'varibles'");
}

TEST_F(ConfigTest, DuplicateTopLevelKey) {
  EXPECT_EQ(ErrorOf("variables: {a: 1}\nvariables: {b: 2}\n"),
            "config.yaml:2:1: key 'variables' appears twice");
}

TEST_F(ConfigTest, YamlSyntaxErrorsCarryTheirPosition) {
  EXPECT_EQ(ErrorOf("variables: [1, 2\n"), "config.yaml:2:1: end of sequence flow not found");
  EXPECT_EQ(ErrorOf("variables: a: b\n"), "config.yaml:1:13: illegal map value");
  EXPECT_EQ(ErrorOf("variables: {a: *missing}\n"),
            "config.yaml:1:16: the referenced anchor is not defined");
}

TEST_F(ConfigTest, TopLevelMustBeAMapping) {
  EXPECT_EQ(ErrorOf("- gateways\n"),
            "config.yaml:1:1: expected a mapping of settings such as 'gateways:' at the top level");
  EXPECT_EQ(ErrorOf("just text\n"),
            "config.yaml:1:1: expected a mapping of settings such as 'gateways:' at the top level");
}

TEST_F(ConfigTest, TabIndentationIsNamedAtTheTab) {
  EXPECT_EQ(ErrorOf("model_defaults:\n  dialect: duckdb\n\tstart: 2024-01-01\n"),
            "config.yaml:3:1: a tab indents this line; YAML indents with spaces only");
  EXPECT_EQ(ErrorOf("gateways:\n  local:\n  \t connection: {type: duckdb}\n"),
            "config.yaml:3:3: a tab indents this line; YAML indents with spaces only");
  // A tab elsewhere (a block scalar's line) is valid: another error keeps its words.
  EXPECT_EQ(ErrorOf("variables:\n  note: |\n    one\n    \ttwo\n  y: a: b\n"), "config.yaml:5:7: illegal map value");
  EXPECT_EQ(ErrorOf("variables: {a: [1, 2}\n").find("tab"), std::string::npos);
}

TEST_F(ConfigTest, ModelDefaultsScheduleIsCheckedWhereItIsWritten) {
  EXPECT_EQ(ErrorOf("model_defaults:\n  cron: '61 * * * *'\n"),
            "config.yaml:2:9: invalid cron '61 * * * *': minute field: 61 is out of range 0-59");
  EXPECT_EQ(ErrorOf("model_defaults: {start: soon}\n"),
            "config.yaml:1:25: start: invalid date or time 'soon'");
  EXPECT_EQ(ErrorOf("model_defaults: {interval_unit: week}\n"),
            "config.yaml:1:33: interval_unit must be one of year, month, day, hour, half_hour, "
            "quarter_hour, five_minute, got 'week'");
  EXPECT_EQ(Load("model_defaults: {interval_unit: HOUR, start: 1 year ago}\n").default_start, "1 year ago");
  EXPECT_EQ(Load("model_defaults: {interval_unit: , cron: '', start: ''}\n").default_cron, "@daily");
}

TEST_F(ConfigTest, UnknownServingKey) {
  EXPECT_EQ(ErrorOf("serving:\n  database: s.duckdb\n  path: x\n"),
            "config.yaml:3:3: unknown key 'path' in serving (expected database)");
}

TEST_F(ConfigTest, KeysMustBePlainNames) {
  EXPECT_EQ(ErrorOf("? [a, b]\n: 1\n"), "config.yaml:1:3: keys must be plain names");
}

TEST_F(ConfigTest, UnknownModelDefaultsKey) {
  EXPECT_EQ(ErrorOf("model_defaults:\n  dialect: duckdb\n  statr: 2024-01-01\n"),
            "config.yaml:3:3: unknown key 'statr' in model_defaults");
}

TEST_F(ConfigTest, ModelDefaultsThatChangeModelsAreNotSupported) {
  EXPECT_EQ(ErrorOf("model_defaults:\n  kind: FULL\n"),
            "config.yaml:2:3: model_defaults key 'kind' is not supported yet");
  EXPECT_EQ(ErrorOf("model_defaults: {dialect: duckdb, pre_statements: ['SET x = 1']}\n"),
            "config.yaml:1:35: model_defaults key 'pre_statements' is not supported yet");
  EXPECT_EQ(ErrorOf("model_defaults: {post_statements: []}\n"),
            "config.yaml:1:18: model_defaults key 'post_statements' is not supported yet");
  EXPECT_EQ(ErrorOf("model_defaults: {on_virtual_update: []}\n"),
            "config.yaml:1:18: model_defaults key 'on_virtual_update' is not supported yet");
}

TEST_F(ConfigTest, SectionsMustBeMappings) {
  EXPECT_EQ(ErrorOf("model_defaults: [duckdb]\n"),
            "config.yaml:1:17: model_defaults must be a mapping");
  EXPECT_EQ(ErrorOf("variables: [a, b]\n"),
            "config.yaml:1:12: variables must be a mapping of names to values");
  EXPECT_EQ(ErrorOf("gateways: local\n"),
            "config.yaml:1:11: gateways must be a mapping of gateway names to their settings");
  EXPECT_EQ(ErrorOf("gateways:\n  local: warehouse.duckdb\n"),
            "config.yaml:2:10: gateway 'local' must be a mapping with a connection");
  EXPECT_EQ(ErrorOf("gateways:\n  local:\n"),
            "config.yaml:2:3: gateway 'local' must be a mapping with a connection");
  EXPECT_EQ(ErrorOf("gateways:\n  local:\n    connection: warehouse.duckdb\n"),
            "config.yaml:3:17: connection must be a mapping, e.g. {type: duckdb, database: "
            "warehouse.duckdb}");
  EXPECT_EQ(ErrorOf("gateways:\n  local:\n    state_connection: [sqlite]\n"),
            "config.yaml:3:23: state_connection must be a mapping, e.g. {type: duckdb, database: "
            "warehouse.duckdb}");
}

TEST_F(ConfigTest, ValuesMustBeSingle) {
  EXPECT_EQ(ErrorOf("default_gateway: [a, b]\n"),
            "config.yaml:1:18: default_gateway must be a single value");
  EXPECT_EQ(ErrorOf("model_defaults: {cron: [a]}\n"),
            "config.yaml:1:24: cron must be a single value");
  EXPECT_EQ(ErrorOf("gateways:\n  local:\n    connection: {database: {a: 1}}\n"),
            "config.yaml:3:28: connection database must be a single value");
}

TEST_F(ConfigTest, UnknownGatewayKey) {
  EXPECT_EQ(ErrorOf("gateways:\n  local:\n    conection: {type: duckdb}\n"),
            "config.yaml:3:5: unknown key 'conection' in gateway 'local'");
}

TEST_F(ConfigTest, OnlyTheEnginesMateriaRunsOnAreAccepted) {
  EXPECT_EQ(ErrorOf("gateways:\n  local:\n    connection: {type: postgres, database: x}\n"),
            "config.yaml:3:24: connection type 'postgres' is not supported (materia runs models on DuckDB: "
            "use type: duckdb)");
  EXPECT_EQ(ErrorOf("gateways:\n  local:\n    state_connection: {type: postgres}\n"),
            "config.yaml:3:30: state_connection type 'postgres' is not supported (materia keeps state in "
            "SQLite: use type: sqlite)");
  EXPECT_EQ(Load("gateways:\n  local:\n    connection: {type: DuckDB}\n").gateway().connection_type, "duckdb");
  // A gateway that is not used may name any engine.
  EXPECT_EQ(Load("gateways:\n  local: {connection: {type: duckdb}}\n  cloud: {connection: {type: snowflake}}\n"
                 "default_gateway: local\n")
                .default_gateway,
            "local");
  EXPECT_EQ(ErrorOf("gateways:\n  local: {connection: {type: duckdb}}\n  cloud: {connection: {type: snowflake}}\n"
                    "default_gateway: cloud\n"),
            "config.yaml:3:30: connection type 'snowflake' is not supported (materia runs models on DuckDB: "
            "use type: duckdb)");
}

TEST_F(ConfigTest, DefaultGatewayMustExist) {
  EXPECT_EQ(ErrorOf("gateways:\n  local: {connection: {type: duckdb}}\n  ci: {}\n"
                    "default_gateway: prod\n"),
            "config.yaml:4:18: default_gateway 'prod' is not one of the gateways (ci, local)");
  EXPECT_EQ(ErrorOf("default_gateway: prod\n"),
            "config.yaml:1:18: default_gateway 'prod' is not one of the gateways (local)");
}

TEST_F(ConfigTest, DuplicateVariable) {
  EXPECT_EQ(ErrorOf("variables:\n  n: 1\n  N: 2\n"), "config.yaml:3:3: variable 'n' appears twice");
}

TEST_F(ConfigTest, VariablesNestTooDeep) {
  std::string nested = "variables:\n  deep: " + std::string(18, '[') + std::string(18, ']') + "\n";
  EXPECT_EQ(ErrorOf(nested), "config.yaml:2:26: variables nest deeper than 16 levels");
}

}  // namespace
}  // namespace materia
