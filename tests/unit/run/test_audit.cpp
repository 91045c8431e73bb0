#include "run/audit.h"

#include <gtest/gtest.h>

#include "project/model_parser.h"

namespace materia {
namespace {

class AuditRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto database = DuckDatabase::Open(":memory:");
    ASSERT_TRUE(database.ok());
    database_ = *database;
    auto connection = DuckConnection::Connect(database_);
    ASSERT_TRUE(connection.ok());
    connection_ = std::move(*connection);
    // 5 rows: one NULL name, a duplicated id, a gap in seq, an empty string.
    ASSERT_TRUE(connection_->Execute(R"(CREATE TABLE t AS SELECT * FROM (VALUES
        (1, 'a',  10.0, 1, 'x'),
        (2, 'b',  20.0, 2, 'x'),
        (2, NULL, 30.0, 3, ''),
        (4, 'd',  -5.0, 5, 'x'),
        (5, 'e', 500.0, 6, 'x')) AS v(id, name, price, seq, code))").ok());
  }

  // Failing rows of one audit call, written as in a MODEL header, on table t.
  int64_t Failing(const std::string& call) {
    auto definition = ParseModelFile("models/m.sql", "MODEL (name s.m, audits (" + call + "));\nSELECT 1");
    EXPECT_TRUE(definition.ok()) << definition.status().message();
    Model model;
    model.definition = *definition;
    auto audits = ResolveAudits(model.definition, {});
    EXPECT_TRUE(audits.ok()) << audits.status().message();
    model.audits = *audits;
    std::vector<AuditOutcome> outcomes = RunAudits(*connection_, model, "t", MacroContext{});
    EXPECT_EQ(outcomes.size(), 1u);
    if (outcomes.empty()) return -1;
    EXPECT_EQ(outcomes[0].error, "") << call;
    return outcomes[0].failing_rows;
  }

  std::shared_ptr<DuckDatabase> database_;
  std::unique_ptr<DuckConnection> connection_;
};

TEST_F(AuditRunTest, EveryBuiltinFindsTheRowsThatBreakIt) {
  EXPECT_EQ(Failing("not_null(columns := (id, name))"), 1);
  EXPECT_EQ(Failing("not_null(columns := id)"), 0);
  EXPECT_EQ(Failing("unique_values(columns := (id))"), 2);  // both rows of the duplicate
  EXPECT_EQ(Failing("unique_values(columns := (name))"), 0);  // NULLs are not duplicates
  EXPECT_EQ(Failing("unique_combination_of_columns(columns := (id, code))"), 0);
  EXPECT_EQ(Failing("unique_combination_of_columns(columns := (code))"), 1);  // one duplicated group
  EXPECT_EQ(Failing("accepted_values(column := code, is_in := ('x'))"), 1);
  EXPECT_EQ(Failing("not_accepted_values(column := code, is_in := [''])"), 1);
  // A NULL in the list does not silence the audit.
  EXPECT_EQ(Failing("accepted_values(column := code, is_in := ('x', NULL))"), 1);
  EXPECT_EQ(Failing("accepted_values(column := name, is_in := ('a', 'b', 'd', 'e', null))"), 0);
  EXPECT_EQ(Failing("accepted_range(column := price, min_v := 0, max_v := 100)"), 2);
  EXPECT_EQ(Failing("accepted_range(column := price, min_v := 10, inclusive := false)"), 2);
  EXPECT_EQ(Failing("accepted_range(column := price, max_v := 500)"), 0);
  EXPECT_EQ(Failing("number_of_rows(threshold := 5)"), 1);
  EXPECT_EQ(Failing("number_of_rows(threshold := 4)"), 0);
  EXPECT_EQ(Failing("at_least_one(column := name)"), 0);
  EXPECT_EQ(Failing("at_least_one(column := name, condition := id = 2 AND name IS NULL)"), 1);
  EXPECT_EQ(Failing("not_constant(column := code)"), 0);
  EXPECT_EQ(Failing("not_constant(column := code, condition := code = 'x')"), 1);
  EXPECT_EQ(Failing("sequential_values(column := seq)"), 1);
  EXPECT_EQ(Failing("sequential_values(column := seq, interval := 1, condition := seq < 5)"), 0);
  EXPECT_EQ(Failing("forall(criteria := (price > 0, id < 5))"), 2);
  EXPECT_EQ(Failing("not_empty_string(column := code)"), 1);
  EXPECT_EQ(Failing("not_null(columns := (name), condition := id <> 2)"), 0);
}

TEST_F(AuditRunTest, OutcomesKeepASampleAndDescribeThemselves) {
  Model model;
  model.definition = *ParseModelFile("models/m.sql", "MODEL (name s.m, grain id);\nSELECT 1");
  model.audits = *ResolveAudits(model.definition, {});
  std::vector<AuditOutcome> outcomes = RunAudits(*connection_, model, "t", MacroContext{});
  ASSERT_EQ(outcomes.size(), 1u);
  const AuditOutcome& outcome = outcomes[0];
  EXPECT_FALSE(outcome.passed());
  EXPECT_TRUE(AnyBlockingFailure(outcomes));
  EXPECT_EQ(outcome.failing_rows, 1);
  EXPECT_EQ(outcome.columns, (std::vector<std::string>{"id", "duplicates"}));
  EXPECT_EQ(AuditFailureLine(outcome), "audit unique grain (id) failed on s.m: 1 row");
  EXPECT_EQ(DescribeAuditOutcome(outcome),
            "  audit unique grain (id) failed on s.m: 1 row\n"
            "    id  duplicates\n"
            "    2   2\n");
}

TEST_F(AuditRunTest, AnAuditDuckDbRefusesIsAFailureWithItsMessage) {
  Model model;
  model.definition = *ParseModelFile("models/m.sql", "MODEL (name s.m, audits (not_null_non_blocking(columns := nope)));\nSELECT 1");
  model.audits = *ResolveAudits(model.definition, {});
  std::vector<AuditOutcome> outcomes = RunAudits(*connection_, model, "t", MacroContext{});
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_FALSE(outcomes[0].passed());
  // Non-blocking, yet it blocks: a query that fails may have aborted the transaction.
  EXPECT_TRUE(AnyBlockingFailure(outcomes));
  EXPECT_NE(outcomes[0].error.find("nope"), std::string::npos) << outcomes[0].error;
  EXPECT_EQ(AuditFailureLine(outcomes[0]).rfind(
                "audit not_null_non_blocking(columns := nope) cannot run on s.m: ", 0),
            0u);
}

}  // namespace
}  // namespace materia
