#include "base/interval.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <iterator>

namespace materia {

namespace {

// Error messages quote at most this much of the text being parsed.
constexpr size_t kQuotedLengthMax = 60;

// True when `ranges` are non-empty, sorted, and neither overlap nor touch.
[[maybe_unused]] bool IsNormalized(const std::vector<Interval>& ranges) {
  for (size_t index = 0; index < ranges.size(); index++) {
    if (ranges[index].empty()) return false;
    if (index > 0 && ranges[index - 1].end >= ranges[index].start) return false;
  }
  return true;
}

// Joins ranges sorted by start that overlap or touch; drops nothing but empties.
std::vector<Interval> MergeSorted(const std::vector<Interval>& sorted) {
  std::vector<Interval> merged;
  merged.reserve(sorted.size());
  for (const Interval& interval : sorted) {
    if (interval.empty()) continue;
    if (!merged.empty() && interval.start <= merged.back().end) {
      merged.back().end = std::max(merged.back().end, interval.end);
    } else {
      merged.push_back(interval);
    }
  }
  return merged;
}

bool StartsBefore(const Interval& left, const Interval& right) {
  return left.start < right.start;
}

std::string Quote(const std::string& text) {
  if (text.size() <= kQuotedLengthMax) return "'" + text + "'";
  return "'" + text.substr(0, kQuotedLengthMax) + "...'";
}

// Reads one signed decimal integer at `*position`; false if none or out of range.
bool ReadNumber(const std::string& text, size_t* position, TimestampMs* value) {
  const char* first = text.data() + *position;
  const char* last = text.data() + text.size();
  const auto [end, error] = std::from_chars(first, last, *value);
  if (error != std::errc()) return false;
  *position += static_cast<size_t>(end - first);
  return true;
}

// Parses "start-end" where either number may carry a minus sign: "-5--3" is [-5, -3).
Result<Interval> ParseRange(const std::string& piece) {
  const Status malformed =
      Status::InvalidInput(Quote(piece) + " is not start-end in milliseconds");
  Interval interval;
  size_t position = 0;
  if (!ReadNumber(piece, &position, &interval.start)) return malformed;
  if (position >= piece.size() || piece[position] != '-') return malformed;
  position++;
  if (!ReadNumber(piece, &position, &interval.end)) return malformed;
  if (position != piece.size()) return malformed;
  if (interval.empty()) {
    return Status::InvalidInput("range " + piece + " is empty (end must be after start)");
  }
  return interval;
}

}  // namespace

IntervalSet::IntervalSet(std::vector<Interval> intervals) {
  std::sort(intervals.begin(), intervals.end(), StartsBefore);
  ranges_ = MergeSorted(intervals);
  assert(IsNormalized(ranges_));
}

void IntervalSet::Add(Interval interval) {
  if (interval.empty()) return;
  // Ranges are sorted by end as well as by start: find the first that touches or
  // follows `interval`, then absorb every range that starts before it ends.
  auto first = std::partition_point(ranges_.begin(), ranges_.end(),
                                    [&](const Interval& range) {
                                      return range.end < interval.start;
                                    });
  auto last = first;
  while (last != ranges_.end() && last->start <= interval.end) {
    interval.start = std::min(interval.start, last->start);
    interval.end = std::max(interval.end, last->end);
    ++last;
  }
  first = ranges_.erase(first, last);
  ranges_.insert(first, interval);
  assert(IsNormalized(ranges_));
}

void IntervalSet::Add(const IntervalSet& other) {
  std::vector<Interval> sorted;
  sorted.reserve(ranges_.size() + other.ranges_.size());
  std::merge(ranges_.begin(), ranges_.end(), other.ranges_.begin(), other.ranges_.end(),
             std::back_inserter(sorted), StartsBefore);
  ranges_ = MergeSorted(sorted);
  assert(IsNormalized(ranges_));
}

void IntervalSet::Remove(Interval interval) {
  if (interval.empty()) return;
  std::vector<Interval> kept;
  kept.reserve(ranges_.size() + 1);
  for (const Interval& range : ranges_) {
    const bool overlaps = range.start < interval.end && interval.start < range.end;
    if (!overlaps) {
      kept.push_back(range);
      continue;
    }
    if (range.start < interval.start) kept.push_back(Interval{range.start, interval.start});
    if (interval.end < range.end) kept.push_back(Interval{interval.end, range.end});
  }
  ranges_ = std::move(kept);
  assert(IsNormalized(ranges_));
}

IntervalSet IntervalSet::Subtract(const IntervalSet& other) const {
  const std::vector<Interval>& cuts = other.ranges_;
  IntervalSet result;
  size_t cut = 0;
  for (const Interval& range : ranges_) {
    TimestampMs cursor = range.start;
    while (cut < cuts.size() && cuts[cut].end <= cursor) cut++;
    // Walk the cuts that start inside this range; one that runs past its end may
    // cut the next range too, so it is not consumed.
    while (cut < cuts.size() && cuts[cut].start < range.end) {
      if (cursor < cuts[cut].start) result.ranges_.push_back(Interval{cursor, cuts[cut].start});
      cursor = std::max(cursor, cuts[cut].end);
      if (cuts[cut].end > range.end) break;
      cut++;
    }
    if (cursor < range.end) result.ranges_.push_back(Interval{cursor, range.end});
  }
  assert(IsNormalized(result.ranges_));
  return result;
}

IntervalSet IntervalSet::Intersect(Interval bounds) const {
  IntervalSet result;
  if (bounds.empty()) return result;
  auto first = std::partition_point(ranges_.begin(), ranges_.end(),
                                    [&](const Interval& range) {
                                      return range.end <= bounds.start;
                                    });
  for (auto range = first; range != ranges_.end() && range->start < bounds.end; ++range) {
    result.ranges_.push_back(Interval{std::max(range->start, bounds.start),
                                      std::min(range->end, bounds.end)});
  }
  assert(IsNormalized(result.ranges_));
  return result;
}

bool IntervalSet::Contains(Interval interval) const {
  if (interval.empty()) return true;
  // The last range starting at or before interval.start is the only candidate.
  auto after = std::partition_point(ranges_.begin(), ranges_.end(),
                                    [&](const Interval& range) {
                                      return range.start <= interval.start;
                                    });
  if (after == ranges_.begin()) return false;
  return std::prev(after)->end >= interval.end;
}

bool IntervalSet::Overlaps(Interval interval) const {
  if (interval.empty()) return false;
  auto first = std::partition_point(ranges_.begin(), ranges_.end(),
                                    [&](const Interval& range) {
                                      return range.end <= interval.start;
                                    });
  return first != ranges_.end() && first->start < interval.end;
}

std::string IntervalSet::ToString() const {
  std::string text;
  for (const Interval& range : ranges_) {
    if (!text.empty()) text += ',';
    text += std::to_string(range.start);
    text += '-';
    text += std::to_string(range.end);
  }
  return text;
}

Result<IntervalSet> IntervalSet::Parse(const std::string& text) {
  std::vector<Interval> intervals;
  size_t begin = 0;
  // Each turn consumes one piece and at least one character, so the loop ends.
  while (begin <= text.size() && !text.empty()) {
    size_t comma = text.find(',', begin);
    if (comma == std::string::npos) comma = text.size();
    Result<Interval> interval = ParseRange(text.substr(begin, comma - begin));
    if (!interval.ok()) {
      return interval.status().WithPrefix("invalid interval set " + Quote(text));
    }
    intervals.push_back(*interval);
    begin = comma + 1;
  }
  return IntervalSet(std::move(intervals));
}

}  // namespace materia
