// Audits: queries that return the rows of a model's data that break a rule, run after
// each evaluation. SQLMesh's built-ins (not_null, unique_values, accepted_range, ...)
// with the same names and arguments, each with a `_non_blocking` variant; custom
// audits from `audits/*.sql`:
//
//   AUDIT (name assert_positive, blocking false, defaults (threshold = 0));
//   SELECT * FROM @this_model WHERE @column < @threshold;
//
// A model asks for audits in its header, `audits (not_null(columns := (id)),
// assert_positive(column := price))`; a model with `grain` also gets a blocking
// uniqueness audit on each grain. Everything here is pure: parsing, resolving a
// model's calls against the known audits (errors carry file:line:col), and writing
// the SQL that finds failing rows. Running them is run/audit.h.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "project/macros.h"
#include "project/model.h"

namespace materia {

// A custom audit from an audits/*.sql file.
struct AuditDefinition {
  std::string name;  // lower-cased
  bool blocking = true;
  bool skip = false;  // `skip true`: defined but never run
  std::string description;
  std::map<std::string, std::string> defaults;  // argument (lower-cased) -> SQL text
  std::string query;  // with @this_model and @argument macros, rendered when it runs
  std::string path;
  SourceLocation header_location;  // the AUDIT keyword
  SourceLocation query_location;
};

// Parses an audits file: one or more `AUDIT (...);` headers, each followed by its
// query. Errors are one line "path:line:col: message": a missing name, an unknown
// property, a header without a query, a query that does not start with SELECT/WITH.
Result<std::vector<AuditDefinition>> ParseAuditFile(const std::string& path,
                                                    const std::string& content);

// One audit of one model, ready to run.
struct ResolvedAudit {
  std::string name;     // the audit without "_non_blocking": "not_null", "assert_positive"
  std::string display;  // what outputs call it: as written, or "unique grain (a, b)"
  bool blocking = true;
  bool builtin = true;
  // Arguments by name, defaults filled in.
  std::map<std::string, AuditArgument> arguments;
  std::string custom_query;       // for custom audits
  SourceLocation query_location;  // of custom_query, in its audits file
  SourceLocation location;        // where the model asks for it (its grain for grain audits)
};

// The names of the built-in audits, sorted (without the _non_blocking variants).
std::vector<std::string> BuiltinAuditNames();

// Resolves `model`'s audit calls (and its grain audits) against the built-ins and
// `custom`. Errors are one line at the call: unknown audit, unknown or missing
// argument, a list where one column is expected.
Result<std::vector<ResolvedAudit>> ResolveAudits(const ModelDefinition& model,
                                                 const std::map<std::string, AuditDefinition>& custom);

// The query returning the rows that fail `audit` when the model's data is `target`
// (a table name, or a parenthesized SELECT for the intervals just written). Custom
// audits are rendered with `macros` (this_model is set to `target`, the arguments
// are added as variables); errors are the renderer's, at the audit file.
Result<std::string> AuditQuery(const ResolvedAudit& audit, const std::string& target,
                               MacroContext macros);

}  // namespace materia
