#include "db/sqlite.h"

#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

namespace materia {
namespace {

// Compiled statements are kept for reuse: a statement given up halfway through its
// rows, or with bindings, must come back reset and unbound.
TEST(SqliteStatementReuse, AReusedStatementStartsOverWithoutOldBindings) {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("materia_sqlite_reuse_" + std::to_string(::getpid()) + ".db")).string();
  std::filesystem::remove(path);
  struct Cleanup {
    std::string path;
    ~Cleanup() {
      for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    }
  } cleanup{path};
  auto database = SqliteDatabase::Open(path);
  ASSERT_TRUE(database.ok()) << database.status().message();
  ASSERT_TRUE((*database)->Execute("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3)").ok());
  const std::string sql = "SELECT x FROM t WHERE x >= ? ORDER BY x";
  {
    auto first = (*database)->PrepareBound(sql, {int64_t{2}});
    ASSERT_TRUE(first.ok());
    ASSERT_TRUE(*first->Step());
    EXPECT_EQ(first->ColumnInt64(0), 2);  // left before its last row
  }
  // Prepared again without bindings, `x >= NULL` matches nothing: the old 2 is gone.
  auto unbound = (*database)->Prepare(sql);
  ASSERT_TRUE(unbound.ok());
  EXPECT_FALSE(*unbound->Step());
  auto rebound = (*database)->PrepareBound(sql, {int64_t{3}});
  ASSERT_TRUE(rebound.ok());
  ASSERT_TRUE(*rebound->Step());
  EXPECT_EQ(rebound->ColumnInt64(0), 3);
  EXPECT_FALSE(*rebound->Step());
  // Two at once of the same text are two statements.
  auto a = (*database)->PrepareBound(sql, {int64_t{1}});
  auto b = (*database)->PrepareBound(sql, {int64_t{3}});
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(*a->Step());
  ASSERT_TRUE(*b->Step());
  EXPECT_EQ(a->ColumnInt64(0), 1);
  EXPECT_EQ(b->ColumnInt64(0), 3);
}

}  // namespace
}  // namespace materia
