#include "base/time.h"

#include "base/text.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <optional>
#include <vector>

namespace materia {

namespace {

// Relative expressions ("N days ago") accept counts below this bound, so that no
// arithmetic on them can overflow.
constexpr int64_t kRelativeCountMax = 10'000'000;

// Dates are read and relative results kept within the four-digit years.
constexpr int kYearMin = 0;
constexpr int kYearMax = 9999;

// Fractional seconds carry at most this many digits (nanoseconds).
constexpr size_t kFractionDigitsMax = 9;

int64_t FloorDivide(int64_t numerator, int64_t denominator) {
  int64_t quotient = numerator / denominator;
  if ((numerator % denominator != 0) && ((numerator < 0) != (denominator < 0))) {
    quotient -= 1;
  }
  return quotient;
}

bool IsLeapYear(int64_t year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

// Days since 1970-01-01 of a proleptic Gregorian date. Counts eras of 400 years,
// whose length in days is fixed, so no loop is needed; months are counted from
// March so that the leap day falls at the end of the counted year.
int64_t DaysFromCivil(int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = FloorDivide(year, 400);
  const int64_t year_of_era = year - era * 400;                        // [0, 399]
  const int64_t month_from_march = (month + 9) % 12;                   // [0, 11]
  const int64_t day_of_year = (153 * month_from_march + 2) / 5 + day - 1;  // [0, 365]
  const int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

// The inverse of DaysFromCivil: fills year, month and day of `civil`.
void CivilFromDays(int64_t days, CivilTime* civil) {
  days += 719468;
  const int64_t era = FloorDivide(days, 146097);
  const int64_t day_of_era = days - era * 146097;  // [0, 146096]
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t month_from_march = (5 * day_of_year + 2) / 153;  // [0, 11]
  civil->day = static_cast<int>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  civil->month = static_cast<int>(month_from_march < 10 ? month_from_march + 3
                                                        : month_from_march - 9);
  const int64_t year = year_of_era + era * 400 + (civil->month <= 2 ? 1 : 0);
  civil->year = static_cast<int>(year);
}

Status InvalidTime(const std::string& text, const std::string& reason = "") {
  std::string message = "invalid date or time '" + text + "'";
  if (!reason.empty()) message += ": " + reason;
  return Status::InvalidInput(message);
}

// Reads exactly `count` decimal digits at `*position` and advances past them.
bool ReadDigits(const std::string& text, size_t* position, size_t count, int* value) {
  if (*position + count > text.size()) return false;
  int result = 0;
  for (size_t index = 0; index < count; index++) {
    const char character = text[*position + index];
    if (!std::isdigit(static_cast<unsigned char>(character))) return false;
    result = result * 10 + (character - '0');
  }
  *position += count;
  *value = result;
  return true;
}

bool ReadCharacter(const std::string& text, size_t* position, char expected) {
  if (*position >= text.size() || text[*position] != expected) return false;
  *position += 1;
  return true;
}

// Reads ".d+" (one to nine digits) into milliseconds, dropping digits past the third.
bool ReadFraction(const std::string& text, size_t* position, int* millisecond) {
  if (!ReadCharacter(text, position, '.')) return false;
  size_t digits = 0;
  int value = 0;
  while (*position < text.size() &&
         std::isdigit(static_cast<unsigned char>(text[*position]))) {
    if (digits < 3) value = value * 10 + (text[*position] - '0');
    digits++;
    *position += 1;
  }
  if (digits == 0 || digits > kFractionDigitsMax) return false;
  for (size_t padding = digits; padding < 3; padding++) value *= 10;
  *millisecond = value;
  return true;
}

// Reads "HH:MM:SS[.fff][Z]" starting at `*position`.
bool ReadTimeOfDay(const std::string& text, size_t* position, CivilTime* civil) {
  if (!ReadDigits(text, position, 2, &civil->hour)) return false;
  if (!ReadCharacter(text, position, ':')) return false;
  if (!ReadDigits(text, position, 2, &civil->minute)) return false;
  if (!ReadCharacter(text, position, ':')) return false;
  if (!ReadDigits(text, position, 2, &civil->second)) return false;
  if (*position < text.size() && text[*position] == '.') {
    if (!ReadFraction(text, position, &civil->millisecond)) return false;
  }
  if (*position < text.size() && text[*position] == 'Z') *position += 1;
  return true;
}

// Reads "YYYY-MM-DD" optionally followed by ' ' or 'T' and a time of day, and
// nothing else. Checks the shape only; ranges are checked by ValidateCivil.
bool ReadCalendar(const std::string& text, CivilTime* civil) {
  size_t position = 0;
  if (!ReadDigits(text, &position, 4, &civil->year)) return false;
  if (!ReadCharacter(text, &position, '-')) return false;
  if (!ReadDigits(text, &position, 2, &civil->month)) return false;
  if (!ReadCharacter(text, &position, '-')) return false;
  if (!ReadDigits(text, &position, 2, &civil->day)) return false;
  if (position == text.size()) return true;
  if (text[position] != ' ' && text[position] != 'T') return false;
  position += 1;
  if (!ReadTimeOfDay(text, &position, civil)) return false;
  return position == text.size();
}

std::string OutOfRange(const char* name, int value, int low, int high) {
  return std::string(name) + " " + std::to_string(value) + " is out of range " +
         std::to_string(low) + "-" + std::to_string(high);
}

// Returns an empty string when every part of `civil` is within its range, else why not.
std::string ValidateCivil(const CivilTime& civil) {
  if (civil.month < 1 || civil.month > 12) return OutOfRange("month", civil.month, 1, 12);
  const int days = DaysInMonth(civil.year, civil.month);
  if (civil.day < 1 || civil.day > days) {
    char year_month[16];
    std::snprintf(year_month, sizeof(year_month), "%04d-%02d", civil.year, civil.month);
    return OutOfRange("day", civil.day, 1, days) + " in " + year_month;
  }
  if (civil.hour > 23) return OutOfRange("hour", civil.hour, 0, 23);
  if (civil.minute > 59) return OutOfRange("minute", civil.minute, 0, 59);
  if (civil.second > 59) return OutOfRange("second", civil.second, 0, 59);
  return "";
}

// Parses `trimmed`; messages quote `text` as the user wrote it.
Result<TimestampMs> ParseCalendar(const std::string& trimmed, const std::string& text) {
  CivilTime civil;
  if (!ReadCalendar(trimmed, &civil)) return InvalidTime(text);
  const std::string problem = ValidateCivil(civil);
  if (!problem.empty()) return InvalidTime(text, problem);
  return FromCivil(civil);
}

Result<TimestampMs> ParseEpochMs(const std::string& digits, const std::string& text) {
  int64_t value = 0;
  const char* last = digits.data() + digits.size();
  const auto [end, error] = std::from_chars(digits.data(), last, value);
  if (error != std::errc() || end != last) {
    return InvalidTime(text, "epoch milliseconds out of range");
  }
  return value;
}

// Moves `now_ms` back by `months` calendar months, keeping the time of day and
// clamping the day to the end of a shorter month (03-31 minus one month is 02-28/29).
std::optional<TimestampMs> SubtractMonths(TimestampMs now_ms, int64_t months) {
  CivilTime civil = ToCivil(now_ms);
  const int64_t month_index = int64_t{civil.year} * 12 + (civil.month - 1) - months;
  const int64_t year = FloorDivide(month_index, 12);
  if (year < kYearMin || year > kYearMax) return std::nullopt;
  civil.year = static_cast<int>(year);
  civil.month = static_cast<int>(month_index - year * 12) + 1;
  civil.day = std::min(civil.day, DaysInMonth(civil.year, civil.month));
  return FromCivil(civil);
}

// A unit of "N units ago": a fixed length, or a number of calendar months.
struct SpanUnit {
  const char* name;  // singular; the plural adds "s"
  TimestampMs length_ms;
  int64_t months;
};

constexpr SpanUnit kSpanUnits[5] = {
    {"hour", kMsPerHour, 0}, {"day", kMsPerDay, 0}, {"week", 7 * kMsPerDay, 0},
    {"month", 0, 1},         {"year", 0, 12},
};

const SpanUnit* LookUpSpanUnit(const std::string& word) {
  for (const SpanUnit& unit : kSpanUnits) {
    const std::string name = unit.name;
    if (word == name || word == name + "s") return &unit;
  }
  return nullptr;
}

std::optional<TimestampMs> SubtractSpan(TimestampMs now_ms, int64_t count,
                                        const SpanUnit& unit) {
  if (unit.months > 0) return SubtractMonths(now_ms, count * unit.months);
  TimestampMs result = 0;
  if (__builtin_sub_overflow(now_ms, count * unit.length_ms, &result)) return std::nullopt;
  if (result < FromCivil(CivilTime{.year = kYearMin})) return std::nullopt;
  return result;
}

// Parses "N unit(s) ago" given as lower-case words.
Result<TimestampMs> ParseRelative(const std::string& text,
                                  const std::vector<std::string>& words,
                                  TimestampMs now_ms) {
  if (words.size() != 3 || words[2] != "ago" || !IsAllDigits(words[0])) {
    return InvalidTime(text);
  }
  // Eight digits cannot overflow; the bound keeps all arithmetic below in range.
  if (words[0].size() > 8) return InvalidTime(text, "count is too large");
  const int64_t count = std::stoll(words[0]);
  if (count >= kRelativeCountMax) return InvalidTime(text, "count is too large");
  const SpanUnit* unit = LookUpSpanUnit(words[1]);
  if (unit == nullptr) {
    return InvalidTime(text, "unknown unit '" + words[1] +
                                 "' (expected hours, days, weeks, months or years)");
  }
  std::optional<TimestampMs> result = SubtractSpan(now_ms, count, *unit);
  if (!result) return InvalidTime(text, "out of range");
  return *result;
}

// Returns the UTC midnight `days_back` days before the day of `now_ms`.
Result<TimestampMs> StartOfDay(const std::string& text, TimestampMs now_ms, int days_back) {
  const int64_t day = FloorDivide(now_ms, kMsPerDay) - days_back;
  TimestampMs result = 0;
  if (__builtin_mul_overflow(day, kMsPerDay, &result)) return InvalidTime(text, "out of range");
  return result;
}

}  // namespace

TimestampMs NowMs() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count();
}

Result<TimestampMs> ParseTimestamp(const std::string& text, TimestampMs now_ms) {
  const std::string trimmed = Trim(text);
  const std::string lower = ToLower(trimmed);
  if (lower == "now") return now_ms;
  if (lower == "today") return StartOfDay(text, now_ms, 0);
  if (lower == "yesterday") return StartOfDay(text, now_ms, 1);
  const std::vector<std::string> words = SplitWords(lower);
  if (words.size() > 1 && words.back() == "ago") return ParseRelative(text, words, now_ms);
  if (IsAllDigits(trimmed)) {
    if (trimmed.size() < 13) {
      return InvalidTime(text, "an epoch must be in milliseconds (13 or more digits)");
    }
    return ParseEpochMs(trimmed, text);
  }
  return ParseCalendar(trimmed, text);
}

std::string FormatDate(TimestampMs ms) {
  const CivilTime civil = ToCivil(ms);
  char text[32];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02d", civil.year, civil.month, civil.day);
  return text;
}

std::string FormatTimestamp(TimestampMs ms) {
  const CivilTime civil = ToCivil(ms);
  char text[48];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02d %02d:%02d:%02d", civil.year,
                civil.month, civil.day, civil.hour, civil.minute, civil.second);
  std::string result = text;
  if (civil.millisecond != 0) {
    std::snprintf(text, sizeof(text), ".%03d", civil.millisecond);
    result += text;
  }
  return result;
}

std::string FormatIso(TimestampMs ms) {
  const CivilTime civil = ToCivil(ms);
  char text[48];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d", civil.year,
                civil.month, civil.day, civil.hour, civil.minute, civil.second);
  std::string result = text;
  if (civil.millisecond != 0) {
    std::snprintf(text, sizeof(text), ".%03d", civil.millisecond);
    result += text;
  }
  return result + "Z";
}

CivilTime ToCivil(TimestampMs ms) {
  // Divides without forming days * kMsPerDay, which overflows near INT64_MIN.
  int64_t days = ms / kMsPerDay;
  int64_t ms_of_day = ms % kMsPerDay;
  if (ms_of_day < 0) {
    ms_of_day += kMsPerDay;
    days -= 1;
  }
  CivilTime civil;
  CivilFromDays(days, &civil);
  civil.hour = static_cast<int>(ms_of_day / kMsPerHour);
  ms_of_day %= kMsPerHour;
  civil.minute = static_cast<int>(ms_of_day / kMsPerMinute);
  ms_of_day %= kMsPerMinute;
  civil.second = static_cast<int>(ms_of_day / kMsPerSecond);
  civil.millisecond = static_cast<int>(ms_of_day % kMsPerSecond);
  // 1970-01-01 was a Thursday (4).
  civil.weekday = static_cast<int>(days - FloorDivide(days + 4, 7) * 7 + 4);
  return civil;
}

TimestampMs FromCivil(const CivilTime& civil) {
  const int64_t days = DaysFromCivil(civil.year, civil.month, civil.day);
  const int64_t ms_of_day = civil.hour * kMsPerHour + civil.minute * kMsPerMinute +
                            civil.second * kMsPerSecond + civil.millisecond;
  // Before the epoch, adds the time of day to the next midnight minus a day, so that
  // the earliest representable instants do not overflow on the way.
  if (days < 0) return (days + 1) * kMsPerDay + (ms_of_day - kMsPerDay);
  return days * kMsPerDay + ms_of_day;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) return 0;
  if (month == 2 && IsLeapYear(year)) return 29;
  return kDays[month - 1];
}

}  // namespace materia
