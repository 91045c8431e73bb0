#include "control/controller_tables.h"

#include <cassert>
#include <charconv>

namespace materia {

namespace {

// SQLSTATE of a relation that does not exist (Postgres and Materialize alike).
constexpr const char* kUndefinedTable = "42P01";

// One statement of a migration and the table it creates or changes (for messages).
struct MigrationStep {
  const char* table;
  const char* sql;
};

// Version 1: the four tables. A later version appends its own steps (ALTER TABLE ...
// ADD COLUMN ..., never a DROP), so that a database at any older version is brought
// forward with its rows kept.
const MigrationStep kVersion1[] = {
    {kSchemaTable,
     "CREATE TABLE IF NOT EXISTS mz_cluster_strategy_schema ("
     "version integer NOT NULL, applied_at timestamptz NOT NULL)"},
    {kStrategiesTable,
     "CREATE TABLE IF NOT EXISTS mz_cluster_strategies ("
     "cluster_id text NOT NULL, strategy_type text NOT NULL, config jsonb NOT NULL, "
     "updated_at timestamptz NOT NULL DEFAULT now())"},
    {kStateTable,
     "CREATE TABLE IF NOT EXISTS mz_cluster_strategy_state ("
     "cluster_id text NOT NULL, state_version integer NOT NULL, payload jsonb NOT NULL, "
     "updated_at timestamptz NOT NULL)"},
    {kActionsTable,
     "CREATE TABLE IF NOT EXISTS mz_cluster_strategy_actions ("
     "action_id text NOT NULL, cluster_id text NOT NULL, action_sql text NOT NULL, "
     "decision_ctx jsonb NOT NULL, executed boolean NOT NULL, error_message text, "
     "created_at timestamptz NOT NULL)"},
};

struct Migration {
  int version;
  const MigrationStep* steps;
  size_t step_count;
};

const Migration kMigrations[] = {
    {1, kVersion1, std::size(kVersion1)},
};
static_assert(std::size(kMigrations) == kControllerSchemaVersion, "one migration per schema version");

std::optional<int64_t> ParseInteger(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  int64_t value = 0;
  auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size()) return std::nullopt;
  return value;
}

std::string Text(const std::optional<std::string>& value) { return value.value_or(""); }

}  // namespace

Result<PgResult> ControllerTables::Run(const std::string& what, const std::string& sql,
                                       const std::vector<std::optional<std::string>>& params) {
  Result<PgResult> result = connection_->QueryParams(sql, params);
  if (!result.ok()) return result.status().WithPrefix("cannot " + what);
  return result;
}

Result<int> ControllerTables::SchemaVersion() {
  Result<PgResult> result = connection_->Query("SELECT max(version) FROM mz_cluster_strategy_schema");
  if (!result.ok()) {
    if (connection_->last_sqlstate() == kUndefinedTable) return 0;
    return result.status().WithPrefix(std::string("cannot read ") + kSchemaTable);
  }
  const std::optional<std::string> scalar = result->Scalar();
  if (!scalar) return 0;
  const std::optional<int64_t> version = ParseInteger(scalar);
  if (!version || *version < 0 || *version > 1'000'000) {
    return Status::InvalidInput(std::string(kSchemaTable) + " holds the version '" + *scalar +
                                "', which is not a schema version");
  }
  return static_cast<int>(*version);
}

Status ControllerTables::EnsureSchema(int* migrated_from) {
  MATERIA_ASSIGN_OR_RETURN(const int found, SchemaVersion());
  if (migrated_from != nullptr) *migrated_from = found;
  if (found > kControllerSchemaVersion) {
    return Status::InvalidInput("the controller tables are at schema version " + std::to_string(found) +
                                ", newer than this mz-schedctl knows (" +
                                std::to_string(kControllerSchemaVersion) + "): upgrade mz-schedctl");
  }
  for (const Migration& migration : kMigrations) {
    if (migration.version <= found) continue;
    for (size_t i = 0; i < migration.step_count; i++) {
      const MigrationStep& step = migration.steps[i];
      MATERIA_RETURN_IF_ERROR(Run(std::string("create table ") + step.table, step.sql).status());
    }
    MATERIA_RETURN_IF_ERROR(Run(std::string("write to ") + kSchemaTable,
                                "INSERT INTO mz_cluster_strategy_schema (version, applied_at) "
                                "VALUES ($1::integer, $2::timestamptz)",
                                {std::to_string(migration.version), FormatIso(NowMs())})
                                .status());
  }
  return Status::Ok();
}

Result<std::vector<StrategyRow>> ControllerTables::LoadStrategies() {
  // Newest first within each (cluster, strategy); the first row of each key wins. The
  // config text breaks ties between rows of one instant, so the choice is stable.
  MATERIA_ASSIGN_OR_RETURN(
      PgResult result,
      Run(std::string("read ") + kStrategiesTable,
          "SELECT cluster_id, strategy_type, config::text FROM mz_cluster_strategies "
          "ORDER BY cluster_id, strategy_type, updated_at DESC, config::text LIMIT " +
              std::to_string(kStrategyRowsMax + 1)));
  if (result.rows.size() > kStrategyRowsMax) {
    return Status::InvalidInput(std::string(kStrategiesTable) + " has more than " +
                                std::to_string(kStrategyRowsMax) + " rows; delete the old ones");
  }
  std::vector<StrategyRow> strategies;
  for (const auto& row : result.rows) {
    StrategyRow strategy{Text(row[0]), Text(row[1]), Text(row[2])};
    if (!strategies.empty() && strategies.back().cluster_id == strategy.cluster_id &&
        strategies.back().strategy_type == strategy.strategy_type) {
      continue;  // an older row of the same strategy
    }
    strategies.push_back(std::move(strategy));
  }
  return strategies;
}

Result<std::map<std::string, std::string>> ControllerTables::LoadStates(int state_version) {
  // Newest last, so that of two rows of one cluster (two controllers that raced to
  // insert the first one) the newest is kept.
  MATERIA_ASSIGN_OR_RETURN(PgResult result,
                           Run(std::string("read ") + kStateTable,
                               "SELECT cluster_id, payload::text FROM mz_cluster_strategy_state "
                               "WHERE state_version = $1::integer ORDER BY cluster_id, updated_at LIMIT " +
                                   std::to_string(kStateRowsMax + 1),
                               {std::to_string(state_version)}));
  if (result.rows.size() > kStateRowsMax) {
    return Status::InvalidInput(std::string(kStateTable) + " has more than " + std::to_string(kStateRowsMax) +
                                " rows; run mz-schedctl wipe-state");
  }
  std::map<std::string, std::string> states;
  for (const auto& row : result.rows) states[Text(row[0])] = Text(row[1]);
  return states;
}

Status ControllerTables::SaveState(const std::string& cluster_id, int state_version, const std::string& payload,
                                   TimestampMs now_ms) {
  const std::string what = std::string("write to ") + kStateTable;
  const std::vector<std::optional<std::string>> params{cluster_id, std::to_string(state_version), payload,
                                                       FormatIso(now_ms)};
  MATERIA_ASSIGN_OR_RETURN(PgResult updated,
                           Run(what,
                               "UPDATE mz_cluster_strategy_state SET state_version = $2::integer, "
                               "payload = $3::jsonb, updated_at = $4::timestamptz WHERE cluster_id = $1",
                               params));
  if (updated.rows_changed > 0) return Status::Ok();
  return Run(what,
             "INSERT INTO mz_cluster_strategy_state (cluster_id, state_version, payload, updated_at) "
             "VALUES ($1, $2::integer, $3::jsonb, $4::timestamptz)",
             params)
      .status();
}

Result<int64_t> ControllerTables::WipeState(const std::optional<std::vector<std::string>>& cluster_ids) {
  const std::string what = std::string("delete from ") + kStateTable;
  if (!cluster_ids) {
    MATERIA_ASSIGN_OR_RETURN(PgResult deleted, Run(what, "DELETE FROM mz_cluster_strategy_state"));
    return deleted.rows_changed;
  }
  int64_t rows = 0;
  for (const std::string& cluster_id : *cluster_ids) {
    MATERIA_ASSIGN_OR_RETURN(PgResult deleted,
                             Run(what, "DELETE FROM mz_cluster_strategy_state WHERE cluster_id = $1", {cluster_id}));
    rows += deleted.rows_changed;
  }
  return rows;
}

Status ControllerTables::RecordAction(const ActionRecord& record) {
  assert(!record.action_id.empty());
  return Run(std::string("write to ") + kActionsTable,
             "INSERT INTO mz_cluster_strategy_actions (action_id, cluster_id, action_sql, decision_ctx, "
             "executed, error_message, created_at) "
             "VALUES ($1, $2, $3, $4::jsonb, $5::boolean, $6, $7::timestamptz)",
             {record.action_id, record.cluster_id, record.action_sql, record.decision_ctx_json,
              record.executed ? "true" : "false", record.error_message, FormatIso(record.created_at_ms)})
      .status();
}

}  // namespace materia
