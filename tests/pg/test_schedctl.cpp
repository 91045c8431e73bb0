// The cluster controller of mz-schedctl (control/controller.h) against a real Postgres:
// its own tables (created, versioned, kept across upgrades, refused without
// privileges), the catalog it reads, plan and apply cycles, the audit log, the stored
// state, a failure half-way, and every bad input a user can produce.
//
// Materialize cannot run here. Two things stand in for it, both test-only:
//   - FIXTURE relations: schemas mz_catalog and mz_internal in the test database with
//     tables of exactly the names and columns of the Materialize relations the
//     controller reads (mz_clusters, mz_cluster_replicas, mz_cluster_replica_statuses,
//     mz_hydration_statuses, mz_recent_activity_log), Materialize-only types mapped to
//     the nearest Postgres type (uint8 -> numeric(20), uint4 -> bigint, mz_aclitem[]
//     and text list -> text[]).
//   - FixtureDdlExecutor, a TEST DOUBLE of Materialize's cluster DDL: it parses the
//     four statement shapes the controller emits and applies each to those fixture
//     relations the way Materialize would change its catalog.
// Everything else is real: the controller's code, its SQL and its tables on Postgres.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/cluster_sql.h"
#include "control/controller.h"
#include "control/controller_tables.h"
#include "control/ddl_executor.h"
#include "control/report_format.h"
#include "db/postgres.h"
#include "pg/pg_test_support.h"

namespace materia {
namespace {

// FIXTURE: Materialize's catalog relations as Postgres tables (see the top of the
// file). Keep in step with fixture_schema in test_schedctl_cli.sh.
constexpr const char* kFixtureCatalogSql = R"sql(
CREATE SCHEMA mz_catalog;
CREATE SCHEMA mz_internal;
CREATE TABLE mz_catalog.mz_clusters (
  id text NOT NULL, name text NOT NULL, owner_id text NOT NULL, privileges text[] NOT NULL,
  managed boolean NOT NULL, size text, replication_factor bigint, disk boolean,
  availability_zones text[], introspection_debugging boolean NOT NULL, introspection_interval interval);
CREATE TABLE mz_catalog.mz_cluster_replicas (
  id text NOT NULL, name text NOT NULL, cluster_id text NOT NULL, size text,
  availability_zone text, owner_id text NOT NULL, disk boolean);
CREATE TABLE mz_internal.mz_cluster_replica_statuses (
  replica_id text NOT NULL, process_id numeric(20) NOT NULL, status text NOT NULL, reason text,
  updated_at timestamptz NOT NULL);
CREATE TABLE mz_internal.mz_hydration_statuses (
  object_id text NOT NULL, replica_id text NOT NULL, hydrated boolean NOT NULL);
CREATE TABLE mz_internal.mz_recent_activity_log (
  execution_id uuid NOT NULL, sample_rate double precision NOT NULL, cluster_id text,
  application_name text NOT NULL, cluster_name text, database_name text NOT NULL,
  search_path text[] NOT NULL, transaction_isolation text NOT NULL, execution_timestamp numeric(20),
  transient_index_id text, params text[] NOT NULL, mz_version text NOT NULL,
  began_at timestamptz NOT NULL, finished_at timestamptz, finished_status text, error_message text,
  result_size bigint, rows_returned bigint, execution_strategy text, transaction_id numeric(20) NOT NULL,
  prepared_statement_id uuid NOT NULL, sql_hash bytea NOT NULL, prepared_statement_name text NOT NULL,
  session_id uuid NOT NULL, prepared_at timestamptz NOT NULL, statement_type text,
  throttled_count numeric(20) NOT NULL, connected_at timestamptz NOT NULL,
  initial_application_name text NOT NULL, authenticated_user text NOT NULL, sql text NOT NULL);
)sql";

using Rows = std::vector<std::vector<std::string>>;

// ---------------------------------------------------------------------------
// FixtureDdlExecutor: TEST DOUBLE for Materialize, which cannot run here.

// One token of a statement: a keyword (upper-cased), a quoted identifier, a string
// literal, a number, or one punctuation character.
struct DdlToken {
  enum Kind { kWord, kIdentifier, kString, kNumber, kPunctuation } kind;
  std::string text;
};

Result<std::vector<DdlToken>> TokenizeDdl(std::string_view sql) {
  std::vector<DdlToken> tokens;
  size_t at = 0;
  while (at < sql.size()) {
    const char c = sql[at];
    if (std::isspace(static_cast<unsigned char>(c))) {
      at++;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::string word;
      while (at < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[at])) || sql[at] == '_')) {
        word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[at++])));
      }
      tokens.push_back({DdlToken::kWord, word});
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      std::string digits;
      while (at < sql.size() && std::isdigit(static_cast<unsigned char>(sql[at]))) digits += sql[at++];
      tokens.push_back({DdlToken::kNumber, digits});
    } else if (c == '"' || c == '\'') {
      std::string text;
      at++;
      for (;; at++) {
        if (at >= sql.size()) return Status::InvalidInput("unterminated quote in: " + std::string(sql));
        if (sql[at] == c && at + 1 < sql.size() && sql[at + 1] == c) {
          text += c;
          at++;
        } else if (sql[at] == c) {
          break;
        } else {
          text += sql[at];
        }
      }
      at++;
      tokens.push_back({c == '"' ? DdlToken::kIdentifier : DdlToken::kString, text});
    } else if (std::string_view("().=,").find(c) != std::string_view::npos) {
      tokens.push_back({DdlToken::kPunctuation, std::string(1, c)});
      at++;
    } else {
      return Status::InvalidInput(std::string("unexpected character '") + c + "' in: " + std::string(sql));
    }
  }
  return tokens;
}

// Matches `tokens` against `pattern`, words separated by spaces: keywords and
// punctuation match themselves, <identifier>, <string> and <number> capture a value.
std::optional<std::vector<std::string>> MatchDdl(const std::vector<DdlToken>& tokens, std::string_view pattern) {
  std::vector<std::string> captured;
  size_t index = 0;
  size_t start = 0;
  while (start < pattern.size()) {
    size_t end = pattern.find(' ', start);
    if (end == std::string_view::npos) end = pattern.size();
    const std::string_view expected = pattern.substr(start, end - start);
    start = end + 1;
    if (index >= tokens.size()) return std::nullopt;
    const DdlToken& token = tokens[index++];
    if (expected == "<identifier>" || expected == "<string>" || expected == "<number>") {
      const DdlToken::Kind kind = expected == "<identifier>" ? DdlToken::kIdentifier
                                  : expected == "<string>"   ? DdlToken::kString
                                                             : DdlToken::kNumber;
      if (token.kind != kind) return std::nullopt;
      captured.push_back(token.text);
    } else if (token.text != expected || token.kind == DdlToken::kIdentifier || token.kind == DdlToken::kString) {
      return std::nullopt;
    }
  }
  if (index != tokens.size()) return std::nullopt;
  return captured;
}

// TEST DOUBLE. Stands in for Materialize's cluster DDL: parses the four statement
// shapes the controller emits (cluster_sql.h) and applies each to the FIXTURE
// relations in mz_catalog and mz_internal as Materialize would change its catalog:
//   CREATE CLUSTER REPLICA "c"."r" (SIZE = 's')   a replica, online, not yet hydrated
//   DROP CLUSTER REPLICA "c"."r"                   the replica and its status and hydration
//   ALTER CLUSTER "c" SET (SIZE = 's')             a managed cluster's replicas replaced at the new size
//   ALTER CLUSTER "c" SET (REPLICATION FACTOR = n) replicas r<k> added (not hydrated) or removed
// A new replica gets one hydration row (not hydrated) per object the cluster runs, as
// given to the constructor. Any other statement is refused. FailWhen injects an error.
class FixtureDdlExecutor final : public DdlExecutor {
 public:
  FixtureDdlExecutor(PgConnection* connection, std::map<std::string, std::vector<std::string>> objects)
      : connection_(connection), objects_(std::move(objects)) {}

  // Every statement containing `fragment` fails with `error` instead of running.
  void FailWhen(std::string fragment, std::string error) {
    fail_fragment_ = std::move(fragment);
    fail_error_ = std::move(error);
  }
  const std::vector<std::string>& executed() const { return executed_; }

  Status Execute(const ClusterSnapshot& cluster, const ClusterAction& action) override {
    if (!fail_fragment_.empty() && action.sql.find(fail_fragment_) != std::string::npos) {
      return Status::DatabaseError(fail_error_);
    }
    MATERIA_ASSIGN_OR_RETURN(const std::vector<DdlToken> tokens, TokenizeDdl(action.sql));
    Status applied = Apply(tokens, action.sql);
    if (applied.ok()) executed_.push_back(action.sql);
    return applied;
  }

 private:
  Status Apply(const std::vector<DdlToken>& tokens, const std::string& sql) {
    if (auto m = MatchDdl(tokens, "CREATE CLUSTER REPLICA <identifier> . <identifier> ( SIZE = <string> )")) {
      return CreateReplica((*m)[0], (*m)[1], (*m)[2]);
    }
    if (auto m = MatchDdl(tokens, "DROP CLUSTER REPLICA <identifier> . <identifier>")) {
      return DropReplica((*m)[0], (*m)[1]);
    }
    if (auto m = MatchDdl(tokens, "ALTER CLUSTER <identifier> SET ( SIZE = <string> )")) {
      return SetSize((*m)[0], (*m)[1]);
    }
    if (auto m = MatchDdl(tokens, "ALTER CLUSTER <identifier> SET ( REPLICATION FACTOR = <number> )")) {
      return SetReplicationFactor((*m)[0], std::stoi((*m)[1]));
    }
    return Status::InvalidInput("FixtureDdlExecutor: not a statement the controller emits: " + sql);
  }

  Result<PgResult> Sql(const std::string& sql, const std::vector<std::optional<std::string>>& params) {
    return connection_->QueryParams(sql, params);
  }

  struct Cluster {
    std::string id;
    bool managed = false;
    int replication_factor = 0;
  };
  Result<Cluster> FindCluster(const std::string& name) {
    MATERIA_ASSIGN_OR_RETURN(
        PgResult found,
        Sql("SELECT id, managed, coalesce(replication_factor, 0) FROM mz_catalog.mz_clusters WHERE name = $1",
            {name}));
    if (found.rows.empty()) return Status::DatabaseError("unknown cluster '" + name + "'");
    return Cluster{*found.rows[0][0], found.rows[0][1] == "t", std::stoi(*found.rows[0][2])};
  }

  Status InsertReplica(const std::string& cluster_id, const std::string& name, const std::string& size) {
    const std::string id = "u" + std::to_string(next_replica_id_++);
    MATERIA_RETURN_IF_ERROR(Sql("INSERT INTO mz_catalog.mz_cluster_replicas VALUES ($1, $2, $3, $4, NULL, 'u1', false)",
                                {id, name, cluster_id, size})
                                .status());
    MATERIA_RETURN_IF_ERROR(
        Sql("INSERT INTO mz_internal.mz_cluster_replica_statuses VALUES ($1, 0, 'online', NULL, now())", {id})
            .status());
    for (const std::string& object : objects_[cluster_id]) {
      MATERIA_RETURN_IF_ERROR(
          Sql("INSERT INTO mz_internal.mz_hydration_statuses VALUES ($1, $2, false)", {object, id}).status());
    }
    return Status::Ok();
  }

  Status DeleteReplicas(const std::string& where, const std::vector<std::optional<std::string>>& params) {
    const std::string ids = "SELECT id FROM mz_catalog.mz_cluster_replicas WHERE " + where;
    MATERIA_RETURN_IF_ERROR(
        Sql("DELETE FROM mz_internal.mz_cluster_replica_statuses WHERE replica_id IN (" + ids + ")", params).status());
    MATERIA_RETURN_IF_ERROR(
        Sql("DELETE FROM mz_internal.mz_hydration_statuses WHERE replica_id IN (" + ids + ")", params).status());
    return Sql("DELETE FROM mz_catalog.mz_cluster_replicas WHERE " + where, params).status();
  }

  Status CreateReplica(const std::string& cluster, const std::string& replica, const std::string& size) {
    MATERIA_ASSIGN_OR_RETURN(const Cluster found, FindCluster(cluster));
    if (found.managed) return Status::DatabaseError("cannot create replicas in managed cluster '" + cluster + "'");
    MATERIA_ASSIGN_OR_RETURN(PgResult existing,
                             Sql("SELECT 1 FROM mz_catalog.mz_cluster_replicas WHERE cluster_id = $1 AND name = $2",
                                 {found.id, replica}));
    if (!existing.rows.empty()) {
      return Status::DatabaseError("cluster replica '" + cluster + "." + replica + "' already exists");
    }
    return InsertReplica(found.id, replica, size);
  }

  Status DropReplica(const std::string& cluster, const std::string& replica) {
    MATERIA_ASSIGN_OR_RETURN(const Cluster found, FindCluster(cluster));
    MATERIA_ASSIGN_OR_RETURN(PgResult existing,
                             Sql("SELECT 1 FROM mz_catalog.mz_cluster_replicas WHERE cluster_id = $1 AND name = $2",
                                 {found.id, replica}));
    if (existing.rows.empty()) {
      return Status::DatabaseError("unknown cluster replica '" + cluster + "." + replica + "'");
    }
    return DeleteReplicas("cluster_id = $1 AND name = $2", {found.id, replica});
  }

  Status SetSize(const std::string& cluster, const std::string& size) {
    MATERIA_ASSIGN_OR_RETURN(const Cluster found, FindCluster(cluster));
    if (!found.managed) return Status::DatabaseError("cannot ALTER CLUSTER SIZE of unmanaged cluster '" + cluster + "'");
    MATERIA_RETURN_IF_ERROR(Sql("UPDATE mz_catalog.mz_clusters SET size = $2 WHERE id = $1", {found.id, size}).status());
    // Materialize replaces every replica of a managed cluster by one of the new size.
    MATERIA_RETURN_IF_ERROR(DeleteReplicas("cluster_id = $1", {found.id}));
    for (int index = 1; index <= found.replication_factor; index++) {
      MATERIA_RETURN_IF_ERROR(InsertReplica(found.id, "r" + std::to_string(index), size));
    }
    return Status::Ok();
  }

  Status SetReplicationFactor(const std::string& cluster, int factor) {
    MATERIA_ASSIGN_OR_RETURN(const Cluster found, FindCluster(cluster));
    if (!found.managed) {
      return Status::DatabaseError("cannot ALTER CLUSTER REPLICATION FACTOR of unmanaged cluster '" + cluster + "'");
    }
    MATERIA_ASSIGN_OR_RETURN(PgResult size, Sql("SELECT size FROM mz_catalog.mz_clusters WHERE id = $1", {found.id}));
    MATERIA_RETURN_IF_ERROR(
        Sql("UPDATE mz_catalog.mz_clusters SET replication_factor = $2::bigint WHERE id = $1",
            {found.id, std::to_string(factor)})
            .status());
    for (int index = factor + 1; index <= found.replication_factor; index++) {
      MATERIA_RETURN_IF_ERROR(DeleteReplicas("cluster_id = $1 AND name = $2", {found.id, "r" + std::to_string(index)}));
    }
    for (int index = found.replication_factor + 1; index <= factor; index++) {
      MATERIA_RETURN_IF_ERROR(InsertReplica(found.id, "r" + std::to_string(index), *size.Scalar()));
    }
    return Status::Ok();
  }

  PgConnection* connection_;
  std::map<std::string, std::vector<std::string>> objects_;  // cluster id -> its dataflow objects
  int next_replica_id_ = 100;
  std::vector<std::string> executed_;
  std::string fail_fragment_;
  std::string fail_error_;
};

// ---------------------------------------------------------------------------
// The test database: a fresh one per test, with the FIXTURE catalog relations.

constexpr TimestampMs kT0 = 1'700'000'000'000;  // 2023-11-14 22:13:20 UTC
TimestampMs AtSecond(int64_t seconds) { return kT0 + seconds * kMsPerSecond; }

class SchedctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(RequirePostgres());
    admin_ = ConnectForTest();
    ASSERT_NE(admin_, nullptr);
    static std::atomic<int> counter{0};
    database_ = "schedctl_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    ASSERT_TRUE(admin_->Execute("CREATE DATABASE " + database_).ok());
    auto connection = PgConnection::Connect("dbname=" + database_);
    ASSERT_TRUE(connection.ok()) << connection.status().message();
    connection_ = std::move(connection).value();
    Execute(kFixtureCatalogSql);
  }

  void TearDown() override {
    connection_.reset();
    if (admin_ == nullptr) return;
    Status dropped = admin_->Execute("DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
    EXPECT_TRUE(dropped.ok()) << dropped.message();
    for (const std::string& role : roles_) (void)admin_->Execute("DROP ROLE IF EXISTS " + role);
  }

  void Execute(const std::string& sql) {
    Status status = connection_->Execute(sql);
    ASSERT_TRUE(status.ok()) << sql << ": " << status.message();
  }

  Rows Query(const std::string& sql) {
    auto result = connection_->Query(sql);
    EXPECT_TRUE(result.ok()) << sql << ": " << result.status().message();
    Rows rows;
    if (!result.ok()) return rows;
    for (const auto& row : result->rows) {
      std::vector<std::string> values;
      for (const auto& value : row) values.push_back(value.value_or("NULL"));
      rows.push_back(values);
    }
    return rows;
  }

  void AddCluster(const std::string& id, const std::string& name, bool managed = false, const std::string& size = "",
                  int replication_factor = 0) {
    auto inserted = connection_->QueryParams(
        "INSERT INTO mz_catalog.mz_clusters VALUES ($1, $2, 'u1', '{}', $3::boolean, $4, $5::bigint, "
        "CASE WHEN $3::boolean THEN false END, CASE WHEN $3::boolean THEN '{}'::text[] END, false, '1 second')",
        {id, name, managed ? "true" : "false", managed ? std::optional<std::string>(size) : std::nullopt,
         managed ? std::optional<std::string>(std::to_string(replication_factor)) : std::nullopt});
    ASSERT_TRUE(inserted.ok()) << inserted.status().message();
  }

  // A replica with one process in `status`, and one hydration row per object of its cluster.
  void AddReplica(const std::string& cluster_id, const std::string& id, const std::string& name,
                  const std::string& size, const std::string& status = "online", bool hydrated = true) {
    auto replica = connection_->QueryParams(
        "INSERT INTO mz_catalog.mz_cluster_replicas VALUES ($1, $2, $3, $4, 'use1-az1', 'u1', false)",
        {id, name, cluster_id, size});
    ASSERT_TRUE(replica.ok()) << replica.status().message();
    auto process = connection_->QueryParams(
        "INSERT INTO mz_internal.mz_cluster_replica_statuses VALUES ($1, 0, $2, NULL, now())", {id, status});
    ASSERT_TRUE(process.ok()) << process.status().message();
    for (const std::string& object : objects_[cluster_id]) {
      auto inserted = connection_->QueryParams("INSERT INTO mz_internal.mz_hydration_statuses VALUES ($1, $2, $3::boolean)",
                                               {object, id, hydrated ? "true" : "false"});
      ASSERT_TRUE(inserted.ok()) << inserted.status().message();
    }
  }

  // A managed cluster with replicas r1..r<factor> (ids <id>_r<k>), all serving.
  void AddManagedCluster(const std::string& id, const std::string& name, const std::string& size, int factor) {
    AddCluster(id, name, /*managed=*/true, size, factor);
    for (int index = 1; index <= factor; index++) {
      AddReplica(id, id + "_r" + std::to_string(index), "r" + std::to_string(index), size);
    }
  }

  // One statement of `application` on the cluster, finished at `finished_ms`.
  void AddActivity(const std::string& cluster_id, TimestampMs finished_ms, const std::string& application = "psql") {
    AddStatement(cluster_id, finished_ms, /*duration_ms=*/0, application);
  }

  // One statement of `type` by `application` on the cluster that began `duration_ms`
  // before it finished at `finished_ms`.
  void AddStatement(const std::string& cluster_id, TimestampMs finished_ms, TimestampMs duration_ms,
                    const std::string& application = "psql", const std::string& type = "select",
                    const std::string& status = "success") {
    auto inserted = connection_->QueryParams(
        "INSERT INTO mz_internal.mz_recent_activity_log VALUES (gen_random_uuid(), 1.0, $1, $2, NULL, "
        "'materialize', '{public}', 'strict serializable', 1, NULL, '{}', 'v0.130.0', $4::timestamptz, "
        "$3::timestamptz, $6, NULL, 0, 1, 'fast-path', 1, gen_random_uuid(), '\\x00', '', "
        "gen_random_uuid(), $4::timestamptz, $5, 0, $4::timestamptz, $2, 'alice', 'SELECT 1')",
        {cluster_id, application, FormatIso(finished_ms), FormatIso(finished_ms - duration_ms), type, status});
    ASSERT_TRUE(inserted.ok()) << inserted.status().message();
  }

  // Creates the controller's tables (as mz-schedctl's first run does) and a strategy row.
  void AddStrategy(const std::string& cluster_id, const std::string& type, const std::string& config,
                   const std::string& updated_at = "2023-11-14T00:00:00Z") {
    ControllerTables tables(connection_.get());
    ASSERT_TRUE(tables.EnsureSchema().ok());
    auto inserted = connection_->QueryParams(
        "INSERT INTO mz_cluster_strategies VALUES ($1, $2, $3::jsonb, $4::timestamptz)",
        {cluster_id, type, config, updated_at});
    ASSERT_TRUE(inserted.ok()) << inserted.status().message();
  }

  void MarkAllHydrated() { Execute("UPDATE mz_internal.mz_hydration_statuses SET hydrated = true"); }

  FixtureDdlExecutor Executor() { return FixtureDdlExecutor(connection_.get(), objects_); }

  Result<ControllerReport> Run(ControllerMode mode, TimestampMs now_ms, DdlExecutor& executor,
                               const std::string& pattern = "", const std::string& run_id = "") {
    ControllerOptions options;
    options.mode = mode;
    options.now_ms = now_ms;
    options.run_id = run_id.empty() ? "run" + std::to_string(runs_) : run_id;
    runs_++;
    options.log = [this](const ControlEvent& event) { events_.push_back(event); };
    if (!pattern.empty()) {
      Result<ClusterFilter> filter = ClusterFilter::Parse(pattern);
      if (!filter.ok()) return filter.status();
      options.filter = *filter;
    }
    return RunController(*connection_, executor, options);
  }

  // The SQL a plan at `now_ms` would run (asserting that planning works).
  std::vector<std::string> PlannedSql(TimestampMs now_ms, const std::string& pattern = "") {
    FixtureDdlExecutor executor = Executor();
    Result<ControllerReport> report = Run(ControllerMode::kPlan, now_ms, executor, pattern);
    EXPECT_TRUE(report.ok()) << report.status().message();
    std::vector<std::string> sql;
    if (!report.ok()) return sql;
    EXPECT_TRUE(executor.executed().empty());
    for (const ClusterResult& cluster : report->clusters) {
      for (const ActionResult& action : cluster.actions) sql.push_back(action.action.sql);
    }
    return sql;
  }

  // The error of a plan at kT0.
  std::string PlanError(const std::string& pattern = "") {
    FixtureDdlExecutor executor = Executor();
    Result<ControllerReport> report = Run(ControllerMode::kPlan, kT0, executor, pattern);
    EXPECT_FALSE(report.ok());
    return report.ok() ? "" : report.status().message();
  }

  std::string NewRole(const std::string& suffix) {
    const std::string role = database_ + "_" + suffix;
    roles_.push_back(role);
    Execute("CREATE ROLE " + role);
    return role;
  }

  std::unique_ptr<PgConnection> admin_;
  std::unique_ptr<PgConnection> connection_;
  std::string database_;
  std::vector<std::string> roles_;
  std::map<std::string, std::vector<std::string>> objects_;  // cluster id -> the objects it runs
  std::vector<ControlEvent> events_;
  int runs_ = 1;
};

using Sql = std::vector<std::string>;

// ---------------------------------------------------------------------------
// The controller's tables.

TEST_F(SchedctlTest, FirstRunCreatesTheTablesAndOneVersionRow) {
  FixtureDdlExecutor executor = Executor();
  ASSERT_TRUE(Run(ControllerMode::kPlan, kT0, executor).ok());
  ASSERT_TRUE(Run(ControllerMode::kPlan, kT0, executor).ok());
  EXPECT_EQ(Query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"),
            (Rows{{"mz_cluster_strategies"},
                  {"mz_cluster_strategy_actions"},
                  {"mz_cluster_strategy_schema"},
                  {"mz_cluster_strategy_state"}}));
  EXPECT_EQ(Query("SELECT version FROM mz_cluster_strategy_schema"), (Rows{{"1"}}));
  EXPECT_EQ(Query("SELECT column_name, data_type FROM information_schema.columns "
                  "WHERE table_name = 'mz_cluster_strategy_actions' ORDER BY ordinal_position"),
            (Rows{{"action_id", "text"},
                  {"cluster_id", "text"},
                  {"action_sql", "text"},
                  {"decision_ctx", "jsonb"},
                  {"executed", "boolean"},
                  {"error_message", "text"},
                  {"created_at", "timestamp with time zone"}}));
}

TEST_F(SchedctlTest, TablesMadeBeforeTheVersionRowKeepTheirRows) {
  // A database whose strategies table predates the version row (written by hand, or by
  // an earlier mz-schedctl): the migration keeps it and its rows.
  Execute("CREATE TABLE mz_cluster_strategies (cluster_id text NOT NULL, strategy_type text NOT NULL, "
          "config jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())");
  Execute("INSERT INTO mz_cluster_strategies (cluster_id, strategy_type, config) "
          "VALUES ('u1', 'target_size', '{\"target_size\": \"medium\"}')");
  AddCluster("u1", "analytics");
  AddReplica("u1", "u10", "r1", "medium");
  EXPECT_EQ(PlannedSql(kT0), Sql{});
  EXPECT_EQ(Query("SELECT count(*) FROM mz_cluster_strategies"), (Rows{{"1"}}));
  EXPECT_EQ(Query("SELECT version FROM mz_cluster_strategy_schema"), (Rows{{"1"}}));
}

TEST_F(SchedctlTest, ANewerSchemaIsRefused) {
  ControllerTables tables(connection_.get());
  ASSERT_TRUE(tables.EnsureSchema().ok());
  Execute("INSERT INTO mz_cluster_strategy_schema VALUES (7, now())");
  EXPECT_EQ(PlanError(),
            "the controller tables are at schema version 7, newer than this mz-schedctl knows (1): upgrade mz-schedctl");
}

TEST_F(SchedctlTest, MissingPrivilegesNameTheTable) {
  const std::string role = NewRole("reader");
  Execute("SET ROLE " + role);  // may not create anything in schema public (Postgres 15's default)
  EXPECT_EQ(PlanError(),
            "cannot create table mz_cluster_strategy_schema: permission denied for schema public (SQLSTATE 42501)");
}

TEST_F(SchedctlTest, ARoleWithoutCreateRunsOnceTheTablesExist) {
  AddCluster("u1", "analytics");
  AddReplica("u1", "u10", "r1", "small");
  AddStrategy("u1", "target_size", R"({"target_size": "medium"})");
  const std::string role = NewRole("operator");
  Execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + role);
  Execute("GRANT USAGE ON SCHEMA mz_catalog, mz_internal TO " + role);
  // The fixture executor, standing in for Materialize, writes the fixture relations.
  Execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA mz_catalog, mz_internal TO " + role);
  Execute("SET ROLE " + role);
  FixtureDdlExecutor executor = Executor();
  Result<ControllerReport> report = Run(ControllerMode::kApply, kT0, executor);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->Count(ActionOutcome::kExecuted), 1);
  EXPECT_EQ(Query("SELECT count(*) FROM mz_cluster_strategy_state"), (Rows{{"1"}}));

  // Without the right to write the audit log, the action runs but the run fails, naming the table.
  Execute("RESET ROLE");
  Execute("REVOKE INSERT ON mz_cluster_strategy_actions FROM " + role);
  Execute("UPDATE mz_internal.mz_hydration_statuses SET hydrated = true");
  Execute("SET ROLE " + role);
  report = Run(ControllerMode::kApply, AtSecond(60), executor);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->failure,
            "cluster 'analytics' (u1): cannot write to mz_cluster_strategy_actions: permission denied for table "
            "mz_cluster_strategy_actions (SQLSTATE 42501)");
}

// ---------------------------------------------------------------------------
// Reading the catalog.

TEST_F(SchedctlTest, SnapshotsReadStatusHydrationAndActivity) {
  objects_["u1"] = {"u500", "u501"};
  AddCluster("u1", "analytics");
  AddReplica("u1", "u10", "r1", "small");                                  // online, hydrated
  AddReplica("u1", "u11", "r2", "small", "online", /*hydrated=*/false);    // hydrating
  AddReplica("u1", "u12", "r3", "large");                                  // a second process is offline
  Execute("INSERT INTO mz_internal.mz_cluster_replica_statuses VALUES ('u12', 1, 'offline', 'oom-killed', now())");
  Execute("UPDATE mz_internal.mz_hydration_statuses SET hydrated = true WHERE replica_id = 'u11' AND object_id = 'u500'");
  Execute("INSERT INTO mz_catalog.mz_cluster_replicas VALUES ('u13', 'r4', 'u1', 'small', NULL, 'u1', false)");
  AddActivity("u1", AtSecond(-100));
  AddActivity("u1", AtSecond(-10), "mz-schedctl");  // the controller's own statements do not count
  AddActivity("u2", AtSecond(-1));                  // another cluster's
  AddStrategy("u1", "target_size", R"({"target_size": "small"})");

  FixtureDdlExecutor executor = Executor();
  Result<ControllerReport> report = Run(ControllerMode::kPlan, kT0, executor);
  ASSERT_TRUE(report.ok()) << report.status().message();
  ASSERT_EQ(report->clusters.size(), 1u);
  const ClusterSnapshot& snapshot = report->clusters[0].snapshot;
  EXPECT_EQ(snapshot.id, "u1");
  EXPECT_EQ(snapshot.name, "analytics");
  EXPECT_FALSE(snapshot.managed);
  EXPECT_EQ(snapshot.last_activity_ms, AtSecond(-100));
  EXPECT_EQ(snapshot.activity_latency_ms, 0);  // the one statement took no time
  EXPECT_EQ(snapshot.now_ms, kT0);
  ASSERT_EQ(snapshot.replicas.size(), 4u);
  auto describe = [](const ReplicaSnapshot& r) {
    return r.name + " " + r.size + " " + r.status + (r.hydrated ? " hydrated" : " hydrating");
  };
  EXPECT_EQ(describe(snapshot.replicas[0]), "r1 small online hydrated");
  EXPECT_EQ(describe(snapshot.replicas[1]), "r2 small online hydrating");
  EXPECT_EQ(describe(snapshot.replicas[2]), "r3 large offline hydrated");
  EXPECT_EQ(describe(snapshot.replicas[3]), "r4 small unknown hydrated");  // no status row, no objects yet
}

TEST_F(SchedctlTest, ManagedClustersReadSizeAndFactor) {
  AddManagedCluster("u2", "reporting", "200cc", 2);
  AddStrategy("u2", "target_size", R"({"target_size": "200cc"})");
  FixtureDdlExecutor executor = Executor();
  Result<ControllerReport> report = Run(ControllerMode::kPlan, kT0, executor);
  ASSERT_TRUE(report.ok()) << report.status().message();
  ASSERT_EQ(report->clusters.size(), 1u);
  const ClusterSnapshot& snapshot = report->clusters[0].snapshot;
  EXPECT_TRUE(snapshot.managed);
  EXPECT_EQ(snapshot.size, "200cc");
  EXPECT_EQ(snapshot.replication_factor, 2);
  EXPECT_EQ(snapshot.last_activity_ms, std::nullopt);
  EXPECT_EQ(snapshot.activity_latency_ms, std::nullopt);
  // target_size asks for one replica: the factor goes down.
  EXPECT_EQ(report->clusters[0].actions.size(), 1u);
  EXPECT_EQ(report->clusters[0].actions[0].action.sql, "ALTER CLUSTER \"reporting\" SET (REPLICATION FACTOR = 1)");
}

// etl (u3): one hydrated 100cc replica and a burst strategy with a latency threshold of
// 500ms; the statements are the test's.
class BurstLatencyTest : public SchedctlTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SchedctlTest::SetUp());
    objects_["u3"] = {"u700"};
    AddCluster("u3", "etl");
    AddReplica("u3", "u30", "r1", "100cc");
    AddStrategy("u3", "burst",
                R"({"burst_replica_size": "800cc", "max_replicas": 3, "scale_up_threshold_ms": 500, "cooldown_s": 60})");
  }

  // The cluster's plan at kT0 (asserting that planning works).
  ClusterResult PlanAtT0() {
    FixtureDdlExecutor executor = Executor();
    Result<ControllerReport> report = Run(ControllerMode::kPlan, kT0, executor);
    EXPECT_TRUE(report.ok()) << report.status().message();
    if (!report.ok() || report->clusters.size() != 1) {
      ADD_FAILURE() << "expected one cluster";
      return {};
    }
    return report->clusters[0];
  }
};

TEST_F(BurstLatencyTest, SlowRecentStatementsAddABurstReplica) {
  AddStatement("u3", AtSecond(-200), 300);
  AddStatement("u3", AtSecond(-60), 2'000);
  AddStatement("u3", AtSecond(-10), 100);
  const ClusterResult cluster = PlanAtT0();
  EXPECT_EQ(cluster.snapshot.activity_latency_ms, 2'000);  // the slowest of the window
  ASSERT_EQ(cluster.actions.size(), 1u);
  EXPECT_EQ(cluster.actions[0].action.sql, "CREATE CLUSTER REPLICA \"etl\".\"burst_1\" (SIZE = '800cc')");
  ASSERT_EQ(cluster.plan.decisions.size(), 1u);
  EXPECT_EQ(cluster.plan.decisions[0].reasons,
            (Sql{"burst: activity latency 2000ms is above scale_up_threshold_ms 500", "burst: adds burst_1 (800cc)"}));
  // A statement that finished exactly five minutes ago still counts.
  Execute("DELETE FROM mz_internal.mz_recent_activity_log");
  AddStatement("u3", AtSecond(-300), 700);
  EXPECT_EQ(PlannedSql(kT0), (Sql{"CREATE CLUSTER REPLICA \"etl\".\"burst_1\" (SIZE = '800cc')"}));
}

TEST_F(BurstLatencyTest, FastOrOldStatementsAddNone) {
  AddStatement("u3", AtSecond(-30), 120);
  AddStatement("u3", AtSecond(-5), 500);  // at the threshold, not above it
  ClusterResult cluster = PlanAtT0();
  EXPECT_EQ(cluster.snapshot.activity_latency_ms, 500);
  EXPECT_TRUE(cluster.actions.empty());
  ASSERT_EQ(cluster.plan.decisions.size(), 1u);
  EXPECT_EQ(cluster.plan.decisions[0].reasons, (Sql{"burst: steady replica r1 is hydrated: no burst replica needed"}));

  // Slow, but finished more than five minutes ago: outside the window.
  AddStatement("u3", AtSecond(-301), 30'000);
  AddStatement("u3", AtSecond(-3600), 60'000);
  cluster = PlanAtT0();
  EXPECT_EQ(cluster.snapshot.activity_latency_ms, 500);
  EXPECT_TRUE(cluster.actions.empty());

  // With only old statements there is no latency at all: no opinion, no burst replica.
  Execute("DELETE FROM mz_internal.mz_recent_activity_log WHERE finished_at > '2023-11-14T22:08:20Z'");
  cluster = PlanAtT0();
  EXPECT_EQ(cluster.snapshot.activity_latency_ms, std::nullopt);
  EXPECT_EQ(cluster.snapshot.last_activity_ms, AtSecond(-301));
  EXPECT_TRUE(cluster.actions.empty());
}

TEST_F(BurstLatencyTest, TheControllersOwnAndLongRunningStatementsAreIgnored) {
  AddStatement("u3", AtSecond(-20), 9'000, "mz-schedctl");                      // the controller's own
  AddStatement("u3", AtSecond(-20), 600'000, "psql", "subscribe");              // runs as long as its client wants
  AddStatement("u3", AtSecond(-20), 60'000, "psql", "fetch");                   // waits for a subscription
  AddStatement("u3", AtSecond(-20), 3'600'000, "psql", "select", "aborted");    // cut short by a restart
  AddStatement("u4", AtSecond(-20), 9'000);                                     // another cluster's
  ClusterResult cluster = PlanAtT0();
  EXPECT_EQ(cluster.snapshot.activity_latency_ms, std::nullopt);
  EXPECT_TRUE(cluster.actions.empty());
  // A slow SELECT that failed or was canceled did keep its client waiting: it counts.
  AddStatement("u3", AtSecond(-20), 4'000, "psql", "select", "canceled");
  cluster = PlanAtT0();
  EXPECT_EQ(cluster.snapshot.activity_latency_ms, 4'000);
  ASSERT_EQ(cluster.actions.size(), 1u);
  EXPECT_EQ(cluster.actions[0].action.sql, "CREATE CLUSTER REPLICA \"etl\".\"burst_1\" (SIZE = '800cc')");
}

// ---------------------------------------------------------------------------
// plan and apply.

TEST_F(SchedctlTest, PlanWritesNothing) {
  AddCluster("u1", "analytics");
  AddReplica("u1", "u10", "r1", "small");
  AddStrategy("u1", "target_size", R"({"target_size": "medium"})");
  EXPECT_EQ(PlannedSql(kT0), (Sql{"CREATE CLUSTER REPLICA \"analytics\".\"r1_2\" (SIZE = 'medium')"}));
  EXPECT_EQ(PlannedSql(kT0), (Sql{"CREATE CLUSTER REPLICA \"analytics\".\"r1_2\" (SIZE = 'medium')"}));
  EXPECT_EQ(Query("SELECT count(*) FROM mz_cluster_strategy_actions"), (Rows{{"0"}}));
  EXPECT_EQ(Query("SELECT count(*) FROM mz_cluster_strategy_state"), (Rows{{"0"}}));
  EXPECT_EQ(Query("SELECT count(*) FROM mz_catalog.mz_cluster_replicas"), (Rows{{"1"}}));
}

TEST_F(SchedctlTest, ApplyResizesAnUnmanagedClusterWithoutDowntime) {
  objects_["u1"] = {"u500"};
  AddCluster("u1", "analytics");
  AddReplica("u1", "u10", "r1", "small");
  AddStrategy("u1", "target_size", R"({"target_size": "medium"})");
  FixtureDdlExecutor executor = Executor();

  // Cycle 1: the new replica is created, the old one serves on.
  Result<ControllerReport> report = Run(ControllerMode::kApply, AtSecond(0), executor);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->failure, "");
  ASSERT_EQ(report->clusters.size(), 1u);
  EXPECT_TRUE(report->clusters[0].state_saved);
  EXPECT_EQ(executor.executed(), (Sql{"CREATE CLUSTER REPLICA \"analytics\".\"r1_2\" (SIZE = 'medium')"}));
  EXPECT_EQ(Query("SELECT action_id, cluster_id, action_sql, executed, error_message FROM mz_cluster_strategy_actions"),
            (Rows{{"run1-1", "u1", "CREATE CLUSTER REPLICA \"analytics\".\"r1_2\" (SIZE = 'medium')", "t", "NULL"}}));
  EXPECT_EQ(Query("SELECT name, size FROM mz_catalog.mz_cluster_replicas ORDER BY name"),
            (Rows{{"r1", "small"}, {"r1_2", "medium"}}));
  EXPECT_EQ(Query("SELECT cluster_id, state_version, payload->>'state_version' FROM mz_cluster_strategy_state"),
            (Rows{{"u1", "1", "1"}}));

  // Cycle 2: r1_2 hydrates: nothing to do but wait.
  FixtureDdlExecutor planner = Executor();
  report = Run(ControllerMode::kPlan, AtSecond(60), planner);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->clusters[0].actions.empty());
  EXPECT_EQ(report->clusters[0].plan.diff.waiting,
            (Sql{"r1 (small) is kept until a replacement is hydrated (r1_2 not yet)"}));

  // Cycle 3: hydrated: the old replica goes.
  MarkAllHydrated();
  EXPECT_EQ(PlannedSql(AtSecond(120)), (Sql{"DROP CLUSTER REPLICA \"analytics\".\"r1\""}));
  report = Run(ControllerMode::kApply, AtSecond(120), executor);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->Count(ActionOutcome::kExecuted), 1);
  EXPECT_EQ(Query("SELECT name, size FROM mz_catalog.mz_cluster_replicas"), (Rows{{"r1_2", "medium"}}));

  // Cycle 4: settled: a plan after apply plans nothing.
  FixtureDdlExecutor settled = Executor();
  report = Run(ControllerMode::kPlan, AtSecond(180), settled);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->TotalActions(), 0);
  EXPECT_TRUE(report->clusters[0].plan.diff.waiting.empty());
  EXPECT_EQ(Query("SELECT count(*) FROM mz_cluster_strategy_actions WHERE executed"), (Rows{{"2"}}));
}

TEST_F(SchedctlTest, ApplyResizesAndSuspendsAManagedCluster) {
  objects_["u2"] = {"u600"};
  AddManagedCluster("u2", "reporting", "100cc", 1);
  AddStrategy("u2", "target_size", R"({"target_size": "200cc"})");
  AddStrategy("u2", "idle_suspend", R"({"idle_after_s": 600, "cooldown_s": 0})");
  AddActivity("u2", AtSecond(-30));
  FixtureDdlExecutor executor = Executor();

  Result<ControllerReport> report = Run(ControllerMode::kApply, AtSecond(0), executor);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(executor.executed(), (Sql{"ALTER CLUSTER \"reporting\" SET (SIZE = '200cc')"}));
  EXPECT_EQ(Query("SELECT size, replication_factor FROM mz_catalog.mz_clusters"), (Rows{{"200cc", "1"}}));
  EXPECT_EQ(Query("SELECT r.name, r.size, h.hydrated FROM mz_catalog.mz_cluster_replicas r "
                  "JOIN mz_internal.mz_hydration_statuses h ON h.replica_id = r.id"),
            (Rows{{"r1", "200cc", "f"}}));
  MarkAllHydrated();
  EXPECT_EQ(PlannedSql(AtSecond(60)), Sql{});

  // Idle for more than ten minutes: no replicas; the size stays.
  report = Run(ControllerMode::kApply, AtSecond(700), executor);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(executor.executed().back(), "ALTER CLUSTER \"reporting\" SET (REPLICATION FACTOR = 0)");
  EXPECT_EQ(Query("SELECT size, replication_factor FROM mz_catalog.mz_clusters"), (Rows{{"200cc", "0"}}));
  EXPECT_EQ(Query("SELECT count(*) FROM mz_catalog.mz_cluster_replicas"), (Rows{{"0"}}));
  EXPECT_EQ(PlannedSql(AtSecond(760)), Sql{});

  // Activity returns: target_size brings one replica back.
  AddActivity("u2", AtSecond(800));
  report = Run(ControllerMode::kApply, AtSecond(810), executor);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(executor.executed().back(), "ALTER CLUSTER \"reporting\" SET (REPLICATION FACTOR = 1)");
  MarkAllHydrated();
  EXPECT_EQ(PlannedSql(AtSecond(870)), Sql{});
}

TEST_F(SchedctlTest, AuditRowsCarryTheDecisionAndLogsTheIds) {
  AddCluster("u1", "analytics");
  AddReplica("u1", "u10", "r1", "small");
  AddStrategy("u1", "target_size", R"({"target_size": "medium"})");
  FixtureDdlExecutor executor = Executor();
  Result<ControllerReport> report = Run(ControllerMode::kApply, kT0, executor);
  ASSERT_TRUE(report.ok()) << report.status().message();
  const Rows rows = Query("SELECT decision_ctx::text FROM mz_cluster_strategy_actions");
  ASSERT_EQ(rows.size(), 1u);
  const nlohmann::json context = nlohmann::json::parse(rows[0][0]);
  EXPECT_EQ(context["run_id"], "run1");
  EXPECT_EQ(context["action_id"], "run1-1");
  EXPECT_EQ(context["decided_at"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(context["cluster"]["name"], "analytics");
  EXPECT_EQ(context["cluster"]["replicas"][0]["name"], "r1");
  EXPECT_EQ(context["decisions"][0]["strategy"], "target_size");
  EXPECT_EQ(context["decisions"][0]["decision"], "r1 (medium)");
  EXPECT_EQ(context["decisions"][0]["reasons"][0], "target_size: one replica r1 of size 'medium'");
  EXPECT_EQ(context["action"]["kind"], "create_replica");
  EXPECT_EQ(context["action"]["reason"], "target_size: one replica r1 of size 'medium'");
  EXPECT_EQ(context["action"]["expected_change"], "replicas: r1 (small) -> r1 (small), r1_2 (medium)");
  EXPECT_EQ(context["waiting"][0], "r1 (small) is kept until a replacement is hydrated (r1_2 not yet)");

  // The structured log names cluster, strategy and action.
  const ControlEvent* executed = nullptr;
  for (const ControlEvent& event : events_) {
    if (event.event == "action_executed") executed = &event;
  }
  ASSERT_NE(executed, nullptr);
  EXPECT_EQ(executed->cluster_id, "u1");
  EXPECT_EQ(executed->strategy, "target_size");
  EXPECT_EQ(executed->action_id, "run1-1");
  EXPECT_EQ(executed->message, "CREATE CLUSTER REPLICA \"analytics\".\"r1_2\" (SIZE = 'medium')");
}

TEST_F(SchedctlTest, AFailingActionStopsTheRunAndKeepsTheStateAsItWas) {
  // alpha is settled, analytics has three actions, zeta one: the second action fails.
  objects_["u1"] = {"u500"};
  AddManagedCluster("u3", "alpha", "100cc", 1);
  AddStrategy("u3", "target_size", R"({"target_size": "100cc"})");
  AddCluster("u1", "analytics");
  AddReplica("u1", "u10", "old1", "small");
  AddReplica("u1", "u11", "old2", "small", "offline");
  AddReplica("u1", "u12", "old3", "small", "offline");
  AddStrategy("u1", "target_size", R"({"target_size": "medium"})");
  AddCluster("u4", "zeta");
  AddStrategy("u4", "target_size", R"({"target_size": "small"})");
  FixtureDdlExecutor executor = Executor();
  executor.FailWhen("\"old2\"", "cluster replica 'analytics.old2' is busy (SQLSTATE 55006)");

  Result<ControllerReport> report = Run(ControllerMode::kApply, kT0, executor);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->failure,
            "cluster 'analytics' (u1): action run1-2 failed: cluster replica 'analytics.old2' is busy (SQLSTATE 55006)");
  EXPECT_EQ(Query("SELECT action_id, cluster_id, action_sql, executed, coalesce(error_message, '') "
                  "FROM mz_cluster_strategy_actions ORDER BY action_id"),
            (Rows{{"run1-1", "u1", "CREATE CLUSTER REPLICA \"analytics\".\"r1\" (SIZE = 'medium')", "t", ""},
                  {"run1-2", "u1", "DROP CLUSTER REPLICA \"analytics\".\"old2\"", "f",
                   "cluster replica 'analytics.old2' is busy (SQLSTATE 55006)"},
                  {"run1-3", "u1", "DROP CLUSTER REPLICA \"analytics\".\"old3\"", "f",
                   "not executed: action run1-2 failed before it"},
                  {"run1-4", "u4", "CREATE CLUSTER REPLICA \"zeta\".\"r1\" (SIZE = 'small')", "f",
                   "not executed: action run1-2 failed before it"}}));
  EXPECT_EQ(report->Count(ActionOutcome::kExecuted), 1);
  EXPECT_EQ(report->Count(ActionOutcome::kFailed), 1);
  EXPECT_EQ(report->Count(ActionOutcome::kNotExecuted), 2);
  // The state is stored for alpha (before the failure) only.
  EXPECT_EQ(Query("SELECT cluster_id FROM mz_cluster_strategy_state"), (Rows{{"u3"}}));
  ASSERT_EQ(report->clusters.size(), 3u);
  EXPECT_TRUE(report->clusters[0].state_saved);
  EXPECT_FALSE(report->clusters[1].state_saved);
  EXPECT_FALSE(report->clusters[2].state_saved);
  // What ran did happen; the next cycle continues from there.
  EXPECT_EQ(Query("SELECT name FROM mz_catalog.mz_cluster_replicas WHERE cluster_id = 'u1' ORDER BY name"),
            (Rows{{"old1"}, {"old2"}, {"old3"}, {"r1"}}));
  EXPECT_EQ(PlannedSql(AtSecond(60)), (Sql{"DROP CLUSTER REPLICA \"analytics\".\"old2\"",
                                           "DROP CLUSTER REPLICA \"analytics\".\"old3\"",
                                           "CREATE CLUSTER REPLICA \"zeta\".\"r1\" (SIZE = 'small')"}));
}

TEST_F(SchedctlTest, TheNewestRowOfAStrategyWins) {
  AddCluster("u1", "analytics");
  AddReplica("u1", "u10", "r1", "small");
  AddStrategy("u1", "target_size", R"({"target_size": "large"})", "2023-11-01T00:00:00Z");
  AddStrategy("u1", "target_size", R"({"target_size": "medium"})", "2023-11-02T00:00:00Z");
  AddStrategy("u1", "target_size", R"({"target_sizes": "typo in an old row"})", "2023-10-01T00:00:00Z");
  EXPECT_EQ(PlannedSql(kT0), (Sql{"CREATE CLUSTER REPLICA \"analytics\".\"r1_2\" (SIZE = 'medium')"}));
}

TEST_F(SchedctlTest, StateOfAnotherVersionStartsFresh) {
  AddCluster("u1", "analytics");
  AddReplica("u1", "u10", "r1", "medium");
  AddStrategy("u1", "target_size", R"({"target_size": "medium"})");
  Execute("INSERT INTO mz_cluster_strategy_state VALUES ('u1', 0, '{\"anything\": [1, 2]}', now())");
  EXPECT_EQ(PlannedSql(kT0), Sql{});
  // A state of this version that does not read is an error that says what to do.
  Execute("UPDATE mz_cluster_strategy_state SET state_version = 1, "
          "payload = '{\"state_version\": 1, \"strategies\": []}'");
  EXPECT_EQ(PlanError(),
            "cluster 'analytics' (u1): invalid controller state: 'strategies' must be an object; wipe the state to "
            "start fresh");
}

TEST_F(SchedctlTest, ClusterRegexMatchesWholeNames) {
  for (const auto& [id, name] : std::vector<std::pair<std::string, std::string>>{
           {"u1", "analytics"}, {"u2", "analytics_v2"}, {"u3", "reporting"}}) {
    AddCluster(id, name);
    AddStrategy(id, "target_size", R"({"target_size": "small"})");
  }
  EXPECT_EQ(PlannedSql(kT0, "analytics"), (Sql{"CREATE CLUSTER REPLICA \"analytics\".\"r1\" (SIZE = 'small')"}));
  EXPECT_EQ(PlannedSql(kT0, "analytics.*").size(), 2u);
  EXPECT_EQ(PlannedSql(kT0, "rep.*|analytics_v2").size(), 2u);
  EXPECT_EQ(PlannedSql(kT0).size(), 3u);
}

TEST_F(SchedctlTest, StrategiesOfUnknownClustersAreAWarning) {
  AddStrategy("u9", "target_size", R"({"target_size": "small"})");
  FixtureDdlExecutor executor = Executor();
  Result<ControllerReport> report = Run(ControllerMode::kPlan, kT0, executor);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_TRUE(report->clusters.empty());
  EXPECT_EQ(report->warnings,
            (Sql{"strategies for cluster id 'u9', which is not in mz_catalog.mz_clusters, are ignored"}));
}

TEST_F(SchedctlTest, WipeStateClearsAllOrTheSelectedClusters) {
  AddManagedCluster("u1", "analytics", "100cc", 1);
  AddManagedCluster("u2", "reporting", "100cc", 1);
  AddStrategy("u1", "target_size", R"({"target_size": "100cc"})");
  AddStrategy("u2", "target_size", R"({"target_size": "100cc"})");
  FixtureDdlExecutor executor = Executor();
  ASSERT_TRUE(Run(ControllerMode::kApply, kT0, executor).ok());
  EXPECT_EQ(Query("SELECT cluster_id FROM mz_cluster_strategy_state ORDER BY 1"), (Rows{{"u1"}, {"u2"}}));

  Result<ClusterFilter> filter = ClusterFilter::Parse("rep.*");
  ASSERT_TRUE(filter.ok());
  Result<WipeReport> wiped = WipeControllerState(*connection_, *filter, nullptr);
  ASSERT_TRUE(wiped.ok()) << wiped.status().message();
  EXPECT_FALSE(wiped->all);
  ASSERT_EQ(wiped->clusters.size(), 1u);
  EXPECT_EQ(wiped->clusters[0].id, "u2");
  EXPECT_EQ(wiped->rows_deleted, 1);
  EXPECT_EQ(Query("SELECT cluster_id FROM mz_cluster_strategy_state"), (Rows{{"u1"}}));

  wiped = WipeControllerState(*connection_, ClusterFilter(), nullptr);
  ASSERT_TRUE(wiped.ok());
  EXPECT_TRUE(wiped->all);
  EXPECT_EQ(wiped->rows_deleted, 1);
  EXPECT_EQ(Query("SELECT count(*) FROM mz_cluster_strategy_state"), (Rows{{"0"}}));
}

// The worked example of the README, as mz-schedctl prints it: three clusters, a plan,
// an apply, and the next cycle once the new replicas are hydrated.
TEST_F(SchedctlTest, TheReadmeExample) {
  objects_ = {{"u1", {"u500"}}, {"u2", {"u600"}}, {"u3", {"u700"}}};
  AddCluster("u1", "analytics");
  AddReplica("u1", "u10", "r1", "50cc");
  AddActivity("u1", AtSecond(-60));
  AddManagedCluster("u2", "reporting", "100cc", 1);
  AddActivity("u2", AtSecond(-2 * 3600));
  AddCluster("u3", "etl");
  AddReplica("u3", "u30", "r1", "100cc", "online", /*hydrated=*/false);
  AddActivity("u3", AtSecond(-5));
  AddStrategy("u1", "target_size", R"({"target_size": "200cc"})");
  AddStrategy("u2", "target_size", R"({"target_size": "100cc"})");
  AddStrategy("u2", "idle_suspend", R"({"idle_after_s": 3600, "cooldown_s": 300})");
  AddStrategy("u3", "target_size", R"({"target_size": "100cc"})");
  AddStrategy("u3", "burst", R"({"burst_replica_size": "800cc", "max_replicas": 2, "cooldown_s": 60})");

  FixtureDdlExecutor executor = Executor();
  Result<ControllerReport> plan = Run(ControllerMode::kPlan, kT0, executor);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(FormatReportText(*plan),
            "analytics (u1, unmanaged): 1 action\n"
            "  CREATE CLUSTER REPLICA \"analytics\".\"r1_2\" (SIZE = '200cc');  -- target_size: one replica r1 of "
            "size '200cc'\n"
            "  waiting: r1 (50cc) is kept until a replacement is hydrated (r1_2 not yet)\n"
            "etl (u3, unmanaged): 1 action\n"
            "  CREATE CLUSTER REPLICA \"etl\".\"burst_1\" (SIZE = '800cc');  -- burst: adds burst_1 (800cc)\n"
            "reporting (u2, managed): 1 action\n"
            "  ALTER CLUSTER \"reporting\" SET (REPLICATION FACTOR = 0);  -- desired replicas: none\n"
            "plan: 3 actions on 3 clusters; mz-schedctl apply executes them\n");

  Result<ControllerReport> apply =
      Run(ControllerMode::kApply, kT0, executor, "", "20231114T221320Z-5e1f0a");
  ASSERT_TRUE(apply.ok()) << apply.status().message();
  EXPECT_EQ(FormatReportText(*apply),
            "analytics (u1, unmanaged): 1 action, state saved\n"
            "  executed     20231114T221320Z-5e1f0a-1  CREATE CLUSTER REPLICA \"analytics\".\"r1_2\" (SIZE = "
            "'200cc');  -- target_size: one replica r1 of size '200cc'\n"
            "  waiting: r1 (50cc) is kept until a replacement is hydrated (r1_2 not yet)\n"
            "etl (u3, unmanaged): 1 action, state saved\n"
            "  executed     20231114T221320Z-5e1f0a-2  CREATE CLUSTER REPLICA \"etl\".\"burst_1\" (SIZE = '800cc');  "
            "-- burst: adds burst_1 (800cc)\n"
            "reporting (u2, managed): 1 action, state saved\n"
            "  executed     20231114T221320Z-5e1f0a-3  ALTER CLUSTER \"reporting\" SET (REPLICATION FACTOR = 0);  -- "
            "desired replicas: none\n"
            "apply (run 20231114T221320Z-5e1f0a): 3 executed, 0 failed, 0 not executed on 3 clusters\n");

  // Five minutes later everything is hydrated: the old analytics replica and the burst replica go.
  MarkAllHydrated();
  plan = Run(ControllerMode::kPlan, AtSecond(300), executor);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(FormatReportText(*plan),
            "analytics (u1, unmanaged): 1 action\n"
            "  DROP CLUSTER REPLICA \"analytics\".\"r1\";  -- not among the desired replicas (r1 (200cc))\n"
            "etl (u3, unmanaged): 1 action\n"
            "  DROP CLUSTER REPLICA \"etl\".\"burst_1\";  -- not among the desired replicas (r1 (100cc))\n"
            "reporting (u2, managed): nothing to do\n"
            "plan: 2 actions on 3 clusters; mz-schedctl apply executes them\n");
}

// ---------------------------------------------------------------------------
// Bad inputs: one line each, naming what is wrong.

TEST_F(SchedctlTest, AnUnknownStrategyTypeNamesClusterAndType) {
  AddCluster("u1", "analytics");
  AddStrategy("u1", "burts", R"({"burst_replica_size": "xl"})");
  EXPECT_EQ(PlanError(),
            "cluster 'analytics' (u1): unknown strategy 'burts' (known strategies: target_size, burst, idle_suspend)");
}

TEST_F(SchedctlTest, ABadConfigNamesClusterAndStrategy) {
  AddCluster("u1", "analytics");
  AddStrategy("u1", "idle_suspend", R"({"idle_after": 600, "cooldown_s": 60})");
  EXPECT_EQ(PlanError(),
            "cluster 'analytics' (u1), strategy idle_suspend: unknown key 'idle_after' in idle_suspend config (known "
            "keys: idle_after_s, cooldown_s, stabilization_s, min_replicas, max_replicas)");
  Execute("DELETE FROM mz_cluster_strategies");
  AddStrategy("u1", "burst", R"({"burst_replica_size": "xl", "max_replicas": 2, "cooldown_s": "60"})");
  EXPECT_EQ(PlanError(),
            "cluster 'analytics' (u1), strategy burst: 'cooldown_s' in burst config must be a whole number, found "
            "the string \"60\"");
  // Only the selected clusters' strategies are read: another cluster still plans.
  AddCluster("u2", "reporting");
  AddStrategy("u2", "target_size", R"({"target_size": "small"})");
  EXPECT_EQ(PlannedSql(kT0, "reporting"), (Sql{"CREATE CLUSTER REPLICA \"reporting\".\"r1\" (SIZE = 'small')"}));
}

TEST_F(SchedctlTest, ABadClusterRegexIsOneLine) {
  Result<ClusterFilter> filter = ClusterFilter::Parse("analytics(");
  ASSERT_FALSE(filter.ok());
  EXPECT_EQ(filter.status().message().rfind("invalid --cluster regex 'analytics(': ", 0), 0u)
      << filter.status().message();
  EXPECT_EQ(filter.status().message().find('\n'), std::string::npos);
}

TEST_F(SchedctlTest, NoCatalogIsAnErrorNamingTheRelation) {
  Execute("DROP SCHEMA mz_catalog CASCADE");
  EXPECT_EQ(PlanError(),
            "cannot read mz_catalog.mz_clusters: relation \"mz_catalog.mz_clusters\" does not exist (SQLSTATE 42P01)");
}

// ---------------------------------------------------------------------------
// The test double itself.

TEST_F(SchedctlTest, FixtureDdlExecutorParsesQuotedNamesAndRefusesOtherStatements) {
  const std::string name = "my \"big\" cluster's";
  AddCluster("u1", name);
  FixtureDdlExecutor executor = Executor();
  ClusterSnapshot snapshot;
  ASSERT_TRUE(executor.Execute(snapshot, {ActionKind::kCreateReplica, CreateReplicaSql(name, "r.1", "it's big")}).ok());
  EXPECT_EQ(Query("SELECT name, size FROM mz_catalog.mz_cluster_replicas"), (Rows{{"r.1", "it's big"}}));
  Status duplicate = executor.Execute(snapshot, {ActionKind::kCreateReplica, CreateReplicaSql(name, "r.1", "x")});
  EXPECT_EQ(duplicate.message(), "cluster replica 'my \"big\" cluster's.r.1' already exists");
  ASSERT_TRUE(executor.Execute(snapshot, {ActionKind::kDropReplica, DropReplicaSql(name, "r.1")}).ok());
  EXPECT_EQ(Query("SELECT count(*) FROM mz_catalog.mz_cluster_replicas"), (Rows{{"0"}}));
  Status other = executor.Execute(snapshot, {ActionKind::kDropReplica, "DROP TABLE mz_catalog.mz_clusters"});
  EXPECT_EQ(other.message(), "FixtureDdlExecutor: not a statement the controller emits: DROP TABLE mz_catalog.mz_clusters");
  Status unknown = executor.Execute(snapshot, {ActionKind::kSetSize, SetSizeSql("nope", "xl")});
  EXPECT_EQ(unknown.message(), "unknown cluster 'nope'");
}

}  // namespace
}  // namespace materia
