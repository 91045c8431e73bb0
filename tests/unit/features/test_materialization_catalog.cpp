// The MaterializationCatalog: the conformance suite (catalog_conformance.h) run against
// the in-memory and SQLite implementations, then what only the SQLite file does (reopening, read-only, several processes,
// schema versions), then VerifyCatalog against a fake store.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "db/sqlite.h"
#include "features/materialization_catalog.h"
#include "features/sqlite_catalog.h"
#include "catalog_conformance.h"

namespace materia {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------
// Conformance: every implementation behaves the same (Postgres's in tests/pg).

std::shared_ptr<MaterializationCatalog> MakeInMemory(const fs::path&) {
  return std::make_shared<InMemoryCatalog>();
}

std::shared_ptr<MaterializationCatalog> MakeSqlite(const fs::path& folder) {
  auto catalog = OpenSqliteCatalog((folder / "catalog" / "catalog.db").string());
  EXPECT_TRUE(catalog.ok()) << catalog.status().message();
  return catalog.ok() ? std::move(catalog).value() : nullptr;
}

INSTANTIATE_TEST_SUITE_P(Implementations, CatalogConformanceTest,
                         ::testing::Values(CatalogFactory{"InMemory", MakeInMemory},
                                           CatalogFactory{"Sqlite", MakeSqlite}),
                         CatalogFactoryName);

TEST(CatalogPrefixTest, PrefixCoversWholeSegmentsOnly) {
  EXPECT_TRUE(FeatureIsUnderPrefix("video", "video"));
  EXPECT_TRUE(FeatureIsUnderPrefix("video/crop", "video"));
  EXPECT_FALSE(FeatureIsUnderPrefix("videos/crop", "video"));
  EXPECT_FALSE(FeatureIsUnderPrefix("vid", "video"));
}

// ---------------------------------------------------------------------------------
// The SQLite file.

class SqliteCatalogTest : public ::testing::Test {
 protected:
  std::string Path() const { return (folder_.path() / "catalog.db").string(); }

  std::unique_ptr<MaterializationCatalog> Open(bool read_only = false) {
    auto catalog = OpenSqliteCatalog(Path(), read_only);
    EXPECT_TRUE(catalog.ok()) << catalog.status().message();
    return catalog.ok() ? std::move(catalog).value() : nullptr;
  }

  std::unique_ptr<SqliteDatabase> Raw() {
    auto database = SqliteDatabase::Open(Path());
    EXPECT_TRUE(database.ok()) << database.status().message();
    return std::move(database).value();
  }

  TemporaryFolder folder_;
};

TEST_F(SqliteCatalogTest, ReopeningKeepsEntries) {
  MaterializationEntry entry = Entry("video/crop", "a1", kDuckdb, "0f", 12, 1'000);
  {
    auto catalog = Open();
    ASSERT_NE(catalog, nullptr);
    ASSERT_TRUE(catalog->Register(entry).ok());
  }
  for (bool read_only : {false, true}) {
    auto catalog = Open(read_only);
    ASSERT_NE(catalog, nullptr);
    auto entries = catalog->List();
    ASSERT_TRUE(entries.ok()) << entries.status().message();
    EXPECT_EQ(*entries, std::vector<MaterializationEntry>{entry});
  }
}

TEST_F(SqliteCatalogTest, FileIsInWalModeWithItsSchemaVersion) {
  ASSERT_NE(Open(), nullptr);
  auto database = Raw();
  EXPECT_EQ(*database->QueryText("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(*database->QueryText("SELECT MAX(version) FROM catalog_schema_version"),
            std::to_string(LatestCatalogSchemaVersion()));
  // Opening again applies nothing twice.
  ASSERT_NE(Open(), nullptr);
  EXPECT_EQ(*database->QueryText("SELECT COUNT(*) FROM catalog_schema_version"),
            std::to_string(LatestCatalogSchemaVersion()));
}

TEST_F(SqliteCatalogTest, MissingFileOpenedReadOnlyIsNotFound) {
  auto catalog = OpenSqliteCatalog(Path(), /*read_only=*/true);
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog.status().message(), "no materialization catalog at " + Path());
  EXPECT_FALSE(fs::exists(Path()));
}

TEST_F(SqliteCatalogTest, EmptyPathIsRefused) {
  auto catalog = OpenSqliteCatalog("");
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(catalog.status().message(), "no materialization catalog path given");
}

TEST_F(SqliteCatalogTest, ReadOnlyCatalogRefusesWrites) {
  MaterializationEntry entry = Entry("video/crop", "a1", kDuckdb, "0f", 12, 1'000);
  {
    auto catalog = Open();
    ASSERT_NE(catalog, nullptr);
    ASSERT_TRUE(catalog->Register(entry).ok());
  }
  auto catalog = Open(/*read_only=*/true);
  ASSERT_NE(catalog, nullptr);
  Status registered = catalog->Register(Entry("video/crop", "a1", kDuckdb, "1e", 1, 1));
  EXPECT_EQ(registered.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(registered.message(),
            "materialization catalog " + Path() + " is open read-only: cannot register video/crop");
  Status removed = catalog->Remove("video/crop", kDuckdb);
  EXPECT_EQ(removed.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(removed.message(),
            "materialization catalog " + Path() + " is open read-only: cannot remove video/crop");
  auto has = catalog->HasFeature("video/crop");
  ASSERT_TRUE(has.ok());
  EXPECT_TRUE(*has);
}

TEST_F(SqliteCatalogTest, NewerSchemaIsRefused) {
  ASSERT_NE(Open(), nullptr);
  ASSERT_TRUE(Raw()->Execute("INSERT INTO catalog_schema_version VALUES (99, 'future', 0)").ok());
  std::string expected = "materialization catalog " + Path() +
                         " has schema version 99, newer than this materia (" +
                         std::to_string(LatestCatalogSchemaVersion()) + ")";
  for (bool read_only : {false, true}) {
    auto catalog = OpenSqliteCatalog(Path(), read_only);
    ASSERT_FALSE(catalog.ok());
    EXPECT_EQ(catalog.status().code(), StatusCode::kInvalidInput);
    EXPECT_EQ(catalog.status().message(), expected);
  }
}

TEST_F(SqliteCatalogTest, OlderSchemaOpenedReadOnlyIsRefused) {
  ASSERT_TRUE(Raw()->Execute("CREATE TABLE unrelated (x INTEGER)").ok());
  auto catalog = OpenSqliteCatalog(Path(), /*read_only=*/true);
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(catalog.status().message(),
            "materialization catalog " + Path() + " has schema version 0, older than this "
            "materia (" + std::to_string(LatestCatalogSchemaVersion()) +
            "); open it for writing once to upgrade it");
  ASSERT_NE(Open(), nullptr);  // writable: migrated
  EXPECT_NE(Open(/*read_only=*/true), nullptr);
}

TEST_F(SqliteCatalogTest, TwoProcessesRegisteringConcurrentlyLoseNothing) {
  ASSERT_NE(Open(), nullptr);  // create the file before the writers race
  constexpr int kProcesses = 2;
  constexpr int kEntriesPerProcess = 200;
  std::vector<pid_t> children;
  for (int process = 0; process < kProcesses; process++) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      auto catalog = OpenSqliteCatalog(Path());
      if (!catalog.ok()) ::_exit(2);
      for (int i = 0; i < kEntriesPerProcess; i++) {
        std::string version = std::to_string(process * 1000 + i);
        Status own = (*catalog)->Register(Entry("video/crop", "a1", kDuckdb, version, i, i));
        // Both processes also update one shared entry.
        Status shared = (*catalog)->Register(Entry("video/shared", "a1", kDuckdb, "00", i, i));
        if (!own.ok() || !shared.ok()) ::_exit(1);
      }
      ::_exit(0);
    }
    children.push_back(child);
  }
  for (pid_t child : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  auto catalog = Open(/*read_only=*/true);
  ASSERT_NE(catalog, nullptr);
  auto versions = catalog->Versions("video/crop");
  ASSERT_TRUE(versions.ok()) << versions.status().message();
  EXPECT_EQ(versions->size(), static_cast<size_t>(kProcesses * kEntriesPerProcess));
  auto shared = catalog->List(std::string("video/shared"));
  ASSERT_TRUE(shared.ok());
  ASSERT_EQ(shared->size(), 1u);
  EXPECT_EQ((*shared)[0].sample_count, kEntriesPerProcess - 1);
}

// ---------------------------------------------------------------------------------
// VerifyCatalog

// A test double for a metadata store: answers sample counts from a map, and fails
// for one chosen feature when asked to.
class FakeStoreCounter {
 public:
  void Set(const MaterializationEntry& entry, int64_t sample_count) {
    counts_[KeyOf(entry)] = sample_count;
  }
  void FailFor(std::string feature) { failing_feature_ = std::move(feature); }

  Result<std::optional<int64_t>> operator()(const MaterializationEntry& entry) const {
    if (failing_feature_ && entry.feature == *failing_feature_) {
      return Status::IoError("store unreachable");
    }
    auto found = counts_.find(KeyOf(entry));
    if (found == counts_.end()) return std::optional<int64_t>();
    return std::optional<int64_t>(found->second);
  }

 private:
  using Key = std::tuple<std::string, std::string, std::string, std::string>;
  static Key KeyOf(const MaterializationEntry& entry) {
    return {entry.feature, entry.feature_version, entry.container, entry.data_version};
  }

  std::map<Key, int64_t> counts_;
  std::optional<std::string> failing_feature_;
};

TEST(VerifyCatalogTest, ReportsMissingAndMismatchedEntries) {
  InMemoryCatalog catalog;
  MaterializationEntry agrees = Entry("audio/text", "a1", kDuckdb, "01", 10, 1'000);
  MaterializationEntry missing = Entry("video/crop", "a1", kParquet, "02", 7, 1'000);
  MaterializationEntry differs = Entry("video/embed", "b2", kDuckdb, "03", 10, 1'000);
  for (const auto& entry : {agrees, missing, differs}) ASSERT_TRUE(catalog.Register(entry).ok());
  FakeStoreCounter store;
  store.Set(agrees, 10);
  store.Set(differs, 8);
  auto drifts = VerifyCatalog(catalog, store);
  ASSERT_TRUE(drifts.ok()) << drifts.status().message();
  ASSERT_EQ(drifts->size(), 2u);
  EXPECT_EQ((*drifts)[0].kind, CatalogDrift::Kind::kMissing);
  EXPECT_EQ((*drifts)[0].entry, missing);
  EXPECT_FALSE((*drifts)[0].store_sample_count.has_value());
  EXPECT_EQ((*drifts)[0].line,
            "missing: video/crop a1 (data 02) in parquet:/data/features: the store no longer "
            "has it");
  EXPECT_EQ((*drifts)[1].kind, CatalogDrift::Kind::kCountMismatch);
  EXPECT_EQ((*drifts)[1].entry, differs);
  EXPECT_EQ((*drifts)[1].store_sample_count, std::optional<int64_t>(8));
  EXPECT_EQ((*drifts)[1].line,
            "count mismatch: video/embed b2 (data 03) in duckdb:/data/x.duckdb: the catalog "
            "has 10 samples, the store 8");
}

TEST(VerifyCatalogTest, AgreeingStoreHasNoDrift) {
  InMemoryCatalog catalog;
  MaterializationEntry entry = Entry("audio/text", "a1", kDuckdb, "01", 0, 1'000);
  ASSERT_TRUE(catalog.Register(entry).ok());
  FakeStoreCounter store;
  store.Set(entry, 0);
  auto drifts = VerifyCatalog(catalog, store);
  ASSERT_TRUE(drifts.ok());
  EXPECT_TRUE(drifts->empty());
}

TEST(VerifyCatalogTest, StoreErrorNamesTheEntry) {
  InMemoryCatalog catalog;
  ASSERT_TRUE(catalog.Register(Entry("video/crop", "a1", kDuckdb, "01", 1, 1)).ok());
  FakeStoreCounter store;
  store.FailFor("video/crop");
  auto drifts = VerifyCatalog(catalog, store);
  ASSERT_FALSE(drifts.ok());
  EXPECT_EQ(drifts.status().code(), StatusCode::kIoError);
  EXPECT_EQ(drifts.status().message(),
            "cannot verify video/crop a1 (data 01) in duckdb:/data/x.duckdb: store unreachable");
}

}  // namespace
}  // namespace materia
