// Time as Materia counts it: UTC instants in milliseconds since the Unix epoch.
//
// Every function here is pure and thread-safe. Parsing accepts what users write in
// config.yaml, MODEL headers and on the command line; formatting produces what the
// macros render (@start_ds -> "2024-01-31").
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace materia {

using TimestampMs = int64_t;  // UTC milliseconds since 1970-01-01T00:00:00Z

constexpr TimestampMs kMsPerSecond = 1000;
constexpr TimestampMs kMsPerMinute = 60 * kMsPerSecond;
constexpr TimestampMs kMsPerHour = 60 * kMsPerMinute;
constexpr TimestampMs kMsPerDay = 24 * kMsPerHour;

// Returns the current wall-clock time.
TimestampMs NowMs();

// Parses "2024-01-31", "2024-01-31 12:30:00", "2024-01-31T12:30:00Z", with optional
// fractional seconds, or a relative expression: "now", "today", "yesterday",
// "N day(s)|week(s)|month(s)|year(s)|hour(s) ago" (relative to `now_ms`), or an epoch
// in milliseconds (13+ digits). Returns kInvalidInput naming the text on failure.
//
// Details: years have four digits; fractions have one to nine digits and are cut to
// milliseconds; "Z" may end a date with a time, no other offset is accepted. "today"
// and "yesterday" are UTC midnights; "N units ago" keeps the time of day of `now_ms`,
// and months and years clamp the day to the end of a shorter month (03-31 minus one
// month is 02-28 or 02-29). Words are case-insensitive; surrounding spaces are ignored.
// Message: "invalid date or time '2023-02-29': day 29 is out of range 1-28 in 2023-02".
Result<TimestampMs> ParseTimestamp(const std::string& text, TimestampMs now_ms);

// "2024-01-31"
std::string FormatDate(TimestampMs ms);
// "2024-01-31 12:30:00" (with ".123" when the milliseconds are not zero)
std::string FormatTimestamp(TimestampMs ms);
// "2024-01-31T12:30:00Z" (with ".123" before the Z when the milliseconds are not
// zero), for logs and JSON
std::string FormatIso(TimestampMs ms);

// Civil calendar helpers (proleptic Gregorian, UTC).
struct CivilTime {
  int year = 1970;
  int month = 1;   // 1..12
  int day = 1;     // 1..31
  int hour = 0;
  int minute = 0;
  int second = 0;
  int millisecond = 0;
  int weekday = 4;  // 0 = Sunday; filled in by ToCivil
};
CivilTime ToCivil(TimestampMs ms);
TimestampMs FromCivil(const CivilTime& civil);  // ignores weekday; normalizes nothing
int DaysInMonth(int year, int month);  // 0 when `month` is not in 1..12

}  // namespace materia
