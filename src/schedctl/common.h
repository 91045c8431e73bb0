// What every mz-schedctl command shares: the common flags, finding the database URL,
// connecting, the structured log on stderr, and turning errors into one line and an
// exit code.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "base/status.h"
#include "control/controller.h"
#include "db/postgres.h"

namespace materia::schedctl {

// Exit codes.
constexpr int kExitOk = 0;            // success; plan: also when there is nothing to do
constexpr int kExitActionFailed = 1;  // apply: an action failed (or could not be recorded)
constexpr int kExitError = 2;         // usage, configuration or connection errors

// Connecting takes at most this long per host.
constexpr int kConnectTimeoutS = 10;

struct CommonOptions {
  std::string cluster_pattern;  // empty: every cluster
  bool verbose = false;
  std::string postgres_url;     // empty: DATABASE_URL, else ./.env
  std::string format = "text";  // "text" or "json"
  int exit_code = kExitOk;
};

// Adds --cluster, --verbose, --postgres-url and --format to `command`.
void AddCommonOptions(CLI::App* command, CommonOptions* options);

// Prints "error: <message>" (one line) on stderr and returns kExitError.
int ReportError(const Status& status);

// The database URL: --postgres-url, else $DATABASE_URL, else the DATABASE_URL= line of
// ./.env (optionally "export DATABASE_URL=...", the value optionally quoted). Error:
// "no database URL: pass --postgres-url, set DATABASE_URL, or put a DATABASE_URL= line in ./.env".
Result<std::string> ResolveDatabaseUrl(const std::string& flag_value);

// Connects to the database `options` name. Errors are one line without the password.
Result<std::unique_ptr<PgConnection>> ConnectDatabase(const CommonOptions& options);

// The --cluster filter (every cluster when none was given).
Result<ClusterFilter> ParseFilter(const CommonOptions& options);

// With --verbose: writes each event as one JSON object per line on stderr
// ({"ts", "level", "event", "cluster_id", "cluster", "strategy", "action_id",
// "message", ...}). Without: logs nothing.
ControlLogger MakeLogger(const CommonOptions& options);

}  // namespace materia::schedctl
