// The SQLite state store against real files in a temporary folder.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "db/sqlite.h"
#include "state/migrations.h"
#include "state/state_store.h"

namespace materia {
namespace {

namespace fs = std::filesystem;

constexpr TimestampMs kTickMs = 5 * kMsPerMinute;

class SqliteStateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    directory_ = fs::temp_directory_path() /
                 ("materia_state_test_" + std::to_string(getpid()) + "_" +
                  std::to_string(counter++));
    fs::remove_all(directory_);
    path_ = (directory_ / ".materia" / "state.db").string();
  }
  void TearDown() override { fs::remove_all(directory_); }

  std::unique_ptr<StateStore> Open(bool read_only = false) {
    auto store = OpenSqliteStateStore(path_, read_only);
    EXPECT_TRUE(store.ok()) << store.status().message();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // A second, raw connection to the same file, for checking what is stored.
  std::unique_ptr<SqliteDatabase> Raw() {
    auto database = SqliteDatabase::Open(path_);
    EXPECT_TRUE(database.ok()) << database.status().message();
    return std::move(database).value();
  }

  int64_t CountRows(const std::string& table) {
    auto text = Raw()->QueryText("SELECT COUNT(*) FROM " + table);
    EXPECT_TRUE(text.ok()) << text.status().message();
    return std::stoll(*text);
  }

  fs::path directory_;
  std::string path_;
};

SnapshotRecord MakeSnapshot(const std::string& name, const std::string& fingerprint) {
  SnapshotRecord snapshot;
  snapshot.name = name;
  snapshot.fingerprint = fingerprint;
  snapshot.version = "v_" + fingerprint;
  snapshot.kind = "INCREMENTAL_BY_TIME_RANGE";
  snapshot.data_hash = "hash_" + fingerprint;
  snapshot.query = "SELECT 'it''s' AS quote, 1 AS one";
  snapshot.parents_json = R"([{"name":"raw.psd","fingerprint":"abc"}])";
  snapshot.change_category = "breaking";
  snapshot.definition_json = R"({"cron":"@daily","tags":["a"]})";
  snapshot.data_identity = "identity_" + fingerprint;
  snapshot.created_ms = 1'700'000'000'000;
  return snapshot;
}

void ExpectSameSnapshot(const SnapshotRecord& expected, const SnapshotRecord& actual) {
  EXPECT_EQ(expected.name, actual.name);
  EXPECT_EQ(expected.fingerprint, actual.fingerprint);
  EXPECT_EQ(expected.version, actual.version);
  EXPECT_EQ(expected.kind, actual.kind);
  EXPECT_EQ(expected.data_hash, actual.data_hash);
  EXPECT_EQ(expected.query, actual.query);
  EXPECT_EQ(expected.parents_json, actual.parents_json);
  EXPECT_EQ(expected.change_category, actual.change_category);
  EXPECT_EQ(expected.definition_json, actual.definition_json);
  EXPECT_EQ(expected.data_identity, actual.data_identity);
  EXPECT_EQ(expected.created_ms, actual.created_ms);
}

// An evaluation of `name`@v1 that completes [start, end) with one interval version.
EvaluationRecord MakeEvaluation(const std::string& name, TimestampMs start, TimestampMs end,
                                const std::string& data_version) {
  EvaluationRecord evaluation;
  evaluation.name = name;
  evaluation.version = "v1";
  evaluation.intervals = IntervalSet({Interval{start, end}});
  IntervalVersionRecord record;
  record.interval = Interval{start, end};
  record.data_version = data_version;
  record.input_versions = {{"raw.psd", "in_" + data_version}};
  evaluation.interval_versions.push_back(record);
  return evaluation;
}

void ExpectOk(const Status& status) { EXPECT_TRUE(status.ok()) << status.message(); }

// ---------------------------------------------------------------------------
// Opening, schema and files

TEST_F(SqliteStateStoreTest, CreatesParentDirectoryAndMigrates) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(fs::exists(path_));
  auto version = store->SchemaVersion();
  ASSERT_TRUE(version.ok()) << version.status().message();
  EXPECT_EQ(*version, LatestStateSchemaVersion());
  EXPECT_EQ(CountRows("schema_version"), LatestStateSchemaVersion());
}

TEST_F(SqliteStateStoreTest, UsesWriteAheadLogAndForeignKeys) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto raw = Raw();
  EXPECT_EQ(*raw->QueryText("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(*raw->QueryText("PRAGMA foreign_keys"), "1");
}

TEST_F(SqliteStateStoreTest, ReopeningMigratesNothingTwice) {
  ASSERT_NE(Open(), nullptr);
  ASSERT_NE(Open(), nullptr);
  EXPECT_EQ(CountRows("schema_version"), LatestStateSchemaVersion());
}

TEST_F(SqliteStateStoreTest, ReadOnlyOpenOfMissingFileIsNotFound) {
  auto store = OpenSqliteStateStore(path_, /*read_only=*/true);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store.status().message(),
            "no state store at " + path_ + " (run `materia plan` first)");
  EXPECT_FALSE(fs::exists(path_));
  EXPECT_FALSE(fs::exists(directory_ / ".materia"));
}

TEST_F(SqliteStateStoreTest, EmptyPathIsInvalidInput) {
  auto store = OpenSqliteStateStore("");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidInput);
}

TEST_F(SqliteStateStoreTest, VersionOneFileIsUpgradedKeepingItsSnapshots) {
  fs::create_directories(fs::path(path_).parent_path());
  {
    auto raw = SqliteDatabase::Open(path_);
    ASSERT_TRUE(raw.ok()) << raw.status().message();
    const StateMigration& first = StateMigrations().front();
    ExpectOk((*raw)->Execute("CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY, "
                             "description TEXT NOT NULL, applied_ms INTEGER NOT NULL)"));
    ExpectOk((*raw)->Execute(first.sql));
    ExpectOk((*raw)->Execute("INSERT INTO schema_version VALUES (1, 'initial schema', 0)"));
    ExpectOk((*raw)->Execute(
        "INSERT INTO snapshots (name, fingerprint, version, kind, data_hash, normalized_query, "
        "parents_json, change_category, definition_json, data_identity, created_ms) VALUES "
        "('sales.orders', 'f1', 'v1', 'FULL', 'd', 'SELECT 1', '[]', '', '{}', 'f1', 5)"));
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->SchemaVersion(), LatestStateSchemaVersion());
  auto snapshot = store->GetSnapshot("sales.orders", "f1");
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().message();
  ASSERT_TRUE(snapshot->has_value());
  EXPECT_EQ((*snapshot)->query, "SELECT 1");
  EXPECT_EQ((*snapshot)->version, "v1");
}

TEST_F(SqliteStateStoreTest, FutureSchemaVersionIsRefused) {
  ASSERT_NE(Open(), nullptr);
  int future = LatestStateSchemaVersion() + 7;
  ExpectOk(Raw()->Execute("INSERT INTO schema_version VALUES (" + std::to_string(future) +
                          ", 'from a newer release', 0)"));
  std::string expected = "state store schema version " + std::to_string(future) +
                         " is newer than this materia (" +
                         std::to_string(LatestStateSchemaVersion()) + ")";
  for (bool read_only : {false, true}) {
    auto store = OpenSqliteStateStore(path_, read_only);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.status().code(), StatusCode::kInvalidInput);
    EXPECT_EQ(store.status().message(), expected);
  }
}

TEST_F(SqliteStateStoreTest, ReadOnlyOpenOfUnmigratedFileIsRefused) {
  fs::create_directories(fs::path(path_).parent_path());
  ExpectOk(Raw()->Execute("CREATE TABLE unrelated (x INTEGER)"));
  auto store = OpenSqliteStateStore(path_, /*read_only=*/true);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().message(),
            "state store schema version 0 is older than this materia (" +
                std::to_string(LatestStateSchemaVersion()) +
                "); run `materia plan` to upgrade it");
}

TEST_F(SqliteStateStoreTest, FileThatIsNotADatabaseIsADatabaseError) {
  fs::create_directories(fs::path(path_).parent_path());
  std::ofstream(path_) << "this is a text file, not a database, and it is long enough to "
                          "fill the sixteen bytes of a header\n";
  auto store = OpenSqliteStateStore(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kDatabaseError);
  EXPECT_NE(store.status().message().find(path_), std::string::npos);
  EXPECT_NE(store.status().message().find("not a database"), std::string::npos)
      << store.status().message();
}

TEST_F(SqliteStateStoreTest, ReadOnlyStoreReadsButDoesNotWrite) {
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ExpectOk(store->PutValue("key", "value"));
  }
  auto store = Open(/*read_only=*/true);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(**store->GetValue("key"), "value");
  Status write = store->PutValue("key", "other");
  EXPECT_EQ(write.code(), StatusCode::kDatabaseError);
  EXPECT_NE(write.message().find("readonly"), std::string::npos) << write.message();
  EXPECT_EQ(**store->GetValue("key"), "value");
}

TEST_F(SqliteStateStoreTest, ReopenPersistsEverything) {
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ExpectOk(store->PutSnapshot(MakeSnapshot("sales.orders", "f1")));
    ExpectOk(store->PutEnvironment({"prod", {{"sales.orders", {"f1", "v_f1"}}}, 5, "plan1"}));
    ExpectOk(store->RecordEvaluation(MakeEvaluation("sales.orders", 0, kMsPerDay, "d1")));
    ExpectOk(store->PutRun({"run1", "run", "prod", "success", 10, 20, "{}", ""}));
    ExpectOk(store->PutValue("analysis:abc", "{\"tables\":[]}"));
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->GetSnapshot("sales.orders", "f1")->has_value());
  EXPECT_EQ((*store->GetEnvironment("prod"))->plan_id, "plan1");
  EXPECT_EQ(*store->GetIntervals("sales.orders", "v1"), IntervalSet({Interval{0, kMsPerDay}}));
  EXPECT_EQ(store->GetIntervalVersions("sales.orders", "v1")->size(), 1u);
  EXPECT_EQ(store->ListRuns(10)->size(), 1u);
  EXPECT_EQ(**store->GetValue("analysis:abc"), "{\"tables\":[]}");
}

// ---------------------------------------------------------------------------
// Snapshots

TEST_F(SqliteStateStoreTest, SnapshotRoundTrip) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  SnapshotRecord snapshot = MakeSnapshot("sales.orders", "f1");
  ExpectOk(store->PutSnapshot(snapshot));
  auto found = store->GetSnapshot("sales.orders", "f1");
  ASSERT_TRUE(found.ok()) << found.status().message();
  ASSERT_TRUE(found->has_value());
  ExpectSameSnapshot(snapshot, **found);
  EXPECT_FALSE(store->GetSnapshot("sales.orders", "missing")->has_value());
  EXPECT_FALSE(store->GetSnapshot("sales.missing", "f1")->has_value());
}

TEST_F(SqliteStateStoreTest, PutSnapshotIsIdempotentAndKeepsTheFirst) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  SnapshotRecord first = MakeSnapshot("sales.orders", "f1");
  ExpectOk(store->PutSnapshot(first));
  ExpectOk(store->PutSnapshot(first));
  SnapshotRecord changed = first;
  changed.change_category = "non-breaking";
  changed.created_ms += 1000;
  ExpectOk(store->PutSnapshot(changed));
  auto all = store->ListSnapshots();
  ASSERT_TRUE(all.ok()) << all.status().message();
  ASSERT_EQ(all->size(), 1u);
  ExpectSameSnapshot(first, (*all)[0]);
}

TEST_F(SqliteStateStoreTest, ListSnapshotsIsOrderedByName) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ExpectOk(store->PutSnapshot(MakeSnapshot("z.last", "f3")));
  ExpectOk(store->PutSnapshot(MakeSnapshot("a.first", "f1")));
  ExpectOk(store->PutSnapshot(MakeSnapshot("m.middle", "f2")));
  auto all = store->ListSnapshots();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].name, "a.first");
  EXPECT_EQ((*all)[1].name, "m.middle");
  EXPECT_EQ((*all)[2].name, "z.last");
}

TEST_F(SqliteStateStoreTest, DeleteSnapshotDropsStateOfAnUnsharedVersion) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  SnapshotRecord snapshot = MakeSnapshot("sales.orders", "f1");
  snapshot.version = "v1";
  ExpectOk(store->PutSnapshot(snapshot));
  EvaluationRecord evaluation = MakeEvaluation("sales.orders", 0, kMsPerDay, "d1");
  evaluation.materialization =
      MaterializationRecord{"sales.orders", "v1", "f1", "d1", {}, 3, 9, "r"};
  ExpectOk(store->RecordEvaluation(evaluation));

  ExpectOk(store->DeleteSnapshot("sales.orders", "f1"));
  EXPECT_FALSE(store->GetSnapshot("sales.orders", "f1")->has_value());
  EXPECT_TRUE(store->GetIntervals("sales.orders", "v1")->empty());
  EXPECT_TRUE(store->GetIntervalVersions("sales.orders", "v1")->empty());
  EXPECT_FALSE(store->GetMaterialization("sales.orders", "v1")->has_value());
  ExpectOk(store->DeleteSnapshot("sales.orders", "f1"));  // deleting twice is fine
}

TEST_F(SqliteStateStoreTest, DeleteSnapshotKeepsStateOfASharedVersion) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  SnapshotRecord first = MakeSnapshot("sales.orders", "f1");
  SnapshotRecord second = MakeSnapshot("sales.orders", "f2");  // non-breaking: same table
  first.version = second.version = "v1";
  ExpectOk(store->PutSnapshot(first));
  ExpectOk(store->PutSnapshot(second));
  ExpectOk(store->RecordEvaluation(MakeEvaluation("sales.orders", 0, kMsPerDay, "d1")));

  ExpectOk(store->DeleteSnapshot("sales.orders", "f1"));
  EXPECT_FALSE(store->GetSnapshot("sales.orders", "f1")->has_value());
  EXPECT_TRUE(store->GetSnapshot("sales.orders", "f2")->has_value());
  EXPECT_EQ(*store->GetIntervals("sales.orders", "v1"), IntervalSet({Interval{0, kMsPerDay}}));
}

// ---------------------------------------------------------------------------
// Environments

TEST_F(SqliteStateStoreTest, EnvironmentRoundTrip) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EnvironmentRecord environment;
  environment.name = "dev";
  environment.snapshots = {{"sales.orders", {"f1", "v1"}}, {"sales.customers", {"f2", "v2"}}};
  environment.promoted_ms = 1'700'000'000'123;
  environment.plan_id = "plan-42";
  ExpectOk(store->PutEnvironment(environment));

  auto found = store->GetEnvironment("dev");
  ASSERT_TRUE(found.ok()) << found.status().message();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->name, "dev");
  EXPECT_EQ((*found)->snapshots, environment.snapshots);
  EXPECT_EQ((*found)->promoted_ms, environment.promoted_ms);
  EXPECT_EQ((*found)->plan_id, "plan-42");
  EXPECT_FALSE(store->GetEnvironment("prod")->has_value());
}

TEST_F(SqliteStateStoreTest, PutEnvironmentReplacesTheWholeRecord) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ExpectOk(store->PutEnvironment(
      {"prod", {{"a.one", {"f1", "v1"}}, {"a.two", {"f2", "v2"}}}, 1, "plan1"}));
  ExpectOk(store->PutEnvironment(
      {"prod", {{"a.two", {"f3", "v3"}}, {"a.three", {"f4", "v4"}}}, 2, "plan2"}));
  auto found = store->GetEnvironment("prod");
  ASSERT_TRUE(found->has_value());
  std::map<std::string, SnapshotRef> expected = {{"a.two", {"f3", "v3"}},
                                                 {"a.three", {"f4", "v4"}}};
  EXPECT_EQ((*found)->snapshots, expected);
  EXPECT_EQ((*found)->promoted_ms, 2);
  EXPECT_EQ((*found)->plan_id, "plan2");
  EXPECT_EQ(CountRows("environment_snapshots"), 2);
}

TEST_F(SqliteStateStoreTest, ListAndDeleteEnvironments) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ExpectOk(store->PutEnvironment({"prod", {{"a.one", {"f1", "v1"}}}, 1, "p"}));
  ExpectOk(store->PutEnvironment({"dev", {{"a.one", {"f2", "v2"}}}, 2, "q"}));
  ExpectOk(store->PutEnvironment({"empty", {}, 3, "r"}));
  EXPECT_EQ(*store->ListEnvironments(), (std::vector<std::string>{"dev", "empty", "prod"}));
  EXPECT_TRUE((*store->GetEnvironment("empty"))->snapshots.empty());

  ExpectOk(store->DeleteEnvironment("dev"));
  ExpectOk(store->DeleteEnvironment("never-existed"));
  EXPECT_EQ(*store->ListEnvironments(), (std::vector<std::string>{"empty", "prod"}));
  EXPECT_EQ(CountRows("environment_snapshots"), 1);  // dev's rows went with it
}

// ---------------------------------------------------------------------------
// Intervals and evaluations

TEST_F(SqliteStateStoreTest, IntervalsMergeAcrossEvaluations) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ExpectOk(store->RecordEvaluation(MakeEvaluation("m.x", 0, 10, "a")));
  ExpectOk(store->RecordEvaluation(MakeEvaluation("m.x", 20, 30, "b")));
  ExpectOk(store->RecordEvaluation(MakeEvaluation("m.x", 50, 60, "c")));
  EXPECT_EQ(store->GetIntervals("m.x", "v1")->ranges(),
            (std::vector<Interval>{{0, 10}, {20, 30}, {50, 60}}));

  ExpectOk(store->RecordEvaluation(MakeEvaluation("m.x", 10, 20, "d")));  // touches both
  EXPECT_EQ(store->GetIntervals("m.x", "v1")->ranges(),
            (std::vector<Interval>{{0, 30}, {50, 60}}));
  ExpectOk(store->RecordEvaluation(MakeEvaluation("m.x", 25, 55, "e")));  // overlaps both
  EXPECT_EQ(store->GetIntervals("m.x", "v1")->ranges(), (std::vector<Interval>{{0, 60}}));
  ExpectOk(store->RecordEvaluation(MakeEvaluation("m.x", 5, 15, "f")));  // inside
  EXPECT_EQ(store->GetIntervals("m.x", "v1")->ranges(), (std::vector<Interval>{{0, 60}}));
  EXPECT_EQ(CountRows("intervals"), 1);
  EXPECT_TRUE(store->GetIntervals("m.x", "other")->empty());
  EXPECT_TRUE(store->GetIntervals("m.other", "v1")->empty());
}

TEST_F(SqliteStateStoreTest, ManyTicksStayOneRow) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  constexpr int kTicks = 500;
  for (int tick = 0; tick < kTicks; ++tick) {
    EvaluationRecord evaluation;
    evaluation.name = "m.five_minutes";
    evaluation.version = "v1";
    evaluation.intervals = IntervalSet({Interval{tick * kTickMs, (tick + 1) * kTickMs}});
    ExpectOk(store->RecordEvaluation(evaluation));
  }
  EXPECT_EQ(store->GetIntervals("m.five_minutes", "v1")->ranges(),
            (std::vector<Interval>{{0, kTicks * kTickMs}}));
  EXPECT_EQ(CountRows("intervals"), 1);
}

TEST_F(SqliteStateStoreTest, RemoveIntervalsSplitsAndTrims) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EvaluationRecord evaluation;
  evaluation.name = "m.x";
  evaluation.version = "v1";
  evaluation.intervals = IntervalSet({Interval{0, 100}, Interval{200, 300}});
  ExpectOk(store->RecordEvaluation(evaluation));

  ExpectOk(store->RemoveIntervals("m.x", "v1", IntervalSet({Interval{40, 60}})));
  EXPECT_EQ(store->GetIntervals("m.x", "v1")->ranges(),
            (std::vector<Interval>{{0, 40}, {60, 100}, {200, 300}}));
  ExpectOk(store->RemoveIntervals("m.x", "v1", IntervalSet({Interval{80, 250}})));
  EXPECT_EQ(store->GetIntervals("m.x", "v1")->ranges(),
            (std::vector<Interval>{{0, 40}, {60, 80}, {250, 300}}));
  ExpectOk(store->RemoveIntervals("m.x", "v1",
                                  IntervalSet({Interval{0, 40}, Interval{290, 400}})));
  EXPECT_EQ(store->GetIntervals("m.x", "v1")->ranges(),
            (std::vector<Interval>{{60, 80}, {250, 290}}));
  ExpectOk(store->RemoveIntervals("m.x", "v1", IntervalSet({Interval{1000, 2000}})));
  ExpectOk(store->RemoveIntervals("m.x", "v1", IntervalSet({Interval{-5000, 5000}})));
  EXPECT_TRUE(store->GetIntervals("m.x", "v1")->empty());
  EXPECT_EQ(CountRows("intervals"), 0);
}

TEST_F(SqliteStateStoreTest, MaterializationRoundTripAndReplace) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  MaterializationRecord record;
  record.name = "sales.totals";
  record.version = "v7";
  record.fingerprint = "f7";
  record.data_version = "d1";
  record.input_versions = {{"sales.orders", "x1"}, {"files:landing/psd/*.csv.gz", "y\"1"}};
  record.rows = 2'100'000;
  record.finished_ms = 1'700'000'000'999;
  record.run_id = "run-1";
  EvaluationRecord evaluation;
  evaluation.name = "sales.totals";
  evaluation.version = "v7";
  evaluation.materialization = record;
  ExpectOk(store->RecordEvaluation(evaluation));

  auto found = store->GetMaterialization("sales.totals", "v7");
  ASSERT_TRUE(found.ok()) << found.status().message();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->name, record.name);
  EXPECT_EQ((*found)->version, record.version);
  EXPECT_EQ((*found)->fingerprint, record.fingerprint);
  EXPECT_EQ((*found)->data_version, record.data_version);
  EXPECT_EQ((*found)->input_versions, record.input_versions);
  EXPECT_EQ((*found)->rows, record.rows);
  EXPECT_EQ((*found)->finished_ms, record.finished_ms);
  EXPECT_EQ((*found)->run_id, record.run_id);
  EXPECT_FALSE(store->GetMaterialization("sales.totals", "v8")->has_value());

  record.data_version = "d2";
  record.input_versions = {};
  record.rows = 5;
  evaluation.materialization = record;
  ExpectOk(store->RecordEvaluation(evaluation));
  found = store->GetMaterialization("sales.totals", "v7");
  EXPECT_EQ((*found)->data_version, "d2");
  EXPECT_TRUE((*found)->input_versions.empty());
  EXPECT_EQ((*found)->rows, 5);
  EXPECT_EQ(CountRows("materializations"), 1);
}

TEST_F(SqliteStateStoreTest, IntervalVersionRoundTrip) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ExpectOk(store->RecordEvaluation(MakeEvaluation("m.x", kMsPerDay, 2 * kMsPerDay, "d1")));
  auto versions = store->GetIntervalVersions("m.x", "v1");
  ASSERT_TRUE(versions.ok()) << versions.status().message();
  ASSERT_EQ(versions->size(), 1u);
  const IntervalVersionRecord& record = (*versions)[0];
  EXPECT_EQ(record.name, "m.x");
  EXPECT_EQ(record.version, "v1");
  EXPECT_EQ(record.interval, (Interval{kMsPerDay, 2 * kMsPerDay}));
  EXPECT_EQ(record.data_version, "d1");
  EXPECT_EQ(record.input_versions, (std::map<std::string, std::string>{{"raw.psd", "in_d1"}}));
}

TEST_F(SqliteStateStoreTest, OverlappingIntervalVersionsAreReplaced) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ExpectOk(store->RecordEvaluation(MakeEvaluation("m.x", 0, 10, "a")));
  ExpectOk(store->RecordEvaluation(MakeEvaluation("m.x", 10, 20, "b")));
  ExpectOk(store->RecordEvaluation(MakeEvaluation("m.x", 20, 30, "c")));
  ExpectOk(store->RecordEvaluation(MakeEvaluation("m.x", 30, 40, "d")));

  // Re-running [10, 20) with new data replaces exactly that version.
  ExpectOk(store->RecordEvaluation(MakeEvaluation("m.x", 10, 20, "b2")));
  // [15, 35) overlaps c and d partly, and b2: all three are replaced by it.
  ExpectOk(store->RecordEvaluation(MakeEvaluation("m.x", 15, 35, "e")));

  auto versions = store->GetIntervalVersions("m.x", "v1");
  ASSERT_TRUE(versions.ok()) << versions.status().message();
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[0].interval, (Interval{0, 10}));
  EXPECT_EQ((*versions)[0].data_version, "a");
  EXPECT_EQ((*versions)[1].interval, (Interval{15, 35}));
  EXPECT_EQ((*versions)[1].data_version, "e");
  EXPECT_EQ(store->GetIntervals("m.x", "v1")->ranges(), (std::vector<Interval>{{0, 40}}));
}

TEST_F(SqliteStateStoreTest, OneEvaluationWritesEverythingOrNothing) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ExpectOk(store->RecordEvaluation(MakeEvaluation("m.x", 0, 10, "a")));

  // The second interval version cannot be stored (its key is not UTF-8), after the
  // intervals and the first version were written inside the transaction.
  EvaluationRecord evaluation = MakeEvaluation("m.x", 100, 110, "b");
  evaluation.materialization = MaterializationRecord{"m.x", "v1", "f", "b", {}, 1, 2, "r"};
  IntervalVersionRecord bad = evaluation.interval_versions[0];
  bad.interval = Interval{110, 120};
  bad.input_versions = {{std::string("files:\xff\xfe.csv"), "x"}};
  evaluation.interval_versions.push_back(bad);
  Status status = store->RecordEvaluation(evaluation);
  EXPECT_EQ(status.code(), StatusCode::kInvalidInput);

  EXPECT_EQ(store->GetIntervals("m.x", "v1")->ranges(), (std::vector<Interval>{{0, 10}}));
  EXPECT_EQ(store->GetIntervalVersions("m.x", "v1")->size(), 1u);
  EXPECT_FALSE(store->GetMaterialization("m.x", "v1")->has_value());
  ExpectOk(store->RecordEvaluation(MakeEvaluation("m.x", 10, 20, "c")));  // store still works
}

TEST_F(SqliteStateStoreTest, EvaluationOfAnotherTableIsRefused) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EvaluationRecord evaluation = MakeEvaluation("m.x", 0, 10, "a");
  evaluation.interval_versions[0].name = "m.y";
  EXPECT_EQ(store->RecordEvaluation(evaluation).code(), StatusCode::kInternal);

  evaluation = MakeEvaluation("m.x", 0, 10, "a");
  evaluation.interval_versions[0].interval = Interval{10, 10};
  EXPECT_EQ(store->RecordEvaluation(evaluation).code(), StatusCode::kInternal);

  evaluation = MakeEvaluation("m.x", 0, 10, "a");
  evaluation.version = "";
  EXPECT_EQ(store->RecordEvaluation(evaluation).code(), StatusCode::kInternal);
  EXPECT_EQ(CountRows("intervals"), 0);
}

// ---------------------------------------------------------------------------
// Runs and key-value

TEST_F(SqliteStateStoreTest, RunsAreNewestFirstWithLimit) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 5; ++i) {
    RunRecord run{"run" + std::to_string(i), "run", "prod", "success", 1000 + i * 10,
                  1005 + i * 10, "{\"models\":" + std::to_string(i) + "}", ""};
    ExpectOk(store->PutRun(run));
  }
  auto runs = store->ListRuns(3);
  ASSERT_TRUE(runs.ok()) << runs.status().message();
  ASSERT_EQ(runs->size(), 3u);
  EXPECT_EQ((*runs)[0].run_id, "run4");
  EXPECT_EQ((*runs)[1].run_id, "run3");
  EXPECT_EQ((*runs)[2].run_id, "run2");
  EXPECT_EQ(store->ListRuns(100)->size(), 5u);
  EXPECT_EQ(store->ListRuns(0)->size(), 5u);

  const RunRecord& newest = (*runs)[0];
  EXPECT_EQ(newest.command, "run");
  EXPECT_EQ(newest.environment, "prod");
  EXPECT_EQ(newest.status, "success");
  EXPECT_EQ(newest.started_ms, 1040);
  EXPECT_EQ(newest.finished_ms, 1045);
  EXPECT_EQ(newest.summary_json, "{\"models\":4}");
}

TEST_F(SqliteStateStoreTest, PutRunReplacesAndKeepsItsModels) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ExpectOk(store->PutRun({"run1", "apply", "dev", "running", 100, 0, "", ""}));
  ExpectOk(store->AddRunModel({"run1", "a.one", "ran", "new snapshot", "0-100", 42, 1.5, ""}));
  ExpectOk(store->AddRunModel({"run1", "a.two", "failed", "inputs changed", "", 0, 0.25,
                               "Binder Error: column x"}));
  ExpectOk(store->AddRunModel({"run2", "a.one", "skipped", "up to date", "", 0, 0, ""}));
  ExpectOk(store->PutRun({"run1", "apply", "dev", "failed", 100, 200, "{}", "a.two failed"}));

  auto runs = store->ListRuns(10);
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].status, "failed");
  EXPECT_EQ((*runs)[0].finished_ms, 200);
  EXPECT_EQ((*runs)[0].error, "a.two failed");

  auto models = store->ListRunModels("run1");
  ASSERT_TRUE(models.ok()) << models.status().message();
  ASSERT_EQ(models->size(), 2u);
  const RunModelRecord& first = (*models)[0];
  EXPECT_EQ(first.run_id, "run1");
  EXPECT_EQ(first.model, "a.one");
  EXPECT_EQ(first.action, "ran");
  EXPECT_EQ(first.reason, "new snapshot");
  EXPECT_EQ(first.intervals, "0-100");
  EXPECT_EQ(first.rows, 42);
  EXPECT_DOUBLE_EQ(first.seconds, 1.5);
  EXPECT_EQ((*models)[1].model, "a.two");
  EXPECT_EQ((*models)[1].error, "Binder Error: column x");
  EXPECT_EQ(store->ListRunModels("run2")->size(), 1u);
  EXPECT_TRUE(store->ListRunModels("none")->empty());
}

TEST_F(SqliteStateStoreTest, KeyValue) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_FALSE(store->GetValue("analysis:1")->has_value());
  ExpectOk(store->PutValue("analysis:1", "first"));
  ExpectOk(store->PutValue("analysis:2", ""));
  ExpectOk(store->PutValue("analysis:1", "second"));
  EXPECT_EQ(**store->GetValue("analysis:1"), "second");
  ASSERT_TRUE(store->GetValue("analysis:2")->has_value());
  EXPECT_EQ(**store->GetValue("analysis:2"), "");
  std::string binary("a\0b", 3);
  ExpectOk(store->PutValue("binary", binary));
  EXPECT_EQ(**store->GetValue("binary"), binary);
}

// ---------------------------------------------------------------------------
// Concurrency

constexpr int kThreads = 4;
constexpr int kEvaluationsPerThread = 50;

// Thread `thread` records ticks thread, thread + kThreads, ...: interleaved, so every
// call merges with ranges other threads wrote.
void RecordTicks(StateStore* store, int thread, std::atomic<int>* failures) {
  for (int i = 0; i < kEvaluationsPerThread; ++i) {
    TimestampMs tick = i * kThreads + thread;
    EvaluationRecord evaluation =
        MakeEvaluation("m.x", tick * kTickMs, (tick + 1) * kTickMs, "d" + std::to_string(tick));
    evaluation.materialization = MaterializationRecord{"m.x", "v1", "f", "d", {}, tick, tick, ""};
    if (!store->RecordEvaluation(evaluation).ok()) ++*failures;
  }
}

void ExpectAllTicks(StateStore& store) {
  constexpr TimestampMs kEndMs = kThreads * kEvaluationsPerThread * kTickMs;
  EXPECT_EQ(store.GetIntervals("m.x", "v1")->ranges(), (std::vector<Interval>{{0, kEndMs}}));
  auto versions = store.GetIntervalVersions("m.x", "v1");
  ASSERT_EQ(versions->size(), static_cast<size_t>(kThreads * kEvaluationsPerThread));
  for (size_t tick = 0; tick < versions->size(); ++tick) {
    EXPECT_EQ((*versions)[tick].data_version, "d" + std::to_string(tick));
  }
}

TEST_F(SqliteStateStoreTest, ConcurrentEvaluationsFromFourThreadsLoseNothing) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int thread = 0; thread < kThreads; ++thread) {
    threads.emplace_back(RecordTicks, store.get(), thread, &failures);
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  ExpectAllTicks(*store);
  EXPECT_EQ(CountRows("intervals"), 1);
}

TEST_F(SqliteStateStoreTest, TwoStoresOnOneFileSeeEachOther) {
  auto first = Open();
  auto second = Open();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  ExpectOk(first->PutSnapshot(MakeSnapshot("a.one", "f1")));
  EXPECT_TRUE(second->GetSnapshot("a.one", "f1")->has_value());
  ExpectOk(second->PutEnvironment({"prod", {{"a.one", {"f1", "v_f1"}}}, 1, "p"}));
  EXPECT_TRUE(first->GetEnvironment("prod")->has_value());
}

TEST_F(SqliteStateStoreTest, TwoStoresWritingAtOnceLoseNothing) {
  auto first = Open();
  auto second = Open();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int thread = 0; thread < kThreads; ++thread) {
    StateStore* store = thread % 2 == 0 ? first.get() : second.get();
    threads.emplace_back(RecordTicks, store, thread, &failures);
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  ExpectAllTicks(*first);
  ExpectAllTicks(*second);
}

// ---------------------------------------------------------------------------
// The SQLite wrapper underneath

TEST_F(SqliteStateStoreTest, TransactionRollsBackUnlessCommitted) {
  fs::create_directories(fs::path(path_).parent_path());
  auto database = Raw();
  ExpectOk(database->Execute("CREATE TABLE t (x INTEGER)"));
  {
    auto transaction =
        SqliteTransaction::Begin(*database, SqliteTransaction::Mode::kImmediate);
    ASSERT_TRUE(transaction.ok()) << transaction.status().message();
    ExpectOk(database->Execute("INSERT INTO t VALUES (1)"));
  }
  EXPECT_EQ(*database->QueryText("SELECT COUNT(*) FROM t"), "0");
  {
    auto transaction = SqliteTransaction::Begin(*database, SqliteTransaction::Mode::kDeferred);
    ASSERT_TRUE(transaction.ok());
    ExpectOk(database->Execute("INSERT INTO t VALUES (2)"));
    ExpectOk(transaction->Commit());
  }
  EXPECT_EQ(*database->QueryText("SELECT COUNT(*) FROM t"), "1");
}

TEST_F(SqliteStateStoreTest, StatementBindsEveryType) {
  fs::create_directories(fs::path(path_).parent_path());
  auto database = Raw();
  auto statement = database->PrepareBound("SELECT ?, ?, ?, ?, typeof(?)",
                                          {std::string("text"), int64_t{1} << 40, 2.5,
                                           nullptr, nullptr});
  ASSERT_TRUE(statement.ok()) << statement.status().message();
  ASSERT_TRUE(*statement->Step());
  EXPECT_EQ(statement->ColumnText(0), "text");
  EXPECT_EQ(statement->ColumnInt64(1), int64_t{1} << 40);
  EXPECT_DOUBLE_EQ(statement->ColumnDouble(2), 2.5);
  EXPECT_TRUE(statement->ColumnIsNull(3));
  EXPECT_EQ(statement->ColumnText(4), "null");
  EXPECT_FALSE(*statement->Step());

  auto wrong_count = database->PrepareBound("SELECT ?", {});
  EXPECT_EQ(wrong_count.status().code(), StatusCode::kInternal);
  auto bad_sql = database->Prepare("SELEKT 1");
  ASSERT_FALSE(bad_sql.ok());
  EXPECT_EQ(bad_sql.status().code(), StatusCode::kDatabaseError);
  EXPECT_NE(bad_sql.status().message().find("syntax error"), std::string::npos);
}

}  // namespace
}  // namespace materia

namespace materia {
namespace {

TEST(SqliteStateStorePutSnapshots, RecordsAllAtOnceAndKeepsExisting) {
  std::string path = ::testing::TempDir() + "/put_snapshots_" + std::to_string(::getpid()) + ".db";
  std::remove(path.c_str());
  auto store = OpenSqliteStateStore(path);
  ASSERT_TRUE(store.ok()) << store.status().message();
  SnapshotRecord first;
  first.name = "s.a";
  first.fingerprint = "f1";
  first.version = "v1";
  ASSERT_TRUE((*store)->PutSnapshot(first).ok());
  std::vector<SnapshotRecord> batch(3);
  for (int i = 0; i < 3; i++) {
    batch[i].name = "s.m" + std::to_string(i);
    batch[i].fingerprint = "f";
    batch[i].version = "v";
  }
  SnapshotRecord changed = first;
  changed.version = "other";  // an existing (name, fingerprint) is kept as it was
  batch.push_back(changed);
  ASSERT_TRUE((*store)->PutSnapshots(batch).ok());
  auto all = (*store)->ListSnapshots();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 4u);
  auto kept = (*store)->GetSnapshot("s.a", "f1");
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ((*kept)->version, "v1");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace materia
