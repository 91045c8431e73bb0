// Each strategy's own rule, table by table, then the brakes around every strategy:
// cooldown and stabilization over several cycles, with the state carried from cycle
// to cycle through its JSON payload as mz-schedctl stores it.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "control/strategy.h"
#include "control_fixtures.h"

namespace materia {
namespace {

using namespace control_test;

struct RuleCase {
  std::string name;
  ClusterSnapshot snapshot;
  std::string decision;              // DescribeDecision
  std::vector<std::string> reasons;  // exactly
};

void ExpectRules(const StrategyConfig& config, const std::vector<RuleCase>& cases) {
  for (const RuleCase& c : cases) {
    const StrategyDecision decision = DecideWithoutBrakes(c.snapshot, config);
    EXPECT_EQ(DescribeDecision(decision), c.decision) << c.name;
    EXPECT_EQ(decision.reasons, c.reasons) << c.name;
    EXPECT_EQ(decision.strategy, config.kind) << c.name;
  }
}

ClusterSnapshot WithLatency(ClusterSnapshot snapshot, int64_t latency_ms) {
  snapshot.activity_latency_ms = latency_ms;
  return snapshot;
}

ClusterSnapshot WithActivity(ClusterSnapshot snapshot, std::optional<TimestampMs> last_activity_ms) {
  snapshot.last_activity_ms = last_activity_ms;
  return snapshot;
}

TEST(ControlStrategyRules, TargetSize) {
  ExpectRules(Config("target_size", R"({"target_size": "medium"})"),
              {{"empty cluster", Unmanaged({}), "r1 (medium)", {"target_size: one replica r1 of size 'medium'"}},
               {"other size there", Unmanaged({Hydrated("r1", "small")}), "r1 (medium)",
                {"target_size: one replica r1 of size 'medium'"}}});
  ExpectRules(Config("target_size", R"({"target_size": "200cc", "replica_name": "main"})"),
              {{"named", Unmanaged({}), "main (200cc)", {"target_size: one replica main of size '200cc'"}}});
}

TEST(ControlStrategyRules, Burst) {
  const StrategyConfig config = Config(
      "burst", R"({"burst_replica_size": "xl", "max_replicas": 3, "cooldown_s": 0, "scale_up_threshold_ms": 500})");
  ExpectRules(
      config,
      {
          {"no replica at all", Unmanaged({}), "burst_1 (xl)",
           {"burst: no replica is hydrated", "burst: adds burst_1 (xl)"}},
          {"steady replica hydrating", Unmanaged({Hydrating("r1", "m")}), "burst_1 (xl)",
           {"burst: no replica is hydrated", "burst: adds burst_1 (xl)"}},
          {"burst replica hydrating too", Unmanaged({Hydrating("r1", "m"), Hydrating("burst_1", "xl")}),
           "burst_1 (xl), burst_2 (xl)", {"burst: no replica is hydrated", "burst: adds burst_2 (xl)"}},
          {"at max_replicas",
           Unmanaged({Hydrating("r1", "m"), Hydrating("burst_1", "xl"), Hydrating("burst_2", "xl")}),
           "burst_1 (xl), burst_2 (xl)",
           {"burst: no replica is hydrated", "burst: the cluster has 3 replicas, max_replicas 3: no burst replica added"}},
          {"a hydrated but offline replica does not serve", Unmanaged({Offline("r1", "m")}), "burst_1 (xl)",
           {"burst: no replica is hydrated", "burst: adds burst_1 (xl)"}},
          {"only the burst replica serves", Unmanaged({Hydrating("r1", "m"), Hydrated("burst_1", "xl")}),
           "burst_1 (xl)", {"burst: only burst replicas are hydrated: kept until a steady replica is"}},
          {"steady replica serves", Unmanaged({Hydrated("r1", "m"), Hydrated("burst_1", "xl")}),
           "no extra replicas", {"burst: steady replica r1 is hydrated: no burst replica needed"}},
          {"latency above the threshold", WithLatency(Unmanaged({Hydrated("r1", "m")}), 900), "burst_1 (xl)",
           {"burst: activity latency 900ms is above scale_up_threshold_ms 500", "burst: adds burst_1 (xl)"}},
          {"latency at the threshold", WithLatency(Unmanaged({Hydrated("r1", "m")}), 500), "no extra replicas",
           {"burst: steady replica r1 is hydrated: no burst replica needed"}},
          {"latency high with a burst replica serving",
           WithLatency(Unmanaged({Hydrated("r1", "m"), Hydrated("burst_1", "xl")}), 501),
           "burst_1 (xl), burst_2 (xl)",
           {"burst: activity latency 501ms is above scale_up_threshold_ms 500", "burst: adds burst_2 (xl)"}},
      });
  const StrategyConfig no_threshold =
      Config("burst", R"({"burst_replica_size": "xl", "max_replicas": 2, "cooldown_s": 0})");
  ExpectRules(no_threshold, {{"latency ignored without a threshold", WithLatency(Unmanaged({Hydrated("r1", "m")}), 99999),
                              "no extra replicas", {"burst: steady replica r1 is hydrated: no burst replica needed"}}});
}

TEST(ControlStrategyRules, IdleSuspend) {
  const StrategyConfig config = Config("idle_suspend", R"({"idle_after_s": 3600, "cooldown_s": 0})");
  const ClusterSnapshot cluster = Unmanaged({Hydrated("r1", "m")}, AtSecond(10000));
  ExpectRules(config,
              {
                  {"idle exactly idle_after_s", WithActivity(cluster, AtSecond(10000 - 3600)), "no replicas",
                   {"idle_suspend: no activity for 3600s (idle_after_s 3600): no replicas"}},
                  {"idle longer", WithActivity(cluster, AtSecond(0)), "no replicas",
                   {"idle_suspend: no activity for 10000s (idle_after_s 3600): no replicas"}},
                  {"active one second before", WithActivity(cluster, AtSecond(10000 - 3599)), "no opinion",
                   {"idle_suspend: last activity 3599s ago (idle_after_s 3600)"}},
                  {"no activity recorded", WithActivity(cluster, std::nullopt), "no replicas",
                   {"idle_suspend: no activity recorded (idle_after_s 3600): no replicas"}},
                  {"activity stamped after now", WithActivity(cluster, AtSecond(10010)), "no opinion",
                   {"idle_suspend: last activity 0s ago (idle_after_s 3600)"}},
              });
}

TEST(ControlStrategyRules, BurstReplicaNames) {
  EXPECT_EQ(BurstReplicaName(1), "burst_1");
  for (const char* name : {"burst_1", "burst_9", "burst_10", "burst_32"}) EXPECT_TRUE(IsBurstReplicaName(name)) << name;
  for (const char* name : {"burst_0", "burst_01", "burst_33", "burst_", "burst", "burst_1x", "Burst_1", "r1", "xburst_1",
                           "burst_999"}) {
    EXPECT_FALSE(IsBurstReplicaName(name)) << name;
  }
}

// --- Cooldown and stabilization ---------------------------------------------------

// One cycle: the snapshot at a second after kT0, and what the strategy should decide.
struct Cycle {
  int64_t at_s;
  std::vector<ReplicaSnapshot> replicas;
  std::optional<int64_t> last_activity_s;  // seconds after kT0; none: no activity recorded
  std::string decision;                    // DescribeDecision
  std::string last_reason;                 // the decision's last reason; "" to skip
};

// Runs the cycles in order, storing the state as JSON between them as mz-schedctl does.
void RunCycles(const StrategyConfig& config, const std::vector<Cycle>& cycles) {
  std::optional<std::string> payload;
  for (const Cycle& cycle : cycles) {
    ClusterSnapshot snapshot = Unmanaged(cycle.replicas, AtSecond(cycle.at_s));
    snapshot.last_activity_ms =
        cycle.last_activity_s ? std::optional<TimestampMs>(AtSecond(*cycle.last_activity_s)) : std::nullopt;
    Result<ClusterState> state = ParseClusterState(payload);
    ASSERT_TRUE(state.ok()) << state.status().message();
    const StrategyOutcome outcome = EvaluateStrategy(snapshot, config, state->strategies[config.kind]);
    EXPECT_EQ(DescribeDecision(outcome.decision), cycle.decision) << "at " << cycle.at_s << "s";
    if (!cycle.last_reason.empty()) {
      ASSERT_FALSE(outcome.decision.reasons.empty());
      EXPECT_EQ(outcome.decision.reasons.back(), cycle.last_reason) << "at " << cycle.at_s << "s";
    }
    EXPECT_LE(outcome.next_state.recent.size(), kLevelRunsMax);
    ClusterState next;
    next.strategies[config.kind] = outcome.next_state;
    payload = ClusterStateToJson(next);
  }
}

TEST(ControlStrategyCooldown, IdleSuspendKeepsItsDecisionForCooldown) {
  const std::vector<ReplicaSnapshot> running = {Hydrated("r1", "m")};
  RunCycles(Config("idle_suspend", R"({"idle_after_s": 60, "cooldown_s": 300})"),
            {
                {0, running, 0, "no opinion", ""},
                {100, running, 0, "no replicas", "idle_suspend: no activity for 100s (idle_after_s 60): no replicas"},
                {150, {}, 140, "no replicas",
                 "idle_suspend: cooldown_s 300 has 250s left: keeps no replicas instead of no opinion"},
                {399, {}, 390, "no replicas",
                 "idle_suspend: cooldown_s 300 has 1s left: keeps no replicas instead of no opinion"},
                {400, {}, 390, "no opinion", "idle_suspend: last activity 10s ago (idle_after_s 60)"},
                // The change at 400s starts a new cooldown.
                {500, running, 390, "no opinion", ""},
                {699, running, 390, "no opinion", ""},
                {700, running, 390, "no replicas", ""},
            });
}

TEST(ControlStrategyCooldown, BurstAddsOneReplicaPerCooldown) {
  RunCycles(Config("burst", R"({"burst_replica_size": "xl", "max_replicas": 3, "cooldown_s": 60})"),
            {
                {0, {Hydrating("r1", "m")}, 0, "burst_1 (xl)", "burst: adds burst_1 (xl)"},
                {30, {Hydrating("r1", "m"), Hydrating("burst_1", "xl")}, 0, "burst_1 (xl)",
                 "burst: cooldown_s 60 has 30s left: keeps burst_1 (xl) instead of burst_1 (xl), burst_2 (xl)"},
                {60, {Hydrating("r1", "m"), Hydrating("burst_1", "xl")}, 0, "burst_1 (xl), burst_2 (xl)", ""},
                {90, {Hydrated("r1", "m"), Hydrating("burst_1", "xl"), Hydrating("burst_2", "xl")}, 0,
                 "burst_1 (xl), burst_2 (xl)", ""},
                {120, {Hydrated("r1", "m"), Hydrating("burst_1", "xl"), Hydrating("burst_2", "xl")}, 0,
                 "no extra replicas", "burst: steady replica r1 is hydrated: no burst replica needed"},
            });
}

TEST(ControlStrategyCooldown, ZeroCooldownChangesEveryCycle) {
  RunCycles(Config("idle_suspend", R"({"idle_after_s": 60, "cooldown_s": 0})"),
            {
                {0, {Hydrated("r1", "m")}, 0, "no opinion", ""},
                {60, {Hydrated("r1", "m")}, 0, "no replicas", ""},
                {61, {}, 61, "no opinion", ""},
                {121, {Hydrated("r1", "m")}, 61, "no replicas", ""},
            });
}

TEST(ControlStrategyStabilization, ScaleDownOnlyWhenEveryDecisionInTheWindowAgreed) {
  const std::vector<ReplicaSnapshot> steady_hydrating = {Hydrating("r1", "m"), Hydrated("burst_1", "xl")};
  const std::vector<ReplicaSnapshot> steady_hydrated = {Hydrated("r1", "m"), Hydrated("burst_1", "xl")};
  RunCycles(
      Config("burst", R"({"burst_replica_size": "xl", "max_replicas": 2, "cooldown_s": 0, "stabilization_s": 300})"),
      {
          {0, steady_hydrating, 0, "burst_1 (xl)", ""},
          {60, steady_hydrated, 0, "burst_1 (xl)",
           "burst: stabilization_s 300 holds the scale-down, asked for 0s so far: keeps burst_1 (xl) instead of no "
           "extra replicas"},
          {200, steady_hydrated, 0, "burst_1 (xl)",
           "burst: stabilization_s 300 holds the scale-down, asked for 140s so far: keeps burst_1 (xl) instead of "
           "no extra replicas"},
          // One decision that disagrees restarts the window.
          {300, steady_hydrating, 0, "burst_1 (xl)", ""},
          {360, steady_hydrated, 0, "burst_1 (xl)", ""},
          {659, steady_hydrated, 0, "burst_1 (xl)",
           "burst: stabilization_s 300 holds the scale-down, asked for 299s so far: keeps burst_1 (xl) instead of "
           "no extra replicas"},
          {660, steady_hydrated, 0, "no extra replicas", "burst: steady replica r1 is hydrated: no burst replica needed"},
      });
}

TEST(ControlStrategyStabilization, ScaleUpIsNotDelayed) {
  RunCycles(
      Config("burst", R"({"burst_replica_size": "xl", "max_replicas": 2, "cooldown_s": 0, "stabilization_s": 300})"),
      {
          {0, {Hydrated("r1", "m")}, 0, "no extra replicas", ""},
          {10, {Offline("r1", "m")}, 0, "burst_1 (xl)", "burst: adds burst_1 (xl)"},
      });
}

TEST(ControlStrategyStabilization, AFreshStateWaitsAWholeWindow) {
  const std::vector<ReplicaSnapshot> running = {Hydrated("r1", "m")};
  RunCycles(Config("idle_suspend", R"({"idle_after_s": 60, "cooldown_s": 0, "stabilization_s": 600})"),
            {
                {1000, running, 0, "no opinion",
                 "idle_suspend: stabilization_s 600 holds the scale-down, asked for 0s so far: keeps no opinion "
                 "instead of no replicas"},
                {1599, running, 0, "no opinion", ""},
                {1600, running, 0, "no replicas", ""},
            });
}

TEST(ControlStrategyStabilization, SparseCyclesCountFromTheFirstAgreeingDecision) {
  // Cycles ten minutes apart with a five-minute window: the first cycle that asks for
  // the scale-down cannot have been agreed with for five minutes yet; the next can.
  const std::vector<ReplicaSnapshot> running = {Hydrated("r1", "m")};
  RunCycles(Config("idle_suspend", R"({"idle_after_s": 60, "cooldown_s": 0, "stabilization_s": 300})"),
            {
                {0, running, 0, "no opinion", ""},
                {600, running, 590, "no opinion", ""},
                {1200, running, 590, "no opinion", ""},
                {1800, running, 590, "no replicas", ""},
            });
}

TEST(ControlStrategyStabilization, ManyChangesKeepTheStateBounded) {
  std::vector<Cycle> cycles;
  const std::vector<ReplicaSnapshot> running = {Hydrated("r1", "m")};
  for (int64_t step = 0; step < 300; step++) {
    // Activity every other cycle: the decision flips each time, so no scale-down holds.
    const int64_t at_s = 1000 + step * 100;
    cycles.push_back({at_s, running, step % 2 == 0 ? at_s : at_s - 100, "no opinion", ""});
  }
  RunCycles(Config("idle_suspend", R"({"idle_after_s": 60, "cooldown_s": 0, "stabilization_s": 31536000})"), cycles);
}

TEST(ControlStrategyState, FreshStateTakesWhatTheClusterRunsAsInForce) {
  const StrategyConfig burst =
      Config("burst", R"({"burst_replica_size": "xl", "max_replicas": 3, "cooldown_s": 600, "stabilization_s": 60})");
  // A burst replica is there and the steady one serves: dropping it is a scale-down,
  // held by stabilization even though the state is new; no cooldown is running.
  const StrategyOutcome outcome =
      EvaluateStrategy(Unmanaged({Hydrated("r1", "m"), Hydrated("burst_1", "xl")}), burst, StrategyState{});
  EXPECT_EQ(DescribeDecision(outcome.decision), "burst_1 (xl)");
  EXPECT_FALSE(outcome.next_state.changed_at_ms.has_value());
  ASSERT_TRUE(outcome.next_state.applied.has_value());
  EXPECT_EQ(DescribeDecision(*outcome.next_state.applied), "burst_1 (xl)");
  EXPECT_EQ(outcome.next_state.recent, (std::vector<LevelRun>{{kT0, 0}}));

  // A change is recorded with its time, which starts the cooldown.
  const StrategyOutcome added = EvaluateStrategy(Unmanaged({Hydrating("r1", "m")}), burst, StrategyState{});
  EXPECT_EQ(DescribeDecision(added.decision), "burst_1 (xl)");
  EXPECT_EQ(added.next_state.changed_at_ms, kT0);
}

TEST(ControlStrategyState, DecisionsCarryTheirStrategysBounds) {
  const StrategyOutcome outcome =
      EvaluateStrategy(Unmanaged({}), Config("target_size", R"({"target_size": "m", "min_replicas": 1, "max_replicas": 2})"),
                       StrategyState{});
  EXPECT_EQ(outcome.decision.min_replicas, 1);
  EXPECT_EQ(outcome.decision.max_replicas, 2);
  EXPECT_EQ(outcome.decision.Level(), 1);
}

}  // namespace
}  // namespace materia
