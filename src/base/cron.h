// Cron schedules: five-field expressions ("*/5 * * * *", "0 6 1 * *") with lists,
// ranges and steps, and the aliases @hourly, @daily, @weekly, @monthly, @yearly
// (@annually). All times are UTC. A Cron is an immutable value: thread-safe.
//
// The ticks of a cron cut time into intervals: the interval of a tick t is
// [t, Next(t)). A model's data for an interval is due once the interval has ended.
//
// Fields are minute (0-59), hour (0-23), day-of-month (1-31), month (1-12 or
// JAN-DEC) and day-of-week (0-7 or SUN-SAT, 0 and 7 both Sunday); names and aliases
// (@midnight too) are case-insensitive. A field is "*", or a list "a,b" of values,
// ranges "a-b" and steps "*/n", "a-b/n" and "a/n" (a to the field's maximum); a
// range of day names may end on Sunday ("FRI-SUN"). As in classic cron, when both
// day fields are restricted a day matches if either matches; a day field whose text
// starts with "*" ("*", "*/2") counts as unrestricted for this rule, so then a day
// must match both. An expression that can never match ("0 0 30 2 *") is an error.
//
// Ticks are searched within the years 0000-9999 (the years ParseTimestamp reads);
// no search looks further than one 400-year cycle of the calendar, so every call
// does a bounded amount of work.
#pragma once

#include <bitset>
#include <cstdint>
#include <limits>
#include <string>

#include "base/status.h"
#include "base/time.h"

namespace materia {

class Cron {
 public:
  // Returned by Next and Ceil when no tick follows before the year 10000.
  static constexpr TimestampMs kNoNextTick = std::numeric_limits<TimestampMs>::max();
  // Returned by Floor when no tick at or before `ms` falls in the year 0000 or later.
  static constexpr TimestampMs kNoPreviousTick = std::numeric_limits<TimestampMs>::min();

  // Parses an expression. Returns kInvalidInput with a message naming the field
  // and value at fault ("minute field: 61 is out of range 0-59") on error.
  // expression() is then the text as given, without surrounding spaces.
  static Result<Cron> Parse(const std::string& expression);

  const std::string& expression() const { return expression_; }

  // Returns the first tick strictly after `ms`.
  TimestampMs Next(TimestampMs ms) const;
  // Returns the last tick at or before `ms`.
  TimestampMs Floor(TimestampMs ms) const;
  // Returns the first tick at or after `ms`.
  TimestampMs Ceil(TimestampMs ms) const;

  // Returns the number of ticks in [start, end), counting at most `limit` (for
  // bounded loops on fine crons over long ranges). Counts whole days at once, so
  // its work grows with the days in the range, not with the ticks.
  int64_t CountTicks(TimestampMs start, TimestampMs end, int64_t limit) const;

 private:
  bool DayMatches(int day_of_month, int weekday) const;
  bool CanEverMatch() const;
  // First tick minute of a matching day at or after `minute_of_day`, or -1.
  int FirstMinuteInDay(int minute_of_day) const;
  // Last tick minute of a matching day at or before `minute_of_day`, or -1.
  int LastMinuteInDay(int minute_of_day) const;
  // Number of ticks in a matching day before `minute_of_day` (0..1440).
  int64_t TicksInDayBefore(int minute_of_day) const;
  // Ticks on one day (days since the epoch) in [minute_from, minute_to).
  int64_t TicksOnDay(int64_t day, int minute_from, int minute_to) const;
  // Matching days in [first_day, last_day]; stops at the end of the month in which
  // the count reaches `limit`, so it may return a little more than `limit`.
  int64_t CountMatchingDays(int64_t first_day, int64_t last_day, int64_t limit) const;
  TimestampMs FirstInMonth(const CivilTime& from) const;
  TimestampMs LastInMonth(const CivilTime& to) const;
  // The first tick at or after, or the last at or before, a minute since the epoch.
  TimestampMs SearchForward(int64_t minute_index) const;
  TimestampMs SearchBackward(int64_t minute_index) const;

  std::string expression_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  // 1..31
  std::bitset<13> months_;         // 1..12
  std::bitset<7> days_of_week_;    // 0 = Sunday
  bool day_of_month_any_ = true;   // cron's rule: when both day fields are restricted,
  bool day_of_week_any_ = true;    // a day matches if either matches
};

}  // namespace materia
