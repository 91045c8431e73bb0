#include <gtest/gtest.h>

#include "plan/plan.h"

namespace materia {
namespace {

class BreakingChangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = SqlAnalyzer::Create();
    ASSERT_TRUE(created.ok());
    analyzer_.emplace(std::move(created).value());
  }
  bool Additive(const std::string& old_query, const std::string& new_query) {
    return IsAdditiveChange(*analyzer_, old_query, new_query);
  }
  std::optional<SqlAnalyzer> analyzer_;
};

TEST_F(BreakingChangeTest, AddedColumnsAreNonBreaking) {
  EXPECT_TRUE(Additive("SELECT a, b FROM t", "SELECT a, b, c FROM t"));
  EXPECT_TRUE(Additive("SELECT a, b FROM t", "SELECT x + 1 AS x1, a, b FROM t"));
  EXPECT_TRUE(Additive("SELECT a FROM t", "SELECT a,\n  b -- new\n FROM t"));
}

TEST_F(BreakingChangeTest, AnythingElseIsBreaking) {
  EXPECT_FALSE(Additive("SELECT a, b FROM t", "SELECT a FROM t"));            // removed
  EXPECT_FALSE(Additive("SELECT a, b FROM t", "SELECT b, a, c FROM t"));      // reordered
  EXPECT_FALSE(Additive("SELECT a, b FROM t", "SELECT a, b + 1 AS b, c FROM t"));  // changed
  EXPECT_FALSE(Additive("SELECT a FROM t", "SELECT a, b FROM t WHERE a > 1"));  // filter
  EXPECT_FALSE(Additive("SELECT a FROM t", "SELECT a, b FROM u"));            // source
  EXPECT_FALSE(Additive("SELECT a FROM t", "SELECT a FROM t"));               // identical
}

}  // namespace
}  // namespace materia
