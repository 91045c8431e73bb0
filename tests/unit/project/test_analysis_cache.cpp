#include "project/analysis_cache.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace materia {
namespace {

namespace fs = std::filesystem;

class AnalysisCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("materia_cache_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    path_ = (dir_ / "cache" / "analysis").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  static QueryAnalysis Sample(int i) {
    QueryAnalysis analysis;
    analysis.tables = {"raw.a" + std::to_string(i), "staging.\"odd\tname\""};
    analysis.sources = {{"read_csv", {"data/*.csv", "x\ny.csv"}}, {"scan", {}}};
    analysis.tree_hash = "hash" + std::to_string(i);
    analysis.select_names = {"k", "", "*"};
    return analysis;
  }

  static void ExpectSame(const QueryAnalysis& a, const QueryAnalysis& b) {
    EXPECT_EQ(a.tables, b.tables);
    EXPECT_EQ(a.sources, b.sources);
    EXPECT_EQ(a.tree_hash, b.tree_hash);
    EXPECT_EQ(a.select_names, b.select_names);
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(AnalysisCacheTest, SavedEntriesReadBackExactly) {
  {
    AnalysisCache cache(path_, "salt", true);
    for (int i = 0; i < 3; i++) cache.Insert("key" + std::to_string(i), Sample(i));
    cache.Save();
  }
  AnalysisCache cache(path_, "salt", true);
  for (int i = 0; i < 3; i++) {
    auto found = cache.Find("key" + std::to_string(i));
    ASSERT_TRUE(found.has_value()) << i;
    ExpectSame(*found, Sample(i));
  }
  EXPECT_FALSE(cache.Find("key9").has_value());
}

TEST_F(AnalysisCacheTest, AnotherSaltIsAnEmptyCache) {
  {
    AnalysisCache cache(path_, "salt", true);
    cache.Insert("key", Sample(1));
    cache.Save();
  }
  AnalysisCache cache(path_, "other variables", true);
  EXPECT_FALSE(cache.Find("key").has_value());
}

TEST_F(AnalysisCacheTest, EntriesALoadDidNotUseAreDropped) {
  {
    AnalysisCache cache(path_, "salt", true);
    cache.Insert("kept", Sample(1));
    cache.Insert("dropped", Sample(2));
    cache.Save();
  }
  {
    AnalysisCache cache(path_, "salt", true);
    ASSERT_TRUE(cache.Find("kept").has_value());
    cache.Save();
  }
  AnalysisCache cache(path_, "salt", true);
  EXPECT_TRUE(cache.Find("kept").has_value());
  EXPECT_FALSE(cache.Find("dropped").has_value());
}

TEST_F(AnalysisCacheTest, TruncatedFileKeepsTheWholeRecordsBeforeTheCut) {
  {
    AnalysisCache cache(path_, "salt", true);
    cache.Insert("a", Sample(1));
    cache.Insert("b", Sample(2));
    cache.Save();
  }
  fs::resize_file(path_, fs::file_size(path_) - 3);
  AnalysisCache cache(path_, "salt", true);
  int found = cache.Find("a").has_value() + cache.Find("b").has_value();
  EXPECT_EQ(found, 1);  // one record whole, the cut one ignored
}

TEST_F(AnalysisCacheTest, GarbageIsAnEmptyCacheAndDisabledWritesNothing) {
  fs::create_directories(fs::path(path_).parent_path());
  std::ofstream(path_) << "not a cache\n";
  AnalysisCache garbage(path_, "salt", true);
  EXPECT_FALSE(garbage.Find("a").has_value());
  fs::remove(path_);
  AnalysisCache disabled(path_, "salt", false);
  disabled.Insert("a", Sample(1));
  disabled.Save();
  EXPECT_FALSE(fs::exists(path_));
}

}  // namespace
}  // namespace materia
