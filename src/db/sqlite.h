// RAII wrappers over SQLite's C API. Nothing outside src/db/ includes sqlite3.h.
//
// A SqliteDatabase owns one connection to one database file. It is not safe for
// concurrent use: threads that share one must serialize every call, and hold their
// lock for the whole life of a SqliteTransaction. Several SqliteDatabase objects (in
// one process or in several) may open the same file at once; SQLite's file locks and
// the busy timeout arbitrate between them. A SqliteStatement and a SqliteTransaction
// belong to the database that made them and must not outlive it.
//
// Errors come back as Status::DatabaseError values naming the file and carrying
// SQLite's message ("state.db: database is locked"); nothing here throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "base/status.h"

// SQLite's own handle types, declared here so that sqlite3.h stays inside src/db/.
struct sqlite3;
struct sqlite3_stmt;

namespace materia {

enum class SqliteOpenMode {
  kReadOnly,         // the file must exist; writes fail
  kReadWriteCreate,  // the file is created when missing
};

struct SqliteOptions {
  SqliteOpenMode mode = SqliteOpenMode::kReadWriteCreate;
  int busy_timeout_ms = 10'000;  // how long a statement waits for another writer's lock
  bool write_ahead_log = true;   // switch the file to WAL mode (ignored when read-only)
  bool foreign_keys = true;      // enforce FOREIGN KEY constraints on this connection
};

// A value to bind to a statement parameter: NULL, an integer, a real or text.
using SqliteValue = std::variant<std::nullptr_t, int64_t, double, std::string>;

class SqliteDatabase;

class SqliteStatement {
 public:
  // The upper bound on rows one ForEachRow call visits; more is reported as an error.
  static constexpr int64_t kRowsMax = 100'000'000;

  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();  // finalizes

  // Binds parameter `index` (1-based, as in SQLite). Text is copied. Returns an error
  // when the index is out of range.
  Status BindText(int index, std::string_view value);
  Status BindInt64(int index, int64_t value);
  Status BindDouble(int index, double value);
  Status BindNull(int index);
  // Binds values[i] to parameter i + 1.
  Status BindAll(const std::vector<SqliteValue>& values);

  // Advances to the next row. Returns true when a row is ready to be read, false when
  // the statement has finished, or the error that stopped it.
  Result<bool> Step();
  // Steps until the statement finishes, ignoring any rows (for INSERT, UPDATE, ...).
  Status Run();
  // Calls `on_row` for each row until the statement finishes or `on_row` returns an
  // error (which is returned). More than kRowsMax rows is kInternal.
  Status ForEachRow(const std::function<Status(const SqliteStatement&)>& on_row);
  // Makes the statement ready to run again; bindings are cleared.
  Status Reset();

  // Column accessors for the current row; `column` is 0-based. A NULL reads as "", 0
  // or 0.0.
  int ColumnCount() const;
  bool ColumnIsNull(int column) const;
  std::string ColumnText(int column) const;
  int64_t ColumnInt64(int column) const;
  double ColumnDouble(int column) const;

 private:
  friend class SqliteDatabase;
  SqliteStatement(sqlite3_stmt* statement, sqlite3* connection, const std::string* path,
                  SqliteDatabase* owner, std::string sql);
  Status Error() const;
  void Release();  // back to the owner's idle statements, or finalized

  sqlite3_stmt* statement_ = nullptr;
  sqlite3* connection_ = nullptr;
  const std::string* path_ = nullptr;  // owned by the SqliteDatabase
  SqliteDatabase* owner_ = nullptr;    // keeps the compiled statement for reuse
  std::string sql_;
};

class SqliteDatabase {
 public:
  // Opens `path` as `options` say, then sets the busy timeout, foreign keys and (for
  // a writable file) WAL mode. Returns kNotFound when a read-only open finds no file,
  // kDatabaseError naming the path for anything else SQLite refuses.
  static Result<std::unique_ptr<SqliteDatabase>> Open(const std::string& path,
                                                      const SqliteOptions& options = {});
  ~SqliteDatabase();  // closes the connection
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  // Runs one or more statements separated by ';', ignoring any rows.
  Status Execute(const std::string& sql);
  // Compiles one statement.
  Result<SqliteStatement> Prepare(const std::string& sql);
  // Compiles one statement and binds values[i] to parameter i + 1.
  Result<SqliteStatement> PrepareBound(const std::string& sql,
                                       const std::vector<SqliteValue>& values);

  // Returns the text of the first column of the first row of `sql`, or an empty
  // string when there is no row (e.g. for "PRAGMA journal_mode").
  Result<std::string> QueryText(const std::string& sql);

  // The rowid of the last successful INSERT on this connection.
  int64_t LastInsertRowId() const;
  // Rows changed by the last INSERT, UPDATE or DELETE on this connection.
  int64_t ChangedRows() const;

  bool read_only() const { return read_only_; }
  const std::string& path() const { return path_; }

 private:
  SqliteDatabase() = default;
  Status Configure(const SqliteOptions& options);
  Status Error(const std::string& context) const;

  friend class SqliteStatement;
  static constexpr size_t kIdleStatementsMax = 64;

  sqlite3* connection_ = nullptr;
  std::string path_;
  bool read_only_ = false;
  // Compiled statements no longer in use, by SQL text: Prepare of the same text
  // reuses one instead of compiling again (a plan of many models asks the same
  // questions thousands of times).
  std::unordered_multimap<std::string, sqlite3_stmt*> idle_;
};

// A transaction on one SqliteDatabase. The destructor rolls back unless Commit()
// succeeded, so an early return on error leaves the file as it was.
class SqliteTransaction {
 public:
  enum class Mode {
    kDeferred,   // BEGIN: takes locks as statements need them; for reads
    kImmediate,  // BEGIN IMMEDIATE: takes the write lock now (waiting up to the busy
                 // timeout); for anything that writes
  };

  // Starts a transaction. Returns an error when one is already open on `database` or
  // the write lock cannot be had within the busy timeout.
  static Result<SqliteTransaction> Begin(SqliteDatabase& database, Mode mode);

  SqliteTransaction(SqliteTransaction&& other) noexcept;
  SqliteTransaction& operator=(SqliteTransaction&&) = delete;
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  ~SqliteTransaction();

  // Commits. On error the transaction is rolled back by the destructor.
  Status Commit();

 private:
  explicit SqliteTransaction(SqliteDatabase* database) : database_(database) {}

  SqliteDatabase* database_ = nullptr;  // null once committed or moved from
};

}  // namespace materia
