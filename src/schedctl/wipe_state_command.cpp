// mz-schedctl wipe-state: deletes the controller's stored state (all of it, or that of
// the clusters --cluster matches), so that their next cycle starts fresh.
#include <cstdio>

#include "control/controller.h"
#include "control/report_format.h"
#include "schedctl/commands.h"

namespace materia::schedctl {

namespace {

int RunWipeState(const CommonOptions& options) {
  Result<ClusterFilter> filter = ParseFilter(options);
  if (!filter.ok()) return ReportError(filter.status());
  Result<std::unique_ptr<PgConnection>> connection = ConnectDatabase(options);
  if (!connection.ok()) return ReportError(connection.status());
  Result<WipeReport> report = WipeControllerState(**connection, *filter, MakeLogger(options));
  if (!report.ok()) return ReportError(report.status());
  const std::string output = options.format == "json" ? FormatWipeJson(*report) : FormatWipeText(*report);
  std::fwrite(output.data(), 1, output.size(), stdout);
  return kExitOk;
}

}  // namespace

void RegisterWipeStateCommand(CLI::App& app, CommonOptions& options) {
  CLI::App* wipe = app.add_subcommand(
      "wipe-state", "deletes the stored state (mz_cluster_strategy_state) of every cluster, or of --cluster");
  AddCommonOptions(wipe, &options);
  wipe->callback([&options] { options.exit_code = RunWipeState(options); });
}

}  // namespace materia::schedctl
