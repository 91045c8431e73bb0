// The canonical layout of a model file, as `materia format` writes it:
//
//   -- comments before the header stay where they are
//   MODEL (
//     name raw.events,
//     kind INCREMENTAL_BY_TIME_RANGE (
//       time_column ds,
//       batch_size 7
//     ),
//     cron '@daily',
//     tags (raw, events)
//   );
//
//   SELECT ...
//
// The header has one property per line, two spaces in, `name` first and `kind`
// second, keys in lower case, kind names in upper case, a kind's properties in
// parentheses one per line; a value is written on one line with single spaces
// (`(a, b)`), or one item per line when that line would pass 100 characters. Then a
// blank line and the statements, separated by ';' and a blank line (no ';' after the
// last). The query is normalized: reserved keywords in upper case, runs of spaces made
// one, no space inside parentheses or before commas, at most one blank line, common
// indentation removed, tabs at line starts made two spaces. Pre- and post-statements
// and the `columns` property are kept exactly as written: their text is part of the
// model's fingerprint.
//
// Meaning never changes: the result is parsed again and must give the same model (the
// same properties, statements, and a query with the same DuckDB parse tree), so the
// fingerprint is unchanged. A query whose normalized text would parse differently,
// or that cannot be parsed or rendered at all, keeps its text as written (trailing
// white space trimmed). Comments are kept: before a property or statement they stay
// before it, after it on its line they stay after it. Formatting is idempotent.
//
// Thread-safe when each thread passes its own analyzer.
#pragma once

#include <string>

#include "base/status.h"
#include "project/config.h"
#include "project/sql_analysis.h"

namespace materia {

// Returns `content` (the file at `path`, relative to the project, for messages) in the
// canonical layout, ending with one newline. Errors: the parser's own messages for a
// file that does not parse ("models/a.sql:1:23: unknown kind 'FUL'"), and
// "models/a.sql: cannot be formatted without changing its meaning; left as written"
// should the canonical layout ever parse differently (kInternal).
Result<std::string> FormatModelFile(const std::string& path, const std::string& content,
                                    const ProjectConfig& config, SqlAnalyzer& analyzer);

}  // namespace materia
