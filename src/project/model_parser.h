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
// Errors are one line: "path:line:col: message", kInvalidInput. Unknown properties,
// unknown kinds, a missing name, and kind properties that do not belong to the kind
// are errors. Thread-safe: no shared state.
#pragma once

#include <string>

#include "base/status.h"
#include "project/model.h"

namespace materia {

// `path` is used in messages and stored in the definition; `content` is the file.
Result<ModelDefinition> ParseModelFile(const std::string& path, const std::string& content);

}  // namespace materia
