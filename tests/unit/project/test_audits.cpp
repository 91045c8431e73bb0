#include "project/audits.h"

#include <gtest/gtest.h>

#include "project/model_parser.h"

namespace materia {
namespace {

ModelDefinition Model(const std::string& header) {
  auto model = ParseModelFile("models/m.sql", "MODEL (name s.m, " + header + ");\nSELECT 1 AS id");
  EXPECT_TRUE(model.ok()) << model.status().message();
  return model.ok() ? *model : ModelDefinition{};
}

TEST(AuditFile, ParsesSeveralAuditsWithPropertiesAndQueries) {
  auto audits = ParseAuditFile("audits/a.sql", R"(-- checks
AUDIT (
  name Assert_Positive,
  blocking false,
  dialect duckdb,
  description 'no negative values',
  defaults (threshold = 0, label := 'x'),
);
SELECT * FROM @this_model WHERE @column < @threshold;

AUDIT (name no_future, skip true);
WITH t AS (SELECT * FROM @this_model) SELECT * FROM t WHERE day > current_date
)");
  ASSERT_TRUE(audits.ok()) << audits.status().message();
  ASSERT_EQ(audits->size(), 2u);
  const AuditDefinition& positive = (*audits)[0];
  EXPECT_EQ(positive.name, "assert_positive");
  EXPECT_FALSE(positive.blocking);
  EXPECT_EQ(positive.description, "no negative values");
  EXPECT_EQ(positive.defaults.at("threshold"), "0");
  EXPECT_EQ(positive.defaults.at("label"), "'x'");
  EXPECT_EQ(positive.query, "SELECT * FROM @this_model WHERE @column < @threshold");
  EXPECT_EQ(positive.query_location.ToString(), "audits/a.sql:9:1");
  EXPECT_EQ(positive.header_location.ToString(), "audits/a.sql:2:1");
  EXPECT_TRUE((*audits)[1].skip);
  EXPECT_TRUE((*audits)[1].blocking);
  EXPECT_EQ((*audits)[1].query.substr(0, 4), "WITH");
}

TEST(AuditFile, ErrorsPointAtTheFault) {
  struct Case {
    const char* content;
    const char* message;
  };
  const Case cases[] = {
      {"SELECT 1", "audits/a.sql:1:1: expected AUDIT (...) at the start of an audit, found 'SELECT'"},
      {"", "audits/a.sql:1:1: expected AUDIT (...) in an audits file, found end of file"},
      {"AUDIT name x;", "audits/a.sql:1:7: expected '(' after AUDIT, found 'name'"},
      {"AUDIT (name x) SELECT 1", "audits/a.sql:1:16: expected ';' after the AUDIT header, found 'SELECT'"},
      {"AUDIT (name x, blocking maybe); SELECT 1",
       "audits/a.sql:1:25: blocking must be true or false, got 'maybe'"},
      {"AUDIT (name x, name y); SELECT 1", "audits/a.sql:1:16: property 'name' is set twice"},
      {"AUDIT (name x, defaults (a)); SELECT 1",
       "audits/a.sql:1:26: defaults must be written (name = value, ...)"},
      {"AUDIT (name x); DELETE FROM t",
       "audits/a.sql:1:17: the query of audit x must be a SELECT, found 'DELETE'"},
      {"AUDIT (name x, standalone true); SELECT 1",
       "audits/a.sql:1:27: standalone audits are not supported yet: attach the audit to a model "
       "with audits (...) in its MODEL header"},
      {"AUDIT (name x; SELECT 1", "audits/a.sql:1:7: unclosed '('"},
  };
  for (const Case& c : cases) {
    auto audits = ParseAuditFile("audits/a.sql", c.content);
    ASSERT_FALSE(audits.ok()) << c.content;
    EXPECT_EQ(audits.status().message(), c.message) << c.content;
  }
}

TEST(ResolveAudits, BuiltinsGetDefaultsAndNonBlockingVariants) {
  auto audits = ResolveAudits(
      Model("grain (a, b), audits (accepted_range(column := v, min_v := 0), not_null_non_blocking(columns := [a]))"),
      {});
  ASSERT_TRUE(audits.ok()) << audits.status().message();
  ASSERT_EQ(audits->size(), 3u);
  EXPECT_EQ((*audits)[0].name, "accepted_range");
  EXPECT_TRUE((*audits)[0].blocking);
  EXPECT_EQ((*audits)[0].arguments.at("inclusive").text, "true");
  EXPECT_EQ((*audits)[0].arguments.at("max_v").text, "");
  EXPECT_EQ((*audits)[1].name, "not_null");
  EXPECT_FALSE((*audits)[1].blocking);
  EXPECT_EQ((*audits)[2].display, "unique grain (a, b)");
  EXPECT_EQ((*audits)[2].arguments.at("columns").items, (std::vector<std::string>{"a", "b"}));
}

TEST(ResolveAudits, CustomAuditsTakeDefaultsAndArguments) {
  AuditDefinition custom;
  custom.name = "positive";
  custom.defaults = {{"threshold", "0"}};
  custom.query = "SELECT * FROM @this_model WHERE @column < @threshold";
  std::map<std::string, AuditDefinition> audits{{"positive", custom}};
  auto resolved = ResolveAudits(Model("audits (positive(column := v), positive_non_blocking(column := w, threshold := 5))"),
                                audits);
  ASSERT_TRUE(resolved.ok()) << resolved.status().message();
  ASSERT_EQ(resolved->size(), 2u);
  EXPECT_FALSE((*resolved)[0].builtin);
  EXPECT_TRUE((*resolved)[0].blocking);
  auto first = AuditQuery((*resolved)[0], "t", MacroContext{});
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(*first, "SELECT * FROM t WHERE v < 0");
  EXPECT_FALSE((*resolved)[1].blocking);
  auto second = AuditQuery((*resolved)[1], "(SELECT * FROM t WHERE d = 1)", MacroContext{});
  EXPECT_EQ(*second, "SELECT * FROM (SELECT * FROM t WHERE d = 1) WHERE w < 5");
}

TEST(ResolveAudits, MistakesAreOneLineAtTheCall) {
  struct Case {
    const char* audits;
    const char* message;
  };
  const Case cases[] = {
      {"audits (nope)", "models/m.sql:1:26: unknown audit 'nope' (built-ins: accepted_range, "
                        "accepted_values, at_least_one, forall, not_accepted_values, not_constant, "
                        "not_empty_string, not_null, number_of_rows, sequential_values, "
                        "unique_combination_of_columns, unique_values; custom audits come from audits/*.sql)"},
      {"audits (not_null)", "models/m.sql:1:26: audit not_null needs argument 'columns', e.g. "
                            "not_null(columns := (id, name))"},
      {"audits (not_null(columns := a, colour := b))",
       "models/m.sql:1:49: audit not_null takes no argument 'colour' (it takes columns, condition)"},
      {"audits (accepted_range(column := v))",
       "models/m.sql:1:26: audit accepted_range needs min_v or max_v, e.g. accepted_range(column := "
       "price, min_v := 0, max_v := 100)"},
      {"audits (not_constant(column := (a, b)))",
       "models/m.sql:1:39: argument 'column' of audit not_constant takes one value, not a list"},
      {"audits (not_null(columns := ()))",
       "models/m.sql:1:35: argument 'columns' of audit not_null is an empty list"},
  };
  for (const Case& c : cases) {
    auto resolved = ResolveAudits(Model(c.audits), {});
    ASSERT_FALSE(resolved.ok()) << c.audits;
    EXPECT_EQ(resolved.status().message(), c.message) << c.audits;
  }
}

TEST(ResolveAudits, ACustomAuditNamedLikeABuiltinWinsInBothVariants) {
  AuditDefinition custom;
  custom.name = "not_null";
  custom.query = "SELECT * FROM @this_model WHERE mine";
  auto resolved = ResolveAudits(Model("audits (not_null, not_null_non_blocking)"), {{"not_null", custom}});
  ASSERT_TRUE(resolved.ok()) << resolved.status().message();
  ASSERT_EQ(resolved->size(), 2u);
  EXPECT_FALSE((*resolved)[0].builtin);
  EXPECT_TRUE((*resolved)[0].blocking);
  EXPECT_FALSE((*resolved)[1].builtin);
  EXPECT_FALSE((*resolved)[1].blocking);
}

TEST(ResolveAudits, SkippedCustomAuditsDoNotRun) {
  AuditDefinition custom;
  custom.name = "later";
  custom.skip = true;
  custom.query = "SELECT 1";
  auto resolved = ResolveAudits(Model("audits (later)"), {{"later", custom}});
  ASSERT_TRUE(resolved.ok());
  EXPECT_TRUE(resolved->empty());
}

}  // namespace
}  // namespace materia
