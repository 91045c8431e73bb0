// Macro rendering: replaces @-macros in SQL text with SQL literals.
//
// Macros (SQLMesh's names and renderings; end values are the inclusive end of the
// interval, i.e. end_ms - 1 ms, as SQLMesh renders them):
//   @start_ds / @end_ds          '2024-01-01'                (string literal)
//   @start_date / @end_date      CAST('2024-01-01' AS DATE)
//   @start_ts / @end_ts          '2024-01-01 00:00:00'        ('2024-01-01 23:59:59.999' for end)
//   @start_epoch / @end_epoch    1704067200                  (seconds, a number; end = last second)
//   @start_millis / @end_millis  milliseconds
//   @execution_ds / @execution_ts / @execution_epoch   the execution time
//   Every prefix (start, end, execution) also takes the other postfixes: _date, _millis,
//   _tstz ('2024-01-01 00:00:00+00:00') and _dt (CAST('2024-01-01 00:00:00' AS TIMESTAMP)).
//   @VAR('name' [, default])     the variable from config.yaml `variables` (or the
//                                default, or NULL) rendered as a SQL literal: strings quoted,
//                                numbers and booleans bare
//   @name                        a config.yaml variable by name, as SQLMesh allows
//                                (names above win over variables of the same name)
//   @this_model                  the physical table name of the model being rendered
//   @gateway                     the gateway name as a string literal
// Macro and variable names are case-insensitive. Text inside string literals, quoted
// identifiers and comments is left alone, as is '@' not followed by a name (DuckDB's
// absolute value). The default of @VAR is copied as written. Errors, each at the
// macro's line:col in its file:
//   "models/a.sql:4:12: unknown macro @foo"
//   "models/a.sql:4:12: @VAR needs a variable name, e.g. @VAR('landing_dir')"
//   "models/a.sql:4:20: @VAR takes a name and an optional default, e.g. @VAR('n', 3)"
//   "models/a.sql:4:16: unclosed '('", and the tokenizer's "unterminated string" etc.
// Thread-safe: pure function of its arguments.
#pragma once

#include <map>
#include <string>

#include "base/status.h"
#include "base/time.h"
#include "project/model.h"

namespace materia {

struct MacroContext {
  TimestampMs start_ms = 0;      // interval start, included
  TimestampMs end_ms = 0;        // interval end, excluded
  TimestampMs execution_ms = 0;  // when the run happens
  // config.yaml `variables`, each already rendered as a SQL literal ('text', 42, true);
  // keys lower-case (LoadConfig lower-cases them).
  std::map<std::string, std::string> variables;
  std::string this_model;  // physical name, already quoted as needed
  std::string gateway;
};

// Renders `sql`, whose first character is at `location` in its file (for messages).
Result<std::string> RenderMacros(const std::string& sql, const MacroContext& context,
                                 const SourceLocation& location);

// True when `sql` uses any time macro (@start_*, @end_*, @execution_*).
bool UsesTimeMacros(const std::string& sql);

}  // namespace materia
