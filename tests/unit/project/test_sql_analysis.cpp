#include "project/sql_analysis.h"

#include <gtest/gtest.h>

namespace materia {
namespace {

class SqlAnalysisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = SqlAnalyzer::Create();
    ASSERT_TRUE(created.ok()) << created.status().message();
    analyzer_.emplace(std::move(created).value());
  }
  std::optional<SqlAnalyzer> analyzer_;
};

TEST_F(SqlAnalysisTest, FindsTablesAcrossJoinsSubqueriesAndSetOperations) {
  auto analysis = analyzer_->Analyze(
      "SELECT a.x FROM raw.a AS a JOIN Staging.B b USING (id) "
      "WHERE a.y IN (SELECT y FROM cleaned.c) UNION ALL SELECT x FROM serving.d");
  ASSERT_TRUE(analysis.ok()) << analysis.status().message();
  EXPECT_EQ(analysis->tables,
            (std::vector<std::string>{"cleaned.c", "raw.a", "serving.d", "staging.b"}));
}

TEST_F(SqlAnalysisTest, CteNamesAreNotDependencies) {
  auto analysis = analyzer_->Analyze(
      "WITH recent AS (SELECT * FROM raw.events), top AS (SELECT * FROM recent) "
      "SELECT * FROM top JOIN recent USING (id)");
  ASSERT_TRUE(analysis.ok());
  EXPECT_EQ(analysis->tables, (std::vector<std::string>{"raw.events"}));
}

TEST_F(SqlAnalysisTest, FileReadingFunctionsAreSourcesWithFoldedGlobs) {
  auto analysis = analyzer_->Analyze(
      "SELECT * FROM read_csv('data/landing' || '/psd/*/*/*.csv.gz', header = true), "
      "read_parquet(['a.parquet', 'b/*.parquet'])");
  ASSERT_TRUE(analysis.ok());
  ASSERT_EQ(analysis->sources.size(), 2u);
  EXPECT_EQ(analysis->sources[0].function, "read_csv");
  EXPECT_EQ(analysis->sources[0].globs, (std::vector<std::string>{"data/landing/psd/*/*/*.csv.gz"}));
  EXPECT_EQ(analysis->sources[1].globs, (std::vector<std::string>{"a.parquet", "b/*.parquet"}));
  EXPECT_TRUE(analysis->tables.empty());
}

TEST_F(SqlAnalysisTest, TreeHashIgnoresFormattingAndComments) {
  auto a = analyzer_->Analyze("SELECT a, b FROM x.y WHERE a > 1");
  auto b = analyzer_->Analyze("select a,\n  b -- the b\nfrom   x.y /* t */ where a>1");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->tree_hash, b->tree_hash);
  auto c = analyzer_->Analyze("SELECT a, b FROM x.y WHERE a > 2");
  EXPECT_NE(a->tree_hash, c->tree_hash);
}

TEST_F(SqlAnalysisTest, SyntaxErrorGivesOffset) {
  SqlSyntaxError error;
  auto analysis = analyzer_->Analyze("SELECT a\nFORM t", &error);
  ASSERT_FALSE(analysis.ok());
  EXPECT_EQ(analysis.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(error.offset, std::string::npos);
  EXPECT_NE(analysis.status().message().find("syntax error"), std::string::npos);
}

TEST_F(SqlAnalysisTest, NonSelectIsRejected) {
  auto analysis = analyzer_->Analyze("CREATE TABLE t AS SELECT 1");
  ASSERT_FALSE(analysis.ok());
  EXPECT_EQ(analysis.status().message(), "the model's query must be a SELECT statement");
}

TEST_F(SqlAnalysisTest, RewriteReplacesModelReferencesButNotCtes) {
  auto rewritten = analyzer_->RewriteTables(
      "WITH b AS (SELECT * FROM raw.b) SELECT * FROM raw.a JOIN b USING (id)",
      {{"raw.a", {"materia__raw", "raw__a__v1"}}, {"b", {"wrong", "wrong"}}});
  ASSERT_TRUE(rewritten.ok()) << rewritten.status().message();
  EXPECT_EQ(*rewritten,
            "WITH b AS (SELECT * FROM raw.b) SELECT * FROM \"materia__raw\".\"raw__a__v1\" AS a "
            "JOIN b USING (id)");
}

TEST_F(SqlAnalysisTest, RewriteKeepsTheTextAsWrittenAroundTheNames) {
  // Comments, case, quoting, a non-ASCII literal before the reference, an alias.
  const std::string sql =
      "select 'Ünïcode' as u, -- why\n  t.x\nfrom \"Raw\" . \"Events\" t /* join */ join RAW.users on true";
  auto rewritten = analyzer_->RewriteTables(
      sql, {{"raw.events", {"p", "events_v1"}}, {"raw.users", {"p", "users_v1"}}});
  ASSERT_TRUE(rewritten.ok()) << rewritten.status().message();
  EXPECT_EQ(*rewritten,
            "select 'Ünïcode' as u, -- why\n  t.x\nfrom \"p\".\"events_v1\" t /* join */ join "
            "\"p\".\"users_v1\" AS users on true");
}

TEST_F(SqlAnalysisTest, RewrittenQueriesRunWhereColumnsAreQualifiedByTableName) {
  auto database = DuckDatabase::Open(":memory:");
  ASSERT_TRUE(database.ok());
  auto connection = DuckConnection::Connect(*database);
  ASSERT_TRUE(connection.ok());
  ASSERT_TRUE((*connection)->Execute(
      "CREATE SCHEMA p; CREATE TABLE p.a_v1 AS SELECT 1 AS k, 10 AS v; "
      "CREATE TABLE p.b_v1 AS SELECT 1 AS k, 20 AS w").ok());
  auto rewritten = analyzer_->RewriteTables(
      "SELECT a.k, a.v + b.w AS total FROM raw.a JOIN raw.b ON a.k = b.k",
      {{"raw.a", {"p", "a_v1"}}, {"raw.b", {"p", "b_v1"}}});
  ASSERT_TRUE(rewritten.ok()) << rewritten.status().message();
  auto result = (*connection)->Query(*rewritten);
  ASSERT_TRUE(result.ok()) << result.status().message() << "\n" << *rewritten;
  ASSERT_EQ(result->rows.size(), 1u);
  EXPECT_EQ(result->rows[0][1], std::optional<std::string>("30"));
}

TEST_F(SqlAnalysisTest, RewrittenQueriesRunWithSchemaQualifiedColumns) {
  auto database = DuckDatabase::Open(":memory:");
  ASSERT_TRUE(database.ok());
  auto connection = DuckConnection::Connect(*database);
  ASSERT_TRUE(connection.ok());
  ASSERT_TRUE((*connection)->Execute(
      "CREATE SCHEMA p; CREATE TABLE p.raw_orders AS SELECT 1 AS id, 5 AS amount; "
      "CREATE TABLE p.stg_orders AS SELECT 1 AS id, 'new' AS status").ok());
  const std::map<std::string, std::pair<std::string, std::string>> replacements = {
      {"raw.orders", {"p", "raw_orders"}}, {"stg.orders", {"p", "stg_orders"}}};
  // Two tables named alike in two schemas, told apart by their schema.
  auto both = analyzer_->RewriteTables(
      "SELECT raw.orders.id, raw.orders.amount, stg.orders.status FROM raw.orders "
      "JOIN stg.orders ON raw.orders.id = stg.orders.id",
      replacements);
  ASSERT_TRUE(both.ok()) << both.status().message();
  auto result = (*connection)->Query(*both);
  ASSERT_TRUE(result.ok()) << result.status().message() << "\n" << *both;
  ASSERT_EQ(result->rows.size(), 1u);
  EXPECT_EQ(result->rows[0][2], std::optional<std::string>("new"));
  // One table, its columns qualified by schema and by table alone.
  auto one = analyzer_->RewriteTables(
      "SELECT raw.orders.id, orders.amount FROM raw.orders WHERE raw.orders.amount > 0", replacements);
  ASSERT_TRUE(one.ok()) << one.status().message();
  auto single = (*connection)->Query(*one);
  ASSERT_TRUE(single.ok()) << single.status().message() << "\n" << *one;
  EXPECT_EQ(single->rows.size(), 1u);
}

}  // namespace
}  // namespace materia

namespace materia {
namespace {

TEST(SqlAnalysisBatch, MatchesOneByOneAndKeepsOrderAndErrors) {
  auto created = SqlAnalyzer::Create();
  ASSERT_TRUE(created.ok());
  SqlAnalyzer analyzer = std::move(created).value();
  std::vector<std::string> queries;
  for (int i = 0; i < 300; i++) {
    queries.push_back("SELECT x, y FROM s.t" + std::to_string(i) + " WHERE x > " + std::to_string(i));
  }
  queries[7] = "SELECT x FROM WHERE";         // syntax error
  queries[8] = "CREATE TABLE t AS SELECT 1";  // not a SELECT
  queries[9] = "SELECT 1; SELECT 2";          // two statements
  std::vector<SqlSyntaxError> errors;
  auto results = analyzer.AnalyzeBatch(queries, &errors);
  ASSERT_EQ(results.size(), queries.size());
  for (size_t i = 0; i < queries.size(); i++) {
    auto single = analyzer.Analyze(queries[i]);
    ASSERT_EQ(results[i].ok(), single.ok()) << i;
    if (!single.ok()) {
      EXPECT_EQ(results[i].status().message(), single.status().message()) << i;
      continue;
    }
    EXPECT_EQ(results[i]->tables, single->tables) << i;
    EXPECT_EQ(results[i]->tree_hash, single->tree_hash) << i;
  }
  EXPECT_FALSE(results[7].ok());
  EXPECT_NE(errors[7].offset, std::string::npos);
  EXPECT_EQ(results[8].status().message(), "the model's query must be a SELECT statement");
  EXPECT_EQ(results[9].status().message(), "expected one query, found 2");
  EXPECT_EQ(results[299]->tables, (std::vector<std::string>{"s.t299"}));
}

}  // namespace
}  // namespace materia
