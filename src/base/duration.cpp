#include "base/duration.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "base/text.h"

namespace materia {

namespace {

struct UnitName {
  const char* singular;
  DurationUnit unit;
  TimestampMs length_ms;  // 0 for calendar units
};

constexpr UnitName kUnitNames[] = {
    {"second", DurationUnit::kSecond, kMsPerSecond},
    {"minute", DurationUnit::kMinute, kMsPerMinute},
    {"hour", DurationUnit::kHour, kMsPerHour},
    {"day", DurationUnit::kDay, kMsPerDay},
    {"week", DurationUnit::kWeek, 7 * kMsPerDay},
    {"month", DurationUnit::kMonth, 0},
    {"year", DurationUnit::kYear, 0},
};

const UnitName* FindUnit(const std::string& word) {
  for (const UnitName& name : kUnitNames) {
    const std::string singular = name.singular;
    if (word == singular || word == singular + "s") return &name;
  }
  return nullptr;
}

const UnitName& NameOf(DurationUnit unit) {
  for (const UnitName& name : kUnitNames) {
    if (name.unit == unit) return name;
  }
  return kUnitNames[0];  // unreachable: every unit has a name
}

Status Invalid(const std::string& what, const std::string& text, const std::string& reason) {
  return Status::InvalidInput("invalid " + what + " '" + text + "': " + reason);
}

// The start of the year 0: the earliest instant the calendar helpers represent.
TimestampMs EarliestMs() { return FromCivil(CivilTime{.year = 0}); }

TimestampMs SubtractMonths(TimestampMs ms, int64_t months) {
  CivilTime civil = ToCivil(ms);
  const int64_t month_index = int64_t{civil.year} * 12 + (civil.month - 1) - months;
  if (month_index < 0) return EarliestMs();
  civil.year = static_cast<int>(month_index / 12);
  civil.month = static_cast<int>(month_index % 12) + 1;
  civil.day = std::min(civil.day, DaysInMonth(civil.year, civil.month));
  return FromCivil(civil);
}

}  // namespace

Result<Duration> ParseDuration(const std::string& text, const std::string& what) {
  std::vector<std::string> words = SplitWords(ToLower(text));
  if (!words.empty() && words[0] == "in") words.erase(words.begin());
  if (words.size() != 2 || !IsAllDigits(words[0])) {
    return Invalid(what, text,
                   "expected a count and a unit, such as 'in 1 week', '3 days' or '12 hours'");
  }
  // Eight digits cannot overflow int64_t; the bound below keeps later arithmetic exact.
  if (words[0].size() > 8 || std::stoll(words[0]) >= kDurationCountMax) {
    return Invalid(what, text, "the count is too large");
  }
  const UnitName* unit = FindUnit(words[1]);
  if (unit == nullptr) {
    return Invalid(what, text, "unknown unit '" + words[1] +
                                   "' (expected seconds, minutes, hours, days, weeks, months "
                                   "or years)");
  }
  return Duration{std::stoll(words[0]), unit->unit};
}

Result<int64_t> ParseSpanMs(const std::string& text, const std::string& what) {
  static const std::pair<const char*, int64_t> kSuffixes[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}, {"w", 604'800'000}};
  std::string compact = ToLower(text);
  size_t digits = 0;
  while (digits < compact.size() && std::isdigit(static_cast<unsigned char>(compact[digits]))) digits++;
  if (digits > 0 && digits <= 8 && digits < compact.size()) {
    std::string suffix = compact.substr(digits);
    for (const auto& [name, length_ms] : kSuffixes) {
      if (suffix == name) return std::stoll(compact.substr(0, digits)) * length_ms;
    }
  }
  auto duration = ParseDuration(text, what);
  if (!duration.ok()) {
    return Invalid(what, text, "expected a count and a unit, such as '30s', '15m', '2h' or '15 minutes'");
  }
  if (duration->unit == DurationUnit::kMonth || duration->unit == DurationUnit::kYear) {
    return Invalid(what, text, "months and years have no fixed length; use days or weeks");
  }
  return duration->count * NameOf(duration->unit).length_ms;
}

std::string FormatDuration(const Duration& duration) {
  return std::to_string(duration.count) + " " + NameOf(duration.unit).singular +
         (duration.count == 1 ? "" : "s");
}

TimestampMs SubtractDuration(TimestampMs ms, const Duration& duration) {
  if (duration.unit == DurationUnit::kMonth) return SubtractMonths(ms, duration.count);
  if (duration.unit == DurationUnit::kYear) return SubtractMonths(ms, duration.count * 12);
  // count < 10^7 and a week is < 10^9 ms: the product stays far below 2^63.
  const TimestampMs span_ms = duration.count * NameOf(duration.unit).length_ms;
  TimestampMs result = 0;
  if (__builtin_sub_overflow(ms, span_ms, &result)) return EarliestMs();
  return std::max(result, EarliestMs());
}

}  // namespace materia
