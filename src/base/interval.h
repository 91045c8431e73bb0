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
  // True when [interval.start, interval.end) lies wholly inside the set (always for
  // an empty interval).
  bool Contains(Interval interval) const;
  // True when some instant of `interval` is in the set (never for an empty interval).
  bool Overlaps(Interval interval) const;

  bool empty() const { return ranges_.empty(); }
  const std::vector<Interval>& ranges() const { return ranges_; }
  bool operator==(const IntervalSet& other) const = default;

  // Serializes as "start-end,start-end" in milliseconds, sorted, "" for the empty
  // set; a negative number keeps its minus sign, so [-5, -3) is "-5--3".
  std::string ToString() const;
  // Reads what ToString writes: Parse(x.ToString()) == x. Ranges may come in any
  // order and may touch or overlap (they are merged); each must be non-empty.
  // Returns kInvalidInput naming the piece at fault ("invalid interval set '5-x':
  // '5-x' is not start-end in milliseconds") on error.
  static Result<IntervalSet> Parse(const std::string& text);

 private:
  std::vector<Interval> ranges_;  // sorted, disjoint, non-touching, non-empty
};

}  // namespace materia
