// The janitor against a real DuckDB file and a real SQLite state store: environments
// and snapshots are set up as an apply leaves them (physical tables, views promoted
// with PromoteViews, state records), then the janitor runs.
#include "run/janitor.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "plan/snapshot.h"
#include "project/config.h"
#include "run/executor.h"

namespace materia {
namespace {

namespace fs = std::filesystem;

constexpr TimestampMs kNowMs = 1718452800000;  // 2024-06-15T12:00:00Z
constexpr TimestampMs kWeekMs = 7 * kMsPerDay;

class JanitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    directory_ = fs::temp_directory_path() /
                 ("materia_janitor_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(directory_);
    fs::create_directories(directory_);
    auto state = OpenSqliteStateStore((directory_ / "state.db").string());
    ASSERT_TRUE(state.ok()) << state.status().message();
    state_ = std::move(*state);
    auto database = DuckDatabase::Open((directory_ / "warehouse.duckdb").string());
    ASSERT_TRUE(database.ok()) << database.status().message();
    database_ = *database;
    auto connection = DuckConnection::Connect(database_);
    ASSERT_TRUE(connection.ok()) << connection.status().message();
    warehouse_ = std::move(*connection);
    options_.now_ms = kNowMs;
  }

  void TearDown() override {
    warehouse_.reset();
    database_.reset();
    state_.reset();
    fs::remove_all(directory_);
  }

  // A snapshot with its physical table; `version` defaults to the fingerprint's start.
  SnapshotRecord Snapshot(const std::string& name, const std::string& fingerprint,
                          TimestampMs created_ms, std::string version = "") {
    SnapshotRecord snapshot;
    snapshot.name = name;
    snapshot.fingerprint = fingerprint;
    snapshot.version = version.empty() ? fingerprint.substr(0, kVersionLength) : version;
    snapshot.kind = "FULL";
    snapshot.created_ms = created_ms;
    EXPECT_TRUE(state_->PutSnapshot(snapshot).ok());
    auto [schema, table] = SplitModelName(name);
    Sql("CREATE SCHEMA IF NOT EXISTS " + QuoteIdentifier(PhysicalSchema(schema)));
    Sql("CREATE TABLE IF NOT EXISTS " + QualifiedPhysicalTable(name, snapshot.version) +
        " AS SELECT 1 AS x");
    snapshots_[name + "@" + fingerprint] = snapshot;
    return snapshot;
  }

  // Promotes `members` to `environment` as an apply does: views, then the record.
  void Promote(const std::string& environment, const std::vector<SnapshotRecord>& members,
               TimestampMs promoted_ms) {
    std::map<std::string, SnapshotRecord> snapshots;
    EnvironmentRecord record;
    record.name = environment;
    record.promoted_ms = promoted_ms;
    for (const SnapshotRecord& snapshot : members) {
      snapshots[snapshot.name] = snapshot;
      record.snapshots[snapshot.name] = {snapshot.fingerprint, snapshot.version};
    }
    ASSERT_TRUE(PromoteViews(*warehouse_, environment, snapshots, {}).ok());
    ASSERT_TRUE(state_->PutEnvironment(record).ok());
  }

  void Sql(const std::string& sql) {
    Status status = warehouse_->Execute(sql);
    EXPECT_TRUE(status.ok()) << sql << ": " << status.message();
  }

  // "schema.name" of every table and view, and "schema/" of every schema, outside
  // DuckDB's own.
  std::set<std::string> Catalog() {
    auto result = warehouse_->Query(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE NOT internal "
        "UNION ALL SELECT schema_name || '.' || view_name FROM duckdb_views() WHERE NOT internal "
        "UNION ALL SELECT schema_name || '/' FROM duckdb_schemas() WHERE NOT internal");
    EXPECT_TRUE(result.ok()) << result.status().message();
    std::set<std::string> names;
    if (result.ok()) {
      for (const auto& row : result->rows) names.insert(*row[0]);
    }
    return names;
  }

  bool Has(const std::string& name) { return Catalog().count(name) > 0; }

  std::vector<std::string> Environments() { return *state_->ListEnvironments(); }

  std::set<std::string> SnapshotsInState() {
    std::set<std::string> names;
    std::vector<SnapshotRecord> snapshots = *state_->ListSnapshots();
    for (const SnapshotRecord& snapshot : snapshots) {
      names.insert(snapshot.name + "@" + snapshot.fingerprint);
    }
    return names;
  }

  JanitorPlan Plan() {
    auto plan = PlanJanitor(*state_, *warehouse_, options_);
    EXPECT_TRUE(plan.ok()) << plan.status().message();
    return plan.ok() ? *plan : JanitorPlan{};
  }

  JanitorPlan Clean() {
    JanitorPlan plan = Plan();
    Status status = ExecuteJanitor(plan, *state_, *warehouse_);
    EXPECT_TRUE(status.ok()) << status.message();
    return plan;
  }

  // Every view of every environment in state resolves to a table that exists.
  void ExpectEnvironmentsIntact() {
    for (const std::string& name : Environments()) {
      auto environment = *state_->GetEnvironment(name);
      for (const auto& [model, reference] : environment->snapshots) {
        auto [schema, table] = SplitModelName(model);
        EXPECT_TRUE(Has(PhysicalSchema(schema) + "." + PhysicalTableName(schema, table, reference.version)))
            << name << " lost the table of " << model;
        auto rows = warehouse_->Query("SELECT count(*) FROM " +
                                      QuoteIdentifier(EnvironmentSchema(schema, name)) + "." +
                                      QuoteIdentifier(table));
        EXPECT_TRUE(rows.ok()) << name << "." << model << ": " << rows.status().message();
      }
    }
  }

  fs::path directory_;
  std::unique_ptr<StateStore> state_;
  std::shared_ptr<DuckDatabase> database_;
  std::unique_ptr<DuckConnection> warehouse_;
  JanitorOptions options_;
  std::map<std::string, SnapshotRecord> snapshots_;
};

std::vector<std::string> Names(const JanitorPlan& plan) {
  std::vector<std::string> names;
  for (const auto& environment : plan.environments) names.push_back("environment " + environment.name);
  for (const auto& snapshot : plan.snapshots) names.push_back("snapshot " + snapshot.name + "@" + snapshot.fingerprint);
  for (const auto& object : plan.objects) {
    names.push_back((object.is_view ? "view " : "table ") + object.QualifiedName() + " (" + object.reason + ")");
  }
  for (const auto& schema : plan.schemas) names.push_back("schema " + schema);
  return names;
}

const char* const kA1 = "a1a1a1a1a1a1a1a1";
const char* const kA2 = "a2a2a2a2a2a2a2a2";
const char* const kB1 = "b1b1b1b1b1b1b1b1";

TEST_F(JanitorTest, ExpiredDevEnvironmentGoesAndProdNeverExpires) {
  SnapshotRecord a = Snapshot("s.a", kA1, kNowMs - 30 * kMsPerDay);
  Promote("prod", {a}, kNowMs - 30 * kMsPerDay);
  Promote("dev", {a}, kNowMs - kWeekMs - 1);
  Promote("fresh", {a}, kNowMs - kWeekMs);  // exactly the TTL: not older than it

  JanitorPlan plan = Clean();
  EXPECT_EQ(Names(plan), (std::vector<std::string>{"environment dev"}));
  ASSERT_EQ(plan.environments.size(), 1u);
  EXPECT_EQ(plan.environments[0].promoted_ms, kNowMs - kWeekMs - 1);
  ASSERT_EQ(plan.environments[0].views.size(), 1u);
  EXPECT_EQ(plan.environments[0].views[0].QualifiedName(), "s__dev.a");
  EXPECT_EQ(plan.environments[0].schemas, (std::vector<std::string>{"s__dev"}));

  EXPECT_EQ(Environments(), (std::vector<std::string>{"fresh", "prod"}));
  EXPECT_FALSE(Has("s__dev.a"));
  EXPECT_FALSE(Has("s__dev/"));
  EXPECT_TRUE(Has("s.a"));
  EXPECT_TRUE(Has("s__fresh.a"));
  EXPECT_TRUE(Has("materia__s.s__a__a1a1a1a1a1a1"));  // prod still uses it
  ExpectEnvironmentsIntact();
}

TEST_F(JanitorTest, ShorterEnvironmentTtlExpiresSooner) {
  SnapshotRecord a = Snapshot("s.a", kA1, kNowMs);
  Promote("dev", {a}, kNowMs - 2 * kMsPerSecond);
  EXPECT_TRUE(Plan().empty());
  options_.environment_ttl = {1, DurationUnit::kSecond};
  EXPECT_EQ(Names(Plan()), (std::vector<std::string>{"environment dev"}));
}

TEST_F(JanitorTest, UnusedSnapshotOlderThanItsTtlGoesWithItsTable) {
  SnapshotRecord used = Snapshot("s.a", kA2, kNowMs - 30 * kMsPerDay);
  Snapshot("s.a", kA1, kNowMs - kWeekMs - 1);  // replaced by kA2 long ago
  Snapshot("s.b", kB1, kNowMs - kWeekMs);      // planned, never promoted, young enough
  Promote("prod", {used}, kNowMs - 30 * kMsPerDay);

  JanitorPlan plan = Clean();
  EXPECT_EQ(Names(plan), (std::vector<std::string>{
                             "snapshot s.a@a1a1a1a1a1a1a1a1",
                             "table materia__s.s__a__a1a1a1a1a1a1 (snapshot of s.a no longer used)"}));
  EXPECT_EQ(SnapshotsInState(), (std::set<std::string>{"s.a@a2a2a2a2a2a2a2a2", "s.b@b1b1b1b1b1b1b1b1"}));
  EXPECT_FALSE(Has("materia__s.s__a__a1a1a1a1a1a1"));
  EXPECT_TRUE(Has("materia__s.s__a__a2a2a2a2a2a2"));
  EXPECT_TRUE(Has("materia__s.s__b__b1b1b1b1b1b1"));
  ExpectEnvironmentsIntact();
}

TEST_F(JanitorTest, TableSharedWithAKeptSnapshotStays) {
  // A non-breaking change: kA2 reuses kA1's table (and intervals).
  Snapshot("s.a", kA1, kNowMs - 30 * kMsPerDay);
  SnapshotRecord child = Snapshot("s.a", kA2, kNowMs - 20 * kMsPerDay, "a1a1a1a1a1a1");
  Promote("prod", {child}, kNowMs - 20 * kMsPerDay);
  EvaluationRecord evaluation{"s.a", "a1a1a1a1a1a1", IntervalSet({Interval{0, kMsPerDay}}), {}, {}};
  ASSERT_TRUE(state_->RecordEvaluation(evaluation).ok());

  JanitorPlan plan = Clean();
  EXPECT_EQ(Names(plan), (std::vector<std::string>{"snapshot s.a@a1a1a1a1a1a1a1a1"}));
  EXPECT_TRUE(Has("materia__s.s__a__a1a1a1a1a1a1"));
  EXPECT_EQ(*state_->GetIntervals("s.a", "a1a1a1a1a1a1"), IntervalSet({Interval{0, kMsPerDay}}));
  ExpectEnvironmentsIntact();
}

TEST_F(JanitorTest, SnapshotsOfAnExpiredEnvironmentGoInTheSameRun) {
  SnapshotRecord prod_a = Snapshot("s.a", kA1, kNowMs - 30 * kMsPerDay);
  SnapshotRecord dev_a = Snapshot("s.a", kA2, kNowMs - 10 * kMsPerDay);
  SnapshotRecord dev_b = Snapshot("s.b", kB1, kNowMs - 10 * kMsPerDay);
  Promote("prod", {prod_a}, kNowMs - 30 * kMsPerDay);
  Promote("dev", {dev_a, dev_b}, kNowMs - 9 * kMsPerDay);

  JanitorPlan plan = Clean();
  EXPECT_EQ(Names(plan),
            (std::vector<std::string>{
                "environment dev", "snapshot s.a@a2a2a2a2a2a2a2a2", "snapshot s.b@b1b1b1b1b1b1b1b1",
                "table materia__s.s__a__a2a2a2a2a2a2 (snapshot of s.a no longer used)",
                "table materia__s.s__b__b1b1b1b1b1b1 (snapshot of s.b no longer used)"}));
  EXPECT_EQ(Catalog(), (std::set<std::string>{"s/", "s.a", "materia__s/",
                                              "materia__s.s__a__a1a1a1a1a1a1"}));
  ExpectEnvironmentsIntact();
}

TEST_F(JanitorTest, ObjectsStateDoesNotKnowAndEmptySchemasGo) {
  SnapshotRecord a = Snapshot("s.a", kA1, kNowMs - 30 * kMsPerDay);
  Promote("prod", {a}, kNowMs);
  // What an apply killed half-way leaves: a table and a view of no snapshot, a schema.
  Sql("CREATE TABLE materia__s.s__ghost__0123456789ab AS SELECT 1 AS x");
  Sql("CREATE VIEW materia__s.s__phantom__abcdef012345 AS SELECT 1 AS x");
  Sql("CREATE SCHEMA materia__old");
  Sql("CREATE TABLE materia__old.old__gone__0123456789ab AS SELECT 1 AS x");
  // What Materia would never have made stays: other names, other schemas.
  Sql("CREATE TABLE materia__s.notes AS SELECT 1 AS x");
  Sql("CREATE TABLE materia__s.s__ghost__notaversion AS SELECT 1 AS x");
  Sql("CREATE SCHEMA scratch");
  Sql("CREATE TABLE scratch.s__ghost__0123456789ab AS SELECT 1 AS x");
  Sql("CREATE SCHEMA materia__kept");
  Sql("CREATE SEQUENCE materia__kept.counter");

  JanitorPlan plan = Clean();
  EXPECT_EQ(Names(plan),
            (std::vector<std::string>{
                "table materia__old.old__gone__0123456789ab (unknown to state)",
                "table materia__s.s__ghost__0123456789ab (unknown to state)",
                "view materia__s.s__phantom__abcdef012345 (unknown to state)",
                "schema materia__old"}));
  EXPECT_EQ(Catalog(), (std::set<std::string>{"s/", "s.a", "materia__s/",
                                              "materia__s.s__a__a1a1a1a1a1a1", "materia__s.notes",
                                              "materia__s.s__ghost__notaversion", "scratch/",
                                              "scratch.s__ghost__0123456789ab", "materia__kept/"}));
}

TEST_F(JanitorTest, EmptyStateRemovesNothingFromAFullWarehouse) {
  // A state store that knows nothing beside a warehouse full of tables is more likely
  // the wrong state file than a crash: nothing is dropped.
  Sql("CREATE SCHEMA materia__s");
  Sql("CREATE TABLE materia__s.s__a__0123456789ab AS SELECT 1 AS x");
  EXPECT_TRUE(Clean().empty());
  EXPECT_TRUE(Has("materia__s.s__a__0123456789ab"));
}

TEST_F(JanitorTest, ViewsOfAnotherEnvironmentWithACollidingNameStay) {
  // Model schema "s__dev" in prod has its views in "s__dev", as model schema "s" in dev.
  SnapshotRecord a = Snapshot("s.a", kA1, kNowMs);
  SnapshotRecord collider = Snapshot("s__dev.a", kB1, kNowMs);
  Promote("prod", {collider}, kNowMs - 30 * kMsPerDay);
  Promote("dev", {a}, kNowMs - 30 * kMsPerDay);  // its view s__dev.a is now prod's
  JanitorPlan plan = Clean();
  EXPECT_EQ(Names(plan), (std::vector<std::string>{"environment dev"}));
  EXPECT_TRUE(Has("s__dev.a"));
  EXPECT_TRUE(Has("s__dev/"));
  ExpectEnvironmentsIntact();
}

TEST_F(JanitorTest, PlanningChangesNothingAndASecondRunFindsNothing) {
  SnapshotRecord prod_a = Snapshot("s.a", kA1, kNowMs - 30 * kMsPerDay);
  SnapshotRecord dev_b = Snapshot("s.b", kB1, kNowMs - 30 * kMsPerDay);
  Promote("prod", {prod_a}, kNowMs - 30 * kMsPerDay);
  Promote("dev", {prod_a, dev_b}, kNowMs - 30 * kMsPerDay);
  Sql("CREATE TABLE materia__s.s__ghost__0123456789ab AS SELECT 1 AS x");
  std::set<std::string> catalog = Catalog();
  std::set<std::string> snapshots = SnapshotsInState();

  JanitorPlan first = Plan();
  EXPECT_EQ(Names(first).size(), 4u);  // dev, s.b, its table, the ghost
  EXPECT_EQ(Names(Plan()), Names(first));
  EXPECT_EQ(Catalog(), catalog);
  EXPECT_EQ(SnapshotsInState(), snapshots);
  EXPECT_EQ(Environments(), (std::vector<std::string>{"dev", "prod"}));

  ASSERT_TRUE(ExecuteJanitor(first, *state_, *warehouse_).ok());
  EXPECT_TRUE(Plan().empty()) << Names(Plan()).size();
  ExpectEnvironmentsIntact();
}

// A janitor killed after any step leaves every remaining environment whole, and the
// next run ends where an uninterrupted one would have.
TEST_F(JanitorTest, KilledAfterAnyStepARerunConverges) {
  for (int steps = 0; steps <= 4; steps++) {
    SCOPED_TRACE("killed after step " + std::to_string(steps));
    TearDown();
    SetUp();
    SnapshotRecord prod_a = Snapshot("s.a", kA1, kNowMs - 30 * kMsPerDay);
    SnapshotRecord dev_a = Snapshot("s.a", kA2, kNowMs - 30 * kMsPerDay);
    SnapshotRecord dev_b = Snapshot("s.b", kB1, kNowMs - 30 * kMsPerDay);
    Promote("prod", {prod_a}, kNowMs - 30 * kMsPerDay);
    Promote("dev", {dev_a, dev_b}, kNowMs - 30 * kMsPerDay);
    Promote("fresh", {dev_b}, kNowMs);  // keeps s.b alive

    JanitorPlan full = Plan();
    JanitorPlan partial;
    if (steps >= 1) partial.environments = full.environments;
    if (steps >= 2) partial.objects = full.objects;
    if (steps >= 3) partial.snapshots = full.snapshots;
    if (steps >= 4) partial.schemas = full.schemas;
    ASSERT_TRUE(ExecuteJanitor(partial, *state_, *warehouse_).ok());
    ExpectEnvironmentsIntact();

    Clean();
    EXPECT_TRUE(Plan().empty());
    EXPECT_EQ(Environments(), (std::vector<std::string>{"fresh", "prod"}));
    EXPECT_EQ(SnapshotsInState(), (std::set<std::string>{"s.a@a1a1a1a1a1a1a1a1", "s.b@b1b1b1b1b1b1b1b1"}));
    EXPECT_EQ(Catalog(), (std::set<std::string>{"s/", "s.a", "s__fresh/", "s__fresh.b",
                                                "materia__s/", "materia__s.s__a__a1a1a1a1a1a1",
                                                "materia__s.s__b__b1b1b1b1b1b1"}));
    ExpectEnvironmentsIntact();
  }
}

// --- config.yaml --------------------------------------------------------------

class JanitorConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() / ("materia_janitor_config_" + std::to_string(getpid()));
    fs::remove_all(directory_);
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  Result<ProjectConfig> Load(const std::string& content) {
    std::ofstream(directory_ / "config.yaml") << content;
    return LoadConfig(directory_.string());
  }

  std::string ErrorOf(const std::string& content) {
    Result<ProjectConfig> config = Load(content);
    return config.ok() ? "ok" : config.status().message();
  }

  fs::path directory_;
};

TEST_F(JanitorConfigTest, TtlsDefaultToOneWeek) {
  Result<ProjectConfig> config = Load("gateways: {}\n");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->environment_ttl, (Duration{1, DurationUnit::kWeek}));
  EXPECT_EQ(config->snapshot_ttl, (Duration{1, DurationUnit::kWeek}));
}

TEST_F(JanitorConfigTest, ReadsSqlmeshTtls) {
  Result<ProjectConfig> config = Load("environment_ttl: in 3 days\nsnapshot_ttl: '12 hours'\n");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->environment_ttl, (Duration{3, DurationUnit::kDay}));
  EXPECT_EQ(config->snapshot_ttl, (Duration{12, DurationUnit::kHour}));
  config = Load("environment_ttl:\nsnapshot_ttl: ~\n");  // empty keeps the default
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->environment_ttl, (Duration{1, DurationUnit::kWeek}));
  EXPECT_EQ(config->snapshot_ttl, (Duration{1, DurationUnit::kWeek}));
}

TEST_F(JanitorConfigTest, BadTtlsNameTheirPosition) {
  EXPECT_EQ(ErrorOf("gateways: {}\nenvironment_ttl: soon\n"),
            "config.yaml:2:18: invalid environment_ttl 'soon': expected a count and a unit, "
            "such as 'in 1 week', '3 days' or '12 hours'");
  EXPECT_EQ(ErrorOf("snapshot_ttl: 2 fortnights\n"),
            "config.yaml:1:15: invalid snapshot_ttl '2 fortnights': unknown unit 'fortnights' "
            "(expected seconds, minutes, hours, days, weeks, months or years)");
  EXPECT_EQ(ErrorOf("snapshot_ttl: 7\n"),
            "config.yaml:1:15: invalid snapshot_ttl '7': expected a count and a unit, such as "
            "'in 1 week', '3 days' or '12 hours'");
  EXPECT_EQ(ErrorOf("environment_ttl: [1 week]\n"),
            "config.yaml:1:18: environment_ttl must be a single value");
}

}  // namespace
}  // namespace materia
