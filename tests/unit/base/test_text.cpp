#include "base/text.h"

#include <gtest/gtest.h>

namespace materia {
namespace {

TEST(OneLine, DropsContextLinesAndJoinsTheRest) {
  EXPECT_EQ(OneLine("Parser Error: syntax error at or near \"t\"\n\nLINE 1: SELECT x FORM t\n"
                    "                      ^"),
            "Parser Error: syntax error at or near \"t\"");
  EXPECT_EQ(OneLine("Invalid Input Error: CSV Error on Line: 2\nOriginal Line: 1,oops\n"
                    "Expected Number of Columns: 2 Found: 3"),
            "Invalid Input Error: CSV Error on Line: 2; Original Line: 1,oops; "
            "Expected Number of Columns: 2 Found: 3");
  EXPECT_EQ(OneLine("plain"), "plain");
  EXPECT_EQ(OneLine(std::string(500, 'x'), 10), "xxxxxxx...");
}

TEST(FindInvalidUtf8, FindsTheFirstBadByte) {
  EXPECT_FALSE(FindInvalidUtf8("café ☕ 𝄞").has_value());
  EXPECT_EQ(FindInvalidUtf8("caf\xe9 x"), 3u);     // Latin-1 é
  EXPECT_EQ(FindInvalidUtf8("ab\xc0\xaf"), 2u);    // overlong
  EXPECT_EQ(FindInvalidUtf8("ab\xe2\x98"), 2u);    // truncated
}

}  // namespace
}  // namespace materia

namespace materia {
namespace {

TEST(TextHelpers, LowerTrimDigits) {
  EXPECT_EQ(ToLower("SELECT Raw.A_1"), "select raw.a_1");
  EXPECT_EQ(ToLower("ÉTÉ"), "\xc3\x89t\xc3\x89");  // bytes outside ASCII are kept
  EXPECT_EQ(Trim("  a b \t\n"), "a b");
  EXPECT_EQ(Trim(" \t "), "");
  EXPECT_TRUE(IsAllDigits("2024"));
  EXPECT_FALSE(IsAllDigits(""));
  EXPECT_FALSE(IsAllDigits("12a"));
  EXPECT_FALSE(IsAllDigits("-1"));
}

}  // namespace
}  // namespace materia

namespace materia {
namespace {

TEST(YamlScalars, CoreSchemaNullsBooleansAndNumbers) {
  for (const char* text : {"", "~", "null", "Null", "NULL"}) EXPECT_TRUE(IsYamlNull(text)) << text;
  EXPECT_FALSE(IsYamlNull("nil"));
  for (const char* text : {"true", "True", "TRUE", "false", "False", "FALSE"}) EXPECT_TRUE(IsYamlBool(text)) << text;
  EXPECT_FALSE(IsYamlBool("yes"));  // YAML 1.1 only
  for (const char* text : {"0", "-12", "+3.5", ".5", "1.", "6.02e23", "1E-9"}) EXPECT_TRUE(IsYamlNumber(text)) << text;
  for (const char* text : {"", ".", "-", "1e", "0x1F", "1,000", "2024-01-01", "1.2.3"}) {
    EXPECT_FALSE(IsYamlNumber(text)) << text;
  }
}

}  // namespace
}  // namespace materia

namespace materia {
namespace {

TEST(SplitWords, RunsOfWhitespaceSeparateWords) {
  EXPECT_EQ(SplitWords("  in 1\tweek \n"), (std::vector<std::string>{"in", "1", "week"}));
  EXPECT_TRUE(SplitWords(" \t ").empty());
  EXPECT_EQ(SplitWords("*/5 * * * *").size(), 5u);
}

}  // namespace
}  // namespace materia
