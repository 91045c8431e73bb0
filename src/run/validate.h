// Validation: compiles every model's query with DuckDB without running any data.
//
// A private in-memory DuckDB database gets, in topological order, each model's table
// (or view) created EMPTY with the columns its query gives: `CREATE TABLE s.t AS
// SELECT * FROM (query) LIMIT 0`, a view as `CREATE VIEW`, a time-ranged model with
// the time filter a run adds (so a missing time column is found), a SEED from its CSV
// file's header. Parents are created first, so a child compiles against its parents'
// real columns. Source files that exist are read only as far as DuckDB needs to learn
// their columns; a source glob that matches no file is a problem of its own.
//
// Every problem is collected (validation does not stop at the first) with the file
// position of its cause: the query position DuckDB names, the time_column or columns
// property, or the source's path literal. A model whose parent has problems is not
// compiled (its errors would only repeat the parent's); it is counted as skipped.
// Pre- and post-statements are not executed (they may write files or attach
// databases); they run with the model.
//
// Not thread-safe per call; calls on different projects may run at once.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "project/project.h"

namespace materia {

struct ValidationProblem {
  std::string model;         // "schema.table"
  SourceLocation location;   // where in which file
  std::string message;       // one line, without the location
  // "models/x.sql:3:7: message"
  std::string ToString() const;
};

struct ValidationReport {
  size_t models = 0;    // models in the project
  size_t compiled = 0;  // models whose query compiled
  std::vector<std::string> skipped;  // not compiled because a parent has problems
  std::vector<ValidationProblem> problems;  // project order
  bool ok() const { return problems.empty(); }
};

// Validates every model of `project` (paths resolve against its directory). Returns
// an error only when validation itself cannot run (DuckDB cannot start); problems of
// the project are in the report.
Result<ValidationReport> ValidateProject(const Project& project);

// Where a DuckDB error message points, as a 0-based byte offset into `statement`
// (DuckDB appends "LINE n: <excerpt>" and a caret line to errors it can place).
// std::nullopt when the message names no position.
std::optional<size_t> DuckDbErrorOffset(const std::string& statement, const std::string& message);

}  // namespace materia
