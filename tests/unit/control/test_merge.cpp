// Merging the decisions of a cluster's strategies: the fixed order (target_size,
// burst on top, idle_suspend's zero while idle, bounds last), table by table.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "control/merge.h"
#include "control_fixtures.h"

namespace materia {
namespace {

using namespace control_test;

StrategyDecision Decision(StrategyKind strategy, DecisionKind kind, std::vector<ReplicaSpec> replicas = {},
                          int min_replicas = 0, std::optional<int> max_replicas = std::nullopt) {
  StrategyDecision decision;
  decision.strategy = strategy;
  decision.kind = kind;
  decision.replicas = std::move(replicas);
  decision.min_replicas = min_replicas;
  decision.max_replicas = max_replicas;
  decision.reasons = {std::string(StrategyKindName(strategy)) + ": said so"};
  return decision;
}

StrategyDecision Target(std::string size, int min_replicas = 0, std::optional<int> max_replicas = std::nullopt) {
  return Decision(StrategyKind::kTargetSize, DecisionKind::kReplicas, {{"r1", size}}, min_replicas, max_replicas);
}
StrategyDecision Burst(int count, int max_replicas = 8) {
  std::vector<ReplicaSpec> replicas;
  for (int index = 1; index <= count; index++) replicas.push_back({BurstReplicaName(index), "xl"});
  return Decision(StrategyKind::kBurst, DecisionKind::kExtra, replicas, 0, max_replicas);
}
StrategyDecision Idle(bool idle, int min_replicas = 0) {
  return Decision(StrategyKind::kIdleSuspend, idle ? DecisionKind::kSuspend : DecisionKind::kNoOpinion, {},
                  min_replicas);
}

struct MergeCase {
  std::string name;
  ClusterSnapshot snapshot;
  std::vector<StrategyDecision> decisions;
  std::vector<std::string> replicas;       // "name size", in order
  std::vector<std::string> merge_reasons;  // the reasons after the strategies' own
};

TEST(ControlMerge, FixedOrder) {
  const ClusterSnapshot small = Unmanaged({Hydrated("r1", "small"), Hydrated("r2", "small"), Hydrated("burst_1", "xl")});
  const MergeCase cases[] = {
      {"target_size alone", small, {Target("m")}, {"r1 m"}, {}},
      {"no target_size: steady replicas kept, burst replicas not", small, {}, {"r1 small", "r2 small"}, {}},
      {"no target_size on a managed cluster: its factor and size", Managed("m", 2), {}, {"r1 m", "r2 m"}, {}},
      {"burst on top of target_size", small, {Target("m"), Burst(2)}, {"r1 m", "burst_1 xl", "burst_2 xl"}, {}},
      {"burst on top of the kept replicas", small, {Burst(1)}, {"r1 small", "r2 small", "burst_1 xl"}, {}},
      {"burst asking for none", small, {Target("m"), Burst(0)}, {"r1 m"}, {}},
      {"idle: zero wins over target_size and burst", small, {Target("m"), Burst(1), Idle(true)}, {},
       {"idle_suspend wins while idle: leaves out r1 (m), burst_1 (xl)"}},
      {"active: idle_suspend has no opinion", small, {Target("m"), Burst(1), Idle(false)}, {"r1 m", "burst_1 xl"}, {}},
      {"idle_suspend alone, idle", small, {Idle(true)}, {},
       {"idle_suspend wins while idle: leaves out r1 (small), r2 (small)"}},
      {"idle_suspend alone, active: nothing changes", small, {Idle(false)}, {"r1 small", "r2 small"}, {}},
      {"idle_suspend alone on a suspended cluster", Unmanaged({}), {Idle(true)}, {}, {}},
      {"the order given does not matter", small, {Idle(true), Burst(1), Target("m")}, {},
       {"idle_suspend wins while idle: leaves out r1 (m), burst_1 (xl)"}},
  };
  for (const MergeCase& c : cases) {
    Result<DesiredState> desired = MergeDecisions(c.snapshot, c.decisions);
    ASSERT_TRUE(desired.ok()) << c.name << ": " << desired.status().message();
    EXPECT_EQ(Names(desired->Specs()), c.replicas) << c.name;
    std::vector<std::string> expected_reasons;
    for (StrategyKind kind : kStrategyKinds) {
      for (const StrategyDecision& decision : c.decisions) {
        if (decision.strategy == kind) expected_reasons.push_back(decision.reasons.front());
      }
    }
    expected_reasons.insert(expected_reasons.end(), c.merge_reasons.begin(), c.merge_reasons.end());
    EXPECT_EQ(desired->reasons, expected_reasons) << c.name;
  }
}

TEST(ControlMerge, BoundsClampLast) {
  const ClusterSnapshot small = Unmanaged({Hydrated("r1", "small")});
  const MergeCase cases[] = {
      {"max_replicas leaves out the last burst replica first", small, {Target("m"), Burst(3, 3)},
       {"r1 m", "burst_1 xl", "burst_2 xl"}, {"max_replicas 3: leaves out burst_3 (xl)"}},
      {"the smallest max_replicas of all strategies", small, {Target("m", 0, 1), Burst(2, 3)}, {"r1 m"},
       {"max_replicas 1: leaves out burst_1 (xl), burst_2 (xl)"}},
      {"max_replicas cuts steady replicas last",
       Unmanaged({Hydrated("a", "s"), Hydrated("b", "s"), Hydrated("c", "s")}),
       {Decision(StrategyKind::kIdleSuspend, DecisionKind::kNoOpinion, {}, 0, 2)}, {"a s", "b s"},
       {"max_replicas 2: leaves out c (s)"}},
      {"min_replicas copies the steady replica", small, {Target("m", 3)}, {"r1 m", "r1_2 m", "r1_3 m"},
       {"min_replicas 3: adds r1_2 (m), r1_3 (m)"}},
      {"burst replicas count towards min_replicas", small, {Target("m", 2), Burst(1)}, {"r1 m", "burst_1 xl"}, {}},
      {"min_replicas wins over idle_suspend", small, {Target("m"), Idle(true, 1)}, {"r1 m"},
       {"idle_suspend wins while idle: leaves out r1 (m)", "min_replicas 1: adds r1 (m)"}},
      {"min_replicas brings back the kept replicas, then copies them",
       Unmanaged({Hydrated("main", "s"), Hydrated("main_2", "s")}), {Idle(true, 3)},
       {"main s", "main_2 s", "main_3 s"},
       {"idle_suspend wins while idle: leaves out main (s), main_2 (s)", "min_replicas 3: adds main (s), main_2 (s), main_3 (s)"}},
      {"min_replicas with no size to copy", Unmanaged({}), {Idle(true, 1)}, {},
       {"min_replicas 1 not reached: no steady replica to copy the size of"}},
      {"the largest min_replicas of all strategies", small, {Target("m", 1), Idle(false, 2)}, {"r1 m", "r1_2 m"},
       {"min_replicas 2: adds r1_2 (m)"}},
      {"max_replicas wins over a larger min_replicas", small, {Target("m", 3), Burst(0, 2)}, {"r1 m", "r1_2 m"},
       {"min_replicas 3: adds r1_2 (m), r1_3 (m)", "max_replicas 2: leaves out r1_3 (m)"}},
  };
  for (const MergeCase& c : cases) {
    Result<DesiredState> desired = MergeDecisions(c.snapshot, c.decisions);
    ASSERT_TRUE(desired.ok()) << c.name << ": " << desired.status().message();
    EXPECT_EQ(Names(desired->Specs()), c.replicas) << c.name;
    const std::vector<std::string> merge_reasons(desired->reasons.begin() + static_cast<std::ptrdiff_t>(c.decisions.size()),
                                                 desired->reasons.end());
    EXPECT_EQ(merge_reasons, c.merge_reasons) << c.name;
  }
}

TEST(ControlMerge, EachReplicaSaysWhy) {
  StrategyDecision target = Target("m", 2);
  target.reasons = {"target_size: one replica r1 of size 'm'"};
  Result<DesiredState> desired = MergeDecisions(Unmanaged({Hydrated("old", "s")}), {target, Burst(1)});
  ASSERT_TRUE(desired.ok());
  ASSERT_EQ(desired->replicas.size(), 2u);
  EXPECT_EQ(desired->replicas[0].why, "target_size: one replica r1 of size 'm'");
  EXPECT_EQ(desired->replicas[1].why, "burst: said so");

  Result<DesiredState> kept = MergeDecisions(Unmanaged({Hydrated("old", "s")}), {Idle(false)});
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->replicas.at(0).why, "no target_size strategy: kept as it is");
}

TEST(ControlMerge, TwoDecisionsOfOneStrategyAreAnError) {
  Result<DesiredState> desired = MergeDecisions(Unmanaged({}), {Target("m"), Idle(false), Target("l")});
  ASSERT_FALSE(desired.ok());
  EXPECT_EQ(desired.status().message(), "cluster 'analytics' has more than one target_size strategy");
}

}  // namespace
}  // namespace materia
