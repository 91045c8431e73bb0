#include <gtest/gtest.h>

#include <string>

#include "project/macros.h"

namespace materia {
namespace {

constexpr TimestampMs kJanuaryFirst = 1704067200000;   // 2024-01-01 00:00:00
constexpr TimestampMs kJanuarySecond = 1704153600000;  // 2024-01-02 00:00:00
constexpr TimestampMs kExecution = 1704285045678;      // 2024-01-03 12:30:45.678

MacroContext DailyContext() {
  MacroContext context;
  context.start_ms = kJanuaryFirst;
  context.end_ms = kJanuarySecond;
  context.execution_ms = kExecution;
  context.variables = {{"landing_dir", "'data/landing'"}, {"n", "3"}, {"flag", "true"}};
  context.this_model = "materia__raw.raw__x__1a2b";
  context.gateway = "local";
  return context;
}

std::string Render(const std::string& sql, const MacroContext& context = DailyContext()) {
  Result<std::string> rendered = RenderMacros(sql, context, SourceLocation{"models/a.sql", 1, 1});
  EXPECT_TRUE(rendered.ok()) << rendered.status().message();
  return rendered.ok() ? rendered.value() : "";
}

std::string ErrorOf(const std::string& sql, const SourceLocation& location) {
  Result<std::string> rendered = RenderMacros(sql, DailyContext(), location);
  if (rendered.ok()) return "ok: " + rendered.value();
  EXPECT_EQ(rendered.status().code(), StatusCode::kInvalidInput);
  return rendered.status().message();
}

std::string ErrorOf(const std::string& sql) {
  return ErrorOf(sql, SourceLocation{"models/a.sql", 1, 1});
}

TEST(MacrosTest, RendersStartMacros) {
  EXPECT_EQ(Render("@start_ds"), "'2024-01-01'");
  EXPECT_EQ(Render("@start_date"), "CAST('2024-01-01' AS DATE)");
  EXPECT_EQ(Render("@start_ts"), "'2024-01-01 00:00:00'");
  EXPECT_EQ(Render("@start_tstz"), "'2024-01-01 00:00:00+00:00'");
  EXPECT_EQ(Render("@start_dt"), "CAST('2024-01-01 00:00:00' AS TIMESTAMP)");
  EXPECT_EQ(Render("@start_epoch"), "1704067200");
  EXPECT_EQ(Render("@start_millis"), "1704067200000");
}

TEST(MacrosTest, RendersTheInclusiveEnd) {
  EXPECT_EQ(Render("@end_ds"), "'2024-01-01'");
  EXPECT_EQ(Render("@end_date"), "CAST('2024-01-01' AS DATE)");
  EXPECT_EQ(Render("@end_ts"), "'2024-01-01 23:59:59.999'");
  EXPECT_EQ(Render("@end_tstz"), "'2024-01-01 23:59:59.999+00:00'");
  EXPECT_EQ(Render("@end_dt"), "CAST('2024-01-01 23:59:59.999' AS TIMESTAMP)");
  EXPECT_EQ(Render("@end_epoch"), "1704153599");
  EXPECT_EQ(Render("@end_millis"), "1704153599999");
}

TEST(MacrosTest, RendersExecutionMacros) {
  EXPECT_EQ(Render("@execution_ds"), "'2024-01-03'");
  EXPECT_EQ(Render("@execution_date"), "CAST('2024-01-03' AS DATE)");
  EXPECT_EQ(Render("@execution_ts"), "'2024-01-03 12:30:45.678'");
  EXPECT_EQ(Render("@execution_epoch"), "1704285045");
  EXPECT_EQ(Render("@execution_millis"), "1704285045678");
}

TEST(MacrosTest, RendersAQueryAndKeepsTheRestVerbatim) {
  EXPECT_EQ(Render("SELECT *\nFROM raw.x  -- keep\nWHERE ds BETWEEN @start_ds AND @end_ds"),
            "SELECT *\nFROM raw.x  -- keep\nWHERE ds BETWEEN '2024-01-01' AND '2024-01-01'");
  EXPECT_EQ(Render("SELECT @start_epoch+1,@end_epoch"), "SELECT 1704067200+1,1704153599");
  EXPECT_EQ(Render(""), "");
  EXPECT_EQ(Render("SELECT 1"), "SELECT 1");
}

TEST(MacrosTest, NamesAreCaseInsensitive) {
  EXPECT_EQ(Render("@START_DS @End_Ts @Execution_Epoch"),
            "'2024-01-01' '2024-01-01 23:59:59.999' 1704285045");
}

TEST(MacrosTest, LeavesStringsIdentifiersAndCommentsAlone) {
  std::string sql =
      "SELECT '@start_ds', \"@start_ds\", E'\\'@foo', $$@foo$$, $t$@foo$t$ -- @foo\n"
      "/* @foo /* @bar */ */ FROM x";
  EXPECT_EQ(Render(sql), sql);
  EXPECT_EQ(Render("SELECT 'it''s @start_ds', @start_ds"),
            "SELECT 'it''s @start_ds', '2024-01-01'");
}

TEST(MacrosTest, LeavesAtSignsThatAreNotMacrosAlone) {
  EXPECT_EQ(Render("SELECT @ -5, @(-2), @-1, @ x, $1"), "SELECT @ -5, @(-2), @-1, @ x, $1");
}

TEST(MacrosTest, RendersVariables) {
  EXPECT_EQ(Render("@VAR('landing_dir')"), "'data/landing'");
  EXPECT_EQ(Render("@var('n') + @Var('flag')"), "3 + true");
  EXPECT_EQ(Render("@VAR('LANDING_DIR')"), "'data/landing'");
  EXPECT_EQ(Render("@VAR ( 'n' )"), "3");
  EXPECT_EQ(Render("@VAR('n', 7)"), "3");
  EXPECT_EQ(Render("@VAR(E'n')"), "3");
}

TEST(MacrosTest, RendersDefaultsAndNullForUnknownVariables) {
  EXPECT_EQ(Render("@VAR('missing')"), "NULL");
  EXPECT_EQ(Render("@VAR('missing', 42)"), "42");
  EXPECT_EQ(Render("@VAR('missing', -1.5)"), "-1.5");
  EXPECT_EQ(Render("@VAR('missing', 'it''s, here')"), "'it''s, here'");
  EXPECT_EQ(Render("@VAR('missing', DATE '2024-01-01')"), "DATE '2024-01-01'");
  EXPECT_EQ(Render("@VAR('missing', [1, 2])"), "[1, 2]");
  EXPECT_EQ(Render("@VAR('missing', TRUE) AND x"), "TRUE AND x");
}

TEST(MacrosTest, RendersVariablesByBareName) {
  EXPECT_EQ(Render("SELECT @n, @LANDING_DIR"), "SELECT 3, 'data/landing'");
  MacroContext shadowing = DailyContext();
  shadowing.variables["start_ds"] = "'not this'";
  EXPECT_EQ(Render("@start_ds", shadowing), "'2024-01-01'");
}

TEST(MacrosTest, RendersThisModelAndGateway) {
  EXPECT_EQ(Render("INSERT INTO @this_model SELECT @gateway"),
            "INSERT INTO materia__raw.raw__x__1a2b SELECT 'local'");
  MacroContext context = DailyContext();
  context.gateway = "o'brien";
  EXPECT_EQ(Render("@GATEWAY", context), "'o''brien'");
}

TEST(MacrosTest, RendersDatesAcrossLeapDaysAndBeforeTheEpoch) {
  MacroContext context = DailyContext();
  context.start_ms = 1709164800000;  // 2024-02-29
  context.end_ms = 1709251200000;    // 2024-03-01
  EXPECT_EQ(Render("@start_ds @end_ts", context), "'2024-02-29' '2024-02-29 23:59:59.999'");
  context.start_ms = -1000;  // 1969-12-31 23:59:59
  context.end_ms = 0;
  EXPECT_EQ(Render("@start_ts @start_epoch @end_epoch @end_millis", context),
            "'1969-12-31 23:59:59' -1 -1 -1");
  context.start_ms = -2203891200000;  // 1900-03-01
  EXPECT_EQ(Render("@start_ds", context), "'1900-03-01'");
}

TEST(MacrosTest, CountsColumnsInCharacters) {
  EXPECT_EQ(ErrorOf("SELECT 'h\xC3\xA9' || @nope"), "models/a.sql:1:16: unknown macro @nope");
}

TEST(MacrosErrorTest, UnknownMacroAtItsPositionInTheFile) {
  EXPECT_EQ(ErrorOf("SELECT @foo"), "models/a.sql:1:8: unknown macro @foo");
  EXPECT_EQ(ErrorOf("SELECT 1,\n  @Foo_Bar", SourceLocation{"models/a.sql", 4, 1}),
            "models/a.sql:5:3: unknown macro @Foo_Bar");
  EXPECT_EQ(ErrorOf("x @foo", SourceLocation{"models/a.sql", 4, 7}),
            "models/a.sql:4:9: unknown macro @foo");
  EXPECT_EQ(ErrorOf("@start_day"), "models/a.sql:1:1: unknown macro @start_day");
  EXPECT_EQ(ErrorOf("@DEF(x, 1)"), "models/a.sql:1:1: unknown macro @DEF");
}

TEST(MacrosErrorTest, UnknownPositionNamesOnlyTheFile) {
  EXPECT_EQ(ErrorOf("SELECT @foo", SourceLocation{"models/a.sql", 0, 0}),
            "models/a.sql: unknown macro @foo");
  EXPECT_EQ(ErrorOf("SELECT @foo", SourceLocation{}), "unknown macro @foo");
}

TEST(MacrosErrorTest, VarNeedsAStringName) {
  const std::string usage = "@VAR needs a variable name, e.g. @VAR('landing_dir')";
  EXPECT_EQ(ErrorOf("SELECT @VAR"), "models/a.sql:1:8: " + usage);
  EXPECT_EQ(ErrorOf("SELECT @VAR + 1"), "models/a.sql:1:8: " + usage);
  EXPECT_EQ(ErrorOf("SELECT @VAR()"), "models/a.sql:1:8: " + usage);
  EXPECT_EQ(ErrorOf("SELECT @var(landing_dir)"), "models/a.sql:1:8: " + usage);
  EXPECT_EQ(ErrorOf("SELECT @VAR(\"n\")"), "models/a.sql:1:8: " + usage);
}

TEST(MacrosErrorTest, VarTakesANameAndOneDefault) {
  const std::string usage = "@VAR takes a name and an optional default, e.g. @VAR('n', 3)";
  EXPECT_EQ(ErrorOf("SELECT @VAR('n' 'm')"), "models/a.sql:1:17: " + usage);
  EXPECT_EQ(ErrorOf("SELECT @VAR('n', 1, 2)"), "models/a.sql:1:19: " + usage);
  EXPECT_EQ(ErrorOf("SELECT @VAR('n', )"), "models/a.sql:1:16: " + usage);
}

TEST(MacrosErrorTest, VarWithUnclosedParenthesis) {
  EXPECT_EQ(ErrorOf("SELECT @VAR('n'"), "models/a.sql:1:12: unclosed '('");
  EXPECT_EQ(ErrorOf("SELECT @VAR('n', (1)"), "models/a.sql:1:12: unclosed '('");
}

TEST(MacrosErrorTest, UnterminatedLiteralsAndComments) {
  EXPECT_EQ(ErrorOf("SELECT 'abc", SourceLocation{"models/a.sql", 3, 1}),
            "models/a.sql:3:8: unterminated string");
  EXPECT_EQ(ErrorOf("SELECT \"abc"), "models/a.sql:1:8: unterminated quoted identifier");
  EXPECT_EQ(ErrorOf("SELECT 1 /* x"), "models/a.sql:1:10: unterminated comment");
}

TEST(UsesTimeMacrosTest, FindsTimeMacrosOnly) {
  EXPECT_TRUE(UsesTimeMacros("WHERE ds BETWEEN @start_ds AND @end_ds"));
  EXPECT_TRUE(UsesTimeMacros("WHERE ts < @END_TS"));
  EXPECT_TRUE(UsesTimeMacros("SELECT @execution_epoch"));
  EXPECT_TRUE(UsesTimeMacros("SELECT @start_millis"));
  EXPECT_FALSE(UsesTimeMacros("SELECT @VAR('start_ds'), @this_model, @gateway"));
  EXPECT_FALSE(UsesTimeMacros("SELECT '@start_ds' -- @end_ds\n/* @start_ts */"));
  EXPECT_FALSE(UsesTimeMacros("SELECT @start_day, @finish_ds"));
  EXPECT_FALSE(UsesTimeMacros("SELECT 1"));
  EXPECT_FALSE(UsesTimeMacros(""));
  EXPECT_FALSE(UsesTimeMacros("SELECT 'unterminated @start_ds"));
}

}  // namespace
}  // namespace materia
