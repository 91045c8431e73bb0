// The conformance suite of the MetadataStore: tests that every store implementation
// must pass alike. A test executable includes this header from exactly one .cpp and
// instantiates the suite with the stores it can make:
//
//   INSTANTIATE_TEST_SUITE_P(Stores, StoreConformanceTest,
//                            ::testing::Values(StoreFactory{"duckdb", MakeDuckStore}),
//                            StoreFactoryName);
//
// The unit tests run it on the duckdb and parquet stores, tests/pg on Postgres. Every
// test reads and writes through a DuckDB in-memory compute connection, as the feature
// engine does, and builds its rows with SQL on it (StoreHarness::Batch).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "db/duckdb.h"
#include "features/metadata_store.h"

namespace materia {

// ---------------------------------------------------------------------------------
// Helpers for every store test.

// A folder of its own for each test, removed afterwards.
class StoreTestFolder {
 public:
  StoreTestFolder() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("materia_store_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~StoreTestFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  StoreTestFolder(const StoreTestFolder&) = delete;
  StoreTestFolder& operator=(const StoreTestFolder&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Microseconds since 1970 of the n-th moment of a test: 2023-11-14 plus n seconds.
inline int64_t TestTimeUs(int n) { return int64_t{1'700'000'000'000'000} + int64_t{n} * 1'000'000; }

// The rows of `select` (which has an `id` column) with every system column of a feature
// with one field `f`: provenance and data version per field and per sample, feature
// version 'fv1', created at `created_at_us`, a tombstone when `deleted`.
inline std::string WithSystemColumns(const std::string& select, int64_t created_at_us, bool deleted = false) {
  const std::string field = "md5('f|' || CAST(u.id AS VARCHAR))";
  const std::string sample = "md5('f=' || " + field + ")";
  return "SELECT u.*, " + field + " AS materia_provenance__f, " + field + " AS materia_data_version__f, " + sample +
         " AS materia_provenance, " + sample + " AS materia_data_version, 'fv1' AS materia_feature_version, " +
         "make_timestamp(" + std::to_string(created_at_us) + "::BIGINT) AS materia_created_at, " +
         (deleted ? "true" : "false") + " AS materia_deleted FROM (" + select + ") AS u";
}

// "SELECT * FROM (VALUES (1::BIGINT, 0.5::DOUBLE), ...) AS v(id, score)".
inline std::string ScoreRows(const std::vector<std::pair<int, std::string>>& rows) {
  std::string values;
  for (const auto& [id, score] : rows) {
    values += (values.empty() ? "(" : ", (") + std::to_string(id) + "::BIGINT, " + score + "::DOUBLE)";
  }
  return "SELECT * FROM (VALUES " + values + ") AS v(id, score)";
}

// One store attached to its own in-memory compute connection, and what tests do with it.
// Failures are reported to gtest (non-fatally) and give empty answers.
class StoreHarness {
 public:
  // Opens the store `config` describes and attaches it to a new compute connection.
  Status Open(const StoreConfig& config, bool read_only = false) {
    config_ = config;
    return Reopen(read_only);
  }

  // Drops the store and the connection, then opens both again: what a new process sees.
  Status Reopen(bool read_only = false) {
    store_.reset();
    compute_.reset();
    MATERIA_ASSIGN_OR_RETURN(auto database, DuckDatabase::Open(":memory:"));
    MATERIA_ASSIGN_OR_RETURN(compute_, DuckConnection::Connect(database));
    MATERIA_ASSIGN_OR_RETURN(store_, OpenMetadataStore(config_));
    return store_->Attach(*compute_, read_only);
  }

  const StoreConfig& config() const { return config_; }
  MetadataStore& store() { return *store_; }
  DuckConnection& compute() { return *compute_; }

  // A temporary table of `select`'s rows with the system columns (WithSystemColumns).
  std::string Batch(const std::string& select, int64_t created_at_us, bool deleted = false) {
    const std::string table = "batch_" + std::to_string(++batches_);
    Status created = compute_->Execute("CREATE TEMP TABLE " + table + " AS " +
                                       WithSystemColumns(select, created_at_us, deleted));
    EXPECT_TRUE(created.ok()) << created.message();
    return table;
  }

  Result<int64_t> Append(const std::string& feature, const std::string& relation) {
    return store_->Append(*compute_, feature, {"id"}, relation);
  }

  // Appends and expects success; the rows appended, -1 after a failure.
  int64_t AppendOk(const std::string& feature, const std::string& relation) {
    auto appended = Append(feature, relation);
    EXPECT_TRUE(appended.ok()) << appended.status().message();
    return appended.ok() ? *appended : -1;
  }

  // `columns` of the latest rows of `feature` ordered by id, one "a|b|c" per row (NULL
  // as "NULL"); nullopt when the store holds no rows of it.
  std::optional<std::vector<std::string>> Latest(const std::string& feature, const std::string& columns = "id, score",
                                                 const std::vector<std::string>& filters = {}) {
    auto latest = store_->Latest(*compute_, feature, {"id"}, filters);
    EXPECT_TRUE(latest.ok()) << latest.status().message();
    if (!latest.ok() || !latest->has_value()) return std::nullopt;
    return Query("SELECT " + columns + " FROM " + (*latest)->relation + " ORDER BY id");
  }

  // The columns Latest reports for `feature` ({} when it holds none).
  std::vector<std::string> LatestColumns(const std::string& feature) {
    auto latest = store_->Latest(*compute_, feature, {"id"}, {});
    EXPECT_TRUE(latest.ok()) << latest.status().message();
    if (!latest.ok() || !latest->has_value()) return {};
    return (*latest)->columns;
  }

  // The rows of a query on the compute connection, one "a|b|c" per row.
  std::vector<std::string> Query(const std::string& sql) {
    auto result = compute_->Query(sql);
    EXPECT_TRUE(result.ok()) << result.status().message();
    std::vector<std::string> rows;
    if (!result.ok()) return rows;
    for (const auto& row : result->rows) {
      std::string text;
      for (size_t i = 0; i < row.size(); i++) text += (i ? "|" : "") + row[i].value_or("NULL");
      rows.push_back(text);
    }
    return rows;
  }

  std::vector<std::string> Features() {
    auto features = store_->Features(*compute_);
    EXPECT_TRUE(features.ok()) << features.status().message();
    return features.ok() ? *features : std::vector<std::string>{};
  }

 private:
  StoreConfig config_;
  std::unique_ptr<DuckConnection> compute_;
  std::unique_ptr<MetadataStore> store_;
  int batches_ = 0;
};

// ---------------------------------------------------------------------------------
// Conformance: every implementation behaves the same.

struct StoreFactory {
  std::string name;
  // The configuration of a new, empty store. `folder` is the test's own folder (it may
  // not exist yet; it is removed after the test); the name is set by the suite.
  std::function<StoreConfig(const std::filesystem::path& folder)> make;
  // Drops whatever else the store holds (a Postgres schema, say); may be empty.
  std::function<void(const StoreConfig& config)> cleanup;
};

// Names the implementation in test output instead of dumping the object's bytes.
inline void PrintTo(const StoreFactory& factory, std::ostream* out) { *out << factory.name; }

// Names each instantiation after its implementation ("parquet").
inline std::string StoreFactoryName(const ::testing::TestParamInfo<StoreFactory>& info) { return info.param.name; }

using StoreRows = std::vector<std::string>;

class StoreConformanceTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    StoreConfig config = GetParam().make(folder_.path());
    config.name = "prod";
    configs_.push_back(config);
    Status opened = harness_.Open(config);
    ASSERT_TRUE(opened.ok()) << opened.message();
  }

  void TearDown() override {
    if (!GetParam().cleanup) return;
    for (const StoreConfig& config : configs_) GetParam().cleanup(config);
  }

  // Appends `rows` (ScoreRows) created at TestTimeUs(moment) to `feature`.
  int64_t AppendScores(const std::string& feature, const std::vector<std::pair<int, std::string>>& rows, int moment,
                       bool deleted = false) {
    return harness_.AppendOk(feature, harness_.Batch(ScoreRows(rows), TestTimeUs(moment), deleted));
  }

  StoreTestFolder folder_;
  StoreHarness harness_;
  std::vector<StoreConfig> configs_;  // every store the test made, for cleanup
};

TEST_P(StoreConformanceTest, EmptyStoreHoldsNothing) {
  EXPECT_TRUE(harness_.Features().empty());
  EXPECT_EQ(harness_.Latest("video/crop"), std::nullopt);
  auto removed = harness_.store().HardDelete(harness_.compute(), "video/crop", {}, "");
  ASSERT_TRUE(removed.ok()) << removed.status().message();
  EXPECT_EQ(*removed, 0);
}

TEST_P(StoreConformanceTest, AppendThenLatestReturnsTheRows) {
  EXPECT_EQ(AppendScores("video/crop", {{1, "0.5"}, {2, "0.75"}, {3, "1.0"}}, 1), 3);
  EXPECT_EQ(harness_.Latest("video/crop"), (StoreRows{"1|0.5", "2|0.75", "3|1.0"}));
  EXPECT_EQ(harness_.Latest("video/crop", "id, materia_feature_version, materia_deleted, materia_created_at"),
            (StoreRows{"1|fv1|false|2023-11-14 22:13:21", "2|fv1|false|2023-11-14 22:13:21",
                       "3|fv1|false|2023-11-14 22:13:21"}));
  const std::vector<std::string> columns = harness_.LatestColumns("video/crop");
  for (const char* column : {"id", "score", "materia_provenance", "materia_provenance__f", "materia_data_version",
                             "materia_data_version__f", "materia_feature_version", "materia_created_at",
                             "materia_deleted"}) {
    EXPECT_NE(std::find(columns.begin(), columns.end(), column), columns.end()) << column;
  }
  EXPECT_EQ(harness_.Features(), (StoreRows{"video/crop"}));
}

TEST_P(StoreConformanceTest, LaterRowOfASampleReplacesTheEarlierOne) {
  AppendScores("video/crop", {{1, "0.5"}, {2, "0.75"}}, 1);
  AppendScores("video/crop", {{1, "0.9"}}, 2);
  EXPECT_EQ(harness_.Latest("video/crop"), (StoreRows{"1|0.9", "2|0.75"}));
  // A row created earlier loses even when it is appended last.
  AppendScores("video/crop", {{2, "0.1"}}, 0);
  EXPECT_EQ(harness_.Latest("video/crop"), (StoreRows{"1|0.9", "2|0.75"}));
}

TEST_P(StoreConformanceTest, TombstoneHidesTheSample) {
  AppendScores("video/crop", {{1, "0.5"}, {2, "0.75"}}, 1);
  EXPECT_EQ(AppendScores("video/crop", {{1, "0.5"}}, 2, /*deleted=*/true), 1);
  EXPECT_EQ(harness_.Latest("video/crop"), (StoreRows{"2|0.75"}));
  EXPECT_EQ(harness_.Features(), (StoreRows{"video/crop"}));  // tombstones count
  // Written again after the tombstone, the sample is back.
  AppendScores("video/crop", {{1, "0.25"}}, 3);
  EXPECT_EQ(harness_.Latest("video/crop"), (StoreRows{"1|0.25", "2|0.75"}));
}

TEST_P(StoreConformanceTest, FiltersApplyToTheLatestRows) {
  AppendScores("video/crop", {{1, "0.9"}, {2, "0.75"}, {3, "0.2"}}, 1);
  AppendScores("video/crop", {{2, "0.1"}}, 2);
  EXPECT_EQ(harness_.Latest("video/crop", "id, score", {"score > 0.5"}), (StoreRows{"1|0.9"}));
  EXPECT_EQ(harness_.Latest("video/crop", "id, score", {"score < 0.5", "id >= 3"}), (StoreRows{"3|0.2"}));
  EXPECT_EQ(harness_.Latest("video/crop", "id, score", {"score > 5"}), (StoreRows{}));
}

TEST_P(StoreConformanceTest, NewColumnsAreAddedAndOlderRowsReadNull) {
  AppendScores("video/crop", {{1, "0.5"}}, 1);
  harness_.AppendOk("video/crop",
                    harness_.Batch("SELECT 2::BIGINT AS id, 0.75::DOUBLE AS score, 'wide' AS label", TestTimeUs(2)));
  EXPECT_EQ(harness_.Latest("video/crop", "id, score, label"), (StoreRows{"1|0.5|NULL", "2|0.75|wide"}));
  const std::vector<std::string> columns = harness_.LatestColumns("video/crop");
  EXPECT_NE(std::find(columns.begin(), columns.end(), "label"), columns.end());
  // A later batch without the column reads NULL there too.
  AppendScores("video/crop", {{3, "1.0"}}, 3);
  EXPECT_EQ(harness_.Latest("video/crop", "id, label"), (StoreRows{"1|NULL", "2|wide", "3|NULL"}));
}

TEST_P(StoreConformanceTest, FittingTypesAreAccepted) {
  AppendScores("video/crop", {{1, "0.5"}}, 1);
  // Integers into a DOUBLE column, and an all-NULL column.
  harness_.AppendOk("video/crop", harness_.Batch("SELECT 2::BIGINT AS id, 3::INTEGER AS score", TestTimeUs(2)));
  harness_.AppendOk("video/crop", harness_.Batch("SELECT 3::BIGINT AS id, NULL AS score", TestTimeUs(3)));
  EXPECT_EQ(harness_.Latest("video/crop"), (StoreRows{"1|0.5", "2|3.0", "3|NULL"}));
  EXPECT_EQ(harness_.Query("SELECT DISTINCT typeof(score) FROM " +
                           harness_.store().Latest(harness_.compute(), "video/crop", {"id"}, {})->value().relation),
            (StoreRows{"DOUBLE"}));
}

TEST_P(StoreConformanceTest, TypeMismatchIsOneLineAndChangesNothing) {
  AppendScores("video/crop", {{1, "0.5"}}, 1);
  const StoreCounters before = harness_.store().counters();
  auto appended =
      harness_.Append("video/crop", harness_.Batch("SELECT 2::BIGINT AS id, 'high' AS score", TestTimeUs(2)));
  ASSERT_FALSE(appended.ok());
  EXPECT_EQ(appended.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(appended.status().message(), "video/crop: column 'score' is DOUBLE in store prod, the rows have VARCHAR");
  EXPECT_EQ(harness_.Latest("video/crop"), (StoreRows{"1|0.5"}));
  EXPECT_EQ(harness_.store().counters().writes, before.writes);
  EXPECT_EQ(harness_.store().counters().rows_written, before.rows_written);
  // The store still takes rows that fit.
  AppendScores("video/crop", {{2, "0.75"}}, 3);
  EXPECT_EQ(harness_.Latest("video/crop"), (StoreRows{"1|0.5", "2|0.75"}));
}

TEST_P(StoreConformanceTest, HardDeleteByKeysRemovesEveryRowOfThoseSamples) {
  AppendScores("video/crop", {{1, "0.5"}, {2, "0.75"}, {3, "1.0"}}, 1);
  AppendScores("video/crop", {{1, "0.9"}}, 2);
  AppendScores("video/crop", {{3, "1.0"}}, 3, /*deleted=*/true);
  ASSERT_TRUE(harness_.compute().Execute("CREATE TEMP TABLE gone AS SELECT * FROM (VALUES (1::BIGINT), (3::BIGINT), "
                                         "(9::BIGINT)) AS v(id)").ok());
  auto removed = harness_.store().HardDelete(harness_.compute(), "video/crop", {"id"}, "gone");
  ASSERT_TRUE(removed.ok()) << removed.status().message();
  EXPECT_EQ(*removed, 4);  // two rows of 1, two of 3 (one a tombstone)
  EXPECT_EQ(harness_.Latest("video/crop"), (StoreRows{"2|0.75"}));
  // Nothing of sample 1 is left to fall back to, and nothing hides a new 3.
  AppendScores("video/crop", {{3, "0.3"}}, 0);
  EXPECT_EQ(harness_.Latest("video/crop"), (StoreRows{"2|0.75", "3|0.3"}));
  // Keys that match nothing remove nothing.
  ASSERT_TRUE(harness_.compute().Execute("CREATE TEMP TABLE none AS SELECT 42::BIGINT AS id").ok());
  removed = harness_.store().HardDelete(harness_.compute(), "video/crop", {"id"}, "none");
  ASSERT_TRUE(removed.ok()) << removed.status().message();
  EXPECT_EQ(*removed, 0);
  EXPECT_EQ(harness_.Latest("video/crop"), (StoreRows{"2|0.75", "3|0.3"}));
}

TEST_P(StoreConformanceTest, HardDeleteOfEverythingLeavesOtherFeatures) {
  AppendScores("video", {{1, "0.5"}, {2, "0.75"}}, 1);
  AppendScores("video", {{1, "0.5"}}, 2, /*deleted=*/true);
  AppendScores("video/crop", {{7, "0.7"}}, 3);
  auto removed = harness_.store().HardDelete(harness_.compute(), "video", {}, "");
  ASSERT_TRUE(removed.ok()) << removed.status().message();
  EXPECT_EQ(*removed, 3);
  EXPECT_EQ(harness_.Latest("video"), std::nullopt);
  EXPECT_EQ(harness_.Features(), (StoreRows{"video/crop"}));
  EXPECT_EQ(harness_.Latest("video/crop"), (StoreRows{"7|0.7"}));
  // The feature can be written again from scratch.
  AppendScores("video", {{5, "0.5"}}, 4);
  EXPECT_EQ(harness_.Latest("video"), (StoreRows{"5|0.5"}));
  EXPECT_EQ(harness_.Features(), (StoreRows{"video", "video/crop"}));
}

TEST_P(StoreConformanceTest, FeaturesAreTheKeysSorted) {
  AppendScores("video/crop", {{2, "0.2"}}, 1);
  AppendScores("video", {{1, "0.1"}}, 2);
  AppendScores("video/crop/faces", {{3, "0.3"}}, 3);
  AppendScores("video-raw", {{4, "0.4"}}, 4);
  AppendScores("audio", {{5, "0.5"}}, 5);
  EXPECT_EQ(harness_.Features(), (StoreRows{"audio", "video", "video-raw", "video/crop", "video/crop/faces"}));
  // Each key reads its own rows only, never those of a key below it.
  EXPECT_EQ(harness_.Latest("video"), (StoreRows{"1|0.1"}));
  EXPECT_EQ(harness_.Latest("video/crop"), (StoreRows{"2|0.2"}));
  EXPECT_EQ(harness_.Latest("video/crop/faces"), (StoreRows{"3|0.3"}));
  EXPECT_EQ(harness_.Latest("video/cro"), std::nullopt);
}

TEST_P(StoreConformanceTest, FeatureVersionsRoundTrip) {
  const std::string definition = R"({"key":"video/crop","fields":[{"key":"f","code_version":"1"}]})";
  Status recorded = harness_.store().RecordFeatureVersion(harness_.compute(), "video/crop", "fv1", definition);
  ASSERT_TRUE(recorded.ok()) << recorded.message();
  auto found = harness_.store().FeatureVersionDefinition(harness_.compute(), "video/crop", "fv1");
  ASSERT_TRUE(found.ok()) << found.status().message();
  EXPECT_EQ(*found, definition);
  // Recording a version again keeps the first definition.
  recorded = harness_.store().RecordFeatureVersion(harness_.compute(), "video/crop", "fv1", "{}");
  ASSERT_TRUE(recorded.ok()) << recorded.message();
  EXPECT_EQ(*harness_.store().FeatureVersionDefinition(harness_.compute(), "video/crop", "fv1"), definition);
  // Unknown versions, and versions of another feature, are not there.
  EXPECT_EQ(*harness_.store().FeatureVersionDefinition(harness_.compute(), "video/crop", "fv2"), std::nullopt);
  EXPECT_EQ(*harness_.store().FeatureVersionDefinition(harness_.compute(), "video", "fv1"), std::nullopt);
}

TEST_P(StoreConformanceTest, ReopenedStoreHasEverything) {
  AppendScores("video", {{1, "0.1"}}, 1);
  AppendScores("video/crop", {{1, "0.5"}, {2, "0.75"}}, 2);
  AppendScores("video/crop", {{2, "0.75"}}, 3, /*deleted=*/true);
  ASSERT_TRUE(harness_.store().RecordFeatureVersion(harness_.compute(), "video/crop", "fv1", "{\"a\":1}").ok());
  Status reopened = harness_.Reopen();
  ASSERT_TRUE(reopened.ok()) << reopened.message();
  EXPECT_EQ(harness_.Features(), (StoreRows{"video", "video/crop"}));
  EXPECT_EQ(harness_.Latest("video/crop"), (StoreRows{"1|0.5"}));
  EXPECT_EQ(*harness_.store().FeatureVersionDefinition(harness_.compute(), "video/crop", "fv1"), "{\"a\":1}");
  AppendScores("video/crop", {{3, "1.0"}}, 4);
  EXPECT_EQ(harness_.Latest("video/crop"), (StoreRows{"1|0.5", "3|1.0"}));
  // Read-only, it reads the same and refuses writes.
  reopened = harness_.Reopen(/*read_only=*/true);
  ASSERT_TRUE(reopened.ok()) << reopened.message();
  EXPECT_EQ(harness_.Features(), (StoreRows{"video", "video/crop"}));
  EXPECT_EQ(harness_.Latest("video/crop"), (StoreRows{"1|0.5", "3|1.0"}));
  EXPECT_FALSE(harness_.Append("video/crop", harness_.Batch(ScoreRows({{4, "0.4"}}), TestTimeUs(5))).ok());
  EXPECT_EQ(harness_.Latest("video/crop"), (StoreRows{"1|0.5", "3|1.0"}));
}

TEST_P(StoreConformanceTest, ReadOnlyAttachOfAMissingStoreIsEmpty) {
  StoreConfig config = GetParam().make(folder_.path() / "missing");
  config.name = "prod";
  configs_.push_back(config);
  StoreHarness missing;
  Status opened = missing.Open(config, /*read_only=*/true);
  ASSERT_TRUE(opened.ok()) << opened.message();
  EXPECT_TRUE(missing.Features().empty());
  EXPECT_EQ(missing.Latest("video/crop"), std::nullopt);
  auto definition = missing.store().FeatureVersionDefinition(missing.compute(), "video/crop", "fv1");
  ASSERT_TRUE(definition.ok()) << definition.status().message();
  EXPECT_EQ(*definition, std::nullopt);
}

TEST_P(StoreConformanceTest, CountersCountWritesAndRows) {
  EXPECT_EQ(harness_.store().counters().writes, 0);
  AppendScores("video/crop", {{1, "0.5"}, {2, "0.75"}, {3, "1.0"}}, 1);
  AppendScores("video/crop", {{1, "0.5"}, {2, "0.75"}}, 2, /*deleted=*/true);
  const StoreCounters& counters = harness_.store().counters();
  EXPECT_EQ(counters.writes, 2);
  EXPECT_EQ(counters.rows_written, 5);  // tombstones included
  EXPECT_GE(counters.write_seconds, 0.0);
  const int64_t reads = counters.reads;
  harness_.Latest("video/crop");
  EXPECT_EQ(counters.reads, reads + 1);
}

}  // namespace materia
