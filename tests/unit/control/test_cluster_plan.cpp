// Whole cycles of the controller for one cluster, as `mz-schedctl plan` and `apply`
// run them: strategies, merge and differ together, the state stored as JSON between
// cycles, and the cluster changed between cycles as Materialize would change it.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "control/cluster_plan.h"
#include "control_fixtures.h"

namespace materia {
namespace {

using namespace control_test;

// Runs cycles one after another, keeping the state as mz-schedctl stores it.
class ControlPlanCycles {
 public:
  explicit ControlPlanCycles(std::vector<StrategyConfig> configs) : configs_(std::move(configs)) {}

  // The SQL of the cycle planned for `snapshot`; the waiting notes go to waiting().
  std::vector<std::string> Run(const ClusterSnapshot& snapshot) {
    Result<ClusterState> state = ParseClusterState(payload_);
    EXPECT_TRUE(state.ok()) << state.status().message();
    if (!state.ok()) return {"(state did not read)"};
    Result<ClusterPlan> plan = PlanCluster(snapshot, configs_, *state);
    EXPECT_TRUE(plan.ok()) << plan.status().message();
    if (!plan.ok()) return {"(no plan)"};
    payload_ = ClusterStateToJson(plan->next_state);
    waiting_ = plan->diff.waiting;
    reasons_ = plan->desired.reasons;
    std::vector<std::string> sql;
    for (const ClusterAction& action : plan->diff.actions) sql.push_back(action.sql);
    return sql;
  }
  const std::vector<std::string>& waiting() const { return waiting_; }
  const std::vector<std::string>& reasons() const { return reasons_; }

 private:
  std::vector<StrategyConfig> configs_;
  std::optional<std::string> payload_;
  std::vector<std::string> waiting_;
  std::vector<std::string> reasons_;
};

using Sql = std::vector<std::string>;

TEST(ControlPlan, ResizeWithoutDowntimeOverThreeCycles) {
  ControlPlanCycles cycles({Config("target_size", R"({"target_size": "medium"})")});
  // Cycle 1: the new replica is created; the old one keeps serving.
  EXPECT_EQ(cycles.Run(Unmanaged({Hydrated("r1", "small")}, AtSecond(0))),
            (Sql{"CREATE CLUSTER REPLICA \"analytics\".\"r1_2\" (SIZE = 'medium')"}));
  EXPECT_EQ(cycles.waiting(), (Sql{"r1 (small) is kept until a replacement is hydrated (r1_2 not yet)"}));
  // Cycle 2: the new replica is not hydrated yet: nothing to do.
  EXPECT_EQ(cycles.Run(Unmanaged({Hydrated("r1", "small"), Hydrating("r1_2", "medium")}, AtSecond(60))), Sql{});
  EXPECT_EQ(cycles.waiting(), (Sql{"r1 (small) is kept until a replacement is hydrated (r1_2 not yet)"}));
  // Cycle 3: it is hydrated: the old replica goes.
  EXPECT_EQ(cycles.Run(Unmanaged({Hydrated("r1", "small"), Hydrated("r1_2", "medium")}, AtSecond(120))),
            (Sql{"DROP CLUSTER REPLICA \"analytics\".\"r1\""}));
  EXPECT_TRUE(cycles.waiting().empty());
  // Cycle 4: settled.
  EXPECT_EQ(cycles.Run(Unmanaged({Hydrated("r1_2", "medium")}, AtSecond(180))), Sql{});
  // And back to small: the freed name r1 is used again.
  ControlPlanCycles back({Config("target_size", R"({"target_size": "small"})")});
  EXPECT_EQ(back.Run(Unmanaged({Hydrated("r1_2", "medium")}, AtSecond(240))),
            (Sql{"CREATE CLUSTER REPLICA \"analytics\".\"r1\" (SIZE = 'small')"}));
}

TEST(ControlPlan, IdleSuspendThenResumeThroughTargetSize) {
  ControlPlanCycles cycles({Config("target_size", R"({"target_size": "m"})"),
                            Config("idle_suspend", R"({"idle_after_s": 600, "cooldown_s": 60})")});
  ClusterSnapshot running = Unmanaged({Hydrated("r1", "m")}, AtSecond(0));
  EXPECT_EQ(cycles.Run(running), Sql{});
  // Idle for ten minutes: zero replicas.
  running.now_ms = AtSecond(600);
  EXPECT_EQ(cycles.Run(running), (Sql{"DROP CLUSTER REPLICA \"analytics\".\"r1\""}));
  EXPECT_EQ(cycles.reasons(),
            (Sql{"target_size: one replica r1 of size 'm'",
                 "idle_suspend: no activity for 600s (idle_after_s 600): no replicas",
                 "idle_suspend wins while idle: leaves out r1 (m)"}));
  // Still idle: stays at zero.
  ClusterSnapshot suspended = Unmanaged({}, AtSecond(700));
  suspended.last_activity_ms = AtSecond(0);
  EXPECT_EQ(cycles.Run(suspended), Sql{});
  // Activity returns: target_size brings the replica back.
  suspended.now_ms = AtSecond(800);
  suspended.last_activity_ms = AtSecond(790);
  EXPECT_EQ(cycles.Run(suspended), (Sql{"CREATE CLUSTER REPLICA \"analytics\".\"r1\" (SIZE = 'm')"}));
}

TEST(ControlPlan, IdleSuspendOnAManagedCluster) {
  ControlPlanCycles cycles({Config("target_size", R"({"target_size": "m"})"),
                            Config("idle_suspend", R"({"idle_after_s": 600, "cooldown_s": 0})")});
  ClusterSnapshot cluster = Managed("m", 1, AtSecond(600));
  cluster.last_activity_ms = AtSecond(0);
  EXPECT_EQ(cycles.Run(cluster), (Sql{"ALTER CLUSTER \"analytics\" SET (REPLICATION FACTOR = 0)"}));
  ClusterSnapshot suspended = Managed("m", 0, AtSecond(700));
  suspended.last_activity_ms = AtSecond(690);
  EXPECT_EQ(cycles.Run(suspended), (Sql{"ALTER CLUSTER \"analytics\" SET (REPLICATION FACTOR = 1)"}));
}

TEST(ControlPlan, BurstWhileTheSteadyReplicaHydrates) {
  ControlPlanCycles cycles({Config("target_size", R"({"target_size": "m"})"),
                            Config("burst", R"({"burst_replica_size": "xl", "max_replicas": 2, "cooldown_s": 60})")});
  // Cycle 1, an empty cluster: the steady replica and a burst replica together.
  EXPECT_EQ(cycles.Run(Unmanaged({}, AtSecond(0))),
            (Sql{"CREATE CLUSTER REPLICA \"analytics\".\"r1\" (SIZE = 'm')",
                 "CREATE CLUSTER REPLICA \"analytics\".\"burst_1\" (SIZE = 'xl')"}));
  // Nothing is hydrated, but the cluster is at max_replicas.
  EXPECT_EQ(cycles.Run(Unmanaged({Hydrating("r1", "m"), Hydrating("burst_1", "xl")}, AtSecond(90))), Sql{});
  // The burst replica serves first: it is kept.
  EXPECT_EQ(cycles.Run(Unmanaged({Hydrating("r1", "m"), Hydrated("burst_1", "xl")}, AtSecond(120))), Sql{});
  // The steady replica serves: the burst replica goes.
  EXPECT_EQ(cycles.Run(Unmanaged({Hydrated("r1", "m"), Hydrated("burst_1", "xl")}, AtSecond(180))),
            (Sql{"DROP CLUSTER REPLICA \"analytics\".\"burst_1\""}));
}

TEST(ControlPlan, KeepsStateOnlyForConfiguredStrategies) {
  ClusterState state;
  state.strategies[StrategyKind::kBurst] = StrategyState{};
  Result<ClusterPlan> plan =
      PlanCluster(Unmanaged({}), {Config("target_size", R"({"target_size": "m"})")}, state);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->next_state.strategies.size(), 1u);
  EXPECT_TRUE(plan->next_state.strategies.contains(StrategyKind::kTargetSize));
  ASSERT_EQ(plan->decisions.size(), 1u);
}

TEST(ControlPlan, ErrorMessages) {
  const StrategyConfig target = Config("target_size", R"({"target_size": "m"})");
  const StrategyConfig burst = Config("burst", R"({"burst_replica_size": "xl", "max_replicas": 2, "cooldown_s": 60})");

  Result<ClusterPlan> twice = PlanCluster(Unmanaged({}), {target, target}, ClusterState{});
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().message(), "cluster 'analytics' has more than one target_size strategy");

  Result<ClusterPlan> managed_burst = PlanCluster(Managed("m", 1), {target, burst}, ClusterState{});
  ASSERT_FALSE(managed_burst.ok());
  EXPECT_EQ(managed_burst.status().message(),
            "cluster 'analytics' is managed, but burst needs an unmanaged cluster (it creates and drops replicas one "
            "by one)");
}

}  // namespace
}  // namespace materia
