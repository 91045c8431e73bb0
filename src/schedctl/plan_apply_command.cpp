// mz-schedctl plan: the ordered SQL actions of one cycle with their reasons, nothing
// run. mz-schedctl apply: the same cycle, its actions executed on Materialize in
// autocommit, each recorded in mz_cluster_strategy_actions, then each cluster's next
// state stored (see control/controller.h).
#include <cstdio>

#include "control/controller.h"
#include "control/ddl_executor.h"
#include "control/report_format.h"
#include "schedctl/commands.h"

namespace materia::schedctl {

namespace {

int RunCycle(const CommonOptions& options, ControllerMode mode) {
  Result<ClusterFilter> filter = ParseFilter(options);
  if (!filter.ok()) return ReportError(filter.status());
  Result<std::unique_ptr<PgConnection>> connection = ConnectDatabase(options);
  if (!connection.ok()) return ReportError(connection.status());
  ConnectionDdlExecutor executor(connection->get());
  ControllerOptions controller;
  controller.mode = mode;
  controller.filter = *filter;
  controller.now_ms = NowMs();
  controller.log = MakeLogger(options);
  Result<ControllerReport> report = RunController(**connection, executor, controller);
  if (!report.ok()) return ReportError(report.status());
  const std::string output = options.format == "json" ? FormatReportJson(*report) : FormatReportText(*report);
  std::fwrite(output.data(), 1, output.size(), stdout);
  std::fflush(stdout);
  if (report->failure.empty()) return kExitOk;
  std::fprintf(stderr, "error: %s\n", report->failure.c_str());
  return kExitActionFailed;
}

}  // namespace

void RegisterPlanAndApplyCommands(CLI::App& app, CommonOptions& options) {
  CLI::App* plan = app.add_subcommand(
      "plan", "read-only dry run: the ordered SQL actions of one cycle, with their reasons (exit 0, also with none)");
  AddCommonOptions(plan, &options);
  plan->callback([&options] { options.exit_code = RunCycle(options, ControllerMode::kPlan); });

  CLI::App* apply = app.add_subcommand(
      "apply",
      "executes the actions of one cycle in autocommit, records each in mz_cluster_strategy_actions, stores each "
      "cluster's state; stops at the first failing action (exit 1)");
  AddCommonOptions(apply, &options);
  apply->callback([&options] { options.exit_code = RunCycle(options, ControllerMode::kApply); });
}

}  // namespace materia::schedctl
