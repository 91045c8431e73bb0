// materia: keeps an analytical database fresh, versioned and served.
#include <csignal>
#include <cstdio>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/parse.h"

int main(int argc, char** argv) {
  // A closed pipe on stdout (`materia run | head`) must not kill a run half-way: the
  // write fails instead, and the run finishes and records its work.
  std::signal(SIGPIPE, SIG_IGN);
  materia::cli::GlobalOptions global;
  CLI::App app{"materia: runs SQL models on embedded DuckDB, doing only the work that is stale"};
  app.require_subcommand(1);
  app.fallthrough();  // --project may come after the command too
  app.set_version_flag("--version", "materia 0.1.0");
  app.add_option("-p,--project", global.project_dir, "project directory (default: current)")
      ->envname("MATERIA_PROJECT");
  materia::cli::RegisterPlanCommands(app, global);
  materia::cli::RegisterRunCommand(app, global);
  materia::cli::RegisterCheckCommand(app, global);
  materia::cli::RegisterSqlCommand(app, global);
  materia::cli::RegisterPipelineCommand(app, global);
  materia::cli::RegisterSuperviseCommand(app, global);
  materia::cli::RegisterExampleCommand(app, global);
  materia::cli::RegisterAuditCommand(app, global);
  materia::cli::RegisterTestCommands(app, global);
  materia::cli::RegisterValidateCommand(app, global);
  materia::cli::RegisterRenderCommand(app, global);
  materia::cli::RegisterDagCommand(app, global);
  materia::cli::RegisterFormatCommand(app, global);
  materia::cli::RegisterInfoCommand(app, global);
  materia::cli::RegisterJanitorCommand(app, global);
  materia::cli::RegisterExtractCommand(app, global);
  materia::cli::RegisterExportServingCommand(app, global);
  materia::cli::RegisterServeCommand(app, global);
  materia::cli::RegisterFeaturesCommand(app, global);
  if (auto stop = materia::cli::ParseCommandLine(app, argc, argv, materia::cli::kExitError, 3)) return *stop;
  return global.exit_code;
}
