// The persisted strategy state: what is written, that it reads back, that another
// version starts fresh, and the one-line message for a payload that does not read.

#include <gtest/gtest.h>

#include <string>

#include "control/strategy.h"

namespace materia {
namespace {

std::string ErrorOf(const std::string& payload) {
  Result<ClusterState> state = ParseClusterState(payload);
  if (state.ok()) return "parsed";
  EXPECT_EQ(state.status().code(), StatusCode::kInvalidInput);
  return state.status().message();
}

ClusterState SampleState() {
  ClusterState state;
  StrategyState& burst = state.strategies[StrategyKind::kBurst];
  StrategyDecision applied;
  applied.strategy = StrategyKind::kBurst;
  applied.kind = DecisionKind::kExtra;
  applied.replicas = {{"burst_1", "xl"}, {"burst_2", "it's \"big\""}};
  burst.applied = applied;
  burst.changed_at_ms = 1'700'000'000'000;
  burst.recent = {{1'699'999'990'000, 1}, {1'700'000'000'000, 2}};
  StrategyState& idle = state.strategies[StrategyKind::kIdleSuspend];
  StrategyDecision none;
  none.strategy = StrategyKind::kIdleSuspend;
  none.kind = DecisionKind::kNoOpinion;
  idle.applied = none;
  idle.recent = {{5, kLevelUnbounded}};
  return state;
}

TEST(ControlStrategyState, WritesOnePayloadPerCluster) {
  EXPECT_EQ(ClusterStateToJson(ClusterState{}), R"({"state_version":1,"strategies":{}})");
  EXPECT_EQ(ClusterStateToJson(SampleState()),
            R"({"state_version":1,"strategies":{"burst":{"applied":{"kind":"extra","replicas":[)"
            R"({"name":"burst_1","size":"xl"},{"name":"burst_2","size":"it's \"big\""}]},)"
            R"("changed_at_ms":1700000000000,"recent":[{"since_ms":1699999990000,"level":1},)"
            R"({"since_ms":1700000000000,"level":2}]},)"
            R"("idle_suspend":{"applied":{"kind":"none","replicas":[]},"recent":[{"since_ms":5,"level":2147483647}]}}})");
}

TEST(ControlStrategyState, ReadsBackWhatItWrote) {
  const ClusterState written = SampleState();
  Result<ClusterState> read = ParseClusterState(ClusterStateToJson(written));
  ASSERT_TRUE(read.ok()) << read.status().message();
  ASSERT_EQ(read->strategies.size(), 2u);
  const StrategyState& burst = read->strategies.at(StrategyKind::kBurst);
  ASSERT_TRUE(burst.applied.has_value());
  EXPECT_TRUE(burst.applied->SameAs(*written.strategies.at(StrategyKind::kBurst).applied));
  EXPECT_EQ(burst.applied->strategy, StrategyKind::kBurst);
  EXPECT_EQ(burst.changed_at_ms, 1'700'000'000'000);
  EXPECT_EQ(burst.recent, written.strategies.at(StrategyKind::kBurst).recent);
  const StrategyState& idle = read->strategies.at(StrategyKind::kIdleSuspend);
  EXPECT_EQ(idle.applied->kind, DecisionKind::kNoOpinion);
  EXPECT_FALSE(idle.changed_at_ms.has_value());
  EXPECT_EQ(idle.recent, (std::vector<LevelRun>{{5, kLevelUnbounded}}));
  EXPECT_EQ(ClusterStateToJson(*read), ClusterStateToJson(written));
}

TEST(ControlStrategyState, MissingOrOtherVersionStartsFresh) {
  const std::optional<std::string> payloads[] = {
      std::nullopt,
      R"({"state_version":2,"strategies":{"burst":"whatever shape version 2 has"}})",
      R"({"state_version":0,"strategies":{}})",
      R"({"state_version":"1","strategies":{"burst":1}})",
      R"({"strategies":{"burst":1}})",
      R"([1, 2])",
      R"({"state_version":1})",
  };
  for (const std::optional<std::string>& payload : payloads) {
    Result<ClusterState> state = ParseClusterState(payload);
    ASSERT_TRUE(state.ok()) << payload.value_or("(none)") << ": " << state.status().message();
    EXPECT_TRUE(state->strategies.empty()) << payload.value_or("(none)");
  }
}

TEST(ControlStrategyState, ErrorMessages) {
  const std::string tail = "; wipe the state to start fresh";
  const std::pair<std::string, std::string> cases[] = {
      {"{", "invalid controller state: the payload is not valid JSON"},
      {R"({"state_version":1,"strategies":[]})", "invalid controller state: 'strategies' must be an object"},
      {R"({"state_version":1,"strategies":{"burts":{}}})",
       "invalid controller state: unknown strategy 'burts' (known strategies: target_size, burst, idle_suspend)"},
      {R"({"state_version":1,"strategies":{"burst":[]}})", "invalid controller state: strategy burst must be an object"},
      {R"({"state_version":1,"strategies":{"burst":{"applied":{}}}})",
       "invalid controller state: strategy burst: 'applied' needs a string 'kind'"},
      {R"({"state_version":1,"strategies":{"burst":{"applied":{"kind":"more"}}}})",
       "invalid controller state: strategy burst: unknown decision kind 'more'"},
      {R"({"state_version":1,"strategies":{"burst":{"applied":{"kind":"extra","replicas":{}}}}})",
       "invalid controller state: strategy burst: 'replicas' must be an array of at most 32"},
      {R"({"state_version":1,"strategies":{"burst":{"applied":{"kind":"extra","replicas":[{"name":"b"}]}}}})",
       "invalid controller state: strategy burst: a replica needs a string 'name' and 'size'"},
      {R"({"state_version":1,"strategies":{"target_size":{"changed_at_ms":"soon"}}})",
       "invalid controller state: strategy target_size needs a whole number 'changed_at_ms'"},
      {R"({"state_version":1,"strategies":{"idle_suspend":{"recent":{}}}})",
       "invalid controller state: strategy idle_suspend: 'recent' must be an array of at most 64"},
      {R"({"state_version":1,"strategies":{"idle_suspend":{"recent":[1]}}})",
       "invalid controller state: strategy idle_suspend: each of 'recent' must be an object"},
      {R"({"state_version":1,"strategies":{"idle_suspend":{"recent":[{"since_ms":1}]}}})",
       "invalid controller state: strategy idle_suspend recent needs a whole number 'level'"},
      {R"({"state_version":1,"strategies":{"idle_suspend":{"recent":[{"since_ms":1,"level":-1}]}}})",
       "invalid controller state: strategy idle_suspend: a level is out of range"},
  };
  for (const auto& [payload, message] : cases) EXPECT_EQ(ErrorOf(payload), message + tail) << payload;
}

}  // namespace
}  // namespace materia
