// mz-schedctl: strategy-driven scaling of Materialize clusters, one cycle per run
// (from cron, or a Kubernetes CronJob). See control/controller.h for the cycle.
#include <csignal>
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "cli/parse.h"
#include "schedctl/commands.h"
#include "schedctl/common.h"

namespace {

constexpr const char* kFooter = R"(
Strategies are rows of mz_cluster_strategies in the database (the tables are created
on first use); the newest row per (cluster_id, strategy_type) wins:

  INSERT INTO mz_cluster_strategies (cluster_id, strategy_type, config) VALUES
    ('u1', 'target_size', '{"target_size": "100cc"}'),
    ('u1', 'idle_suspend', '{"idle_after_s": 3600, "cooldown_s": 300}');

Strategy types: target_size, burst, idle_suspend. The database URL comes from
--postgres-url, else DATABASE_URL, else a DATABASE_URL= line in ./.env.
Exit codes: 0 success (plan: also when there is nothing to do), 1 an action failed,
2 usage, configuration or connection errors.)";

}  // namespace

int main(int argc, char** argv) {
  // A closed pipe on stdout must not kill an apply half-way: the write fails instead,
  // and the run finishes and records its actions.
  std::signal(SIGPIPE, SIG_IGN);
  materia::schedctl::CommonOptions options;
  CLI::App app{"mz-schedctl: plans and applies scaling actions on Materialize clusters from their strategies"};
  app.footer(kFooter);
  app.require_subcommand(1);
  app.set_version_flag("--version", "mz-schedctl 0.1.0");
  materia::schedctl::RegisterPlanAndApplyCommands(app, options);
  materia::schedctl::RegisterWipeStateCommand(app, options);
  if (auto stop = materia::cli::ParseCommandLine(app, argc, argv, materia::schedctl::kExitError,
                                                  materia::schedctl::kExitError)) {
    return *stop;
  }
  return options.exit_code;
}
