// The reference every transform figure is compared with: raw DuckDB running the SQL
// materia runs, serially on one connection, with none of materia's bookkeeping (no
// state store, no transactions of its own, no row counts, no views).
#pragma once

#include <string>
#include <vector>

#include "base/time.h"
#include "plan/plan.h"
#include "project/project.h"

namespace materia::bench {

// The statements that build every model of `project` as `plan` decided: CREATE SCHEMA
// for each physical schema, then, in topological order, CREATE OR REPLACE TABLE (or
// VIEW) of the model's physical table AS the query that RenderForExecution gives, so
// references point at the tables just created. Only FULL and VIEW models are
// supported (the benchmark projects have no others); dies on any other kind.
std::vector<std::string> RenderReferenceStatements(const Project& project, const Plan& plan,
                                                   TimestampMs now_ms);

// Removes any database at `database_path`, opens a fresh one (DuckDB's default
// settings, as the warehouse is opened), runs `statements` one after the other on one
// connection and closes the database (its checkpoint included). Returns the wall time
// in ms, from opening to closed. Dies when a statement fails.
double RunReference(const std::string& database_path, const std::vector<std::string>& statements);

}  // namespace materia::bench
