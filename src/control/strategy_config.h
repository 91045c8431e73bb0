// The configuration of one scaling strategy for one cluster, as a user writes it: a
// strategy type and a JSON object, one row of the strategies table per strategy.
//
//   target_size   {"target_size": "medium", "replica_name": "r1"}
//   burst         {"burst_replica_size": "xlarge", "max_replicas": 2, "cooldown_s": 60,
//                  "scale_up_threshold_ms": 500}
//   idle_suspend  {"idle_after_s": 3600, "cooldown_s": 300}
//
// Every strategy also takes cooldown_s (least time between two changes of its
// decision; required for burst and idle_suspend, 0 by default for target_size),
// stabilization_s (a scale-down is acted on only once every decision for that long
// agreed; 0 by default), min_replicas (0 by default) and max_replicas (no bound by
// default; required for burst). Unknown or repeated keys, missing required keys,
// wrong types and values out of range are errors, one line naming the key and the
// strategy:
//   unknown key 'idle_after' in idle_suspend config (known keys: idle_after_s, cooldown_s, stabilization_s, min_replicas, max_replicas)
//   'cooldown_s' in burst config must be a whole number, found the string "60"
//
// Every number has a bound (seconds up to one year, replicas up to kReplicasMax), so
// that no later arithmetic on them can overflow. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace materia {

enum class StrategyKind { kTargetSize, kBurst, kIdleSuspend };

// The fixed order in which decisions are merged (see merge.h), and the order of
// strategies in messages and state.
constexpr StrategyKind kStrategyKinds[] = {StrategyKind::kTargetSize, StrategyKind::kBurst,
                                           StrategyKind::kIdleSuspend};

// Limits on configured values.
constexpr int kReplicasMax = 32;
constexpr int64_t kConfigSecondsMax = 365LL * 24 * 60 * 60;   // one year
constexpr int64_t kConfigLatencyMsMax = 24LL * 60 * 60 * 1000;  // one day
constexpr size_t kConfigNameBytesMax = 255;    // Materialize's longest identifier
constexpr size_t kConfigTextBytesMax = 65536;  // the JSON text of one config

// "target_size", "burst", "idle_suspend".
std::string_view StrategyKindName(StrategyKind kind);

// Reads a strategy type as stored. Error: "unknown strategy 'burts' (known strategies:
// target_size, burst, idle_suspend)".
Result<StrategyKind> ParseStrategyKind(std::string_view name);

// One strategy's settings. Fields not used by `kind` keep their defaults.
struct StrategyConfig {
  StrategyKind kind = StrategyKind::kTargetSize;

  // Every strategy.
  int64_t cooldown_s = 0;       // 0..kConfigSecondsMax
  int64_t stabilization_s = 0;  // 0..kConfigSecondsMax
  int min_replicas = 0;         // 0..kReplicasMax
  std::optional<int> max_replicas;  // 1..kReplicasMax, at least min_replicas

  // target_size: one replica of this size, named replica_name.
  std::string target_size;
  std::string replica_name = "r1";

  // burst: replicas of this size are added while no replica serves, or while the
  // activity latency is above the threshold (when one is set).
  std::string burst_replica_size;
  std::optional<int64_t> scale_up_threshold_ms;  // 0..kConfigLatencyMsMax

  // idle_suspend: no replicas once there was no activity for this long.
  int64_t idle_after_s = 0;  // 1..kConfigSecondsMax
};

// Parses the JSON text `config_json` of a strategy of type `kind`. Returns the config,
// or kInvalidInput with one line naming the key and the strategy (see above).
Result<StrategyConfig> ParseStrategyConfig(StrategyKind kind, std::string_view config_json);

// The same, with the type as stored ("burst"); an unknown type is an error.
Result<StrategyConfig> ParseStrategyConfig(std::string_view kind_name, std::string_view config_json);

}  // namespace materia
