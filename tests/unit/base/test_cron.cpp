#include "base/cron.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace materia {
namespace {

TimestampMs At(const std::string& text) {
  Result<TimestampMs> parsed = ParseTimestamp(text, 0);
  EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.status().message();
  return parsed.ok() ? *parsed : 0;
}

Cron Make(const std::string& expression) {
  Result<Cron> cron = Cron::Parse(expression);
  EXPECT_TRUE(cron.ok()) << expression << ": " << cron.status().message();
  return cron.ok() ? *cron : *Cron::Parse("* * * * *");
}

std::string ErrorOf(const std::string& expression) {
  Result<Cron> cron = Cron::Parse(expression);
  if (cron.ok()) return "parsed";
  EXPECT_EQ(cron.status().code(), StatusCode::kInvalidInput);
  return cron.status().message();
}

// The first `count` ticks strictly after `from`, formatted.
std::vector<std::string> TicksAfter(const std::string& expression, const std::string& from,
                                    int count) {
  const Cron cron = Make(expression);
  std::vector<std::string> ticks;
  TimestampMs tick = At(from);
  for (int index = 0; index < count; index++) {
    tick = cron.Next(tick);
    ticks.push_back(FormatTimestamp(tick));
  }
  return ticks;
}

std::string Floor(const std::string& expression, const std::string& at) {
  return FormatTimestamp(Make(expression).Floor(At(at)));
}
std::string Next(const std::string& expression, const std::string& at) {
  return FormatTimestamp(Make(expression).Next(At(at)));
}
std::string Ceil(const std::string& expression, const std::string& at) {
  return FormatTimestamp(Make(expression).Ceil(At(at)));
}

// --- Parsing --------------------------------------------------------------------

TEST(CronParse, KeepsTheExpressionWithoutSurroundingSpaces) {
  EXPECT_EQ(Make("*/5 * * * *").expression(), "*/5 * * * *");
  EXPECT_EQ(Make("  @daily\n").expression(), "@daily");
  EXPECT_EQ(Make("0\t6  1 * *").expression(), "0\t6  1 * *");
}

TEST(CronParse, WrongFieldCount) {
  EXPECT_EQ(ErrorOf("* * * *"),
            "invalid cron '* * * *': expected 5 fields (minute hour day-of-month month "
            "day-of-week), found 4");
  EXPECT_EQ(ErrorOf("0 * * * * *"),
            "invalid cron '0 * * * * *': expected 5 fields (minute hour day-of-month "
            "month day-of-week), found 6");
  EXPECT_EQ(ErrorOf(""),
            "invalid cron '': expected 5 fields (minute hour day-of-month month "
            "day-of-week), found 0");
  EXPECT_EQ(ErrorOf("daily"),
            "invalid cron 'daily': expected 5 fields (minute hour day-of-month month "
            "day-of-week), found 1");
}

TEST(CronParse, OutOfRangeValuesNameTheField) {
  EXPECT_EQ(ErrorOf("61 * * * *"), "invalid cron '61 * * * *': minute field: 61 is out of range 0-59");
  EXPECT_EQ(ErrorOf("60 * * * *"), "invalid cron '60 * * * *': minute field: 60 is out of range 0-59");
  EXPECT_EQ(ErrorOf("0 24 * * *"), "invalid cron '0 24 * * *': hour field: 24 is out of range 0-23");
  EXPECT_EQ(ErrorOf("0 0 0 * *"),
            "invalid cron '0 0 0 * *': day-of-month field: 0 is out of range 1-31");
  EXPECT_EQ(ErrorOf("0 0 32 * *"),
            "invalid cron '0 0 32 * *': day-of-month field: 32 is out of range 1-31");
  EXPECT_EQ(ErrorOf("0 0 * 0 *"), "invalid cron '0 0 * 0 *': month field: 0 is out of range 1-12");
  EXPECT_EQ(ErrorOf("0 0 * 13 *"), "invalid cron '0 0 * 13 *': month field: 13 is out of range 1-12");
  EXPECT_EQ(ErrorOf("0 0 * * 8"),
            "invalid cron '0 0 * * 8': day-of-week field: 8 is out of range 0-7");
  EXPECT_EQ(ErrorOf("99999999999 * * * *"),
            "invalid cron '99999999999 * * * *': minute field: 99999999999 is out of range 0-59");
  EXPECT_EQ(ErrorOf("1-60 * * * *"),
            "invalid cron '1-60 * * * *': minute field: 60 is out of range 0-59");
  EXPECT_EQ(ErrorOf("0 1,2,25 * * *"),
            "invalid cron '0 1,2,25 * * *': hour field: 25 is out of range 0-23");
}

TEST(CronParse, ValuesThatAreNotNumbers) {
  EXPECT_EQ(ErrorOf("x * * * *"), "invalid cron 'x * * * *': minute field: 'x' is not a number");
  EXPECT_EQ(ErrorOf("1.5 * * * *"), "invalid cron '1.5 * * * *': minute field: '1.5' is not a number");
  EXPECT_EQ(ErrorOf("0 0 * FOO *"),
            "invalid cron '0 0 * FOO *': month field: 'FOO' is not a number or a month "
            "name (JAN-DEC)");
  EXPECT_EQ(ErrorOf("0 0 * JANUARY *"),
            "invalid cron '0 0 * JANUARY *': month field: 'JANUARY' is not a number or a "
            "month name (JAN-DEC)");
  EXPECT_EQ(ErrorOf("0 0 * * funday"),
            "invalid cron '0 0 * * funday': day-of-week field: 'funday' is not a number "
            "or a day name (SUN-SAT)");
  EXPECT_EQ(ErrorOf("0 0 MON * *"),
            "invalid cron '0 0 MON * *': day-of-month field: 'MON' is not a number");
  EXPECT_EQ(ErrorOf("0 0 * * JAN"),
            "invalid cron '0 0 * * JAN': day-of-week field: 'JAN' is not a number or a "
            "day name (SUN-SAT)");
  EXPECT_EQ(ErrorOf("? * * * *"), "invalid cron '? * * * *': minute field: '?' is not a number");
}

TEST(CronParse, BadStepsRangesAndLists) {
  EXPECT_EQ(ErrorOf("*/0 * * * *"),
            "invalid cron '*/0 * * * *': minute field: step 0 in '*/0' must be at least 1");
  EXPECT_EQ(ErrorOf("*/x * * * *"),
            "invalid cron '*/x * * * *': minute field: step 'x' in '*/x' is not a number");
  EXPECT_EQ(ErrorOf("*/ * * * *"),
            "invalid cron '*/ * * * *': minute field: step '' in '*/' is not a number");
  EXPECT_EQ(ErrorOf("*/5/2 * * * *"),
            "invalid cron '*/5/2 * * * *': minute field: '*/5/2' has more than one '/'");
  EXPECT_EQ(ErrorOf("30-10 * * * *"),
            "invalid cron '30-10 * * * *': minute field: range 30-10 is reversed (start "
            "after end)");
  EXPECT_EQ(ErrorOf("0 0 * DEC-JAN *"),
            "invalid cron '0 0 * DEC-JAN *': month field: range DEC-JAN is reversed (start "
            "after end)");
  EXPECT_EQ(ErrorOf("1,,2 * * * *"),
            "invalid cron '1,,2 * * * *': minute field: empty value in '1,,2'");
  EXPECT_EQ(ErrorOf("1, * * * *"), "invalid cron '1, * * * *': minute field: empty value in '1,'");
  EXPECT_EQ(ErrorOf("-5 * * * *"),
            "invalid cron '-5 * * * *': minute field: '-5' is not a value or a range a-b");
  EXPECT_EQ(ErrorOf("5- * * * *"),
            "invalid cron '5- * * * *': minute field: '5-' is not a value or a range a-b");
  EXPECT_EQ(ErrorOf("1-2-3 * * * *"),
            "invalid cron '1-2-3 * * * *': minute field: '2-3' is not a number");
  EXPECT_EQ(ErrorOf("*-5 * * * *"),
            "invalid cron '*-5 * * * *': minute field: '*' is not a number");
  EXPECT_EQ(ErrorOf("/5 * * * *"),
            "invalid cron '/5 * * * *': minute field: '' is not a number");
}

TEST(CronParse, UnknownAlias) {
  EXPECT_EQ(ErrorOf("@reboot"),
            "invalid cron '@reboot': unknown alias '@reboot' (expected @hourly, @daily, "
            "@midnight, @weekly, @monthly, @yearly or @annually)");
  EXPECT_EQ(ErrorOf("@daily 5"),
            "invalid cron '@daily 5': unknown alias '@daily 5' (expected @hourly, @daily, "
            "@midnight, @weekly, @monthly, @yearly or @annually)");
}

TEST(CronParse, ExpressionsThatNeverMatchAreRejected) {
  const std::string reason =
      "never matches: no day of the day-of-month field occurs in the months of the "
      "month field";
  EXPECT_EQ(ErrorOf("0 0 31 2 *"), "invalid cron '0 0 31 2 *': " + reason);
  EXPECT_EQ(ErrorOf("0 0 30 2 *"), "invalid cron '0 0 30 2 *': " + reason);
  EXPECT_EQ(ErrorOf("0 0 31 4,6,9,11 *"), "invalid cron '0 0 31 4,6,9,11 *': " + reason);
  EXPECT_EQ(ErrorOf("0 0 30,31 FEB */2"), "invalid cron '0 0 30,31 FEB */2': " + reason);
  // A leap day exists, and with both day fields restricted Mondays in February match.
  EXPECT_EQ(ErrorOf("0 0 29 2 *"), "parsed");
  EXPECT_EQ(ErrorOf("0 0 31 2 1"), "parsed");
  EXPECT_EQ(ErrorOf("0 0 31 1-2 *"), "parsed");
}

// --- Aliases ----------------------------------------------------------------------

TEST(CronAliases, MatchTheirExpansions) {
  const TimestampMs from_ms = At("2024-01-31 12:30:00");
  const std::vector<std::pair<std::string, std::string>> aliases = {
      {"@hourly", "0 * * * *"},  {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
      {"@weekly", "0 0 * * 0"},  {"@monthly", "0 0 1 * *"}, {"@yearly", "0 0 1 1 *"},
      {"@annually", "0 0 1 1 *"}, {"@DAILY", "0 0 * * *"},  {"@Weekly", "0 0 * * SUN"},
  };
  for (const auto& [alias, fields] : aliases) {
    const Cron by_alias = Make(alias);
    const Cron by_fields = Make(fields);
    TimestampMs tick_alias = from_ms;
    TimestampMs tick_fields = from_ms;
    for (int index = 0; index < 30; index++) {
      tick_alias = by_alias.Next(tick_alias);
      tick_fields = by_fields.Next(tick_fields);
      ASSERT_EQ(tick_alias, tick_fields) << alias;
    }
  }
}

TEST(CronAliases, DailyFloorsToMidnightAndStepsByDays) {
  EXPECT_EQ(Floor("@daily", "2024-01-31 12:30:00"), "2024-01-31 00:00:00");
  EXPECT_EQ(Floor("@daily", "2024-01-31 23:59:59.999"), "2024-01-31 00:00:00");
  EXPECT_EQ(Floor("@daily", "2024-01-31"), "2024-01-31 00:00:00");
  EXPECT_EQ(Next("@daily", "2024-01-31"), "2024-02-01 00:00:00");
  EXPECT_EQ(Next("@daily", "2024-01-31 12:30:00"), "2024-02-01 00:00:00");
  EXPECT_EQ(Next("@daily", "2024-02-28"), "2024-02-29 00:00:00");
  EXPECT_EQ(Next("@daily", "2023-02-28"), "2023-03-01 00:00:00");
  EXPECT_EQ(Next("@daily", "2023-12-31"), "2024-01-01 00:00:00");
  EXPECT_EQ(Ceil("@daily", "2024-01-31"), "2024-01-31 00:00:00");
  EXPECT_EQ(Ceil("@daily", "2024-01-31 00:00:00.001"), "2024-02-01 00:00:00");
  EXPECT_EQ(Next("@daily", "2024-01-30 23:59:59.999"), "2024-01-31 00:00:00");
}

TEST(CronAliases, MonthlyTicksOnTheFirstAtMidnight) {
  EXPECT_EQ(TicksAfter("@monthly", "2023-11-15", 5),
            (std::vector<std::string>{"2023-12-01 00:00:00", "2024-01-01 00:00:00",
                                      "2024-02-01 00:00:00", "2024-03-01 00:00:00",
                                      "2024-04-01 00:00:00"}));
  EXPECT_EQ(Floor("@monthly", "2024-02-29 23:59:00"), "2024-02-01 00:00:00");
  EXPECT_EQ(Floor("@monthly", "2024-03-01"), "2024-03-01 00:00:00");
  EXPECT_EQ(Floor("@monthly", "2024-01-01 00:00:00"), "2024-01-01 00:00:00");
  EXPECT_EQ(Floor("@monthly", "2023-12-31 23:59:59"), "2023-12-01 00:00:00");
}

TEST(CronAliases, WeeklyYearlyHourly) {
  // 2024-01-31 is a Wednesday.
  EXPECT_EQ(Next("@weekly", "2024-01-31 12:00:00"), "2024-02-04 00:00:00");
  EXPECT_EQ(Floor("@weekly", "2024-01-31 12:00:00"), "2024-01-28 00:00:00");
  EXPECT_EQ(Next("@yearly", "2024-06-01"), "2025-01-01 00:00:00");
  EXPECT_EQ(Floor("@annually", "2024-06-01"), "2024-01-01 00:00:00");
  EXPECT_EQ(Next("@hourly", "2024-01-31 23:00:00"), "2024-02-01 00:00:00");
  EXPECT_EQ(Floor("@hourly", "2024-01-31 23:59:59"), "2024-01-31 23:00:00");
}

// --- Fields -------------------------------------------------------------------

TEST(CronFields, EveryFiveMinutes) {
  EXPECT_EQ(Next("*/5 * * * *", "2024-01-31 12:31:10"), "2024-01-31 12:35:00");
  EXPECT_EQ(Floor("*/5 * * * *", "2024-01-31 12:31:10"), "2024-01-31 12:30:00");
  EXPECT_EQ(Ceil("*/5 * * * *", "2024-01-31 12:30:00.001"), "2024-01-31 12:35:00");
  EXPECT_EQ(Ceil("*/5 * * * *", "2024-01-31 12:30:00"), "2024-01-31 12:30:00");
  EXPECT_EQ(Next("*/5 * * * *", "2024-01-31 23:55:00"), "2024-02-01 00:00:00");
}

TEST(CronFields, ListsRangesAndSteps) {
  EXPECT_EQ(TicksAfter("0,30 9-17/4 * * *", "2024-01-31", 7),
            (std::vector<std::string>{"2024-01-31 09:00:00", "2024-01-31 09:30:00",
                                      "2024-01-31 13:00:00", "2024-01-31 13:30:00",
                                      "2024-01-31 17:00:00", "2024-01-31 17:30:00",
                                      "2024-02-01 09:00:00"}));
  EXPECT_EQ(TicksAfter("5/15 * * * *", "2024-01-31 00:00:00", 5),
            (std::vector<std::string>{"2024-01-31 00:05:00", "2024-01-31 00:20:00",
                                      "2024-01-31 00:35:00", "2024-01-31 00:50:00",
                                      "2024-01-31 01:05:00"}));
  EXPECT_EQ(TicksAfter("10-20/5,45 3 * * *", "2024-01-31", 4),
            (std::vector<std::string>{"2024-01-31 03:10:00", "2024-01-31 03:15:00",
                                      "2024-01-31 03:20:00", "2024-01-31 03:45:00"}));
  EXPECT_EQ(Next("*/100 * * * *", "2024-01-31 12:30:00"), "2024-01-31 13:00:00");
}

TEST(CronFields, MonthAndDayNamesAreCaseInsensitive) {
  EXPECT_EQ(TicksAfter("0 9 1 jan-Mar,DEC *", "2024-01-15", 4),
            (std::vector<std::string>{"2024-02-01 09:00:00", "2024-03-01 09:00:00",
                                      "2024-12-01 09:00:00", "2025-01-01 09:00:00"}));
  // 2024-01-31 is a Wednesday.
  EXPECT_EQ(TicksAfter("0 8 * * mon-FRI", "2024-01-31 12:00:00", 4),
            (std::vector<std::string>{"2024-02-01 08:00:00", "2024-02-02 08:00:00",
                                      "2024-02-05 08:00:00", "2024-02-06 08:00:00"}));
}

TEST(CronFields, SundayIsBothZeroAndSeven) {
  const std::vector<std::string> expected = {"2024-02-04 00:00:00", "2024-02-11 00:00:00"};
  EXPECT_EQ(TicksAfter("0 0 * * 0", "2024-01-31", 2), expected);
  EXPECT_EQ(TicksAfter("0 0 * * 7", "2024-01-31", 2), expected);
  EXPECT_EQ(TicksAfter("0 0 * * sun", "2024-01-31", 2), expected);
  EXPECT_EQ(TicksAfter("0 0 * * 6-7", "2024-01-31", 3),
            (std::vector<std::string>{"2024-02-03 00:00:00", "2024-02-04 00:00:00",
                                      "2024-02-10 00:00:00"}));
  EXPECT_EQ(TicksAfter("0 0 * * FRI-SUN", "2024-01-31", 4),
            (std::vector<std::string>{"2024-02-02 00:00:00", "2024-02-03 00:00:00",
                                      "2024-02-04 00:00:00", "2024-02-09 00:00:00"}));
  EXPECT_EQ(TicksAfter("0 0 * * */7", "2024-01-31", 1),
            (std::vector<std::string>{"2024-02-04 00:00:00"}));
}

TEST(CronFields, BothDayFieldsRestrictedMatchEither) {
  // The 13th, or any Friday. 2024-01-01 is a Monday.
  EXPECT_EQ(TicksAfter("0 0 13 * 5", "2024-01-01", 5),
            (std::vector<std::string>{"2024-01-05 00:00:00", "2024-01-12 00:00:00",
                                      "2024-01-13 00:00:00", "2024-01-19 00:00:00",
                                      "2024-01-26 00:00:00"}));
}

TEST(CronFields, StarredDayFieldMeansBothMustMatch) {
  // Odd days that are Mondays: "*/2" starts with "*", so the fields combine by "and".
  EXPECT_EQ(TicksAfter("0 0 */2 * 1", "2023-12-31", 3),
            (std::vector<std::string>{"2024-01-01 00:00:00", "2024-01-15 00:00:00",
                                      "2024-01-29 00:00:00"}));
  // Only Sundays in February: the day-of-week field starts with "*".
  EXPECT_EQ(TicksAfter("0 0 * 2 */7", "2024-01-01", 2),
            (std::vector<std::string>{"2024-02-04 00:00:00", "2024-02-11 00:00:00"}));
}

TEST(CronFields, MonthEndsAndLeapDays) {
  EXPECT_EQ(TicksAfter("0 0 31 * *", "2024-01-31", 4),
            (std::vector<std::string>{"2024-03-31 00:00:00", "2024-05-31 00:00:00",
                                      "2024-07-31 00:00:00", "2024-08-31 00:00:00"}));
  EXPECT_EQ(Next("0 0 29 2 *", "2024-03-01"), "2028-02-29 00:00:00");
  EXPECT_EQ(Floor("0 0 29 2 *", "2028-02-28"), "2024-02-29 00:00:00");
  // 2100 is not a leap year: eight years pass between leap days.
  EXPECT_EQ(Next("0 0 29 2 *", "2096-03-01"), "2104-02-29 00:00:00");
  EXPECT_EQ(Floor("0 0 29 2 *", "2104-02-28"), "2096-02-29 00:00:00");
}

TEST(CronFields, RareSchedulesAreFoundAcrossDecades) {
  // A leap day that is a Sunday: 2004, 2032, 2060, 2088, then 2128.
  EXPECT_EQ(TicksAfter("0 0 29 2 */7", "2000-01-01", 5),
            (std::vector<std::string>{"2004-02-29 00:00:00", "2032-02-29 00:00:00",
                                      "2060-02-29 00:00:00", "2088-02-29 00:00:00",
                                      "2128-02-29 00:00:00"}));
  EXPECT_EQ(Floor("0 0 29 2 */7", "2128-02-28"), "2088-02-29 00:00:00");
}

TEST(CronFields, TimesBeforeTheEpoch) {
  EXPECT_EQ(Make("@daily").Floor(-1), -kMsPerDay);
  EXPECT_EQ(Make("@daily").Next(-kMsPerDay), 0);
  EXPECT_EQ(Floor("*/5 * * * *", "1969-12-31 23:59:59"), "1969-12-31 23:55:00");
  EXPECT_EQ(Next("@yearly", "1900-06-01"), "1901-01-01 00:00:00");
}

// --- Bounds of the searched years -------------------------------------------------

TEST(CronBounds, NoTicksPastTheSearchedYears) {
  const Cron daily = Make("@daily");
  EXPECT_EQ(daily.Next(At("9999-12-31")), Cron::kNoNextTick);
  EXPECT_EQ(daily.Ceil(At("9999-12-31 00:00:01")), Cron::kNoNextTick);
  EXPECT_EQ(daily.Next(INT64_MAX), Cron::kNoNextTick);
  EXPECT_EQ(daily.Ceil(INT64_MAX), Cron::kNoNextTick);
  EXPECT_EQ(daily.Floor(INT64_MAX), At("9999-12-31"));
  EXPECT_EQ(daily.Floor(At("0000-01-01") - 1), Cron::kNoPreviousTick);
  EXPECT_EQ(daily.Floor(INT64_MIN), Cron::kNoPreviousTick);
  EXPECT_EQ(daily.Next(INT64_MIN), At("0000-01-01"));
  EXPECT_EQ(daily.Ceil(INT64_MIN), At("0000-01-01"));
  EXPECT_EQ(daily.Floor(At("0000-01-01")), At("0000-01-01"));
  EXPECT_EQ(Make("0 0 29 2 */7").Next(At("9990-01-01")), Cron::kNoNextTick);
}

// --- Counting -------------------------------------------------------------------

TEST(CronCount, FiveMinutesOverTenYears) {
  const Cron cron = Make("*/5 * * * *");
  const TimestampMs start_ms = At("2014-01-01");
  const TimestampMs end_ms = At("2024-01-01");
  const int64_t expected = 3652 * 288;  // 3652 days, 288 ticks a day
  EXPECT_EQ(cron.CountTicks(start_ms, end_ms, INT64_MAX), expected);
  EXPECT_EQ(cron.CountTicks(start_ms, end_ms, expected), expected);
  EXPECT_EQ(cron.CountTicks(start_ms, end_ms, expected + 1), expected);
  EXPECT_EQ(cron.CountTicks(start_ms, end_ms, 1000), 1000);
  EXPECT_EQ(cron.CountTicks(start_ms, end_ms, 1), 1);
  int64_t stepped = 0;
  for (TimestampMs tick = cron.Ceil(start_ms); tick < end_ms && stepped <= expected;
       tick = cron.Next(tick)) {
    stepped++;
  }
  EXPECT_EQ(stepped, expected);
}

TEST(CronCount, PartialRangesAndEnds) {
  const Cron cron = Make("*/5 * * * *");
  // [12:31, 12:46) holds 12:35, 12:40 and 12:45.
  EXPECT_EQ(cron.CountTicks(At("2024-01-31 12:31:00"), At("2024-01-31 12:46:00"), 100), 3);
  // The start is included, the end is not.
  EXPECT_EQ(cron.CountTicks(At("2024-01-31 12:30:00"), At("2024-01-31 12:45:00"), 100), 3);
  EXPECT_EQ(cron.CountTicks(At("2024-01-31 12:30:00"), At("2024-01-31 12:45:00.001"), 100), 4);
  EXPECT_EQ(cron.CountTicks(At("2024-01-31 12:30:00.001"), At("2024-01-31 12:45:00"), 100), 2);
  EXPECT_EQ(cron.CountTicks(At("2024-01-31 23:50:00"), At("2024-02-01 00:10:00"), 100), 4);
}

TEST(CronCount, EmptyRangesAndLimits) {
  const Cron cron = Make("*/5 * * * *");
  const TimestampMs at_ms = At("2024-01-31 12:30:00");
  EXPECT_EQ(cron.CountTicks(at_ms, at_ms, 100), 0);
  EXPECT_EQ(cron.CountTicks(at_ms + kMsPerHour, at_ms, 100), 0);
  EXPECT_EQ(cron.CountTicks(at_ms, at_ms + kMsPerHour, 0), 0);
  EXPECT_EQ(cron.CountTicks(at_ms, at_ms + kMsPerHour, -5), 0);
  EXPECT_EQ(cron.CountTicks(at_ms + 1, at_ms + 2, 100), 0);
  EXPECT_EQ(cron.CountTicks(INT64_MIN, INT64_MAX, 7), 7);
}

TEST(CronCount, CalendarCrons) {
  EXPECT_EQ(Make("@daily").CountTicks(At("2024-01-01"), At("2025-01-01"), 1000), 366);
  EXPECT_EQ(Make("@daily").CountTicks(At("2023-01-01"), At("2024-01-01"), 1000), 365);
  EXPECT_EQ(Make("@monthly").CountTicks(At("2024-01-01"), At("2025-01-01"), 1000), 12);
  EXPECT_EQ(Make("@hourly").CountTicks(At("2024-01-31"), At("2024-02-01"), 1000), 24);
  EXPECT_EQ(Make("@weekly").CountTicks(At("2024-01-01"), At("2025-01-01"), 1000), 52);
  EXPECT_EQ(Make("0 0 29 2 *").CountTicks(At("2000-01-01"), At("2100-01-01"), 1000), 25);
  EXPECT_EQ(Make("0 0 29 2 */7").CountTicks(At("2000-01-01"), At("2400-01-01"), 1000), 13);
  // All the days of the searched years, each with 24 ticks.
  EXPECT_EQ(Make("@hourly").CountTicks(INT64_MIN, INT64_MAX, INT64_MAX),
            (At("9999-12-31") + kMsPerDay - At("0000-01-01")) / kMsPerHour);
}

// CountTicks counts days at once; stepping with Next counts tick by tick. The two
// must agree for every kind of field, over ranges with ragged ends.
TEST(CronCount, AgreesWithSteppingThroughTicks) {
  const std::vector<std::string> expressions = {
      "*/5 * * * *",     "7,37 */3 * * *", "0 0 13 * 5",   "0 0 */2 * 1",
      "30 6 1,15 * *",   "0 12 * 2 */7",   "15 9-17 * * MON-FRI", "0 0 29 2 *",
      "@weekly",         "59 23 31 * *",
  };
  std::mt19937_64 random(20240131);
  const TimestampMs base_ms = At("2023-11-01");
  for (const std::string& expression : expressions) {
    const Cron cron = Make(expression);
    for (int trial = 0; trial < 20; trial++) {
      const TimestampMs start_ms = base_ms + static_cast<TimestampMs>(random() % (200 * kMsPerDay));
      const TimestampMs end_ms = start_ms + static_cast<TimestampMs>(random() % (60 * kMsPerDay));
      int64_t stepped = 0;
      for (TimestampMs tick = cron.Ceil(start_ms); tick < end_ms && stepped < 100000;
           tick = cron.Next(tick)) {
        stepped++;
      }
      ASSERT_EQ(cron.CountTicks(start_ms, end_ms, 1000000), stepped)
          << expression << " [" << FormatTimestamp(start_ms) << ", "
          << FormatTimestamp(end_ms) << ")";
    }
  }
}

// Floor, Ceil and Next fit together at arbitrary instants, ticks included.
TEST(CronConsistency, FloorCeilAndNextAgree) {
  const std::vector<std::string> expressions = {
      "*/5 * * * *", "0 0 13 * 5", "0 0 */2 * 1", "@monthly", "0 0 29 2 *", "45 23 * * 6",
  };
  std::mt19937_64 random(7);
  for (const std::string& expression : expressions) {
    const Cron cron = Make(expression);
    for (int trial = 0; trial < 200; trial++) {
      TimestampMs at_ms = At("1990-01-01") + static_cast<TimestampMs>(random() % (50 * 365 * kMsPerDay));
      if (trial % 2 == 0) at_ms = cron.Floor(at_ms);  // exactly on a tick
      const TimestampMs floor_ms = cron.Floor(at_ms);
      const TimestampMs next_ms = cron.Next(at_ms);
      ASSERT_LE(floor_ms, at_ms) << expression;
      ASSERT_GT(next_ms, at_ms) << expression;
      ASSERT_EQ(cron.Next(floor_ms), next_ms) << expression;  // no tick between
      ASSERT_EQ(cron.Floor(next_ms), next_ms) << expression;
      ASSERT_EQ(cron.Floor(next_ms - 1), floor_ms) << expression;
      ASSERT_EQ(cron.Ceil(at_ms), floor_ms == at_ms ? at_ms : next_ms) << expression;
      ASSERT_EQ(next_ms % kMsPerMinute, 0) << expression;
    }
  }
}

}  // namespace
}  // namespace materia
