// The cluster controller's own tables, in the user's database (Materialize itself, or
// any server that speaks its SQL), created when missing:
//
//   mz_cluster_strategies(cluster_id, strategy_type, config jsonb, updated_at)
//       written by users, one row per strategy of a cluster; of several rows for one
//       (cluster_id, strategy_type), the newest updated_at wins.
//   mz_cluster_strategy_state(cluster_id, state_version, payload jsonb, updated_at)
//       one current row per cluster: what its strategies remember between cycles
//       (strategy.h). A missing row, or one with another state_version, starts fresh.
//   mz_cluster_strategy_actions(action_id, cluster_id, action_sql, decision_ctx jsonb,
//       executed, error_message, created_at)
//       the audit log: every action `apply` planned, executed or not, and why.
//   mz_cluster_strategy_schema(version, applied_at)
//       one row per schema version applied, so that a later mz-schedctl migrates the
//       tables (ALTER TABLE ...) instead of dropping them.
//
// Every statement is one autocommit statement of the SQL Materialize and Postgres
// share: no sequences, no constraints beyond NOT NULL, no ON CONFLICT, and no
// transaction mixing reads and writes (Materialize allows none). Timestamps are sent
// by the client.
//
// A ControllerTables borrows one PgConnection and has its thread-safety: one thread at
// a time. Errors are one line naming the table: "cannot create table
// mz_cluster_strategies: permission denied for schema public (SQLSTATE 42501)".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "db/postgres.h"

namespace materia {

constexpr int kControllerSchemaVersion = 1;

constexpr const char* kStrategiesTable = "mz_cluster_strategies";
constexpr const char* kStateTable = "mz_cluster_strategy_state";
constexpr const char* kActionsTable = "mz_cluster_strategy_actions";
constexpr const char* kSchemaTable = "mz_cluster_strategy_schema";

// Limits on what one cycle reads.
constexpr size_t kStrategyRowsMax = 100'000;
constexpr size_t kStateRowsMax = 100'000;

// One strategy as configured: the newest row of its (cluster_id, strategy_type).
struct StrategyRow {
  std::string cluster_id;
  std::string strategy_type;  // as stored; not checked here
  std::string config_json;
};

// One action of an `apply`, as the audit log keeps it.
struct ActionRecord {
  std::string action_id;
  std::string cluster_id;
  std::string action_sql;
  std::string decision_ctx_json;  // a JSON object
  bool executed = false;
  std::optional<std::string> error_message;
  TimestampMs created_at_ms = 0;
};

class ControllerTables {
 public:
  explicit ControllerTables(PgConnection* connection) : connection_(connection) {}

  // Brings the tables to kControllerSchemaVersion: creates those missing and records
  // the version. Runs no DDL when the version row is current already (so a role that
  // may only read and write the tables can run the controller). Sets *migrated_from
  // (when given) to the version found, 0 for none. Errors: a table that cannot be
  // created, naming it; a schema newer than this program.
  Status EnsureSchema(int* migrated_from = nullptr);

  // The schema version recorded, 0 when there is none (no table, or no row).
  Result<int> SchemaVersion();

  // The configured strategies, newest row per (cluster_id, strategy_type), ordered by
  // cluster_id then strategy_type.
  Result<std::vector<StrategyRow>> LoadStrategies();

  // The state payload of every cluster that has one of `state_version`; rows of
  // another version are left out (those clusters start fresh). Keyed by cluster_id.
  Result<std::map<std::string, std::string>> LoadStates(int state_version);

  // Makes `payload` the current state of `cluster_id` (an UPDATE, or an INSERT when
  // there was no row).
  Status SaveState(const std::string& cluster_id, int state_version, const std::string& payload,
                   TimestampMs now_ms);

  // Deletes the state of the clusters in `cluster_ids`, or of every cluster when it is
  // empty. Returns the number of rows deleted.
  Result<int64_t> WipeState(const std::optional<std::vector<std::string>>& cluster_ids);

  // Appends one row to the audit log.
  Status RecordAction(const ActionRecord& record);

 private:
  // Runs `sql` with `params`, turning an error into "cannot <what>: <error>".
  Result<PgResult> Run(const std::string& what, const std::string& sql,
                       const std::vector<std::optional<std::string>>& params = {});

  PgConnection* connection_;
};

}  // namespace materia
