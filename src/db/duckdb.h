// RAII wrappers over DuckDB's C API. Nothing outside src/db/ includes duckdb.h.
//
// A DuckDatabase owns one open database file (or an in-memory database); it is safe
// for concurrent use from several threads, each through its own DuckConnection. A
// DuckConnection is not thread-safe: use one per thread. Errors come back as
// Status values with DuckDB's message; nothing here throws.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace materia {

// A fully materialized query result. Values are DuckDB's own text rendering of each
// cell (as `CAST(x AS VARCHAR)` would give), std::nullopt for NULL.
struct QueryResult {
  std::vector<std::string> column_names;
  std::vector<std::string> column_types;  // DuckDB logical type names, e.g. "BIGINT"
  std::vector<std::vector<std::optional<std::string>>> rows;
  int64_t rows_changed = 0;  // for INSERT/UPDATE/DELETE

  // Returns the single value of a 1x1 result, or std::nullopt when empty or NULL.
  std::optional<std::string> Scalar() const;
};

struct DuckOptions {
  bool read_only = false;
  int threads = 0;              // 0 = DuckDB's default
  std::string memory_limit;     // empty = DuckDB's default, e.g. "4GB"
};

// Whether DuckDB takes `text` as a memory_limit ("8GB", "512MiB", "1.5 GB"; a unit is
// required), asked of DuckDB itself so that config.yaml is checked as it will be used.
bool IsValidMemoryLimit(const std::string& text);

class DuckDatabase {
 public:
  // Opens (creating if needed, unless read-only) the database at `path`; ":memory:"
  // or "" opens an in-memory database. Returns an error naming the path when the
  // file cannot be opened or is locked by another process.
  static Result<std::shared_ptr<DuckDatabase>> Open(const std::string& path,
                                                     const DuckOptions& options = {});
  ~DuckDatabase();
  DuckDatabase(const DuckDatabase&) = delete;
  DuckDatabase& operator=(const DuckDatabase&) = delete;

  const std::string& path() const { return path_; }
  void* raw() const { return database_; }  // duckdb_database, for src/db/ only

 private:
  DuckDatabase() = default;
  void* database_ = nullptr;
  std::string path_;
};

class DuckConnection {
 public:
  // Connects to `database`; the connection keeps the database alive.
  static Result<std::unique_ptr<DuckConnection>> Connect(std::shared_ptr<DuckDatabase> database);
  ~DuckConnection();
  DuckConnection(const DuckConnection&) = delete;
  DuckConnection& operator=(const DuckConnection&) = delete;

  // Runs one or more statements; returns the last statement's result.
  Result<QueryResult> Query(const std::string& sql);
  // Runs statements whose result is not needed.
  Status Execute(const std::string& sql);
  // Runs one statement with `?` / `$1` parameters bound as VARCHAR values
  // (std::nullopt binds NULL); DuckDB casts them to the parameter types.
  Result<QueryResult> QueryParams(const std::string& sql,
                                  const std::vector<std::optional<std::string>>& params);

  // Interrupts the query running on this connection (from another thread).
  void Interrupt();

 private:
  DuckConnection() = default;
  std::shared_ptr<DuckDatabase> database_;
  void* connection_ = nullptr;
};

// Quotes an identifier for DuckDB SQL: a"b -> "a""b".
std::string QuoteIdentifier(const std::string& name);
// Quotes each name and joins them with ", ": a, b"c -> "a", "b""c".
std::string QuoteIdentifierList(const std::vector<std::string>& names);
// Quotes a string literal: it's -> 'it''s'.
std::string QuoteLiteral(const std::string& value);

}  // namespace materia
