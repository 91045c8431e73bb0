#include "plan/plan.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "base/hash.h"
#include "plan/snapshot.h"

namespace materia {

using Json = nlohmann::json;

namespace {

void StripLocations(Json& node) {
  if (node.is_array()) {
    for (Json& child : node) StripLocations(child);
  } else if (node.is_object()) {
    node.erase("query_location");
    for (auto& item : node.items()) StripLocations(item.value());
  }
}

Result<Json> ParseTree(SqlAnalyzer& analyzer, const std::string& query) {
  MATERIA_ASSIGN_OR_RETURN(QueryAnalysis analysis, analyzer.Analyze(query));
  Json tree = Json::parse(analysis.tree_json, nullptr, false);
  if (tree.is_discarded()) return Status::Internal("bad parse tree");
  StripLocations(tree);
  return tree;
}

bool CallsFunction(const Json& node, const std::string& name, int depth) {
  if (depth > 512) return true;  // too deep to tell: assume it does
  if (node.is_array()) {
    for (const Json& child : node) {
      if (CallsFunction(child, name, depth + 1)) return true;
    }
    return false;
  }
  if (!node.is_object()) return false;
  auto function = node.find("function_name");
  if (function != node.end() && function->is_string() && *function == name) return true;
  for (const auto& item : node.items()) {
    if (CallsFunction(item.value(), name, depth + 1)) return true;
  }
  return false;
}

// A field of a snapshot's definition JSON ("" / false when absent or unreadable).
Json DefinitionField(const SnapshotRecord& snapshot, const char* key) {
  Json json = Json::parse(snapshot.definition_json, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains(key)) return Json();
  return json[key];
}

std::vector<std::string> ParentNames(const SnapshotRecord& snapshot) {
  std::vector<std::string> names;
  Json json = Json::parse(snapshot.parents_json, nullptr, false);
  if (!json.is_array()) return names;
  for (const Json& parent : json) {
    if (parent.is_object() && parent.contains("name") && parent["name"].is_string()) {
      names.push_back(parent["name"].get<std::string>());
    }
  }
  return names;
}

}  // namespace

const char* ChangeTypeName(ChangeType type) {
  switch (type) {
    case ChangeType::kAdded: return "added";
    case ChangeType::kRemoved: return "removed";
    case ChangeType::kDirectlyModified: return "directly modified";
    case ChangeType::kIndirectlyModified: return "indirectly modified";
    case ChangeType::kUnchanged: return "unchanged";
  }
  return "unchanged";
}

std::string ChangeReason(const ModelChange& change) {
  switch (change.type) {
    case ChangeType::kAdded: return "new model";
    case ChangeType::kDirectlyModified: return "code changed (" + change.category + ")";
    case ChangeType::kIndirectlyModified: return "upstream code changed (" + change.category + ")";
    default: return "";
  }
}

bool Plan::HasChanges() const {
  for (const ModelChange& change : changes) {
    if (change.type != ChangeType::kUnchanged) return true;
  }
  return false;
}

bool IsAdditiveChange(SqlAnalyzer& analyzer, const std::string& old_query,
                      const std::string& new_query) {
  auto old_tree = ParseTree(analyzer, old_query);
  auto new_tree = ParseTree(analyzer, new_query);
  if (!old_tree.ok() || !new_tree.ok()) return false;
  Json& old_node = (*old_tree)["node"];
  Json& new_node = (*new_tree)["node"];
  if (!old_node.contains("select_list") || !new_node.contains("select_list")) return false;
  // Rows can change when the added column is under DISTINCT or GROUP BY ALL, or is a
  // set-returning unnest(): then it is not merely added.
  auto modifiers = new_node.find("modifiers");  // find: operator[] would add the key
  if (modifiers != new_node.end() && modifiers->is_array()) {
    for (const Json& modifier : *modifiers) {
      if (modifier.value("type", "") == "DISTINCT_MODIFIER") return false;
    }
  }
  // Absent means the default (the tree is serialized without default members).
  if (new_node.value("aggregate_handling", "STANDARD_HANDLING") != "STANDARD_HANDLING") return false;
  Json old_list = old_node["select_list"];
  Json new_list = new_node["select_list"];
  for (const Json& column : new_list) {
    if (CallsFunction(column, "unnest", 0) || CallsFunction(column, "generate_subscripts", 0)) {
      return false;
    }
  }
  old_node.erase("select_list");
  new_node.erase("select_list");
  if (*old_tree != *new_tree) return false;
  if (new_list.size() <= old_list.size()) return false;
  // Every old column must still be there, in the same relative order.
  size_t position = 0;
  for (const Json& column : old_list) {
    while (position < new_list.size() && new_list[position] != column) position++;
    if (position == new_list.size()) return false;
    position++;
  }
  return true;
}

namespace {

// Every snapshot in state, read once: a plan of many models asks about each of them.
class SnapshotIndex {
 public:
  static Result<SnapshotIndex> Load(StateStore& state) {
    SnapshotIndex index;
    MATERIA_ASSIGN_OR_RETURN(std::vector<SnapshotRecord> snapshots, state.ListSnapshots());
    for (SnapshotRecord& snapshot : snapshots) {
      std::string key = snapshot.name + '\n' + snapshot.fingerprint;
      index.snapshots_.emplace(std::move(key), std::move(snapshot));
    }
    return index;
  }
  std::optional<SnapshotRecord> Find(const std::string& name, const std::string& fingerprint) const {
    auto found = snapshots_.find(name + '\n' + fingerprint);
    if (found == snapshots_.end()) return std::nullopt;
    return found->second;
  }

 private:
  std::unordered_map<std::string, SnapshotRecord> snapshots_;
};

// Decides the version of `target` (a model of the new project) given the environment's
// previous snapshot, and records the change. `breaking_upstream` tells whether any
// parent's change forces a rebuild.
//
// A forward-only model that changed keeps its table in prod: intervals already computed
// stay, only new ones run the new code. (Elsewhere BuildPlan has given it a preview
// fingerprint, hence a table of its own, computed from scratch.)
Status DecideVersion(const SnapshotIndex& known, SqlAnalyzer& analyzer,
                     const std::optional<SnapshotRecord>& previous, bool breaking_upstream,
                     bool forward_only, bool production, SnapshotRecord* target,
                     ModelChange* change) {
  std::optional<SnapshotRecord> existing = known.Find(target->name, target->fingerprint);
  if (!previous) {
    change->type = ChangeType::kAdded;
  } else if (previous->fingerprint == target->fingerprint) {
    change->type = ChangeType::kUnchanged;
  } else if (previous->data_hash != target->data_hash) {
    change->type = ChangeType::kDirectlyModified;
    Json old_properties = DefinitionField(*previous, "properties_hash");
    bool additive = !breaking_upstream && !old_properties.is_null() &&
                    old_properties == DefinitionField(*target, "properties_hash") &&
                    ParentNames(*previous) == ParentNames(*target) &&
                    IsAdditiveChange(analyzer, previous->query, target->query);
    change->category = additive ? "non-breaking" : "breaking";
  } else {
    change->type = ChangeType::kIndirectlyModified;
    // SELECT * passes an added upstream column on: for such a child it is not additive.
    bool star = DefinitionField(*target, "select_star") == Json(true);
    bool same_parents = ParentNames(*previous) == ParentNames(*target);
    change->category = breaking_upstream || star || !same_parents ? "breaking" : "non-breaking";
  }
  if (previous) change->old_version = previous->version;
  bool forward = forward_only && (change->type == ChangeType::kDirectlyModified ||
                                  change->type == ChangeType::kIndirectlyModified);
  if (forward) change->category = "forward-only";

  if (change->type == ChangeType::kUnchanged) {
    // The environment's own table for this snapshot (a forward-only change may have
    // given another environment another table for the same fingerprint).
    target->version = previous->version;
    target->data_identity = previous->data_identity;
    target->change_category = previous->change_category;
  } else if (forward && production) {
    target->version = previous->version;
    target->data_identity = previous->data_identity;  // intervals already computed stay valid
    target->change_category = "forward-only";
  } else if (existing) {
    target->version = existing->version;
    target->data_identity = existing->data_identity;
    target->change_category = existing->change_category;
  } else if (change->type == ChangeType::kIndirectlyModified && change->category == "non-breaking") {
    target->version = previous->version;  // same table: its data does not change
    target->data_identity = previous->data_identity;
  } else {
    target->version = target->fingerprint.substr(0, kVersionLength);
    target->data_identity = (change->type == ChangeType::kDirectlyModified &&
                             change->category == "non-breaking")
                                ? previous->data_identity
                                : target->fingerprint;
  }
  if (target->change_category.empty()) target->change_category = change->category;
  change->new_version = target->version;
  return Status::Ok();
}

}  // namespace

Result<Plan> BuildPlan(const Project& project, StateStore& state, const std::string& environment,
                       SqlAnalyzer& analyzer) {
  Plan plan;
  plan.environment = environment;
  MATERIA_ASSIGN_OR_RETURN(plan.previous, state.GetEnvironment(environment));
  plan.snapshots = ComputeSnapshots(project);
  MATERIA_ASSIGN_OR_RETURN(SnapshotIndex known, SnapshotIndex::Load(state));
  std::set<std::string> breaking;  // models whose change forces children to rebuild
  std::set<std::string> previews;  // models whose fingerprint is a preview's, or chains one
  bool production = environment == "prod";
  std::optional<EnvironmentRecord> production_environment;
  if (!production) {
    MATERIA_ASSIGN_OR_RETURN(production_environment, state.GetEnvironment("prod"));
  }
  for (const Model& model : project.models) {
    SnapshotRecord& target = plan.snapshots.at(model.name());
    bool chains_preview = false;
    for (const std::string& parent : model.parents) chains_preview |= previews.count(parent) > 0;
    if (chains_preview) {
      ChainFingerprint(model, plan.snapshots, &target);
      previews.insert(model.name());
    }
    std::optional<SnapshotRecord> previous;
    if (plan.previous) {
      auto found = plan.previous->snapshots.find(model.name());
      if (found != plan.previous->snapshots.end()) {
        previous = known.Find(model.name(), found->second.fingerprint);
        if (previous) previous->version = found->second.version;  // the environment's table
      }
    }
    bool breaking_upstream = false;
    for (const std::string& parent : model.parents) breaking_upstream |= breaking.count(parent) > 0;
    ModelChange change;
    change.name = model.name();
    // Outside prod, a forward-only model that prod does not run as it is now is computed
    // on a preview table of its own: trying a change never writes into a table prod
    // keeps, and prod adopting the change later never finds a dev table under its
    // fingerprint (nor do its children).
    if (!production && model.definition.forward_only) {
      bool prod_uses = false;
      if (production_environment) {
        auto used = production_environment->snapshots.find(model.name());
        prod_uses = used != production_environment->snapshots.end() &&
                    used->second.fingerprint == target.fingerprint;
      }
      if (!prod_uses) {
        target.fingerprint = PreviewFingerprint(target.fingerprint);
        previews.insert(model.name());
      }
    }
    MATERIA_RETURN_IF_ERROR(DecideVersion(known, analyzer, previous, breaking_upstream,
                                          model.definition.forward_only, production, &target, &change));
    // Children of a forward-only change keep their tables in prod (the parent's rows
    // change only from now on); elsewhere the parent's table is new, so are theirs.
    bool keeps_children = change.category == "non-breaking" ||
                          (change.category == "forward-only" && production);
    if (change.type != ChangeType::kUnchanged && !keeps_children) {
      breaking.insert(model.name());
    }
    plan.changes.push_back(std::move(change));
  }
  if (plan.previous) {
    for (const auto& [name, ref] : plan.previous->snapshots) {
      if (project.Find(name)) continue;
      for (const Model& model : project.models) {
        const auto& external = model.external_tables;
        if (std::find(external.begin(), external.end(), name) != external.end()) {
          return Status::InvalidInput(model.definition.header_location.ToString() + ": " +
                                      model.name() + " reads " + name +
                                      ", which is no longer a model of the project");
        }
      }
      ModelChange change;
      change.name = name;
      change.type = ChangeType::kRemoved;
      change.old_version = ref.version;
      plan.changes.push_back(std::move(change));
    }
  }
  return plan;
}

}  // namespace materia
