// Durations as users write them in config.yaml — `environment_ttl: in 1 week`,
// `snapshot_ttl: 30 days` — in the relative form SQLMesh accepts for the same keys: a
// count and a unit, optionally after "in".
//
// Every function here is pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "base/time.h"

namespace materia {

enum class DurationUnit { kSecond, kMinute, kHour, kDay, kWeek, kMonth, kYear };

// A count of one unit. Months and years are calendar months and years, so that "1
// month" before March 31 is the end of February, as a user reading a calendar expects.
struct Duration {
  int64_t count = 0;  // 0 <= count < kDurationCountMax
  DurationUnit unit = DurationUnit::kDay;
  bool operator==(const Duration& other) const = default;
};

// Counts are below this bound, so that no arithmetic on them can overflow.
constexpr int64_t kDurationCountMax = 10'000'000;

// Parses "1 week", "in 3 days", "12 hours", "30 minutes", "2 weeks", "1 second",
// "6 months", "1 year": an optional "in", a whole number and a unit (singular or
// plural); words are case-insensitive and spaces between them free. `what` names the
// setting in messages. Returns kInvalidInput on failure:
//   invalid environment_ttl 'soon': expected a count and a unit, such as 'in 1 week', '3 days' or '12 hours'
//   invalid environment_ttl '3 fortnights': unknown unit 'fortnights' (expected seconds, minutes, hours, days, weeks, months or years)
//   invalid environment_ttl '99999999 days': the count is too large
Result<Duration> ParseDuration(const std::string& text, const std::string& what = "duration");

// A span of fixed length in milliseconds, for timeouts and intervals: "15m", "2h",
// "30s", "500ms", "1d", or what ParseDuration reads ("15 minutes", "1 week"); months
// and years are refused (their length varies). Returns kInvalidInput naming `what`:
//   invalid timeout 'soon': expected a count and a unit, such as '30s', '15m', '2h' or '15 minutes'
Result<int64_t> ParseSpanMs(const std::string& text, const std::string& what = "duration");

// "1 week", "3 days": what ParseDuration reads back.
std::string FormatDuration(const Duration& duration);

// The instant `duration` before `ms`. Fixed units subtract exactly; months and years
// keep the time of day and clamp the day to the end of a shorter month. A result
// before the year 0 is the start of the year 0 (nothing is older than that).
TimestampMs SubtractDuration(TimestampMs ms, const Duration& duration);

}  // namespace materia
