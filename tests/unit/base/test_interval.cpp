#include "base/interval.h"

#include <gtest/gtest.h>

#include <bitset>
#include <random>
#include <string>
#include <vector>

namespace materia {
namespace {

IntervalSet Set(std::vector<Interval> intervals) { return IntervalSet(std::move(intervals)); }

std::string ErrorOf(const std::string& text) {
  Result<IntervalSet> parsed = IntervalSet::Parse(text);
  if (parsed.ok()) return "parsed as '" + parsed->ToString() + "'";
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidInput);
  return parsed.status().message();
}

// --- Interval -------------------------------------------------------------------

TEST(Interval, EmptyWhenEndIsNotAfterStart) {
  EXPECT_TRUE((Interval{5, 5}).empty());
  EXPECT_TRUE((Interval{6, 5}).empty());
  EXPECT_FALSE((Interval{5, 6}).empty());
  EXPECT_TRUE(Interval{}.empty());
}

// --- Building and merging ---------------------------------------------------------

TEST(IntervalSetBuild, ConstructorSortsMergesAndDropsEmpties) {
  const IntervalSet set = Set({{20, 30}, {5, 10}, {0, 5}, {25, 40}, {50, 50}, {60, 55}});
  EXPECT_EQ(set.ranges(), (std::vector<Interval>{{0, 10}, {20, 40}}));
  EXPECT_TRUE(Set({}).empty());
  EXPECT_TRUE(Set({{3, 3}, {9, 1}}).empty());
}

TEST(IntervalSetBuild, AddMergesTouchingRanges) {
  IntervalSet set;
  set.Add({0, 5});
  set.Add({5, 10});
  EXPECT_EQ(set.ranges(), (std::vector<Interval>{{0, 10}}));
  set.Add({-3, 0});
  EXPECT_EQ(set.ranges(), (std::vector<Interval>{{-3, 10}}));
}

TEST(IntervalSetBuild, AddKeepsGapsAndOrder) {
  IntervalSet set;
  set.Add({50, 60});
  set.Add({10, 20});
  set.Add({30, 40});
  set.Add({70, 80});
  EXPECT_EQ(set.ranges(), (std::vector<Interval>{{10, 20}, {30, 40}, {50, 60}, {70, 80}}));
}

TEST(IntervalSetBuild, AddBridgesSeveralRanges) {
  IntervalSet set = Set({{0, 10}, {20, 30}, {40, 50}, {60, 70}});
  set.Add({15, 45});
  EXPECT_EQ(set.ranges(), (std::vector<Interval>{{0, 10}, {15, 50}, {60, 70}}));
  set.Add({10, 15});
  EXPECT_EQ(set.ranges(), (std::vector<Interval>{{0, 50}, {60, 70}}));
  set.Add({-100, 1000});
  EXPECT_EQ(set.ranges(), (std::vector<Interval>{{-100, 1000}}));
}

TEST(IntervalSetBuild, AddInsideOrEmptyChangesNothing) {
  IntervalSet set = Set({{0, 10}, {20, 30}});
  set.Add({2, 8});
  set.Add({20, 30});
  set.Add({25, 25});
  set.Add({40, 35});
  EXPECT_EQ(set.ranges(), (std::vector<Interval>{{0, 10}, {20, 30}}));
}

TEST(IntervalSetBuild, AddSet) {
  IntervalSet set = Set({{0, 10}, {40, 50}});
  set.Add(Set({{10, 20}, {30, 35}, {45, 60}, {100, 110}}));
  EXPECT_EQ(set.ranges(), (std::vector<Interval>{{0, 20}, {30, 35}, {40, 60}, {100, 110}}));
  set.Add(IntervalSet());
  EXPECT_EQ(set.ranges().size(), 4u);
  IntervalSet empty;
  empty.Add(set);
  EXPECT_EQ(empty, set);
}

// Ten years of five-minute intervals, added one at a time, stay one range.
TEST(IntervalSetBuild, ManyTouchingTicksStayOneRange) {
  const TimestampMs step_ms = 5 * kMsPerMinute;
  const TimestampMs start_ms = 1388534400000;  // 2014-01-01
  const int64_t ticks = 3652 * 288;
  IntervalSet set;
  for (int64_t index = 0; index < ticks; index++) {
    set.Add({start_ms + index * step_ms, start_ms + (index + 1) * step_ms});
  }
  ASSERT_EQ(set.ranges().size(), 1u);
  EXPECT_EQ(set.ranges()[0], (Interval{start_ms, start_ms + ticks * step_ms}));
}

// --- Removing and subtracting ------------------------------------------------------

TEST(IntervalSetRemove, PunchesAHole) {
  IntervalSet set = Set({{0, 100}});
  set.Remove({40, 60});
  EXPECT_EQ(set.ranges(), (std::vector<Interval>{{0, 40}, {60, 100}}));
}

TEST(IntervalSetRemove, TrimsAndDropsAcrossRanges) {
  IntervalSet set = Set({{0, 10}, {20, 30}, {40, 50}, {60, 70}});
  set.Remove({5, 45});
  EXPECT_EQ(set.ranges(), (std::vector<Interval>{{0, 5}, {45, 50}, {60, 70}}));
  set.Remove({60, 70});
  EXPECT_EQ(set.ranges(), (std::vector<Interval>{{0, 5}, {45, 50}}));
  set.Remove({5, 45});  // only the gap
  EXPECT_EQ(set.ranges(), (std::vector<Interval>{{0, 5}, {45, 50}}));
  set.Remove({30, 20});  // empty
  EXPECT_EQ(set.ranges(), (std::vector<Interval>{{0, 5}, {45, 50}}));
  set.Remove({-1000, 1000});
  EXPECT_TRUE(set.empty());
}

TEST(IntervalSetSubtract, ProducesHoles) {
  const IntervalSet done = Set({{0, 100}});
  const IntervalSet failed = Set({{10, 20}, {50, 60}, {90, 100}});
  EXPECT_EQ(done.Subtract(failed).ranges(), (std::vector<Interval>{{0, 10}, {20, 50}, {60, 90}}));
}

TEST(IntervalSetSubtract, MissingIntervalsAreWhatIsDueMinusWhatIsDone) {
  const IntervalSet due = Set({{0, 1000}});
  const IntervalSet done = Set({{0, 200}, {300, 400}, {900, 1000}});
  EXPECT_EQ(due.Subtract(done).ranges(), (std::vector<Interval>{{200, 300}, {400, 900}}));
}

TEST(IntervalSetSubtract, CutSpanningSeveralRanges) {
  const IntervalSet set = Set({{0, 10}, {20, 30}, {40, 50}});
  EXPECT_EQ(set.Subtract(Set({{5, 45}})).ranges(), (std::vector<Interval>{{0, 5}, {45, 50}}));
  EXPECT_EQ(set.Subtract(Set({{-5, 25}, {28, 42}})).ranges(),
            (std::vector<Interval>{{25, 28}, {42, 50}}));
}

TEST(IntervalSetSubtract, EdgeCases) {
  const IntervalSet set = Set({{0, 10}, {20, 30}});
  EXPECT_EQ(set.Subtract(IntervalSet()), set);
  EXPECT_TRUE(set.Subtract(set).empty());
  EXPECT_TRUE(set.Subtract(Set({{-100, 100}})).empty());
  EXPECT_TRUE(IntervalSet().Subtract(set).empty());
  EXPECT_EQ(set.Subtract(Set({{10, 20}})), set);  // only the gap: touching, no overlap
  EXPECT_EQ(set.Subtract(Set({{-10, 0}, {30, 40}})), set);
  EXPECT_EQ(set.Subtract(Set({{0, 1}, {29, 30}})).ranges(),
            (std::vector<Interval>{{1, 10}, {20, 29}}));
}

// --- Queries --------------------------------------------------------------------

TEST(IntervalSetQuery, IntersectClipsToBounds) {
  const IntervalSet set = Set({{0, 10}, {20, 30}, {40, 50}});
  EXPECT_EQ(set.Intersect({5, 45}).ranges(), (std::vector<Interval>{{5, 10}, {20, 30}, {40, 45}}));
  EXPECT_EQ(set.Intersect({10, 20}).ranges(), (std::vector<Interval>{}));
  EXPECT_EQ(set.Intersect({-100, 100}), set);
  EXPECT_TRUE(set.Intersect({25, 25}).empty());
  EXPECT_TRUE(set.Intersect({60, 70}).empty());
  EXPECT_EQ(set.Intersect({29, 41}).ranges(), (std::vector<Interval>{{29, 30}, {40, 41}}));
}

TEST(IntervalSetQuery, Contains) {
  const IntervalSet set = Set({{0, 10}, {20, 30}});
  EXPECT_TRUE(set.Contains({0, 10}));
  EXPECT_TRUE(set.Contains({2, 8}));
  EXPECT_TRUE(set.Contains({20, 30}));
  EXPECT_FALSE(set.Contains({5, 25}));   // spans a gap
  EXPECT_FALSE(set.Contains({0, 11}));
  EXPECT_FALSE(set.Contains({-1, 5}));
  EXPECT_FALSE(set.Contains({10, 20}));
  EXPECT_FALSE(set.Contains({30, 31}));
  EXPECT_TRUE(set.Contains({15, 15}));   // an empty interval is in every set
  EXPECT_FALSE(IntervalSet().Contains({0, 1}));
}

TEST(IntervalSetQuery, Overlaps) {
  const IntervalSet set = Set({{0, 10}, {20, 30}});
  EXPECT_TRUE(set.Overlaps({5, 25}));
  EXPECT_TRUE(set.Overlaps({9, 11}));
  EXPECT_TRUE(set.Overlaps({-5, 1}));
  EXPECT_TRUE(set.Overlaps({29, 100}));
  EXPECT_FALSE(set.Overlaps({10, 20}));  // touching both ends, sharing no instant
  EXPECT_FALSE(set.Overlaps({-5, 0}));
  EXPECT_FALSE(set.Overlaps({30, 40}));
  EXPECT_FALSE(set.Overlaps({5, 5}));
  EXPECT_FALSE(IntervalSet().Overlaps({0, 1}));
}

// Every operation against a plain bitmap over [0, 64), on random sets.
TEST(IntervalSetQuery, AgreesWithABitmap) {
  using Bits = std::bitset<64>;
  auto to_bits = [](const IntervalSet& set) {
    Bits bits;
    for (const Interval& range : set.ranges()) {
      for (TimestampMs at = range.start; at < range.end; at++) bits[at] = true;
    }
    return bits;
  };
  auto span = [](TimestampMs start, TimestampMs end) {
    Bits bits;
    for (TimestampMs at = start; at < end; at++) bits[at] = true;
    return bits;
  };
  std::mt19937 random(42);
  auto random_interval = [&]() {
    const TimestampMs start = random() % 64;
    return Interval{start, start + static_cast<TimestampMs>(random() % (65 - start))};
  };
  for (int trial = 0; trial < 2000; trial++) {
    IntervalSet left;
    IntervalSet right;
    for (int index = 0; index < 6; index++) left.Add(random_interval());
    for (int index = 0; index < 6; index++) right.Add(random_interval());
    const Interval probe = random_interval();
    const Bits left_bits = to_bits(left);
    const Bits right_bits = to_bits(right);
    const Bits probe_bits = span(probe.start, probe.end);
    ASSERT_EQ(to_bits(left.Subtract(right)), left_bits & ~right_bits);
    ASSERT_EQ(to_bits(left.Intersect(probe)), left_bits & probe_bits);
    ASSERT_EQ(left.Contains(probe), (probe_bits & ~left_bits).none());
    ASSERT_EQ(left.Overlaps(probe), (probe_bits & left_bits).any());
    IntervalSet joined = left;
    joined.Add(right);
    ASSERT_EQ(to_bits(joined), left_bits | right_bits);
    IntervalSet removed = left;
    removed.Remove(probe);
    ASSERT_EQ(to_bits(removed), left_bits & ~probe_bits);
    // Equal instants mean equal sets: the form is canonical.
    ASSERT_EQ(Set(joined.ranges()), joined);
    for (size_t index = 1; index < joined.ranges().size(); index++) {
      ASSERT_LT(joined.ranges()[index - 1].end, joined.ranges()[index].start);
    }
  }
}

// --- Text form ------------------------------------------------------------------

TEST(IntervalSetText, ToString) {
  EXPECT_EQ(IntervalSet().ToString(), "");
  EXPECT_EQ(Set({{0, 10}}).ToString(), "0-10");
  EXPECT_EQ(Set({{20, 40}, {0, 10}}).ToString(), "0-10,20-40");
  EXPECT_EQ(Set({{-5, -3}, {-1, 2}}).ToString(), "-5--3,-1-2");
  EXPECT_EQ(Set({{1706659200000, 1706745600000}}).ToString(), "1706659200000-1706745600000");
}

TEST(IntervalSetText, ParseReadsBackToString) {
  const std::vector<IntervalSet> sets = {
      IntervalSet(),
      Set({{0, 10}}),
      Set({{-5, -3}, {-1, 2}, {7, 9}}),
      Set({{-100, 0}}),
      Set({{INT64_MIN, -1}, {0, INT64_MAX}}),
      Set({{1706659200000, 1706745600000}, {1706832000000, 1706918400000}}),
  };
  for (const IntervalSet& set : sets) {
    Result<IntervalSet> parsed = IntervalSet::Parse(set.ToString());
    ASSERT_TRUE(parsed.ok()) << set.ToString() << ": " << parsed.status().message();
    EXPECT_EQ(*parsed, set) << set.ToString();
  }
}

TEST(IntervalSetText, ParseMergesUnsortedAndTouchingRanges) {
  Result<IntervalSet> parsed = IntervalSet::Parse("20-30,0-10,10-15,25-40");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->ranges(), (std::vector<Interval>{{0, 15}, {20, 40}}));
}

TEST(IntervalSetText, ParseErrors) {
  EXPECT_EQ(ErrorOf("abc"),
            "invalid interval set 'abc': 'abc' is not start-end in milliseconds");
  EXPECT_EQ(ErrorOf("5"), "invalid interval set '5': '5' is not start-end in milliseconds");
  EXPECT_EQ(ErrorOf("5-"), "invalid interval set '5-': '5-' is not start-end in milliseconds");
  EXPECT_EQ(ErrorOf("-5"), "invalid interval set '-5': '-5' is not start-end in milliseconds");
  EXPECT_EQ(ErrorOf("1-2-3"),
            "invalid interval set '1-2-3': '1-2-3' is not start-end in milliseconds");
  EXPECT_EQ(ErrorOf("1---2"),
            "invalid interval set '1---2': '1---2' is not start-end in milliseconds");
  EXPECT_EQ(ErrorOf("+1-2"),
            "invalid interval set '+1-2': '+1-2' is not start-end in milliseconds");
  EXPECT_EQ(ErrorOf("1 -2"),
            "invalid interval set '1 -2': '1 -2' is not start-end in milliseconds");
  EXPECT_EQ(ErrorOf("1-2 "),
            "invalid interval set '1-2 ': '1-2 ' is not start-end in milliseconds");
  EXPECT_EQ(ErrorOf("0x1-2"),
            "invalid interval set '0x1-2': '0x1-2' is not start-end in milliseconds");
  EXPECT_EQ(ErrorOf("1-2;3-4"),
            "invalid interval set '1-2;3-4': '1-2;3-4' is not start-end in milliseconds");
  EXPECT_EQ(ErrorOf("1-2,"), "invalid interval set '1-2,': '' is not start-end in milliseconds");
  EXPECT_EQ(ErrorOf(",1-2"), "invalid interval set ',1-2': '' is not start-end in milliseconds");
  EXPECT_EQ(ErrorOf("1-2,,3-4"),
            "invalid interval set '1-2,,3-4': '' is not start-end in milliseconds");
  EXPECT_EQ(ErrorOf("99999999999999999999-1"),
            "invalid interval set '99999999999999999999-1': '99999999999999999999-1' is not "
            "start-end in milliseconds");
}

TEST(IntervalSetText, ParseRejectsEmptyRanges) {
  EXPECT_EQ(ErrorOf("5-3"),
            "invalid interval set '5-3': range 5-3 is empty (end must be after start)");
  EXPECT_EQ(ErrorOf("0-10,7-7"),
            "invalid interval set '0-10,7-7': range 7-7 is empty (end must be after start)");
  EXPECT_EQ(ErrorOf("-3--5"),
            "invalid interval set '-3--5': range -3--5 is empty (end must be after start)");
}

TEST(IntervalSetText, LongTextIsShortenedInMessages) {
  std::string text;
  for (int index = 0; index < 20; index++) text += std::to_string(index * 10) + "-" + std::to_string(index * 10 + 5) + ",";
  text += "x";
  EXPECT_EQ(ErrorOf(text),
            "invalid interval set '0-5,10-15,20-25,30-35,40-45,50-55,60-65,70-75,80-85,90-95,"
            "10...': 'x' is not start-end in milliseconds");
}

}  // namespace
}  // namespace materia
