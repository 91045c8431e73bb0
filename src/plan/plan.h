// Plans: how an environment changes when the project as it is now is applied to it.
//
// Each model is added, removed, directly modified (its own file changed what its data
// is), indirectly modified (only an upstream model changed) or unchanged. A direct
// modification is non-breaking when it only adds columns to the final SELECT (as
// SQLMesh decides it) and breaking otherwise; children of a non-breaking change keep
// their tables, children of a breaking one get new ones. Versions (table names) are
// decided here: an existing snapshot keeps its version, so a plan whose tables exist
// moves no data.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "project/project.h"
#include "project/sql_analysis.h"
#include "state/state_store.h"

namespace materia {

enum class ChangeType { kAdded, kRemoved, kDirectlyModified, kIndirectlyModified, kUnchanged };

const char* ChangeTypeName(ChangeType type);  // "added", "removed", ...

struct ModelChange;
// Why the change makes a model need work: "new model", "code changed (breaking)",
// "upstream code changed (non-breaking)"; "" for unchanged and removed models.
std::string ChangeReason(const ModelChange& change);

struct ModelChange {
  std::string name;
  ChangeType type = ChangeType::kUnchanged;
  std::string category;  // "breaking" / "non-breaking" for modifications
  std::string old_version;
  std::string new_version;
};

struct Plan {
  std::string environment;
  std::optional<EnvironmentRecord> previous;
  std::map<std::string, SnapshotRecord> snapshots;  // the target, every model, versions set
  std::vector<ModelChange> changes;                 // every model, project order, then removed
  bool HasChanges() const;
};

// Builds the plan for `environment` from the project and the state. Reads state only.
Result<Plan> BuildPlan(const Project& project, StateStore& state, const std::string& environment,
                       SqlAnalyzer& analyzer);

// True when `new_query` only adds output columns to `old_query` (both as rendered).
// Returns false when either cannot be parsed.
bool IsAdditiveChange(SqlAnalyzer& analyzer, const std::string& old_query,
                      const std::string& new_query);

}  // namespace materia
