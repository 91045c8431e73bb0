// Half-open time intervals and sets of them.
//
// An Interval is [start, end): `start` is included, `end` is not. An IntervalSet keeps
// its intervals merged and sorted (touching or overlapping ranges become one), so
// its size depends on the number of gaps, never on the number of cron ticks: a
// five-minute model over ten years with no gaps is one range. Values; not
// thread-safe for concurrent mutation.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"

namespace materia {

struct Interval {
  TimestampMs start = 0;  // included
  TimestampMs end = 0;    // excluded
  bool empty() const { return end <= start; }
  bool operator==(const Interval& other) const = default;
};

class IntervalSet {
 public:
  IntervalSet() = default;
  explicit IntervalSet(std::vector<Interval> intervals);  // merges

  void Add(Interval interval);
  void Add(const IntervalSet& other);
  void Remove(Interval interval);
  // Returns this minus `other`.
  IntervalSet Subtract(const IntervalSet& other) const;
  // Returns the part of this set inside `bounds`.
  IntervalSet Intersect(Interval bounds) const;
  // True when [interval.start, interval.end) lies wholly inside the set.
  bool Contains(Interval interval) const;
  bool Overlaps(Interval interval) const;

  bool empty() const { return ranges_.empty(); }
  const std::vector<Interval>& ranges() const { return ranges_; }
  bool operator==(const IntervalSet& other) const = default;

  // Serializes as "start-end,start-end" in milliseconds; Parse reads it back.
  std::string ToString() const;
  static Result<IntervalSet> Parse(const std::string& text);

 private:
  std::vector<Interval> ranges_;  // sorted, disjoint, non-touching, non-empty
};

}  // namespace materia
