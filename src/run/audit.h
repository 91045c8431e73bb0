// Running a model's audits against its data, and describing the results.
//
// Each audit's query returns the rows that break it; the outcome keeps how many and
// the first few. A query DuckDB refuses (a column that does not exist) is a failed
// outcome with that error. Whether a failure stops anything is the caller's choice,
// from `blocking`.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "db/duckdb.h"
#include "project/project.h"

namespace materia {

constexpr size_t kAuditSampleRows = 5;  // failing rows an outcome keeps to show

struct AuditOutcome {
  std::string model;
  std::string audit;  // as the model's header writes it, or "unique grain (a, b)"
  bool blocking = true;
  int64_t failing_rows = 0;
  std::vector<std::string> columns;                           // of the sample
  std::vector<std::vector<std::optional<std::string>>> sample;  // the first failing rows
  std::string error;  // the audit could not run: DuckDB's message
  std::string sql;    // the query that found the rows

  bool passed() const { return error.empty() && failing_rows == 0; }
};

// Runs the audits of `model` with its data at `target` (a table, or a parenthesized
// SELECT of the intervals just written), in order, stopping after one that cannot
// run. `macros` renders custom audits.
// `in_transaction` false (on demand, each query on its own) runs them all.
std::vector<AuditOutcome> RunAudits(DuckConnection& connection, const Model& model,
                                    const std::string& target, const MacroContext& macros,
                                    bool in_transaction = true);

// True when any outcome failed and is blocking, or could not run at all: an audit
// query that fails may have aborted the evaluation's transaction, so what was written
// cannot be committed, non-blocking or not.
bool AnyBlockingFailure(const std::vector<AuditOutcome>& outcomes);

// One line: "audit not_null(columns := (id)) failed on s.orders: 3 rows", or
// "audit x cannot run on s.orders: <DuckDB's message>".
std::string AuditFailureLine(const AuditOutcome& outcome);

// The line and, when there are failing rows, a small table of the first few, each
// line indented by `indent`.
std::string DescribeAuditOutcome(const AuditOutcome& outcome, const std::string& indent = "  ");

}  // namespace materia
