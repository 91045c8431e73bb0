// export_serving: copies the serving layer of the prod environment into a DuckDB file
// of its own, so that readers (the web server) never wait on the pipeline's write lock.
//
// Every model of schema `serving` in the prod environment is copied, as a plain table
// serving.<name>, from the warehouse (attached read-only) into `<stem>_new.duckdb`
// next to the serving file; row counts are compared with the source, the new file is
// checkpointed, closed, checked to stand on its own (no .wal), fsynced, renamed over
// the serving file, and the directory is fsynced. A failure at any step, a full disk
// included, leaves the previous serving file untouched and removes the new one.
// Each export is recorded in state (StateStore::PutServingExport) with the data
// version of every model it copied, so that an export whose models did not change
// since the last successful one is skipped.
//
// The serving file is, first to last: ExportOptions::serving_path, the environment
// variable SERVING_DUCKDB_PATH, config.yaml's `serving: {database: path}` (the other
// keys of `serving:` belong to the web server), or serving.duckdb; a relative path is
// relative to the project directory.
//
// Errors (one line): kNotFound for no prod environment, no serving models or no
// warehouse; kConflict when another process holds the warehouse's write lock or
// another export of the same file is running; kInvalidInput for a bad setting;
// kIoError / kDatabaseError when the copy or the file operations fail.
//
// Functions here are safe to call from several threads on distinct serving files; two
// exports of one file at once are refused (kConflict), not interleaved.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "project/project.h"
#include "state/state_store.h"

namespace materia {

struct ExportOptions {
  bool force = false;        // export even when nothing changed
  std::string serving_path;  // "" = the configured one (see above)
  // Called with one line of progress at each step; may be empty.
  std::function<void(const std::string&)> progress;
  int threads = 0;           // DuckDB threads for the copy; 0 = DuckDB's default
  std::string memory_limit;  // DuckDB memory_limit for the copy; "" = DuckDB's default
};

struct ExportedTable {
  std::string name;  // "serving.x"
  int64_t rows = 0;
};

struct ExportReport {
  bool skipped = false;
  std::string reason;  // why it was skipped, or what made it export
  std::string path;    // the serving file (absolute)
  std::vector<ExportedTable> tables;
  int64_t rows = 0;
  int64_t bytes = 0;   // size of the serving file written
  double seconds = 0;
  std::string export_id;

  // {"skipped", "reason", "path", "tables": [{"name", "rows"}], "rows", "bytes",
  //  "seconds", "mb_per_second", "export_id"}
  std::string ToJson() const;
};

// Exports (or skips, see above) and records the outcome in `state`. Returns the report
// on success or skip; on failure the error, after recording a failed export.
Result<ExportReport> ExportServing(const Project& project, StateStore& state,
                                   const ExportOptions& options);

struct ExportCheckResult {
  bool has_work = false;
  std::vector<std::string> reasons;  // "never exported", "serving data changed: serving.x", ...
};

// Whether ExportServing would export, and why. Reads state and stats files only; never
// opens the warehouse, so it answers while a transform holds the write lock.
Result<ExportCheckResult> CheckExportServing(const Project& project, StateStore& state,
                                             const ExportOptions& options);

// The serving file as an absolute path (see above). A malformed `serving.database`
// setting is ignored here (the default is used); ResolveServingDatabasePath reports it.
std::string ServingDatabasePath(const ProjectConfig& config, const std::string& override_path);

// As ServingDatabasePath, with errors: "config.yaml:4:13: serving database must be a
// file path", or the YAML syntax error.
Result<std::string> ResolveServingDatabasePath(const ProjectConfig& config,
                                               const std::string& override_path);

// The file an export writes before renaming it over `serving_path`:
// /dir/serving.duckdb -> /dir/serving_new.duckdb.
std::string ServingTemporaryPath(const std::string& serving_path);

// The data version of every serving model of the prod environment, by name, as an
// export records it (see export_serving.cpp for what a view's version covers).
// kNotFound when there is no prod environment or it has no serving model.
Result<std::map<std::string, std::string>> ServingDataVersions(const Project& project,
                                                               StateStore& state);

}  // namespace materia
