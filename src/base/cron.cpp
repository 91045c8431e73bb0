#include "base/cron.h"

#include "base/text.h"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <vector>

namespace materia {

namespace {

constexpr int kMinutesPerDay = 24 * 60;
constexpr int kYearMin = 0;
constexpr int kYearMax = 9999;
// The Gregorian calendar repeats every 400 years (146097 days, a whole number of
// weeks), so a cron that matches at all matches within any 4800 consecutive months.
// One more year covers a search that starts late in a month.
constexpr int kSearchMonthsMax = 401 * 12;
// Values are parsed with at most this many digits; longer ones are out of range.
constexpr size_t kValueDigitsMax = 6;

enum class Names { kNone, kMonths, kWeekdays };

struct FieldSpec {
  const char* name;
  int low;
  int high;       // the largest value accepted
  int star_high;  // the largest value "*" stands for (day-of-week: 6, not 7)
  Names names;
};

constexpr FieldSpec kFields[5] = {
    {"minute", 0, 59, 59, Names::kNone},
    {"hour", 0, 23, 23, Names::kNone},
    {"day-of-month", 1, 31, 31, Names::kNone},
    {"month", 1, 12, 12, Names::kMonths},
    {"day-of-week", 0, 7, 6, Names::kWeekdays},
};

constexpr const char* kMonthNames[12] = {"jan", "feb", "mar", "apr", "may", "jun",
                                         "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* kWeekdayNames[7] = {"sun", "mon", "tue", "wed",
                                          "thu", "fri", "sat"};

struct Alias {
  const char* name;
  const char* fields;
};

constexpr Alias kAliases[7] = {
    {"@hourly", "0 * * * *"},  {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
    {"@weekly", "0 0 * * 0"},  {"@monthly", "0 0 1 * *"}, {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
};

int64_t FloorDivide(int64_t numerator, int64_t denominator) {
  int64_t quotient = numerator / denominator;
  if ((numerator % denominator != 0) && ((numerator < 0) != (denominator < 0))) {
    quotient -= 1;
  }
  return quotient;
}

int64_t CeilDivide(int64_t numerator, int64_t denominator) {
  return FloorDivide(numerator, denominator) + (numerator % denominator != 0 ? 1 : 0);
}

// The first minute (since the epoch) of the searched years, and the one just after.
int64_t FirstMinuteIndex() {
  return FromCivil(CivilTime{.year = kYearMin}) / kMsPerMinute;
}
int64_t EndMinuteIndex() {
  return FromCivil(CivilTime{.year = kYearMax + 1}) / kMsPerMinute;
}

int WeekdayOf(int year, int month, int day) {
  return ToCivil(FromCivil(CivilTime{.year = year, .month = month, .day = day})).weekday;
}

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t begin = 0;
  while (true) {
    const size_t found = text.find(separator, begin);
    if (found == std::string::npos) break;
    parts.push_back(text.substr(begin, found - begin));
    begin = found + 1;
  }
  parts.push_back(text.substr(begin));
  return parts;
}

bool IsAllDigits(const std::string& text) {
  if (text.empty()) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

int LookUpName(const std::string& token, Names names) {
  const std::string lower = ToLower(token);
  if (names == Names::kMonths) {
    for (int index = 0; index < 12; index++) {
      if (lower == kMonthNames[index]) return index + 1;
    }
  }
  if (names == Names::kWeekdays) {
    for (int index = 0; index < 7; index++) {
      if (lower == kWeekdayNames[index]) return index;
    }
  }
  return -1;
}

std::string RangeText(const FieldSpec& spec) {
  return std::to_string(spec.low) + "-" + std::to_string(spec.high);
}

// Parses one value of a field: a number within the field's range or a name.
Result<int> ParseValue(const std::string& token, const FieldSpec& spec) {
  const int named = LookUpName(token, spec.names);
  if (named >= 0) return named;
  if (!IsAllDigits(token)) {
    std::string expected = "a number";
    if (spec.names == Names::kMonths) expected = "a number or a month name (JAN-DEC)";
    if (spec.names == Names::kWeekdays) expected = "a number or a day name (SUN-SAT)";
    return Status::InvalidInput("'" + token + "' is not " + expected);
  }
  const int value = token.size() > kValueDigitsMax ? spec.high + 1 : std::stoi(token);
  if (value < spec.low || value > spec.high) {
    return Status::InvalidInput(token + " is out of range " + RangeText(spec));
  }
  return value;
}

Result<int> ParseStep(const std::string& step, const std::string& item) {
  if (!IsAllDigits(step)) {
    return Status::InvalidInput("step '" + step + "' in '" + item + "' is not a number");
  }
  const int value = step.size() > kValueDigitsMax ? 1000000 : std::stoi(step);
  if (value < 1) {
    return Status::InvalidInput("step " + step + " in '" + item + "' must be at least 1");
  }
  return value;
}

struct Span {
  int first = 0;
  int last = 0;
};

// Parses the part of an item before any "/": "*", "a" or "a-b". A lone value with
// a step runs to the field's maximum ("5/15" is 5-59/15 for minutes).
Result<Span> ParseSpan(const std::string& base, bool has_step, const FieldSpec& spec) {
  if (base == "*") return Span{spec.low, spec.star_high};
  const size_t dash = base.find('-');
  if (dash == std::string::npos) {
    MATERIA_ASSIGN_OR_RETURN(const int value, ParseValue(base, spec));
    return Span{value, has_step ? spec.high : value};
  }
  const std::string first_text = base.substr(0, dash);
  const std::string last_text = base.substr(dash + 1);
  if (first_text.empty() || last_text.empty()) {
    return Status::InvalidInput("'" + base + "' is not a value or a range a-b");
  }
  MATERIA_ASSIGN_OR_RETURN(const int first, ParseValue(first_text, spec));
  MATERIA_ASSIGN_OR_RETURN(int last, ParseValue(last_text, spec));
  // "FRI-SUN": a range of day names may end on Sunday, day 7.
  if (spec.names == Names::kWeekdays && last == 0 && LookUpName(last_text, spec.names) == 0) {
    last = 7;
  }
  if (first > last) {
    return Status::InvalidInput("range " + base + " is reversed (start after end)");
  }
  return Span{first, last};
}

// Parses one comma-separated item into a bit mask of its values.
Result<uint64_t> ParseItem(const std::string& item, const std::string& field,
                           const FieldSpec& spec) {
  if (item.empty()) return Status::InvalidInput("empty value in '" + field + "'");
  const std::vector<std::string> parts = Split(item, '/');
  if (parts.size() > 2) {
    return Status::InvalidInput("'" + item + "' has more than one '/'");
  }
  int step = 1;
  if (parts.size() == 2) {
    MATERIA_ASSIGN_OR_RETURN(step, ParseStep(parts[1], item));
  }
  MATERIA_ASSIGN_OR_RETURN(const Span span, ParseSpan(parts[0], parts.size() == 2, spec));
  uint64_t mask = 0;
  for (int value = span.first; value <= span.last; value += step) {
    mask |= uint64_t{1} << value;
  }
  return mask;
}

Result<uint64_t> ParseField(const std::string& field, const FieldSpec& spec) {
  uint64_t mask = 0;
  for (const std::string& item : Split(field, ',')) {
    MATERIA_ASSIGN_OR_RETURN(const uint64_t item_mask, ParseItem(item, field, spec));
    mask |= item_mask;
  }
  return mask;
}

template <size_t kBits>
std::bitset<kBits> ToBits(uint64_t mask) {
  std::bitset<kBits> bits;
  for (size_t index = 0; index < kBits; index++) bits[index] = (mask >> index) & 1;
  return bits;
}

// Replaces an alias by its five fields; returns the text unchanged when it is none.
Result<std::string> ExpandAlias(const std::string& text) {
  if (text.empty() || text[0] != '@') return text;
  const std::string lower = ToLower(text);
  for (const Alias& alias : kAliases) {
    if (lower == alias.name) return std::string(alias.fields);
  }
  return Status::InvalidInput(
      "unknown alias '" + text +
      "' (expected @hourly, @daily, @midnight, @weekly, @monthly, @yearly or @annually)");
}

}  // namespace

Result<Cron> Cron::Parse(const std::string& expression) {
  const std::string prefix = "invalid cron '" + expression + "'";
  const std::string trimmed = Trim(expression);
  Result<std::string> expanded = ExpandAlias(trimmed);
  if (!expanded.ok()) return expanded.status().WithPrefix(prefix);
  const std::vector<std::string> fields = SplitWords(*expanded);
  if (fields.size() != 5) {
    return Status::InvalidInput(
        prefix + ": expected 5 fields (minute hour day-of-month month day-of-week), found " +
        std::to_string(fields.size()));
  }
  uint64_t masks[5] = {};
  for (size_t index = 0; index < 5; index++) {
    Result<uint64_t> mask = ParseField(fields[index], kFields[index]);
    if (!mask.ok()) {
      return mask.status().WithPrefix(prefix + ": " + kFields[index].name + " field");
    }
    masks[index] = *mask;
  }
  Cron cron;
  cron.expression_ = trimmed;
  cron.minutes_ = ToBits<60>(masks[0]);
  cron.hours_ = ToBits<24>(masks[1]);
  cron.days_of_month_ = ToBits<32>(masks[2]);
  cron.months_ = ToBits<13>(masks[3]);
  cron.days_of_week_ = ToBits<7>(masks[4] | ((masks[4] >> 7) & 1));  // 7 is Sunday
  cron.day_of_month_any_ = fields[2][0] == '*';
  cron.day_of_week_any_ = fields[4][0] == '*';
  assert(cron.minutes_.any() && cron.hours_.any() && cron.days_of_month_.any() &&
         cron.months_.any() && cron.days_of_week_.any());
  if (!cron.CanEverMatch()) {
    return Status::InvalidInput(
        prefix + ": never matches: no day of the day-of-month field occurs in the "
                 "months of the month field");
  }
  return cron;
}

bool Cron::DayMatches(int day_of_month, int weekday) const {
  const bool day_of_month_matches = days_of_month_[day_of_month];
  const bool day_of_week_matches = days_of_week_[weekday];
  if (day_of_month_any_ || day_of_week_any_) {
    return day_of_month_matches && day_of_week_matches;
  }
  return day_of_month_matches || day_of_week_matches;
}

// Every (month, day, weekday) that the calendar has occurs within 400 years, so a
// cron can match exactly when some day it names exists in some month it names (when
// the day fields combine by "and") or always (by "or": every weekday occurs).
bool Cron::CanEverMatch() const {
  if (!day_of_month_any_ && !day_of_week_any_) return true;
  for (int month = 1; month <= 12; month++) {
    if (!months_[month]) continue;
    const int days = DaysInMonth(2000, month);  // a leap year: the most days
    for (int day = 1; day <= days; day++) {
      if (days_of_month_[day]) return true;
    }
  }
  return false;
}

int Cron::FirstMinuteInDay(int minute_of_day) const {
  for (int hour = minute_of_day / 60; hour < 24; hour++) {
    if (!hours_[hour]) continue;
    const int minute_first = hour == minute_of_day / 60 ? minute_of_day % 60 : 0;
    for (int minute = minute_first; minute < 60; minute++) {
      if (minutes_[minute]) return hour * 60 + minute;
    }
  }
  return -1;
}

int Cron::LastMinuteInDay(int minute_of_day) const {
  for (int hour = minute_of_day / 60; hour >= 0; hour--) {
    if (!hours_[hour]) continue;
    const int minute_last = hour == minute_of_day / 60 ? minute_of_day % 60 : 59;
    for (int minute = minute_last; minute >= 0; minute--) {
      if (minutes_[minute]) return hour * 60 + minute;
    }
  }
  return -1;
}

int64_t Cron::TicksInDayBefore(int minute_of_day) const {
  const int64_t minutes_per_hour = static_cast<int64_t>(minutes_.count());
  const int hour_of_end = minute_of_day / 60;
  int64_t ticks = 0;
  for (int hour = 0; hour < hour_of_end; hour++) {
    if (hours_[hour]) ticks += minutes_per_hour;
  }
  if (hour_of_end < 24 && hours_[hour_of_end]) {
    for (int minute = 0; minute < minute_of_day % 60; minute++) {
      if (minutes_[minute]) ticks++;
    }
  }
  return ticks;
}

TimestampMs Cron::FirstInMonth(const CivilTime& from) const {
  const int days = DaysInMonth(from.year, from.month);
  int weekday = WeekdayOf(from.year, from.month, from.day);
  int minute_of_day = from.hour * 60 + from.minute;
  for (int day = from.day; day <= days; day++) {
    if (DayMatches(day, weekday)) {
      const int found = FirstMinuteInDay(minute_of_day);
      if (found >= 0) {
        return FromCivil(CivilTime{.year = from.year, .month = from.month, .day = day,
                                   .hour = found / 60, .minute = found % 60});
      }
    }
    weekday = (weekday + 1) % 7;
    minute_of_day = 0;
  }
  return kNoNextTick;
}

TimestampMs Cron::LastInMonth(const CivilTime& to) const {
  int weekday = WeekdayOf(to.year, to.month, to.day);
  int minute_of_day = to.hour * 60 + to.minute;
  for (int day = to.day; day >= 1; day--) {
    if (DayMatches(day, weekday)) {
      const int found = LastMinuteInDay(minute_of_day);
      if (found >= 0) {
        return FromCivil(CivilTime{.year = to.year, .month = to.month, .day = day,
                                   .hour = found / 60, .minute = found % 60});
      }
    }
    weekday = (weekday + 6) % 7;
    minute_of_day = kMinutesPerDay - 1;
  }
  return kNoPreviousTick;
}

TimestampMs Cron::SearchForward(int64_t minute_index) const {
  minute_index = std::max(minute_index, FirstMinuteIndex());
  if (minute_index >= EndMinuteIndex()) return kNoNextTick;
  CivilTime from = ToCivil(minute_index * kMsPerMinute);
  for (int step = 0; step < kSearchMonthsMax && from.year <= kYearMax; step++) {
    if (months_[from.month]) {
      const TimestampMs found = FirstInMonth(from);
      if (found != kNoNextTick) return found;
    }
    const bool new_year = from.month == 12;
    from = CivilTime{.year = from.year + (new_year ? 1 : 0),
                     .month = new_year ? 1 : from.month + 1};
  }
  return kNoNextTick;
}

TimestampMs Cron::SearchBackward(int64_t minute_index) const {
  minute_index = std::min(minute_index, EndMinuteIndex() - 1);
  if (minute_index < FirstMinuteIndex()) return kNoPreviousTick;
  CivilTime to = ToCivil(minute_index * kMsPerMinute);
  for (int step = 0; step < kSearchMonthsMax && to.year >= kYearMin; step++) {
    if (months_[to.month]) {
      const TimestampMs found = LastInMonth(to);
      if (found != kNoPreviousTick) return found;
    }
    const bool old_year = to.month == 1;
    const int year = to.year - (old_year ? 1 : 0);
    const int month = old_year ? 12 : to.month - 1;
    to = CivilTime{.year = year, .month = month, .day = DaysInMonth(year, month),
                   .hour = 23, .minute = 59};
  }
  return kNoPreviousTick;
}

TimestampMs Cron::Next(TimestampMs ms) const {
  const TimestampMs tick = SearchForward(FloorDivide(ms, kMsPerMinute) + 1);
  assert(tick == kNoNextTick || tick > ms);
  return tick;
}

TimestampMs Cron::Floor(TimestampMs ms) const {
  const TimestampMs tick = SearchBackward(FloorDivide(ms, kMsPerMinute));
  assert(tick == kNoPreviousTick || tick <= ms);
  return tick;
}

TimestampMs Cron::Ceil(TimestampMs ms) const {
  const TimestampMs tick = SearchForward(CeilDivide(ms, kMsPerMinute));
  assert(tick == kNoNextTick || tick >= ms);
  return tick;
}

int64_t Cron::TicksOnDay(int64_t day, int minute_from, int minute_to) const {
  const CivilTime civil = ToCivil(day * kMsPerDay);
  if (!months_[civil.month] || !DayMatches(civil.day, civil.weekday)) return 0;
  return TicksInDayBefore(minute_to) - TicksInDayBefore(minute_from);
}

int64_t Cron::CountMatchingDays(int64_t first_day, int64_t last_day,
                                int64_t limit) const {
  int64_t matching = 0;
  int64_t day = first_day;
  // One turn per month: bounded by the months of the searched years.
  while (day <= last_day && matching < limit) {
    const CivilTime civil = ToCivil(day * kMsPerDay);
    const int64_t month_end_day =
        std::min(last_day, day + DaysInMonth(civil.year, civil.month) - civil.day);
    if (months_[civil.month]) {
      int weekday = civil.weekday;
      const int last_day_of_month = civil.day + static_cast<int>(month_end_day - day);
      for (int day_of_month = civil.day; day_of_month <= last_day_of_month; day_of_month++) {
        if (DayMatches(day_of_month, weekday)) matching++;
        weekday = (weekday + 1) % 7;
      }
    }
    day = month_end_day + 1;
  }
  return matching;
}

int64_t Cron::CountTicks(TimestampMs start, TimestampMs end, int64_t limit) const {
  if (limit <= 0 || start >= end) return 0;
  const int64_t first_minute = std::max(CeilDivide(start, kMsPerMinute), FirstMinuteIndex());
  const int64_t end_minute = std::min(CeilDivide(end, kMsPerMinute), EndMinuteIndex());
  if (first_minute >= end_minute) return 0;
  const int64_t first_day = FloorDivide(first_minute, kMinutesPerDay);
  const int64_t last_day = FloorDivide(end_minute - 1, kMinutesPerDay);
  const int minute_from = static_cast<int>(first_minute - first_day * kMinutesPerDay);
  const int minute_to = static_cast<int>(end_minute - last_day * kMinutesPerDay);
  if (first_day == last_day) {
    return std::min(TicksOnDay(first_day, minute_from, minute_to), limit);
  }
  int64_t count = TicksOnDay(first_day, minute_from, kMinutesPerDay) +
                  TicksOnDay(last_day, 0, minute_to);
  const int64_t ticks_per_day = TicksInDayBefore(kMinutesPerDay);
  if (count < limit && ticks_per_day > 0) {
    // Enough whole days to reach the limit, rounded up, is all that must be counted.
    const int64_t days_limit = (limit - count) / ticks_per_day + 1;
    const int64_t days = CountMatchingDays(first_day + 1, last_day - 1, days_limit);
    count += std::min(days, days_limit) * ticks_per_day;
  }
  return std::min(count, limit);
}

}  // namespace materia
