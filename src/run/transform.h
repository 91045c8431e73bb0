// The two transform operations the commands and pipelines share: applying a plan to an
// environment (build what is missing, then promote its views) and running an
// environment (evaluate whatever is due or stale).
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "db/duckdb.h"
#include "plan/plan.h"
#include "project/project.h"
#include "run/executor.h"
#include "state/state_store.h"

namespace materia {

// Records the plan's snapshots, evaluates everything that needs work, and — only if
// nothing failed — points the environment's views at the plan's snapshots and records
// the environment. A failure leaves the environment as it was.
Result<ExecuteSummary> ApplyPlan(const Project& project, StateStore& state,
                                 std::shared_ptr<DuckDatabase> warehouse, const Plan& plan,
                                 ExecuteOptions options);

// Runs `environment` as recorded. The project must match it: changed models are an
// error that says to plan first ("…has changes not applied to 'prod' (2 models): run
// `materia plan prod`").
Result<ExecuteSummary> RunEnvironment(const Project& project, StateStore& state,
                                      std::shared_ptr<DuckDatabase> warehouse, const Plan& plan,
                                      ExecuteOptions options);

}  // namespace materia
