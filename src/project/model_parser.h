// Parses a model file: optional comments, `MODEL ( ... );`, then SQL statements.
//
// Accepts what SQLMesh accepts in practice: comments (-- and /* */) anywhere outside
// strings, trailing commas, lower/upper-case keys and kinds, `kind FULL` or
// `kind INCREMENTAL_BY_TIME_RANGE (time_column ds, batch_size 7, lookback 2)`,
// `kind SEED (path 'x.csv')`, bare or bracketed tags (`tags nightly` / `tags [a, b]`
// / `tags (a, b)`), `grain id` / `grain (a, b)` / `grains ((a, b), c)`, quoted or
// bare string values. Statements after the header are split on ';' outside strings,
// comments and parentheses; the one SELECT/WITH statement is the query, those before
// it are pre-statements and those after post-statements.
//
// Details: a UTF-8 byte order mark is skipped; columns count characters. The header
// may end at the end of the file without ';' (a SEED). `name` and `depends_on` entries
// are schema.table (bare, "quoted" or one 'string'), lower-cased. Statement texts run
// from their first token to their last, so comments around them are dropped. A SEED
// takes no query; statements after its header are post-statements. The SQLMesh
// properties Materia does not use yet (partitioned_by, storage_format, enabled,
// columns, ...) and kind properties such as batch_concurrency are accepted and kept in
// `properties` / `kind_properties`. Limits: 16 MiB per file, brackets nested 1000 deep.
//
// Errors are one line: "path:line:col: message", kInvalidInput. Unknown properties,
// unknown kinds, a missing name, and kind properties that do not belong to the kind
// are errors. The messages (each at the offending token):
//   expected MODEL (...) at the start of the file, found 'SELECT'   (or "end of file")
//   expected '(' after MODEL, found 'name'
//   expected ';' after the MODEL header, found 'SELECT'
//   MODEL has no name                                    (at the MODEL keyword)
//   model name 'x' must be schema.table / depends_on entry 'y' must be schema.table
//   unknown property 'nmae' / property 'name' is set twice / property 'owner' has no value
//   expected a property name, found ','  / expected a kind property name, found ...
//   unknown kind 'FUL' / kind 'SCD_TYPE_2' is not supported yet
//   expected a model kind, found ''FULL'' / unexpected 'x' after kind FULL
//   property 'time_column' does not belong to kind FULL
//   kind INCREMENTAL_BY_TIME_RANGE needs a time_column, e.g. kind ... (time_column ds)
//   kind SEED needs a path, e.g. kind SEED (path '../seeds/x.csv')
//   batch_size must be a non-negative integer, got '-1'   (also lookback)
//   time_column takes a column and an optional format, e.g. time_column (ds, '%Y-%m-%d')
//   column_descriptions must be written (column = 'description', ...)
//   csv_settings must be written (name = value, ...)
//   empty item in a list
//   unterminated string / unterminated quoted identifier / unterminated comment
//   unclosed '(' / unexpected ')' / brackets nest deeper than 1000 levels
//   invalid cron '@fortnightly': ... / start: invalid date or time 'x' (also end)
//   interval_unit must be one of year, month, ..., got 'fortnight'
//   model has no query                (just after the file's last token)
//   model has no query: a model's query is a SELECT or WITH statement, found 'DELETE'
//   a SEED model takes its rows from its CSV file and has no query
// and, for a file over the limit, "path: model file is N bytes, more than the limit
// of 16777216". Thread-safe: no shared state.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "project/model.h"

namespace materia {

// SQLMesh's interval units, for `interval_unit` in a MODEL header or model_defaults.
inline constexpr std::string_view kIntervalUnitList =
    "year, month, day, hour, half_hour, quarter_hour, five_minute";
inline bool IsIntervalUnit(std::string_view lower) {
  for (std::string_view unit : {"year", "month", "day", "hour", "half_hour", "quarter_hour", "five_minute"}) {
    if (lower == unit) return true;
  }
  return false;
}

// `path` is used in messages and stored in the definition; `content` is the file.
Result<ModelDefinition> ParseModelFile(const std::string& path, const std::string& content);

// Parses one audit call written as in a MODEL header's `audits (...)`, e.g.
// "not_null(columns := (id))" from config.yaml's model_defaults; `start` is where the
// text begins in its file, for messages.
Result<AuditCall> ParseAuditCall(std::string_view text, const SourceLocation& start);

}  // namespace materia
