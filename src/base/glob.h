// File globs as DuckDB expands them for read_csv and friends: `*`, `?` and `[...]`
// within one path component, `**` for any number of directories. Local files only.
// Used to version source file sets without starting a database. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace materia {

// Returns the regular files matching `pattern`, sorted, spelled as the pattern spells
// its fixed part ("data/*.csv" -> "data/a.csv"). A pattern with a URL scheme
// ("s3://...") is kInvalidInput; more than `max_files` matches is kInvalidInput.
Result<std::vector<std::string>> ExpandGlob(const std::string& pattern, size_t max_files = 10'000'000);

}  // namespace materia
