// The model DAG: resolves each model's table references into parent edges (references
// to models) and external tables (everything else), orders models parents-first, and
// reports cycles and duplicate names.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace materia {

struct Model;
struct Project;

// Moves `models` into `project`, resolved and in topological order (ties broken by
// name, so the order is deterministic). Errors: "models/b.sql:1:1: model a.b is
// also defined in models/a.sql", "models/a.sql:1:1: cycle: a.x -> a.y -> a.x",
// "models/a.sql:1:1: depends_on names unknown model 'a.zz'".
Status BuildDag(std::vector<Model> models, Project* project);

// Returns the names of `roots` and everything downstream of them, in project order.
std::vector<std::string> Downstream(const Project& project, const std::vector<std::string>& roots);

}  // namespace materia
