#include "base/time.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <string>

namespace materia {
namespace {

constexpr TimestampMs k20240131 = 1706659200000;  // 2024-01-31T00:00:00Z

TimestampMs At(const std::string& text) {
  Result<TimestampMs> parsed = ParseTimestamp(text, 0);
  EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.status().message();
  return parsed.ok() ? *parsed : 0;
}

std::string ErrorOf(const std::string& text, TimestampMs now_ms = k20240131) {
  Result<TimestampMs> parsed = ParseTimestamp(text, now_ms);
  if (parsed.ok()) return "parsed as " + FormatIso(*parsed);
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidInput);
  return parsed.status().message();
}

// --- Civil arithmetic ---------------------------------------------------------

TEST(TimeCivil, EpochIsThursdayMidnight) {
  const CivilTime civil = ToCivil(0);
  EXPECT_EQ(civil.year, 1970);
  EXPECT_EQ(civil.month, 1);
  EXPECT_EQ(civil.day, 1);
  EXPECT_EQ(civil.hour, 0);
  EXPECT_EQ(civil.weekday, 4);
  EXPECT_EQ(FromCivil(civil), 0);
}

TEST(TimeCivil, KnownInstants) {
  EXPECT_EQ(FromCivil(CivilTime{.year = 2024, .month = 1, .day = 31}), k20240131);
  EXPECT_EQ(FromCivil(CivilTime{.year = 2000, .month = 3, .day = 1}), 951868800000);
  EXPECT_EQ(FromCivil(CivilTime{.year = 9999, .month = 12, .day = 31}), 253402214400000);
  EXPECT_EQ(FromCivil(CivilTime{.year = 1, .month = 1, .day = 1}), -62135596800000);
  EXPECT_EQ(ToCivil(k20240131).weekday, 3);  // a Wednesday
}

TEST(TimeCivil, NegativeTimesFloorTowardsThePast) {
  const CivilTime civil = ToCivil(-1);
  EXPECT_EQ(civil.year, 1969);
  EXPECT_EQ(civil.month, 12);
  EXPECT_EQ(civil.day, 31);
  EXPECT_EQ(civil.hour, 23);
  EXPECT_EQ(civil.minute, 59);
  EXPECT_EQ(civil.second, 59);
  EXPECT_EQ(civil.millisecond, 999);
  EXPECT_EQ(civil.weekday, 3);
}

// Every day from 1600 to 2400 against the C++20 calendar as an independent oracle:
// the round trip holds, days are consecutive and weekdays cycle.
TEST(TimeCivil, AgreesWithStandardCalendarOverEightCenturies) {
  using namespace std::chrono;
  const sys_days first = sys_days{year{1600} / January / 1};
  const sys_days last = sys_days{year{2400} / December / 31};
  int checked = 0;
  for (sys_days day = first; day <= last; day += days{1}) {
    const year_month_day date{day};
    const TimestampMs ms = day.time_since_epoch().count() * kMsPerDay + 12 * kMsPerHour;
    const CivilTime civil = ToCivil(ms);
    ASSERT_EQ(civil.year, static_cast<int>(date.year()));
    ASSERT_EQ(civil.month, static_cast<int>(static_cast<unsigned>(date.month())));
    ASSERT_EQ(civil.day, static_cast<int>(static_cast<unsigned>(date.day())));
    ASSERT_EQ(civil.hour, 12);
    ASSERT_EQ(civil.weekday, static_cast<int>(weekday{day}.c_encoding()));
    ASSERT_EQ(FromCivil(civil), ms);
    checked++;
  }
  EXPECT_EQ(checked, 2 * 146097 + 366);  // two 400-year cycles and the year 2400
}

TEST(TimeCivil, TimeOfDayParts) {
  const TimestampMs ms = k20240131 + 13 * kMsPerHour + 5 * kMsPerMinute +
                         7 * kMsPerSecond + 89;
  const CivilTime civil = ToCivil(ms);
  EXPECT_EQ(civil.hour, 13);
  EXPECT_EQ(civil.minute, 5);
  EXPECT_EQ(civil.second, 7);
  EXPECT_EQ(civil.millisecond, 89);
  EXPECT_EQ(FromCivil(civil), ms);
}

TEST(TimeCivil, DaysInMonthHandlesLeapYears) {
  EXPECT_EQ(DaysInMonth(2024, 2), 29);
  EXPECT_EQ(DaysInMonth(2023, 2), 28);
  EXPECT_EQ(DaysInMonth(2000, 2), 29);  // divisible by 400
  EXPECT_EQ(DaysInMonth(1900, 2), 28);  // divisible by 100 only
  EXPECT_EQ(DaysInMonth(2100, 2), 28);
  EXPECT_EQ(DaysInMonth(2024, 1), 31);
  EXPECT_EQ(DaysInMonth(2024, 4), 30);
  EXPECT_EQ(DaysInMonth(2024, 6), 30);
  EXPECT_EQ(DaysInMonth(2024, 9), 30);
  EXPECT_EQ(DaysInMonth(2024, 11), 30);
  EXPECT_EQ(DaysInMonth(2024, 12), 31);
  EXPECT_EQ(DaysInMonth(2024, 0), 0);
  EXPECT_EQ(DaysInMonth(2024, 13), 0);
}

TEST(TimeCivil, NowIsRecentAndMoves) {
  const TimestampMs now_ms = NowMs();
  EXPECT_GT(now_ms, k20240131);
  EXPECT_LE(now_ms, NowMs());
}

// --- Formatting ---------------------------------------------------------------

TEST(TimeFormat, Date) {
  EXPECT_EQ(FormatDate(k20240131), "2024-01-31");
  EXPECT_EQ(FormatDate(k20240131 + kMsPerDay - 1), "2024-01-31");
  EXPECT_EQ(FormatDate(k20240131 + kMsPerDay), "2024-02-01");
  EXPECT_EQ(FormatDate(-1), "1969-12-31");
  EXPECT_EQ(FormatDate(0), "1970-01-01");
}

TEST(TimeFormat, TimestampShowsMillisecondsOnlyWhenPresent) {
  const TimestampMs noon_ms = k20240131 + 12 * kMsPerHour + 30 * kMsPerMinute;
  EXPECT_EQ(FormatTimestamp(noon_ms), "2024-01-31 12:30:00");
  EXPECT_EQ(FormatTimestamp(noon_ms + 123), "2024-01-31 12:30:00.123");
  EXPECT_EQ(FormatTimestamp(noon_ms + 5), "2024-01-31 12:30:00.005");
  EXPECT_EQ(FormatTimestamp(-1), "1969-12-31 23:59:59.999");
}

TEST(TimeFormat, Iso) {
  const TimestampMs noon_ms = k20240131 + 12 * kMsPerHour + 30 * kMsPerMinute;
  EXPECT_EQ(FormatIso(noon_ms), "2024-01-31T12:30:00Z");
  EXPECT_EQ(FormatIso(noon_ms + 40), "2024-01-31T12:30:00.040Z");
  EXPECT_EQ(FormatIso(0), "1970-01-01T00:00:00Z");
}

TEST(TimeFormat, ParsesBackWhatItFormats) {
  for (TimestampMs ms : {TimestampMs{0}, TimestampMs{-1}, k20240131 + 1,
                         k20240131 + 45 * kMsPerHour + 999, TimestampMs{253402300799999}}) {
    EXPECT_EQ(At(FormatTimestamp(ms)), ms);
    EXPECT_EQ(At(FormatIso(ms)), ms);
  }
}

// --- Parsing absolute times ---------------------------------------------------

TEST(TimeParse, Date) {
  EXPECT_EQ(At("2024-01-31"), k20240131);
  EXPECT_EQ(At("1970-01-01"), 0);
  EXPECT_EQ(At("2024-02-29"), k20240131 + 29 * kMsPerDay);
  EXPECT_EQ(At("2000-02-29"), 951782400000);
  EXPECT_EQ(At("0000-01-01"), -62167219200000);
  EXPECT_EQ(At("9999-12-31"), 253402214400000);
}

TEST(TimeParse, DateAndTime) {
  const TimestampMs expected_ms = k20240131 + 12 * kMsPerHour + 30 * kMsPerMinute;
  EXPECT_EQ(At("2024-01-31 12:30:00"), expected_ms);
  EXPECT_EQ(At("2024-01-31T12:30:00"), expected_ms);
  EXPECT_EQ(At("2024-01-31T12:30:00Z"), expected_ms);
  EXPECT_EQ(At("2024-01-31 12:30:00Z"), expected_ms);
  EXPECT_EQ(At("2024-01-31 23:59:59"), k20240131 + kMsPerDay - kMsPerSecond);
}

TEST(TimeParse, FractionalSecondsAreCutToMilliseconds) {
  const TimestampMs base_ms = k20240131 + 12 * kMsPerHour;
  EXPECT_EQ(At("2024-01-31 12:00:00.123"), base_ms + 123);
  EXPECT_EQ(At("2024-01-31 12:00:00.5"), base_ms + 500);
  EXPECT_EQ(At("2024-01-31 12:00:00.05"), base_ms + 50);
  EXPECT_EQ(At("2024-01-31T12:00:00.123456Z"), base_ms + 123);
  EXPECT_EQ(At("2024-01-31T12:00:00.999999999Z"), base_ms + 999);
}

TEST(TimeParse, SurroundingSpacesAreIgnored) {
  EXPECT_EQ(At("  2024-01-31\t"), k20240131);
  EXPECT_EQ(At(" now "), 0);
}

TEST(TimeParse, EpochMilliseconds) {
  EXPECT_EQ(At("1706659200000"), k20240131);
  EXPECT_EQ(At("0000000000000"), 0);
  EXPECT_EQ(At("9223372036854775807"), INT64_MAX);
}

TEST(TimeParse, NoDependenceOnTheTimeZoneVariable) {
  ::setenv("TZ", "America/New_York", 1);
  ::tzset();
  EXPECT_EQ(At("2024-03-10 02:30:00"), 1710037800000);  // a gap in New York, not in UTC
  EXPECT_EQ(FormatTimestamp(1710037800000), "2024-03-10 02:30:00");
  ::unsetenv("TZ");
  ::tzset();
}

// --- Parsing relative times ---------------------------------------------------

TEST(TimeParse, NowTodayYesterday) {
  const TimestampMs now_ms = k20240131 + 15 * kMsPerHour + 7;
  EXPECT_EQ(*ParseTimestamp("now", now_ms), now_ms);
  EXPECT_EQ(*ParseTimestamp("NOW", now_ms), now_ms);
  EXPECT_EQ(*ParseTimestamp("today", now_ms), k20240131);
  EXPECT_EQ(*ParseTimestamp("Today", now_ms), k20240131);
  EXPECT_EQ(*ParseTimestamp("yesterday", now_ms), k20240131 - kMsPerDay);
  EXPECT_EQ(*ParseTimestamp("today", k20240131), k20240131);
}

TEST(TimeParse, TodayBeforeTheEpochIsStillMidnight) {
  EXPECT_EQ(*ParseTimestamp("today", -1), -kMsPerDay);
  EXPECT_EQ(*ParseTimestamp("yesterday", -1), -2 * kMsPerDay);
}

TEST(TimeParse, SpansAgoKeepTheTimeOfDay) {
  const TimestampMs now_ms = k20240131 + 15 * kMsPerHour;
  EXPECT_EQ(*ParseTimestamp("1 hour ago", now_ms), now_ms - kMsPerHour);
  EXPECT_EQ(*ParseTimestamp("36 hours ago", now_ms), now_ms - 36 * kMsPerHour);
  EXPECT_EQ(*ParseTimestamp("1 day ago", now_ms), now_ms - kMsPerDay);
  EXPECT_EQ(*ParseTimestamp("2 days ago", now_ms), now_ms - 2 * kMsPerDay);
  EXPECT_EQ(*ParseTimestamp("1 week ago", now_ms), now_ms - 7 * kMsPerDay);
  EXPECT_EQ(*ParseTimestamp("3 weeks ago", now_ms), now_ms - 21 * kMsPerDay);
  EXPECT_EQ(*ParseTimestamp("0 days ago", now_ms), now_ms);
  EXPECT_EQ(*ParseTimestamp("2 Days  Ago", now_ms), now_ms - 2 * kMsPerDay);
}

TEST(TimeParse, MonthsAndYearsAgoClampToMonthEnds) {
  const TimestampMs march_31_ms = At("2024-03-31 08:00:00");
  EXPECT_EQ(*ParseTimestamp("1 month ago", march_31_ms), At("2024-02-29 08:00:00"));
  EXPECT_EQ(*ParseTimestamp("13 months ago", march_31_ms), At("2023-02-28 08:00:00"));
  EXPECT_EQ(*ParseTimestamp("3 months ago", march_31_ms), At("2023-12-31 08:00:00"));
  EXPECT_EQ(*ParseTimestamp("12 months ago", march_31_ms), At("2023-03-31 08:00:00"));
  const TimestampMs leap_day_ms = At("2024-02-29");
  EXPECT_EQ(*ParseTimestamp("1 year ago", leap_day_ms), At("2023-02-28"));
  EXPECT_EQ(*ParseTimestamp("4 years ago", leap_day_ms), At("2020-02-29"));
  EXPECT_EQ(*ParseTimestamp("10 years ago", k20240131), At("2014-01-31"));
}

// --- The invalid space ----------------------------------------------------------

TEST(TimeParseErrors, ShapesThatAreNotDates) {
  EXPECT_EQ(ErrorOf("xyz"), "invalid date or time 'xyz'");
  EXPECT_EQ(ErrorOf(""), "invalid date or time ''");
  EXPECT_EQ(ErrorOf("   "), "invalid date or time '   '");
  EXPECT_EQ(ErrorOf("2024-1-31"), "invalid date or time '2024-1-31'");
  EXPECT_EQ(ErrorOf("2024/01/31"), "invalid date or time '2024/01/31'");
  EXPECT_EQ(ErrorOf("24-01-31"), "invalid date or time '24-01-31'");
  EXPECT_EQ(ErrorOf("2024-01-31x"), "invalid date or time '2024-01-31x'");
  EXPECT_EQ(ErrorOf("2024-01-31Z"), "invalid date or time '2024-01-31Z'");
  EXPECT_EQ(ErrorOf("2024-01-31 12:30"), "invalid date or time '2024-01-31 12:30'");
  EXPECT_EQ(ErrorOf("2024-01-31 12:30:00."), "invalid date or time '2024-01-31 12:30:00.'");
  EXPECT_EQ(ErrorOf("2024-01-31 12:30:00.1234567890"),
            "invalid date or time '2024-01-31 12:30:00.1234567890'");
  EXPECT_EQ(ErrorOf("2024-01-31T12:30:00+01:00"),
            "invalid date or time '2024-01-31T12:30:00+01:00'");
  EXPECT_EQ(ErrorOf("2024-01-31T12:30:00ZZ"), "invalid date or time '2024-01-31T12:30:00ZZ'");
  EXPECT_EQ(ErrorOf("2024-01-31_12:30:00"), "invalid date or time '2024-01-31_12:30:00'");
  EXPECT_EQ(ErrorOf("-2024-01-31"), "invalid date or time '-2024-01-31'");
  EXPECT_EQ(ErrorOf("Jan 31 2024"), "invalid date or time 'Jan 31 2024'");
}

TEST(TimeParseErrors, OutOfRangeParts) {
  EXPECT_EQ(ErrorOf("2024-13-01"), "invalid date or time '2024-13-01': month 13 is out of range 1-12");
  EXPECT_EQ(ErrorOf("2024-00-10"), "invalid date or time '2024-00-10': month 0 is out of range 1-12");
  EXPECT_EQ(ErrorOf("2024-01-00"),
            "invalid date or time '2024-01-00': day 0 is out of range 1-31 in 2024-01");
  EXPECT_EQ(ErrorOf("2024-01-32"),
            "invalid date or time '2024-01-32': day 32 is out of range 1-31 in 2024-01");
  EXPECT_EQ(ErrorOf("2024-04-31"),
            "invalid date or time '2024-04-31': day 31 is out of range 1-30 in 2024-04");
  EXPECT_EQ(ErrorOf("2024-01-31 24:00:00"),
            "invalid date or time '2024-01-31 24:00:00': hour 24 is out of range 0-23");
  EXPECT_EQ(ErrorOf("2024-01-31 12:60:00"),
            "invalid date or time '2024-01-31 12:60:00': minute 60 is out of range 0-59");
  EXPECT_EQ(ErrorOf("2024-01-31 12:30:60"),
            "invalid date or time '2024-01-31 12:30:60': second 60 is out of range 0-59");
}

TEST(TimeParseErrors, LeapDaysOnlyInLeapYears) {
  EXPECT_EQ(ErrorOf("2023-02-29"),
            "invalid date or time '2023-02-29': day 29 is out of range 1-28 in 2023-02");
  EXPECT_EQ(ErrorOf("1900-02-29"),
            "invalid date or time '1900-02-29': day 29 is out of range 1-28 in 1900-02");
  EXPECT_EQ(ErrorOf("2024-02-30"),
            "invalid date or time '2024-02-30': day 30 is out of range 1-29 in 2024-02");
  EXPECT_TRUE(ParseTimestamp("2000-02-29", 0).ok());
}

TEST(TimeParseErrors, EpochsMustBeMilliseconds) {
  EXPECT_EQ(ErrorOf("1706659200"),
            "invalid date or time '1706659200': an epoch must be in milliseconds (13 or "
            "more digits)");
  EXPECT_EQ(ErrorOf("20240131"),
            "invalid date or time '20240131': an epoch must be in milliseconds (13 or "
            "more digits)");
  EXPECT_EQ(ErrorOf("99999999999999999999"),
            "invalid date or time '99999999999999999999': epoch milliseconds out of range");
  EXPECT_EQ(ErrorOf("-1706659200000"), "invalid date or time '-1706659200000'");
}

TEST(TimeParseErrors, RelativeExpressions) {
  EXPECT_EQ(ErrorOf("1 fortnight ago"),
            "invalid date or time '1 fortnight ago': unknown unit 'fortnight' (expected "
            "hours, days, weeks, months or years)");
  EXPECT_EQ(ErrorOf("1 minute ago"),
            "invalid date or time '1 minute ago': unknown unit 'minute' (expected hours, "
            "days, weeks, months or years)");
  EXPECT_EQ(ErrorOf("one day ago"), "invalid date or time 'one day ago'");
  EXPECT_EQ(ErrorOf("-1 days ago"), "invalid date or time '-1 days ago'");
  EXPECT_EQ(ErrorOf("1.5 days ago"), "invalid date or time '1.5 days ago'");
  EXPECT_EQ(ErrorOf("day ago"), "invalid date or time 'day ago'");
  EXPECT_EQ(ErrorOf("1 day"), "invalid date or time '1 day'");
  EXPECT_EQ(ErrorOf("1 day from now"), "invalid date or time '1 day from now'");
  EXPECT_EQ(ErrorOf("ago"), "invalid date or time 'ago'");
  EXPECT_EQ(ErrorOf("tomorrow"), "invalid date or time 'tomorrow'");
  EXPECT_EQ(ErrorOf("99999999 days ago"),
            "invalid date or time '99999999 days ago': count is too large");
  EXPECT_EQ(ErrorOf("123456789012345678901234 days ago"),
            "invalid date or time '123456789012345678901234 days ago': count is too large");
  EXPECT_EQ(ErrorOf("9000 years ago"),
            "invalid date or time '9000 years ago': out of range");
  EXPECT_EQ(ErrorOf("1 day ago", INT64_MIN), "invalid date or time '1 day ago': out of range");
  EXPECT_EQ(ErrorOf("1 month ago", INT64_MIN),
            "invalid date or time '1 month ago': out of range");
  EXPECT_EQ(ErrorOf("today", INT64_MIN), "invalid date or time 'today': out of range");
  EXPECT_EQ(ErrorOf("yesterday", INT64_MIN + kMsPerDay),
            "invalid date or time 'yesterday': out of range");
}

TEST(TimeCivil, ExtremeInstantsDoNotOverflow) {
  const CivilTime earliest = ToCivil(INT64_MIN);
  const CivilTime latest = ToCivil(INT64_MAX);
  EXPECT_EQ(earliest.year, -292275055);
  EXPECT_EQ(latest.year, 292278994);
  EXPECT_EQ(FromCivil(latest), INT64_MAX);
  EXPECT_EQ(FromCivil(earliest), INT64_MIN);
}

}  // namespace
}  // namespace materia
