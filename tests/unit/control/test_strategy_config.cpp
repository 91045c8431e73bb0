// Strategy configs as users write them in the strategies table: what they mean, and
// the exact one-line message for every way they can be wrong.

#include <gtest/gtest.h>

#include <string>

#include "control/strategy_config.h"

namespace materia {
namespace {

std::string ErrorOf(const std::string& kind, const std::string& json) {
  Result<StrategyConfig> config = ParseStrategyConfig(kind, json);
  if (config.ok()) return "parsed";
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidInput);
  return config.status().message();
}

TEST(ControlStrategyConfig, TargetSizeWithDefaults) {
  Result<StrategyConfig> config = ParseStrategyConfig("target_size", R"({"target_size": "medium"})");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->kind, StrategyKind::kTargetSize);
  EXPECT_EQ(config->target_size, "medium");
  EXPECT_EQ(config->replica_name, "r1");
  EXPECT_EQ(config->cooldown_s, 0);
  EXPECT_EQ(config->stabilization_s, 0);
  EXPECT_EQ(config->min_replicas, 0);
  EXPECT_FALSE(config->max_replicas.has_value());
}

TEST(ControlStrategyConfig, EveryKeyOfEveryStrategy) {
  Result<StrategyConfig> target = ParseStrategyConfig(
      "target_size", R"({"target_size": "large", "replica_name": "main", "cooldown_s": 30,
                         "stabilization_s": 120, "min_replicas": 1, "max_replicas": 3})");
  ASSERT_TRUE(target.ok()) << target.status().message();
  EXPECT_EQ(target->replica_name, "main");
  EXPECT_EQ(target->cooldown_s, 30);
  EXPECT_EQ(target->stabilization_s, 120);
  EXPECT_EQ(target->min_replicas, 1);
  EXPECT_EQ(target->max_replicas, 3);

  Result<StrategyConfig> burst = ParseStrategyConfig(
      "burst", R"({"burst_replica_size": "xlarge", "max_replicas": 2, "cooldown_s": 60,
                   "scale_up_threshold_ms": 500, "stabilization_s": 0, "min_replicas": 0})");
  ASSERT_TRUE(burst.ok()) << burst.status().message();
  EXPECT_EQ(burst->kind, StrategyKind::kBurst);
  EXPECT_EQ(burst->burst_replica_size, "xlarge");
  EXPECT_EQ(burst->max_replicas, 2);
  EXPECT_EQ(burst->cooldown_s, 60);
  EXPECT_EQ(burst->scale_up_threshold_ms, 500);

  Result<StrategyConfig> idle = ParseStrategyConfig("idle_suspend", R"({"idle_after_s": 3600, "cooldown_s": 300})");
  ASSERT_TRUE(idle.ok()) << idle.status().message();
  EXPECT_EQ(idle->kind, StrategyKind::kIdleSuspend);
  EXPECT_EQ(idle->idle_after_s, 3600);
  EXPECT_EQ(idle->cooldown_s, 300);
  EXPECT_FALSE(idle->scale_up_threshold_ms.has_value());
}

TEST(ControlStrategyConfig, LimitsAreAccepted) {
  EXPECT_EQ(ErrorOf("idle_suspend", R"({"idle_after_s": 31536000, "cooldown_s": 0})"), "parsed");
  EXPECT_EQ(ErrorOf("burst", R"({"burst_replica_size": "x", "max_replicas": 32, "cooldown_s": 0,
                                 "scale_up_threshold_ms": 86400000})"), "parsed");
  EXPECT_EQ(ErrorOf("target_size", R"({"target_size": "m", "min_replicas": 2, "max_replicas": 2})"), "parsed");
  EXPECT_EQ(ErrorOf("target_size", "{\"target_size\": \"" + std::string(255, 's') + "\"}"), "parsed");
  EXPECT_EQ(ErrorOf("target_size", R"({"target_size": "m", "replica_name": "burst_x"})"), "parsed");
  EXPECT_EQ(ErrorOf("target_size", R"({"target_size": "m", "replica_name": "burst_33"})"), "parsed");
}

struct ErrorCase {
  std::string kind;
  std::string json;
  std::string message;
};

TEST(ControlStrategyConfig, ErrorMessages) {
  const std::string long_name(256, 'x');
  const ErrorCase cases[] = {
      // The strategy type.
      {"burts", "{}", "unknown strategy 'burts' (known strategies: target_size, burst, idle_suspend)"},
      {"", "{}", "unknown strategy '' (known strategies: target_size, burst, idle_suspend)"},
      {"Burst", "{}", "unknown strategy 'Burst' (known strategies: target_size, burst, idle_suspend)"},
      // The JSON text.
      {"target_size", "{", "target_size config is not valid JSON (at byte 2)"},
      {"burst", R"({"max_replicas": 2,})", "burst config is not valid JSON (at byte 20)"},
      {"idle_suspend", "", "idle_suspend config is not valid JSON (at byte 1)"},
      {"target_size", "[1]", "target_size config must be a JSON object, found an array"},
      {"target_size", R"("medium")", "target_size config must be a JSON object, found the string \"medium\""},
      {"target_size", "null", "target_size config must be a JSON object, found null"},
      {"target_size", std::string(65537, ' '), "target_size config is longer than 65536 bytes"},
      // Unknown keys.
      {"target_size", R"({"target_size": "m", "size": "l"})",
       "unknown key 'size' in target_size config (known keys: target_size, replica_name, cooldown_s, "
       "stabilization_s, min_replicas, max_replicas)"},
      {"burst", R"({"burst_replica_size": "xl", "max_replicas": 2, "cooldown_s": 60, "cooldown": 1})",
       "unknown key 'cooldown' in burst config (known keys: burst_replica_size, max_replicas, "
       "scale_up_threshold_ms, cooldown_s, stabilization_s, min_replicas)"},
      {"idle_suspend", R"({"idle_after": 60, "cooldown_s": 0})",
       "unknown key 'idle_after' in idle_suspend config (known keys: idle_after_s, cooldown_s, stabilization_s, "
       "min_replicas, max_replicas)"},
      {"idle_suspend", R"({"idle_after_s": 60, "cooldown_s": 0, "target_size": "m"})",
       "unknown key 'target_size' in idle_suspend config (known keys: idle_after_s, cooldown_s, stabilization_s, "
       "min_replicas, max_replicas)"},
      {"target_size", R"({"Target_Size": "m"})",
       "unknown key 'Target_Size' in target_size config (known keys: target_size, replica_name, cooldown_s, "
       "stabilization_s, min_replicas, max_replicas)"},
      {"burst", R"({"burst_replica_size": "xl", "max_replicas": 2, "cooldown_s": 60, "cooldown_s": 0})",
       "key 'cooldown_s' appears twice in burst config"},
      // Missing keys.
      {"target_size", "{}", "target_size config is missing 'target_size'"},
      {"burst", R"({"max_replicas": 2, "cooldown_s": 60})", "burst config is missing 'burst_replica_size'"},
      {"burst", R"({"burst_replica_size": "xl", "cooldown_s": 60})", "burst config is missing 'max_replicas'"},
      {"burst", R"({"burst_replica_size": "xl", "max_replicas": 2})", "burst config is missing 'cooldown_s'"},
      {"idle_suspend", R"({"cooldown_s": 60})", "idle_suspend config is missing 'idle_after_s'"},
      {"idle_suspend", R"({"idle_after_s": 60})", "idle_suspend config is missing 'cooldown_s'"},
      // Names and sizes.
      {"target_size", R"({"target_size": 5})", "'target_size' in target_size config must be a string, found 5"},
      {"target_size", R"({"target_size": ""})", "'target_size' in target_size config must not be empty"},
      {"target_size", "{\"target_size\": \"" + long_name + "\"}",
       "'target_size' in target_size config must be at most 255 bytes long"},
      {"target_size", R"({"target_size": "m", "replica_name": null})",
       "'replica_name' in target_size config must be a string, found null"},
      {"target_size", R"({"target_size": "m", "replica_name": ["r1"]})",
       "'replica_name' in target_size config must be a string, found an array"},
      {"target_size", R"({"target_size": "m", "replica_name": "burst_1"})",
       "'replica_name' in target_size config must not be a burst replica's name (burst_<n>), found \"burst_1\""},
      {"burst", R"({"burst_replica_size": {"a": 1, "a": 2}, "max_replicas": 2, "cooldown_s": 60})",
       "'burst_replica_size' in burst config must be a string, found an object"},
      // Whole numbers.
      {"burst", R"({"burst_replica_size": "xl", "max_replicas": 2, "cooldown_s": "60"})",
       "'cooldown_s' in burst config must be a whole number, found the string \"60\""},
      {"burst", R"({"burst_replica_size": "xl", "max_replicas": 2, "cooldown_s": 1.5})",
       "'cooldown_s' in burst config must be a whole number, found 1.5"},
      {"burst", R"({"burst_replica_size": "xl", "max_replicas": 2, "cooldown_s": 60.0})",
       "'cooldown_s' in burst config must be a whole number, found 60.0"},
      {"burst", R"({"burst_replica_size": "xl", "max_replicas": true, "cooldown_s": 60})",
       "'max_replicas' in burst config must be a whole number, found true"},
      {"burst", R"({"burst_replica_size": "xl", "max_replicas": 2, "cooldown_s": -1})",
       "'cooldown_s' in burst config must be at least 0, found -1"},
      {"idle_suspend", R"({"idle_after_s": 60, "cooldown_s": 31536001})",
       "'cooldown_s' in idle_suspend config must be at most 31536000, found 31536001"},
      {"idle_suspend", R"({"idle_after_s": 60, "cooldown_s": 18446744073709551615})",
       "'cooldown_s' in idle_suspend config must be at most 31536000, found 18446744073709551615"},
      {"idle_suspend", R"({"idle_after_s": 0, "cooldown_s": 0})",
       "'idle_after_s' in idle_suspend config must be at least 1, found 0"},
      {"idle_suspend", R"({"idle_after_s": null, "cooldown_s": 0})",
       "'idle_after_s' in idle_suspend config must be a whole number, found null"},
      {"idle_suspend", R"({"idle_after_s": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "cooldown_s": 0})",
       "'idle_after_s' in idle_suspend config must be a whole number, found the string "
       "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..."},
      {"target_size", R"({"target_size": "m", "stabilization_s": -5})",
       "'stabilization_s' in target_size config must be at least 0, found -5"},
      {"burst", R"({"burst_replica_size": "xl", "max_replicas": 2, "cooldown_s": 0, "scale_up_threshold_ms": -1})",
       "'scale_up_threshold_ms' in burst config must be at least 0, found -1"},
      {"burst", R"({"burst_replica_size": "xl", "max_replicas": 2, "cooldown_s": 0,
                    "scale_up_threshold_ms": 86400001})",
       "'scale_up_threshold_ms' in burst config must be at most 86400000, found 86400001"},
      // Replica bounds.
      {"burst", R"({"burst_replica_size": "xl", "max_replicas": 0, "cooldown_s": 0})",
       "'max_replicas' in burst config must be at least 1, found 0"},
      {"burst", R"({"burst_replica_size": "xl", "max_replicas": 33, "cooldown_s": 0})",
       "'max_replicas' in burst config must be at most 32, found 33"},
      {"target_size", R"({"target_size": "m", "min_replicas": -1})",
       "'min_replicas' in target_size config must be at least 0, found -1"},
      {"target_size", R"({"target_size": "m", "min_replicas": 33})",
       "'min_replicas' in target_size config must be at most 32, found 33"},
      {"target_size", R"({"target_size": "m", "min_replicas": 3, "max_replicas": 2})",
       "'min_replicas' in target_size config (3) is more than 'max_replicas' (2)"},
  };
  for (const ErrorCase& c : cases) {
    EXPECT_EQ(ErrorOf(c.kind, c.json), c.message) << c.kind << " " << c.json.substr(0, 200);
  }
}

TEST(ControlStrategyConfig, KindNamesRoundTrip) {
  for (StrategyKind kind : kStrategyKinds) {
    Result<StrategyKind> parsed = ParseStrategyKind(StrategyKindName(kind));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, kind);
  }
}

}  // namespace
}  // namespace materia
