// The commands of mz-schedctl, one file each; each registers itself on the app.
#pragma once

#include <CLI/CLI.hpp>

#include "schedctl/common.h"

namespace materia::schedctl {

// `plan` (read-only) and `apply` (executes, audits, stores state).
void RegisterPlanAndApplyCommands(CLI::App& app, CommonOptions& options);
// `wipe-state`: clears the stored state of all clusters, or of --cluster.
void RegisterWipeStateCommand(CLI::App& app, CommonOptions& options);

}  // namespace materia::schedctl
