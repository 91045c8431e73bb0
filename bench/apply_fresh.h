// materia's side of the transform figures: what `materia apply prod` does, through the
// library, on a fresh warehouse and a fresh state store.
#pragma once

#include <string>

#include "plan/plan.h"
#include "project/project.h"

namespace materia::bench {

struct ApplyTiming {
  double load_ms = 0;     // LoadProject
  double plan_ms = 0;     // opening the state store, BuildPlan
  double execute_ms = 0;  // opening the warehouse, ApplyPlan, closing the warehouse
  double total_ms() const { return load_ms + plan_ms + execute_ms; }
  int models_ran = 0;
  Project project;        // as loaded, for rendering the reference's SQL
  Plan plan;              // as applied
};

// In the current directory (the project directory, as the CLI does it): removes the
// warehouse and the state store, then loads the project, plans `prod` and applies the
// plan with `threads` worker threads, the defaults of `materia apply`. The analysis
// cache is left as it is. Dies when anything fails, a model included.
ApplyTiming ApplyFresh(int threads);

}  // namespace materia::bench
