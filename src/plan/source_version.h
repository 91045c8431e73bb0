// Data versions of source file sets: what `read_csv('data/**/*.csv.gz')` and friends
// read. A file set's version hashes its sorted (path, size, mtime) list, so touching,
// adding, removing or rewriting any file changes it, and nothing else does. Files
// whose path carries a date (…/2024/03/…, …/2024/03/15/…, …2024-03-15…) belong to
// the time interval containing that date, so a time-ranged model can tell which of
// its intervals a changed file affects.
//
// Globs are expanded by ExpandGlob (base/glob.h: DuckDB's rules, without starting a
// database), relative to the current directory (the project directory). Reads only the file
// system. A SourceScanner is not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/interval.h"
#include "base/status.h"
#include "db/duckdb.h"
#include "project/sql_analysis.h"

namespace materia {

struct SourceFile {
  std::string path;
  int64_t size = 0;
  int64_t mtime_ns = 0;
  std::optional<TimestampMs> date;  // from the path, when it has one
};

// "source:read_csv:data/landing/psd/*/*/*.csv.gz" — the input key of a source.
std::string SourceKey(const SourceReference& source);

// The date a path carries: the last …/YYYY/MM[/DD]/… or YYYY-MM-DD in it.
std::optional<TimestampMs> DateFromPath(const std::string& path);

// Hash of the sorted (path, size, mtime) list; "empty" for no files.
std::string FileSetVersion(const std::vector<SourceFile>& files);

class SourceScanner {
 public:
  SourceScanner() = default;

  // Expands the source's globs and stats each file. Results are memoized per key for
  // the scanner's life (one command). A source with no constant globs returns kInvalidInput.
  Result<std::vector<SourceFile>> Files(const SourceReference& source);

  // The whole file set's version.
  Result<std::string> Version(const SourceReference& source);

  // The version of the files dated inside `interval`, plus the undated ones.
  Result<std::string> VersionIn(const SourceReference& source, Interval interval);

 private:
  std::map<std::string, std::vector<SourceFile>> memo_;
};

}  // namespace materia
