#include "base/glob.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "db/duckdb.h"

namespace materia {
namespace {

namespace fs = std::filesystem;

class GlobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("materia-glob-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    for (const char* path : {"a/2024/01/x.csv", "a/2024/02/y.csv", "a/2024/02/z.csv.gz",
                             "a/b/c/d/deep.csv", "a/top.csv", "a/.hidden.csv", "a/2024/notes.txt"}) {
      fs::create_directories((root_ / path).parent_path());
      std::ofstream(root_ / path) << "x\n";
    }
    fs::create_directories(root_ / "a/dir.csv");  // a directory is never a match
    previous_ = fs::current_path();
    fs::current_path(root_);
  }
  void TearDown() override {
    fs::current_path(previous_);
    fs::remove_all(root_);
  }

  // DuckDB's own glob(), the reference the queries use.
  std::vector<std::string> DuckGlob(const std::string& pattern) {
    auto database = DuckDatabase::Open(":memory:");
    auto connection = DuckConnection::Connect(*database);
    auto result = (*connection)->QueryParams("SELECT file FROM glob(?) ORDER BY file", {pattern});
    std::vector<std::string> files;
    for (const auto& row : result->rows) files.push_back(*row[0]);
    return files;
  }

  fs::path root_;
  fs::path previous_;
};

TEST_F(GlobTest, MatchesDuckDbOnTheSamePatterns) {
  for (const char* pattern : {"a/*/*/*.csv", "a/*.csv", "a/2024/0[12]/*", "a/**/*.csv",
                              "a/2024/01/x.csv", "a/?op.csv", "missing/*.csv", "a/*/*/*.csv.gz"}) {
    auto files = ExpandGlob(pattern);
    ASSERT_TRUE(files.ok()) << pattern;
    EXPECT_EQ(*files, DuckGlob(pattern)) << pattern;
  }
}

TEST_F(GlobTest, AbsolutePatternsStayAbsolute) {
  auto files = ExpandGlob((root_ / "a/2024/01/*.csv").string());
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(*files, (std::vector<std::string>{(root_ / "a/2024/01/x.csv").string()}));
}

TEST_F(GlobTest, RemoteAndTooManyAreErrors) {
  auto remote = ExpandGlob("s3://bucket/*.csv");
  ASSERT_FALSE(remote.ok());
  EXPECT_EQ(remote.status().message(), "cannot list s3://bucket/*.csv: only local files can be versioned");
  auto many = ExpandGlob("a/**/*", 3);
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.status().message(), "a/**/* matches more than 3 paths");
}

}  // namespace
}  // namespace materia
