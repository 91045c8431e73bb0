// The conformance suite of the MaterializationCatalog: tests that every implementation
// must pass alike. A test executable includes this header from exactly one .cpp and
// instantiates the suite with the implementations it can make:
//
//   INSTANTIATE_TEST_SUITE_P(Implementations, CatalogConformanceTest,
//                            ::testing::Values(CatalogFactory{"Sqlite", MakeSqlite}),
//                            CatalogFactoryName);
//
// The unit tests run it on the in-memory and SQLite catalogs, tests/pg on Postgres.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "features/materialization_catalog.h"

namespace materia {

// ---------------------------------------------------------------------------------
// Helpers for every catalog test.

inline MaterializationEntry Entry(std::string feature, std::string feature_version,
                                  std::string container, std::string data_version,
                                  int64_t sample_count, int64_t materialized_at_ms) {
  MaterializationEntry entry;
  entry.feature = std::move(feature);
  entry.feature_version = std::move(feature_version);
  entry.container = std::move(container);
  entry.data_version = std::move(data_version);
  entry.sample_count = sample_count;
  entry.materialized_at_ms = materialized_at_ms;
  return entry;
}

inline constexpr const char* kDuckdb = "duckdb:/data/x.duckdb";
inline constexpr const char* kParquet = "parquet:/data/features";

// A folder of its own for each test, removed afterwards.
class TemporaryFolder {
 public:
  TemporaryFolder() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("materia_catalog_test_" + std::to_string(getpid()) + "_" +
             std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TemporaryFolder() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// ---------------------------------------------------------------------------------
// Conformance: every implementation behaves the same.

struct CatalogFactory {
  std::string name;
  // Returns a new, empty catalog, or nullptr after reporting a test failure. `folder`
  // is the test's own folder, removed after it; whatever else the catalog holds (a
  // Postgres schema, say) is dropped when the last reference to it goes.
  std::function<std::shared_ptr<MaterializationCatalog>(const std::filesystem::path& folder)>
      make;
};

// Names the implementation in test output instead of dumping the object's bytes.
inline void PrintTo(const CatalogFactory& factory, std::ostream* out) { *out << factory.name; }

// Names each instantiation after its implementation ("Sqlite").
inline std::string CatalogFactoryName(const ::testing::TestParamInfo<CatalogFactory>& info) {
  return info.param.name;
}

class CatalogConformanceTest : public ::testing::TestWithParam<CatalogFactory> {
 protected:
  void SetUp() override {
    catalog_ = GetParam().make(folder_.path());
    ASSERT_NE(catalog_, nullptr);
  }

  void Register(const MaterializationEntry& entry) {
    Status status = catalog_->Register(entry);
    ASSERT_TRUE(status.ok()) << status.message();
  }

  std::vector<MaterializationEntry> List(std::optional<std::string> prefix = std::nullopt) {
    auto entries = catalog_->List(prefix);
    EXPECT_TRUE(entries.ok()) << entries.status().message();
    return entries.ok() ? *entries : std::vector<MaterializationEntry>{};
  }

  TemporaryFolder folder_;
  std::shared_ptr<MaterializationCatalog> catalog_;
};

TEST_P(CatalogConformanceTest, EmptyCatalogHasNothing) {
  EXPECT_TRUE(List().empty());
  auto has = catalog_->HasFeature("video/crop");
  ASSERT_TRUE(has.ok());
  EXPECT_FALSE(*has);
  auto versions = catalog_->Versions("video/crop");
  ASSERT_TRUE(versions.ok());
  EXPECT_TRUE(versions->empty());
  auto info = catalog_->Info("video/crop");
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info->has_value());
}

TEST_P(CatalogConformanceTest, RegisteredEntryComesBack) {
  MaterializationEntry entry = Entry("video/crop", "a1", kDuckdb, "0f", 12, 1'000);
  Register(entry);
  auto info = catalog_->Info("video/crop");
  ASSERT_TRUE(info.ok()) << info.status().message();
  ASSERT_TRUE(info->has_value());
  EXPECT_EQ(**info, entry);
  EXPECT_EQ(List(), std::vector<MaterializationEntry>{entry});
}

TEST_P(CatalogConformanceTest, RegisteringAgainUpdatesCountAndTime) {
  Register(Entry("video/crop", "a1", kDuckdb, "0f", 12, 1'000));
  Register(Entry("video/crop", "a1", kDuckdb, "0f", 15, 2'000));
  Register(Entry("video/crop", "a1", kDuckdb, "0f", 15, 2'000));
  std::vector<MaterializationEntry> entries = List();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].sample_count, 15);
  EXPECT_EQ(entries[0].materialized_at_ms, 2'000);
}

TEST_P(CatalogConformanceTest, HasFeatureFiltersByContainerAndDataVersion) {
  Register(Entry("video/crop", "a1", kDuckdb, "0f", 12, 1'000));
  Register(Entry("video/crop", "a1", kParquet, "1e", 12, 2'000));
  auto check = [&](std::optional<std::string> container, std::optional<std::string> version) {
    auto has = catalog_->HasFeature("video/crop", container, version);
    EXPECT_TRUE(has.ok()) << has.status().message();
    return has.ok() && *has;
  };
  EXPECT_TRUE(check(std::nullopt, std::nullopt));
  EXPECT_TRUE(check(kDuckdb, std::nullopt));
  EXPECT_TRUE(check(std::nullopt, "1e"));
  EXPECT_TRUE(check(kParquet, "1e"));
  EXPECT_FALSE(check(kDuckdb, "1e"));
  EXPECT_FALSE(check("postgres:features", std::nullopt));
  EXPECT_FALSE(check(std::nullopt, "ff"));
  auto other = catalog_->HasFeature("video");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(*other);  // a prefix is not the feature
}

TEST_P(CatalogConformanceTest, VersionsAreDistinctAndNewestFirst) {
  Register(Entry("video/crop", "a1", kDuckdb, "0f", 1, 1'000));
  Register(Entry("video/crop", "a1", kParquet, "0f", 1, 5'000));  // same data, later
  Register(Entry("video/crop", "b2", kDuckdb, "1e", 1, 3'000));
  Register(Entry("video/crop", "b2", kDuckdb, "2d", 1, 3'000));  // tie with 1e
  Register(Entry("video/other", "b2", kDuckdb, "ff", 1, 9'000));
  auto versions = catalog_->Versions("video/crop");
  ASSERT_TRUE(versions.ok()) << versions.status().message();
  EXPECT_EQ(*versions, (std::vector<std::string>{"0f", "1e", "2d"}));
}

TEST_P(CatalogConformanceTest, ListByPrefixFollowsSegments) {
  MaterializationEntry video = Entry("video", "a1", kDuckdb, "01", 1, 1'000);
  MaterializationEntry crop_old = Entry("video/crop", "a1", kDuckdb, "02", 1, 1'000);
  MaterializationEntry crop_new = Entry("video/crop", "a1", kDuckdb, "03", 1, 2'000);
  MaterializationEntry crop_tie = Entry("video/crop", "a1", kParquet, "03", 1, 2'000);
  MaterializationEntry dash = Entry("video-x/crop", "a1", kDuckdb, "04", 1, 1'000);
  MaterializationEntry videos = Entry("videos/crop", "a1", kDuckdb, "05", 1, 1'000);
  MaterializationEntry audio = Entry("audio/text", "a1", kDuckdb, "06", 1, 1'000);
  for (const auto& entry : {video, crop_old, crop_new, crop_tie, dash, videos, audio}) {
    Register(entry);
  }
  EXPECT_EQ(List("video"),
            (std::vector<MaterializationEntry>{video, crop_new, crop_tie, crop_old}));
  EXPECT_EQ(List("video/crop"),
            (std::vector<MaterializationEntry>{crop_new, crop_tie, crop_old}));
  EXPECT_TRUE(List("video/crop/deeper").empty());
  EXPECT_EQ(List(), (std::vector<MaterializationEntry>{audio, video, dash, crop_new, crop_tie,
                                                       crop_old, videos}));
}

TEST_P(CatalogConformanceTest, InfoIsTheNewestOverallOrInAContainer) {
  MaterializationEntry old_duckdb = Entry("video/crop", "a1", kDuckdb, "01", 5, 1'000);
  MaterializationEntry new_duckdb = Entry("video/crop", "b2", kDuckdb, "02", 6, 3'000);
  MaterializationEntry parquet = Entry("video/crop", "b2", kParquet, "02", 6, 2'000);
  Register(old_duckdb);
  Register(new_duckdb);
  Register(parquet);
  auto newest = catalog_->Info("video/crop");
  ASSERT_TRUE(newest.ok() && newest->has_value());
  EXPECT_EQ(**newest, new_duckdb);
  auto in_parquet = catalog_->Info("video/crop", std::string(kParquet));
  ASSERT_TRUE(in_parquet.ok() && in_parquet->has_value());
  EXPECT_EQ(**in_parquet, parquet);
  auto in_postgres = catalog_->Info("video/crop", std::string("postgres:features"));
  ASSERT_TRUE(in_postgres.ok());
  EXPECT_FALSE(in_postgres->has_value());
}

TEST_P(CatalogConformanceTest, RemoveForgetsOneFeatureInOneContainer) {
  MaterializationEntry kept_parquet = Entry("video/crop", "a1", kParquet, "01", 5, 1'000);
  MaterializationEntry kept_other = Entry("video/other", "a1", kDuckdb, "01", 5, 1'000);
  Register(Entry("video/crop", "a1", kDuckdb, "01", 5, 1'000));
  Register(Entry("video/crop", "b2", kDuckdb, "02", 5, 2'000));
  Register(kept_parquet);
  Register(kept_other);
  Status removed = catalog_->Remove("video/crop", kDuckdb);
  ASSERT_TRUE(removed.ok()) << removed.message();
  EXPECT_EQ(List(), (std::vector<MaterializationEntry>{kept_parquet, kept_other}));
  Status again = catalog_->Remove("video/crop", kDuckdb);
  EXPECT_EQ(again.code(), StatusCode::kNotFound);
  EXPECT_EQ(again.message(), "no materialization of feature video/crop in duckdb:/data/x.duckdb");
}

// What a write does after it appended rows: the feature's entries in its store are
// swapped for the new ones at once (a write killed meanwhile leaves the old ones).
TEST_P(CatalogConformanceTest, ReplaceSwapsTheEntriesOfOneFeatureInOneContainer) {
  MaterializationEntry kept_parquet = Entry("video/crop", "a1", kParquet, "01", 5, 1'000);
  MaterializationEntry kept_other = Entry("video/other", "a1", kDuckdb, "01", 5, 1'000);
  Register(Entry("video/crop", "a1", kDuckdb, "01", 5, 1'000));
  Register(Entry("video/crop", "b2", kDuckdb, "02", 5, 2'000));
  Register(kept_parquet);
  Register(kept_other);
  MaterializationEntry replacement = Entry("video/crop", "b2", kDuckdb, "03", 8, 3'000);
  Status replaced = catalog_->Replace("video/crop", kDuckdb, {replacement});
  ASSERT_TRUE(replaced.ok()) << replaced.message();
  EXPECT_EQ(List(), (std::vector<MaterializationEntry>{replacement, kept_parquet, kept_other}));
  Status emptied = catalog_->Replace("video/crop", kDuckdb, {});
  ASSERT_TRUE(emptied.ok()) << emptied.message();
  EXPECT_EQ(List(), (std::vector<MaterializationEntry>{kept_parquet, kept_other}));
  Status emptied_again = catalog_->Replace("video/crop", kDuckdb, {});
  EXPECT_TRUE(emptied_again.ok()) << emptied_again.message();
  Status foreign = catalog_->Replace("video/crop", kDuckdb, {kept_other});
  EXPECT_EQ(foreign.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(List(), (std::vector<MaterializationEntry>{kept_parquet, kept_other}));
}

TEST_P(CatalogConformanceTest, ThreadsRegisterConcurrently) {
  constexpr int kThreads = 4;
  constexpr int kEntriesPerThread = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int thread = 0; thread < kThreads; thread++) {
    threads.emplace_back([&, thread] {
      for (int i = 0; i < kEntriesPerThread; i++) {
        std::string version = std::to_string(thread * 1000 + i);  // decimal digits are hex
        Status status = catalog_->Register(Entry("video/crop", "a1", kDuckdb, version, i, i));
        if (!status.ok()) failures++;
        (void)catalog_->HasFeature("video/crop");
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(List().size(), static_cast<size_t>(kThreads * kEntriesPerThread));
}

// Every kInvalidInput message, through Register.
TEST_P(CatalogConformanceTest, BadEntriesAreRefusedWithOneClearLine) {
  MaterializationEntry good = Entry("video/crop", "a1", kDuckdb, "0f", 1, 1);
  struct Case {
    std::function<void(MaterializationEntry&)> spoil;
    std::string message;
  };
  std::vector<Case> cases = {
      {[](auto& e) { e.feature = ""; }, "feature key is empty"},
      {[](auto& e) { e.feature = std::string(257, 'a'); },
       "feature key of 257 characters is longer than the maximum of 256"},
      {[](auto& e) { e.feature = "Video/crop"; },
       "feature key 'Video/crop' is not valid: segments are made of a-z, 0-9, '_' and '-', "
       "separated by '/'"},
      {[](auto& e) { e.feature = "video crop"; },
       "feature key 'video crop' is not valid: segments are made of a-z, 0-9, '_' and '-', "
       "separated by '/'"},
      {[](auto& e) { e.feature = "video//crop"; }, "feature key 'video//crop' has an empty segment"},
      {[](auto& e) { e.feature = "/video"; }, "feature key '/video' has an empty segment"},
      {[](auto& e) { e.feature = "video/"; }, "feature key 'video/' has an empty segment"},
      {[](auto& e) { e.feature_version = ""; }, "feature version is empty"},
      {[](auto& e) { e.feature_version = "A1"; },
       "feature version 'A1' is not lowercase hexadecimal"},
      {[](auto& e) { e.feature_version = std::string(129, 'a'); },
       "feature version of 129 characters is longer than the maximum of 128"},
      {[](auto& e) { e.data_version = "xyz"; }, "data version 'xyz' is not lowercase hexadecimal"},
      {[](auto& e) { e.data_version = ""; }, "data version is empty"},
      {[](auto& e) { e.container = ""; }, "container is empty"},
      {[](auto& e) { e.container = "duckdb:/a\nb"; }, "container contains a control character"},
      {[](auto& e) { e.container = std::string(4097, 'c'); },
       "container of 4097 characters is longer than the maximum of 4096"},
      {[](auto& e) { e.sample_count = -1; }, "sample count -1 of feature video/crop is negative"},
      {[](auto& e) { e.materialized_at_ms = -5; },
       "materialization time -5 ms of feature video/crop is negative"},
  };
  for (const Case& test_case : cases) {
    MaterializationEntry entry = good;
    test_case.spoil(entry);
    Status status = catalog_->Register(entry);
    EXPECT_EQ(status.code(), StatusCode::kInvalidInput) << test_case.message;
    EXPECT_EQ(status.message(), test_case.message);
  }
  EXPECT_TRUE(List().empty());
}

TEST_P(CatalogConformanceTest, BadQueryArgumentsAreRefused) {
  auto expect_invalid = [](const Status& status, const std::string& message) {
    EXPECT_EQ(status.code(), StatusCode::kInvalidInput) << message;
    EXPECT_EQ(status.message(), message);
  };
  expect_invalid(catalog_->HasFeature("Bad").status(),
                 "feature key 'Bad' is not valid: segments are made of a-z, 0-9, '_' and '-', "
                 "separated by '/'");
  expect_invalid(catalog_->HasFeature("video/crop", std::string("")).status(),
                 "container is empty");
  expect_invalid(catalog_->HasFeature("video/crop", std::nullopt, std::string("g1")).status(),
                 "data version 'g1' is not lowercase hexadecimal");
  expect_invalid(catalog_->Versions("").status(), "feature key is empty");
  expect_invalid(catalog_->List(std::string("video/")).status(),
                 "feature key 'video/' has an empty segment");
  expect_invalid(catalog_->Info("video/crop", std::string("")).status(), "container is empty");
  expect_invalid(catalog_->Remove("video//crop", kDuckdb),
                 "feature key 'video//crop' has an empty segment");
  expect_invalid(catalog_->Remove("video/crop", ""), "container is empty");
}

}  // namespace materia
