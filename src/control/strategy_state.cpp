// ParseClusterState and ClusterStateToJson: the persisted form of strategy state.
#include <nlohmann/json.hpp>

#include "base/json_writer.h"
#include "control/strategy.h"

namespace materia {

namespace {

using nlohmann::json;

constexpr std::string_view kDecisionKindNames[] = {"none", "replicas", "extra", "suspend"};
constexpr DecisionKind kDecisionKinds[] = {DecisionKind::kNoOpinion, DecisionKind::kReplicas,
                                           DecisionKind::kExtra, DecisionKind::kSuspend};

std::string_view DecisionKindName(DecisionKind kind) {
  return kDecisionKindNames[static_cast<size_t>(kind)];
}

Status Invalid(const std::string& problem) {
  return Status::InvalidInput("invalid controller state: " + problem + "; wipe the state to start fresh");
}

Result<TimestampMs> ReadMs(const json& object, const char* key, const std::string& where) {
  if (!object.contains(key) || !object[key].is_number_integer()) {
    return Invalid(where + " needs a whole number '" + key + "'");
  }
  return object[key].get<int64_t>();
}

Result<std::vector<ReplicaSpec>> ReadReplicas(const json& replicas, const std::string& where) {
  if (!replicas.is_array() || replicas.size() > static_cast<size_t>(kReplicasMax)) {
    return Invalid(where + ": 'replicas' must be an array of at most " + std::to_string(kReplicasMax));
  }
  std::vector<ReplicaSpec> specs;
  for (const json& replica : replicas) {
    if (!replica.is_object() || !replica.contains("name") || !replica["name"].is_string() ||
        !replica.contains("size") || !replica["size"].is_string()) {
      return Invalid(where + ": a replica needs a string 'name' and 'size'");
    }
    specs.push_back({replica["name"].get<std::string>(), replica["size"].get<std::string>()});
  }
  return specs;
}

Result<StrategyDecision> ReadDecision(const json& applied, StrategyKind strategy, const std::string& where) {
  if (!applied.is_object() || !applied.contains("kind") || !applied["kind"].is_string()) {
    return Invalid(where + ": 'applied' needs a string 'kind'");
  }
  StrategyDecision decision;
  decision.strategy = strategy;
  const std::string kind = applied["kind"].get<std::string>();
  bool known = false;
  for (DecisionKind candidate : kDecisionKinds) {
    if (DecisionKindName(candidate) == kind) {
      decision.kind = candidate;
      known = true;
    }
  }
  if (!known) return Invalid(where + ": unknown decision kind '" + kind + "'");
  MATERIA_ASSIGN_OR_RETURN(decision.replicas,
                           ReadReplicas(applied.contains("replicas") ? applied["replicas"] : json::array(), where));
  return decision;
}

Result<std::vector<LevelRun>> ReadRuns(const json& recent, const std::string& where) {
  if (!recent.is_array() || recent.size() > kLevelRunsMax) {
    return Invalid(where + ": 'recent' must be an array of at most " + std::to_string(kLevelRunsMax));
  }
  std::vector<LevelRun> runs;
  for (const json& run : recent) {
    if (!run.is_object()) return Invalid(where + ": each of 'recent' must be an object");
    MATERIA_ASSIGN_OR_RETURN(const TimestampMs since_ms, ReadMs(run, "since_ms", where + " recent"));
    MATERIA_ASSIGN_OR_RETURN(const TimestampMs level, ReadMs(run, "level", where + " recent"));
    if (level < 0 || level > kLevelUnbounded) return Invalid(where + ": a level is out of range");
    runs.push_back({since_ms, static_cast<int>(level)});
  }
  return runs;
}

Result<StrategyState> ReadStrategyState(const json& object, StrategyKind strategy) {
  const std::string where = "strategy " + std::string(StrategyKindName(strategy));
  if (!object.is_object()) return Invalid(where + " must be an object");
  StrategyState state;
  if (object.contains("applied")) {
    MATERIA_ASSIGN_OR_RETURN(state.applied, ReadDecision(object["applied"], strategy, where));
  }
  if (object.contains("changed_at_ms")) {
    MATERIA_ASSIGN_OR_RETURN(state.changed_at_ms, ReadMs(object, "changed_at_ms", where));
  }
  if (object.contains("recent")) {
    MATERIA_ASSIGN_OR_RETURN(state.recent, ReadRuns(object["recent"], where));
  }
  return state;
}

void WriteStrategyState(const StrategyState& state, JsonWriter* writer) {
  writer->BeginObject();
  if (state.applied) {
    writer->Key("applied").BeginObject().Key("kind").String(DecisionKindName(state.applied->kind));
    writer->Key("replicas").BeginArray();
    for (const ReplicaSpec& replica : state.applied->replicas) {
      writer->BeginObject().Key("name").String(replica.name).Key("size").String(replica.size).EndObject();
    }
    writer->EndArray().EndObject();
  }
  if (state.changed_at_ms) writer->Key("changed_at_ms").Int(*state.changed_at_ms);
  writer->Key("recent").BeginArray();
  for (const LevelRun& run : state.recent) {
    writer->BeginObject().Key("since_ms").Int(run.since_ms).Key("level").Int(run.level).EndObject();
  }
  writer->EndArray().EndObject();
}

}  // namespace

Result<ClusterState> ParseClusterState(const std::optional<std::string>& payload) {
  if (!payload) return ClusterState{};
  const json document = json::parse(*payload, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return Invalid("the payload is not valid JSON");
  if (!document.is_object() || !document.contains("state_version") ||
      !document["state_version"].is_number_integer() || document["state_version"].get<int64_t>() != kStateVersion) {
    return ClusterState{};  // another version (or none): start fresh
  }
  ClusterState state;
  if (!document.contains("strategies")) return state;
  const json& strategies = document["strategies"];
  if (!strategies.is_object()) return Invalid("'strategies' must be an object");
  for (const auto& item : strategies.items()) {
    Result<StrategyKind> kind = ParseStrategyKind(item.key());
    if (!kind.ok()) return Invalid(kind.status().message());
    MATERIA_ASSIGN_OR_RETURN(state.strategies[*kind], ReadStrategyState(item.value(), *kind));
  }
  return state;
}

std::string ClusterStateToJson(const ClusterState& state) {
  JsonWriter writer;
  writer.BeginObject().Key("state_version").Int(kStateVersion).Key("strategies").BeginObject();
  for (StrategyKind kind : kStrategyKinds) {
    const auto found = state.strategies.find(kind);
    if (found == state.strategies.end()) continue;
    writer.Key(StrategyKindName(kind));
    WriteStrategyState(found->second, &writer);
  }
  writer.EndObject().EndObject();
  return writer.Take();
}

}  // namespace materia
