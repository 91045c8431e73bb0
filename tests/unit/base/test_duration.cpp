#include "base/duration.h"

#include <gtest/gtest.h>

#include <string>

namespace materia {
namespace {

constexpr TimestampMs k20240331Noon = 1711886400000;  // 2024-03-31T12:00:00Z

Duration Parse(const std::string& text) {
  Result<Duration> parsed = ParseDuration(text, "environment_ttl");
  EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.status().message();
  return parsed.ok() ? *parsed : Duration{};
}

std::string ErrorOf(const std::string& text) {
  Result<Duration> parsed = ParseDuration(text, "environment_ttl");
  if (parsed.ok()) return "parsed as " + FormatDuration(*parsed);
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidInput);
  return parsed.status().message();
}

TEST(Duration, ReadsWhatSqlmeshConfigsWrite) {
  EXPECT_EQ(Parse("in 1 week"), (Duration{1, DurationUnit::kWeek}));
  EXPECT_EQ(Parse("1 week"), (Duration{1, DurationUnit::kWeek}));
  EXPECT_EQ(Parse("in 3 days"), (Duration{3, DurationUnit::kDay}));
  EXPECT_EQ(Parse("12 hours"), (Duration{12, DurationUnit::kHour}));
  EXPECT_EQ(Parse("30 minutes"), (Duration{30, DurationUnit::kMinute}));
  EXPECT_EQ(Parse("2 weeks"), (Duration{2, DurationUnit::kWeek}));
  EXPECT_EQ(Parse("1 second"), (Duration{1, DurationUnit::kSecond}));
  EXPECT_EQ(Parse("in 30 days"), (Duration{30, DurationUnit::kDay}));
  EXPECT_EQ(Parse("6 months"), (Duration{6, DurationUnit::kMonth}));
  EXPECT_EQ(Parse("1 year"), (Duration{1, DurationUnit::kYear}));
  EXPECT_EQ(Parse("0 seconds"), (Duration{0, DurationUnit::kSecond}));
}

TEST(Duration, WordsAreCaseInsensitiveAndSpacesFree) {
  EXPECT_EQ(Parse("  In   2\tWeeks "), (Duration{2, DurationUnit::kWeek}));
  EXPECT_EQ(Parse("1 DAYS"), (Duration{1, DurationUnit::kDay}));
}

TEST(Duration, FormatsWhatItParses) {
  EXPECT_EQ(FormatDuration(Parse("in 1 week")), "1 week");
  EXPECT_EQ(FormatDuration(Parse("3 day")), "3 days");
  EXPECT_EQ(FormatDuration(Parse("0 minutes")), "0 minutes");
  EXPECT_EQ(FormatDuration(Parse("1 years")), "1 year");
}

TEST(Duration, RefusesWhatIsNotADuration) {
  const std::string expected =
      "expected a count and a unit, such as 'in 1 week', '3 days' or '12 hours'";
  EXPECT_EQ(ErrorOf("soon"), "invalid environment_ttl 'soon': " + expected);
  EXPECT_EQ(ErrorOf(""), "invalid environment_ttl '': " + expected);
  EXPECT_EQ(ErrorOf("week"), "invalid environment_ttl 'week': " + expected);
  EXPECT_EQ(ErrorOf("in"), "invalid environment_ttl 'in': " + expected);
  EXPECT_EQ(ErrorOf("-1 week"), "invalid environment_ttl '-1 week': " + expected);
  EXPECT_EQ(ErrorOf("1.5 days"), "invalid environment_ttl '1.5 days': " + expected);
  EXPECT_EQ(ErrorOf("1 week ago"), "invalid environment_ttl '1 week ago': " + expected);
  EXPECT_EQ(ErrorOf("1 week 2 days"), "invalid environment_ttl '1 week 2 days': " + expected);
  EXPECT_EQ(ErrorOf("1week"), "invalid environment_ttl '1week': " + expected);
  EXPECT_EQ(ErrorOf("3 fortnights"),
            "invalid environment_ttl '3 fortnights': unknown unit 'fortnights' (expected "
            "seconds, minutes, hours, days, weeks, months or years)");
  EXPECT_EQ(ErrorOf("10000000 days"), "invalid environment_ttl '10000000 days': the count is too large");
  EXPECT_EQ(ErrorOf("123456789012345678901234567890 days"),
            "invalid environment_ttl '123456789012345678901234567890 days': the count is too large");
  EXPECT_EQ(ErrorOf("9999999 days"), "parsed as 9999999 days");
}

TEST(Duration, NamesTheSettingInMessages) {
  Result<Duration> parsed = ParseDuration("soon");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message().rfind("invalid duration 'soon': ", 0), 0u);
}

TEST(Duration, SubtractsFixedUnitsExactly) {
  EXPECT_EQ(SubtractDuration(k20240331Noon, Parse("1 second")), k20240331Noon - kMsPerSecond);
  EXPECT_EQ(SubtractDuration(k20240331Noon, Parse("30 minutes")), k20240331Noon - 30 * kMsPerMinute);
  EXPECT_EQ(SubtractDuration(k20240331Noon, Parse("12 hours")), k20240331Noon - 12 * kMsPerHour);
  EXPECT_EQ(SubtractDuration(k20240331Noon, Parse("1 week")), k20240331Noon - 7 * kMsPerDay);
  EXPECT_EQ(SubtractDuration(k20240331Noon, Parse("0 days")), k20240331Noon);
}

TEST(Duration, SubtractsMonthsAndYearsOnTheCalendar) {
  EXPECT_EQ(FormatIso(SubtractDuration(k20240331Noon, Parse("1 month"))), "2024-02-29T12:00:00Z");
  EXPECT_EQ(FormatIso(SubtractDuration(k20240331Noon, Parse("13 months"))), "2023-02-28T12:00:00Z");
  EXPECT_EQ(FormatIso(SubtractDuration(k20240331Noon, Parse("2 years"))), "2022-03-31T12:00:00Z");
}

TEST(Duration, ClampsAtTheStartOfTheCalendar) {
  const TimestampMs earliest = SubtractDuration(0, Parse("9999999 years"));
  EXPECT_EQ(FormatIso(earliest), "0000-01-01T00:00:00Z");
  EXPECT_EQ(SubtractDuration(0, Parse("9999999 weeks")), earliest);
}

}  // namespace
}  // namespace materia
