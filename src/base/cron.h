// Cron schedules: five-field expressions ("*/5 * * * *", "0 6 1 * *") with lists,
// ranges and steps, and the aliases @hourly, @daily, @weekly, @monthly, @yearly
// (@annually). All times are UTC. A Cron is an immutable value: thread-safe.
//
// The ticks of a cron cut time into intervals: the interval of a tick t is
// [t, Next(t)). A model's data for an interval is due once the interval has ended.
#pragma once

#include <bitset>
#include <string>

#include "base/status.h"
#include "base/time.h"

namespace materia {

class Cron {
 public:
  // Parses an expression. Returns kInvalidInput with a message naming the field
  // and value at fault ("minute field: 61 is out of range 0-59") on error.
  static Result<Cron> Parse(const std::string& expression);

  const std::string& expression() const { return expression_; }

  // Returns the first tick strictly after `ms`.
  TimestampMs Next(TimestampMs ms) const;
  // Returns the last tick at or before `ms`.
  TimestampMs Floor(TimestampMs ms) const;
  // Returns the first tick at or after `ms`.
  TimestampMs Ceil(TimestampMs ms) const;

  // Returns the number of ticks in [start, end), counting at most `limit` (for
  // bounded loops on fine crons over long ranges).
  int64_t CountTicks(TimestampMs start, TimestampMs end, int64_t limit) const;

 private:
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
