// Evaluating one model: renders its query for an interval, points its references at
// the parents' physical tables, and writes its physical table or view in one DuckDB
// transaction per interval batch, recording each in state after the commit.
//
// Not thread-safe per EvaluationContext; the executor gives each thread its own.
#pragma once

#include <map>
#include <string>

#include "base/status.h"
#include "db/duckdb.h"
#include "plan/needs_work.h"
#include "project/project.h"
#include "project/sql_analysis.h"
#include "run/audit.h"
#include "state/state_store.h"

namespace materia {

struct EvaluationContext {
  const Project* project = nullptr;
  const std::map<std::string, SnapshotRecord>* snapshots = nullptr;
  DuckConnection* connection = nullptr;
  SqlAnalyzer* analyzer = nullptr;
  StateStore* state = nullptr;
  TimestampMs now_ms = 0;
  std::string run_id;
};

struct EvaluationResult {
  int64_t rows = 0;          // rows in the table afterwards (0 for views)
  std::string data_version;  // the new data version of the model
  std::vector<AuditOutcome> audits;  // every audit run, passed or not
  // A blocking audit failed: what it checked was rolled back and not recorded (an
  // incremental model keeps the batches before it); rows and data_version are unset.
  bool blocked = false;
  // Lines the user should read though nothing failed: "warning: forward-only change …".
  std::vector<std::string> warnings;
};

// Evaluates `work` for `model`. Errors are one line: "models/x.sql: Binder Error: …".
// On error the warehouse keeps what was committed before (earlier batches).
Result<EvaluationResult> EvaluateModel(const EvaluationContext& context, const Model& model,
                                       const SnapshotRecord& snapshot, const ModelWork& work);

// The macro context of a run of `model` (its table at `version`) for [start_ms,
// end_ms) at `now_ms`.
MacroContext RunMacros(const ProjectConfig& config, const Model& model, const std::string& version,
                       TimestampMs start_ms, TimestampMs end_ms, TimestampMs now_ms);

// The filter a run puts on a time-ranged model's rows for `interval`, on its
// time_column (compared as text through strftime when it has a format).
std::string TimeFilter(const ModelDefinition& definition, Interval interval);

// The SELECT that reads a SEED model's CSV file, with its csv_settings.
std::string SeedQuery(const Project& project, const Model& model);

// A forward-only model that keeps its table through a change of code: the ALTER TABLE
// statements that give the table the new query's columns, as on_additive_change and
// on_destructive_change allow (empty when they match or the table does not exist yet).
// An error names the model's file; "warn" policies add lines to `warnings`.
Result<std::vector<std::string>> ForwardOnlyMigration(const EvaluationContext& context,
                                                      const Model& model,
                                                      const SnapshotRecord& snapshot,
                                                      std::vector<std::string>* warnings);

// Renders the model's query for [start_ms, end_ms) with references rewritten to the
// physical tables of `snapshots`: the exact SQL that runs.
Result<std::string> RenderForExecution(const EvaluationContext& context, const Model& model,
                                       const SnapshotRecord& snapshot, TimestampMs start_ms,
                                       TimestampMs end_ms);

}  // namespace materia
