// SQL analysis through DuckDB's own parser: what a query reads, and its normalized
// text. Never regular expressions.
//
// `json_serialize_sql(q)` gives the parse tree as JSON. From it we take every base
// table reference (minus the names of CTEs), every file-reading table function with
// its constant path arguments (the source globs), and the tree's hash without source
// positions, which fingerprints use: the tree is what json_deserialize_sql turns back
// into normalized text, so formatting and comments change neither.
//
// A SqlAnalyzer wraps one DuckDB connection to an in-memory database (nothing is
// executed), opened on first use, and is not thread-safe; use one per thread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "db/duckdb.h"

namespace materia {

// A table-function call that reads files: read_csv('data/**/*.csv.gz', ...).
struct SourceReference {
  std::string function;            // "read_csv"
  std::vector<std::string> globs;  // the constant path arguments
  bool operator==(const SourceReference& other) const = default;
};

struct QueryAnalysis {
  std::vector<std::string> tables;  // "schema.table", lower-cased, sorted, unique
  std::vector<SourceReference> sources;
  std::string tree_hash;  // SHA-256 of the parse tree without its source positions
  std::string tree_json;  // the serialized parse tree (Analyze only, not AnalyzeBatch)
  std::vector<std::string> select_names;  // output column names, when knowable ("" else)
};

// A syntax error: the message and the 0-based character offset into the query
// (std::string::npos when DuckDB gave none).
struct SqlSyntaxError {
  std::string message;
  size_t offset = std::string::npos;
};

class SqlAnalyzer {
 public:
  // An analyzer over a private in-memory DuckDB database, opened on first use.
  static Result<SqlAnalyzer> Create();

  // Analyzes one SELECT statement. A syntax error returns kInvalidInput whose message
  // is DuckDB's; `syntax_error` (if not null) receives the offset for file:line:col.
  Result<QueryAnalysis> Analyze(const std::string& sql, SqlSyntaxError* syntax_error = nullptr);

  // Analyzes many statements at once (far faster than one by one); `errors` receives
  // each statement's syntax error offset. Results are in the order of `sqls`.
  std::vector<Result<QueryAnalysis>> AnalyzeBatch(const std::vector<std::string>& sqls,
                                                  std::vector<SqlSyntaxError>* errors);

  // Returns `sql` with each table reference whose lower-cased "schema.table" is a key
  // of `replacements` replaced by the value ("schema", "table" pair). The parse tree
  // says where each reference is; the text is spliced there, so the rest stays as
  // written. A reference without an alias gets its old table name as alias, so that
  // columns qualified by it (a.x for FROM raw.a) still bind. CTE names are never
  // replaced.
  Result<std::string> RewriteTables(
      const std::string& sql,
      const std::map<std::string, std::pair<std::string, std::string>>& replacements);

 private:
  Status Open();  // opens the database unless open
  Result<QueryAnalysis> AnalyzeTree(const std::string& sql, SqlSyntaxError* syntax_error);

  std::shared_ptr<DuckDatabase> database_;
  std::shared_ptr<DuckConnection> connection_;
};

// True when `function` (lower-case) reads files: read_csv, read_csv_auto,
// read_parquet, parquet_scan, read_json, read_json_auto, read_ndjson, ...
bool IsFileReadingFunction(const std::string& function);

}  // namespace materia
