// Metadata stores: the conformance suite (store_conformance.h) run against the duckdb and
// parquet stores, then what only the Parquet folder does: its files, their names and
// partition folders, what a plain read_parquet sees, and what a failed write leaves.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "db/duckdb.h"
#include "features/metadata_store.h"
#include "store_conformance.h"

namespace materia {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------
// Conformance: every implementation behaves the same (Postgres's in tests/pg).

StoreConfig MakeDuckStore(const fs::path& folder) {
  StoreConfig config;
  config.type = "duckdb";
  config.path = (folder / "store" / "features.duckdb").string();
  return config;
}

StoreConfig MakeParquetStore(const fs::path& folder) {
  StoreConfig config;
  config.type = "parquet";
  config.path = (folder / "store").string();
  return config;
}

// The Parquet store once more, partitioned by a column the conformance rows have.
StoreConfig MakePartitionedParquetStore(const fs::path& folder) {
  StoreConfig config = MakeParquetStore(folder);
  config.partition_by = {"materia_feature_version"};
  return config;
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreConformanceTest,
                         ::testing::Values(StoreFactory{"duckdb", MakeDuckStore, nullptr},
                                           StoreFactory{"parquet", MakeParquetStore, nullptr},
                                           StoreFactory{"parquet_partitioned", MakePartitionedParquetStore, nullptr}),
                         StoreFactoryName);

TEST(MetadataStoreTest, UnknownTypeAndMissingPathAreRejected) {
  StoreConfig config;
  config.name = "dev";
  config.type = "sqlite";
  auto opened = OpenMetadataStore(config);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().message(), "store dev has unknown type 'sqlite' (use duckdb, parquet or postgres)");
  config.type = "parquet";
  opened = OpenMetadataStore(config);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(opened.status().message(), "store dev (parquet) has no path");
  config.path = "relative/features";
  opened = OpenMetadataStore(config);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().message(), "store dev (parquet): the path 'relative/features' is not absolute");
}

// ---------------------------------------------------------------------------------
// The Parquet folder.

class ParquetStoreTest : public ::testing::Test {
 protected:
  void Open(std::vector<std::string> partition_by = {}) {
    StoreConfig config = MakeParquetStore(folder_.path());
    config.name = "lake";
    config.partition_by = std::move(partition_by);
    Status opened = harness_.Open(config);
    ASSERT_TRUE(opened.ok()) << opened.message();
  }

  fs::path Root() const { return folder_.path() / "store"; }
  fs::path Rows(const std::string& feature) const { return Root() / feature / "@rows"; }

  // The Parquet files under `folder`, relative to it, sorted.
  std::vector<std::string> Files(const fs::path& folder) const {
    std::vector<std::string> files;
    if (!fs::exists(folder)) return files;
    for (const auto& entry : fs::recursive_directory_iterator(folder)) {
      if (entry.is_regular_file()) files.push_back(entry.path().lexically_relative(folder).string());
    }
    std::sort(files.begin(), files.end());
    return files;
  }

  // What sits at the root that is not a feature folder (temporary writes).
  std::vector<std::string> Hidden() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(Root())) {
      const std::string name = entry.path().filename().string();
      if (name[0] == '.') names.push_back(name);
    }
    return names;
  }

  // (id BIGINT, region VARCHAR, score DOUBLE) rows of "(1, 'eu', 0.5), ...".
  static std::string RegionRows(const std::string& values) {
    return "SELECT id::BIGINT AS id, region::VARCHAR AS region, score::DOUBLE AS score FROM (VALUES " + values +
           ") AS v(id, region, score)";
  }

  // (id, region, score) rows created at TestTimeUs(moment).
  int64_t AppendRegions(const std::string& feature, const std::string& values, int moment) {
    return harness_.AppendOk(feature, harness_.Batch(RegionRows(values), TestTimeUs(moment)));
  }

  StoreTestFolder folder_;
  StoreHarness harness_;
};

TEST_F(ParquetStoreTest, ContainerNamesTheFolder) {
  Open();
  EXPECT_EQ(harness_.store().container(), "parquet:" + Root().string());
  EXPECT_TRUE(fs::is_directory(Root()));
}

TEST_F(ParquetStoreTest, EveryWriteIsOneFileNamedInTheOrderWritten) {
  Open();
  for (int moment = 1; moment <= 3; moment++) {
    harness_.AppendOk("video/crop", harness_.Batch(ScoreRows({{moment, "0.5"}, {moment + 10, "0.5"}}),
                                                   TestTimeUs(moment)));
  }
  harness_.AppendOk("video/crop", harness_.Batch(ScoreRows({{1, "0.5"}}), TestTimeUs(4), /*deleted=*/true));
  const std::vector<std::string> files = Files(Rows("video/crop"));
  ASSERT_EQ(files.size(), 4u);
  const std::regex name("[0-9]{16}-[0-9a-f]{16}\\.parquet");
  std::vector<std::string> moments;
  for (const std::string& file : files) {
    EXPECT_TRUE(std::regex_match(file, name)) << file;
    const std::string path = (Rows("video/crop") / file).string();
    auto found = harness_.Query("SELECT max(materia_created_at) FROM read_parquet(" + QuoteLiteral(path) + ")");
    moments.insert(moments.end(), found.begin(), found.end());
  }
  EXPECT_EQ(moments, (StoreRows{"2023-11-14 22:13:21", "2023-11-14 22:13:22", "2023-11-14 22:13:23",
                                "2023-11-14 22:13:24"}));
  EXPECT_EQ(Hidden(), StoreRows{});
}

TEST_F(ParquetStoreTest, PartitionByMakesHiveFolders) {
  Open({"region"});
  AppendRegions("video/crop", "(1, 'eu', 0.5), (2, 'us', 0.75), (3, '12', 1.0), (4, 'eu', 0.25)", 1);
  AppendRegions("video/crop", "(5, 'eu', 0.5)", 2);
  const std::vector<std::string> files = Files(Rows("video/crop"));
  ASSERT_EQ(files.size(), 4u);
  std::vector<std::string> folders;
  for (const std::string& file : files) folders.push_back(fs::path(file).parent_path().string());
  EXPECT_EQ(folders, (StoreRows{"region=12", "region=eu", "region=eu", "region=us"}));
  // '12' stays the text it was written as, not the number its folder name suggests.
  EXPECT_EQ(harness_.Latest("video/crop", "id, region, typeof(region)"),
            (StoreRows{"1|eu|VARCHAR", "2|us|VARCHAR", "3|12|VARCHAR", "4|eu|VARCHAR", "5|eu|VARCHAR"}));
  EXPECT_EQ(harness_.Latest("video/crop", "id", {"region = 'eu'"}), (StoreRows{"1", "4", "5"}));
  AppendRegions("video/codes", "(1, '12', 0.5), (2, '34', 0.5)", 1);
  EXPECT_EQ(harness_.Latest("video/codes", "id, region, typeof(region)"), (StoreRows{"1|12|VARCHAR", "2|34|VARCHAR"}));
  // A sample that moves to another partition is read from its latest row only.
  AppendRegions("video/crop", "(1, 'us', 0.9)", 3);
  EXPECT_EQ(harness_.Latest("video/crop", "id, region, score", {"region = 'us'"}),
            (StoreRows{"1|us|0.9", "2|us|0.75"}));
}

TEST_F(ParquetStoreTest, RowsWithoutThePartitionColumnsAreOneFlatFile) {
  Open({"region"});
  harness_.AppendOk("video/crop", harness_.Batch(ScoreRows({{1, "0.5"}, {2, "0.75"}}), TestTimeUs(1)));
  const std::vector<std::string> files = Files(Rows("video/crop"));
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(fs::path(files[0]).parent_path().string(), "");
  // Partitioned rows later: the mixed layout still reads every row.
  AppendRegions("video/crop", "(3, 'eu', 1.0)", 2);
  EXPECT_EQ(Files(Rows("video/crop")).size(), 2u);
  EXPECT_EQ(harness_.Latest("video/crop", "id, region, score"), (StoreRows{"1|NULL|0.5", "2|NULL|0.75", "3|eu|1.0"}));
}

TEST_F(ParquetStoreTest, PartitionByAddedLaterStillReadsEveryRow) {
  Open();
  AppendRegions("video/crop", "(1, 'eu', 0.5), (2, 'us', 0.75)", 1);
  StoreConfig config = harness_.config();
  config.partition_by = {"region"};
  ASSERT_TRUE(harness_.Open(config).ok());
  AppendRegions("video/crop", "(2, 'eu', 0.1), (3, 'us', 1.0)", 2);
  EXPECT_EQ(harness_.Latest("video/crop", "id, region, score"), (StoreRows{"1|eu|0.5", "2|eu|0.1", "3|us|1.0"}));
}

TEST_F(ParquetStoreTest, FilesAreReadableByAPlainGlob) {
  Open({"region"});
  AppendRegions("video/crop", "(1, 'eu', 0.5), (2, 'us', 0.75)", 1);
  AppendRegions("video/crop", "(1, 'eu', 0.9)", 2);
  AppendRegions("video", "(7, 'eu', 0.1)", 3);
  // Another engine, knowing nothing of the store: every row, partition column included.
  auto database = DuckDatabase::Open(":memory:");
  ASSERT_TRUE(database.ok());
  auto reader = DuckConnection::Connect(*database);
  ASSERT_TRUE(reader.ok());
  const std::string glob = QuoteLiteral((Rows("video/crop") / "**" / "*.parquet").string());
  auto plain = (*reader)->Query("SELECT count(*), count(DISTINCT id), string_agg(DISTINCT region, ',' ORDER BY region) "
                                "FROM read_parquet(" + glob + ")");
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  EXPECT_EQ(plain->rows[0][0], "3");
  EXPECT_EQ(plain->rows[0][1], "2");
  EXPECT_EQ(plain->rows[0][2], "eu,us");
  auto hive = (*reader)->Query("SELECT count(*) FROM read_parquet(" + glob + ", hive_partitioning = true) "
                               "WHERE region = 'eu'");
  ASSERT_TRUE(hive.ok()) << hive.status().message();
  EXPECT_EQ(hive->Scalar(), "2");
}

TEST_F(ParquetStoreTest, FailedAppendsLeaveNoFileAndNoTemporaryFolder) {
  Open({"region"});
  AppendRegions("video/crop", "(1, 'eu', 0.5)", 1);
  const std::vector<std::string> before = Files(Rows("video/crop"));
  // A type that does not fit.
  auto appended = harness_.Append("video/crop", harness_.Batch("SELECT 2 AS id, 'eu' AS region, 'high' AS score",
                                                               TestTimeUs(2)));
  ASSERT_FALSE(appended.ok());
  EXPECT_EQ(appended.status().message(), "video/crop: column 'score' is DOUBLE in store lake, the rows have VARCHAR");
  // A query that fails half-way through the write.
  const std::string batch = harness_.Batch(RegionRows("(2, 'eu', 0.5), (3, 'us', 0.5)"), TestTimeUs(3));
  appended = harness_.Append("video/crop", "(SELECT * REPLACE (CASE WHEN id = 3 THEN error('disk on fire') ELSE "
                                           "score END AS score) FROM " + batch + ")");
  ASSERT_FALSE(appended.ok());
  EXPECT_NE(appended.status().message().find("disk on fire"), std::string::npos) << appended.status().message();
  EXPECT_EQ(appended.status().message().rfind("video/crop: appending to store lake: ", 0), 0u)
      << appended.status().message();
  EXPECT_EQ(Files(Rows("video/crop")), before);
  EXPECT_EQ(Hidden(), StoreRows{});
  EXPECT_EQ(harness_.Latest("video/crop"), (StoreRows{"1|0.5"}));
}

TEST_F(ParquetStoreTest, TemporaryFoldersAreNotRead) {
  Open();
  harness_.AppendOk("video", harness_.Batch(ScoreRows({{1, "0.5"}}), TestTimeUs(1)));
  // What a writer killed half-way leaves: a temporary folder with a file in it.
  fs::create_directories(Root() / ".tmp-0123456789abcdef" / "@rows");
  fs::copy_file(Rows("video") / Files(Rows("video"))[0], Root() / ".tmp-0123456789abcdef" / "@rows" / "x.parquet");
  EXPECT_EQ(harness_.Features(), (StoreRows{"video"}));
  EXPECT_EQ(harness_.Latest("video"), (StoreRows{"1|0.5"}));
}

TEST_F(ParquetStoreTest, HardDeleteRewritesTheFilesOfThatFeatureOnly) {
  Open({"region"});
  AppendRegions("video/crop", "(1, 'eu', 0.5), (2, 'us', 0.75), (3, 'us', 1.0)", 1);
  AppendRegions("video/crop", "(1, 'eu', 0.9)", 2);
  AppendRegions("video", "(1, 'eu', 0.1)", 3);
  ASSERT_TRUE(harness_.compute().Execute("CREATE TEMP TABLE gone AS SELECT 2 AS id").ok());
  auto removed = harness_.store().HardDelete(harness_.compute(), "video/crop", {"id"}, "gone");
  ASSERT_TRUE(removed.ok()) << removed.status().message();
  EXPECT_EQ(*removed, 1);
  std::vector<std::string> folders;
  for (const std::string& file : Files(Rows("video/crop"))) folders.push_back(fs::path(file).parent_path().string());
  EXPECT_EQ(folders, (StoreRows{"region=eu", "region=us"}));  // one new file per partition
  EXPECT_EQ(harness_.Latest("video/crop", "id, region, score"), (StoreRows{"1|eu|0.9", "3|us|1.0"}));
  EXPECT_EQ(harness_.Latest("video", "id, score"), (StoreRows{"1|0.1"}));
  EXPECT_EQ(Hidden(), StoreRows{});
  // Everything of video/crop: its folder goes, video's stays.
  ASSERT_TRUE(harness_.store().RecordFeatureVersion(harness_.compute(), "video/crop", "fv1", "{}").ok());
  removed = harness_.store().HardDelete(harness_.compute(), "video/crop", {}, "");
  ASSERT_TRUE(removed.ok()) << removed.status().message();
  EXPECT_EQ(*removed, 3);
  EXPECT_FALSE(fs::exists(Root() / "video" / "crop"));
  EXPECT_EQ(Files(Rows("video")).size(), 1u);
  EXPECT_EQ(harness_.Features(), (StoreRows{"video"}));
  EXPECT_EQ(Hidden(), StoreRows{});
}

TEST_F(ParquetStoreTest, FeatureVersionsAreJsonFiles) {
  Open();
  const std::string definition = R"({"key":"video/crop","fields":[]})";
  ASSERT_TRUE(harness_.store().RecordFeatureVersion(harness_.compute(), "video/crop", "0a1b2c", definition).ok());
  const fs::path versions = Root() / "video" / "crop" / "@versions";
  EXPECT_EQ(Files(versions), (StoreRows{"0a1b2c.json"}));
  std::ifstream in(versions / "0a1b2c.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, definition);
  // Versions alone do not make a feature.
  EXPECT_EQ(harness_.Features(), StoreRows{});
  auto bad = harness_.store().RecordFeatureVersion(harness_.compute(), "video/crop", "../x", definition);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.message(), "store lake: feature version '../x' of video/crop cannot name a file");
}

TEST_F(ParquetStoreTest, ReadOnlyAttachOfAMissingFolderCreatesNothing) {
  StoreConfig config = MakeParquetStore(folder_.path() / "nowhere");
  config.name = "lake";
  ASSERT_TRUE(harness_.Open(config, /*read_only=*/true).ok());
  EXPECT_TRUE(harness_.Features().empty());
  EXPECT_FALSE(fs::exists(folder_.path() / "nowhere"));
  auto appended = harness_.Append("video", harness_.Batch(ScoreRows({{1, "0.5"}}), TestTimeUs(1)));
  ASSERT_FALSE(appended.ok());
  EXPECT_EQ(appended.status().message(), "store lake (parquet:" + (folder_.path() / "nowhere" / "store").string() +
                                             ") is open read-only");
  EXPECT_FALSE(fs::exists(folder_.path() / "nowhere"));
}

TEST_F(ParquetStoreTest, KeysThatCannotNameAFolderAreRejected) {
  Open();
  for (const std::string key : {"../escape", "video/../x", ".hidden", "video/@rows", "video//crop", "/abs"}) {
    auto appended = harness_.Append(key, harness_.Batch(ScoreRows({{1, "0.5"}}), TestTimeUs(1)));
    ASSERT_FALSE(appended.ok()) << key;
    EXPECT_EQ(appended.status().message(), "store lake: feature key '" + key + "' cannot name a folder");
  }
  EXPECT_EQ(Files(Root()), StoreRows{});
}

}  // namespace
}  // namespace materia
