#include "control/strategy_config.h"

#include <algorithm>
#include <limits>
#include <set>
#include <nlohmann/json.hpp>
#include <vector>

#include "control/strategy.h"

namespace materia {

namespace {

using nlohmann::json;

// The keys every strategy takes, after its own.
constexpr std::string_view kCommonKeys[] = {"cooldown_s", "stabilization_s", "min_replicas",
                                            "max_replicas"};

std::vector<std::string_view> KnownKeys(StrategyKind kind) {
  std::vector<std::string_view> keys;
  switch (kind) {
    case StrategyKind::kTargetSize:
      keys = {"target_size", "replica_name"};
      break;
    case StrategyKind::kBurst:
      keys = {"burst_replica_size", "max_replicas", "scale_up_threshold_ms", "cooldown_s"};
      break;
    case StrategyKind::kIdleSuspend:
      keys = {"idle_after_s", "cooldown_s"};
      break;
  }
  for (std::string_view key : kCommonKeys) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  }
  return keys;
}

std::vector<std::string_view> RequiredKeys(StrategyKind kind) {
  switch (kind) {
    case StrategyKind::kTargetSize: return {"target_size"};
    case StrategyKind::kBurst: return {"burst_replica_size", "max_replicas", "cooldown_s"};
    case StrategyKind::kIdleSuspend: return {"idle_after_s", "cooldown_s"};
  }
  return {};
}

std::string Join(const std::vector<std::string_view>& words) {
  std::string text;
  for (std::string_view word : words) {
    if (!text.empty()) text += ", ";
    text += word;
  }
  return text;
}

// How a wrong value reads in a message: `the string "60"`, `1.5`, `null`, `an array`.
std::string DescribeValue(const json& value) {
  constexpr size_t kShownBytesMax = 40;
  if (value.is_array()) return "an array";
  if (value.is_object()) return "an object";
  std::string text = value.dump();
  if (text.size() > kShownBytesMax) text = text.substr(0, kShownBytesMax) + "...";
  return value.is_string() ? "the string " + text : text;
}

// Reads and checks the settings of one config object; each Read* names `kind_`.
class ConfigReader {
 public:
  ConfigReader(StrategyKind kind, const json& object) : kind_(kind), object_(object) {}

  bool Has(std::string_view key) const { return object_.contains(key); }

  Result<int64_t> ReadInteger(std::string_view key, int64_t low, int64_t high) const {
    const json& value = object_.at(key);
    if (!value.is_number_integer()) {
      return Error(key, "must be a whole number, found " + DescribeValue(value));
    }
    int64_t number = 0;
    if (value.is_number_unsigned()) {
      const uint64_t unsigned_number = value.get<uint64_t>();
      number = unsigned_number > static_cast<uint64_t>(high) ? high + 1 : static_cast<int64_t>(unsigned_number);
    } else {
      number = value.get<int64_t>();
    }
    if (number < low) return Error(key, "must be at least " + std::to_string(low) + ", found " + value.dump());
    if (number > high) return Error(key, "must be at most " + std::to_string(high) + ", found " + value.dump());
    return number;
  }

  Result<std::string> ReadName(std::string_view key) const {
    const json& value = object_.at(key);
    if (!value.is_string()) return Error(key, "must be a string, found " + DescribeValue(value));
    std::string text = value.get<std::string>();
    if (text.empty()) return Error(key, "must not be empty");
    if (text.size() > kConfigNameBytesMax) {
      return Error(key, "must be at most " + std::to_string(kConfigNameBytesMax) + " bytes long");
    }
    return text;
  }

  Status Error(std::string_view key, const std::string& problem) const {
    return Status::InvalidInput("'" + std::string(key) + "' in " + std::string(StrategyKindName(kind_)) +
                                " config " + problem);
  }

 private:
  StrategyKind kind_;
  const json& object_;
};

Status ReadCommon(const ConfigReader& reader, StrategyConfig* config) {
  if (reader.Has("cooldown_s")) {
    MATERIA_ASSIGN_OR_RETURN(config->cooldown_s, reader.ReadInteger("cooldown_s", 0, kConfigSecondsMax));
  }
  if (reader.Has("stabilization_s")) {
    MATERIA_ASSIGN_OR_RETURN(config->stabilization_s,
                             reader.ReadInteger("stabilization_s", 0, kConfigSecondsMax));
  }
  if (reader.Has("min_replicas")) {
    MATERIA_ASSIGN_OR_RETURN(const int64_t min_replicas, reader.ReadInteger("min_replicas", 0, kReplicasMax));
    config->min_replicas = static_cast<int>(min_replicas);
  }
  if (reader.Has("max_replicas")) {
    MATERIA_ASSIGN_OR_RETURN(const int64_t max_replicas, reader.ReadInteger("max_replicas", 1, kReplicasMax));
    config->max_replicas = static_cast<int>(max_replicas);
  }
  if (config->max_replicas && config->min_replicas > *config->max_replicas) {
    return reader.Error("min_replicas", "(" + std::to_string(config->min_replicas) + ") is more than 'max_replicas' (" +
                                            std::to_string(*config->max_replicas) + ")");
  }
  return Status::Ok();
}

Status ReadTargetSize(const ConfigReader& reader, StrategyConfig* config) {
  MATERIA_ASSIGN_OR_RETURN(config->target_size, reader.ReadName("target_size"));
  if (reader.Has("replica_name")) {
    MATERIA_ASSIGN_OR_RETURN(config->replica_name, reader.ReadName("replica_name"));
    if (IsBurstReplicaName(config->replica_name)) {
      return reader.Error("replica_name", "must not be a burst replica's name (burst_<n>), found \"" +
                                              config->replica_name + "\"");
    }
  }
  return Status::Ok();
}

Status ReadBurst(const ConfigReader& reader, StrategyConfig* config) {
  MATERIA_ASSIGN_OR_RETURN(config->burst_replica_size, reader.ReadName("burst_replica_size"));
  if (reader.Has("scale_up_threshold_ms")) {
    MATERIA_ASSIGN_OR_RETURN(config->scale_up_threshold_ms,
                             reader.ReadInteger("scale_up_threshold_ms", 0, kConfigLatencyMsMax));
  }
  return Status::Ok();
}

Status ReadIdleSuspend(const ConfigReader& reader, StrategyConfig* config) {
  MATERIA_ASSIGN_OR_RETURN(config->idle_after_s, reader.ReadInteger("idle_after_s", 1, kConfigSecondsMax));
  return Status::Ok();
}

Result<json> ParseObject(StrategyKind kind, std::string_view config_json) {
  const std::string what = std::string(StrategyKindName(kind)) + " config";
  if (config_json.size() > kConfigTextBytesMax) {
    return Status::InvalidInput(what + " is longer than " + std::to_string(kConfigTextBytesMax) + " bytes");
  }
  // JSON lets a key appear twice and keeps the last; a user who wrote it twice meant
  // one of them, so it is an error rather than a silent choice.
  std::set<std::string> keys;
  std::string repeated_key;
  const json::parser_callback_t note_keys = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key && depth == 1 && !keys.insert(parsed.get<std::string>()).second &&
        repeated_key.empty()) {
      repeated_key = parsed.get<std::string>();
    }
    return true;
  };
  json object;
  try {
    object = json::parse(config_json, note_keys);
  } catch (const json::parse_error& error) {
    return Status::InvalidInput(what + " is not valid JSON (at byte " + std::to_string(error.byte) + ")");
  }
  if (!repeated_key.empty()) {
    return Status::InvalidInput("key '" + repeated_key + "' appears twice in " + what);
  }
  if (!object.is_object()) {
    return Status::InvalidInput(what + " must be a JSON object, found " + DescribeValue(object));
  }
  return object;
}

}  // namespace

std::string_view StrategyKindName(StrategyKind kind) {
  switch (kind) {
    case StrategyKind::kTargetSize: return "target_size";
    case StrategyKind::kBurst: return "burst";
    case StrategyKind::kIdleSuspend: return "idle_suspend";
  }
  return "unknown";
}

Result<StrategyKind> ParseStrategyKind(std::string_view name) {
  for (StrategyKind kind : kStrategyKinds) {
    if (StrategyKindName(kind) == name) return kind;
  }
  return Status::InvalidInput("unknown strategy '" + std::string(name) +
                              "' (known strategies: target_size, burst, idle_suspend)");
}

Result<StrategyConfig> ParseStrategyConfig(StrategyKind kind, std::string_view config_json) {
  MATERIA_ASSIGN_OR_RETURN(const json object, ParseObject(kind, config_json));
  const std::string name(StrategyKindName(kind));
  const std::vector<std::string_view> known = KnownKeys(kind);
  for (const auto& item : object.items()) {
    if (std::find(known.begin(), known.end(), item.key()) == known.end()) {
      return Status::InvalidInput("unknown key '" + item.key() + "' in " + name + " config (known keys: " +
                                  Join(known) + ")");
    }
  }
  for (std::string_view key : RequiredKeys(kind)) {
    if (!object.contains(key)) {
      return Status::InvalidInput(name + " config is missing '" + std::string(key) + "'");
    }
  }
  StrategyConfig config;
  config.kind = kind;
  const ConfigReader reader(kind, object);
  switch (kind) {
    case StrategyKind::kTargetSize: MATERIA_RETURN_IF_ERROR(ReadTargetSize(reader, &config)); break;
    case StrategyKind::kBurst: MATERIA_RETURN_IF_ERROR(ReadBurst(reader, &config)); break;
    case StrategyKind::kIdleSuspend: MATERIA_RETURN_IF_ERROR(ReadIdleSuspend(reader, &config)); break;
  }
  MATERIA_RETURN_IF_ERROR(ReadCommon(reader, &config));
  return config;
}

Result<StrategyConfig> ParseStrategyConfig(std::string_view kind_name, std::string_view config_json) {
  MATERIA_ASSIGN_OR_RETURN(const StrategyKind kind, ParseStrategyKind(kind_name));
  return ParseStrategyConfig(kind, config_json);
}

}  // namespace materia
