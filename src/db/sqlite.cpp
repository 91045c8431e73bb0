#include "db/sqlite.h"

#include <sqlite3.h>

#include <cassert>
#include <filesystem>
#include <limits>
#include <string>
#include <system_error>
#include <utility>

namespace materia {

namespace {

// Returns "path: SQLite's last message on `connection`".
Status ConnectionError(sqlite3* connection, const std::string& path) {
  const char* message = connection ? sqlite3_errmsg(connection) : "out of memory";
  return Status::DatabaseError(path + ": " + message);
}

// SQLite takes lengths as int; longer text cannot be bound.
bool FitsInInt(size_t size) {
  return size <= static_cast<size_t>(std::numeric_limits<int>::max());
}

}  // namespace

// ---------------------------------------------------------------------------
// SqliteStatement

SqliteStatement::SqliteStatement(sqlite3_stmt* statement, sqlite3* connection,
                                 const std::string* path, SqliteDatabase* owner, std::string sql)
    : statement_(statement), connection_(connection), path_(path), owner_(owner), sql_(std::move(sql)) {
  assert(statement_ != nullptr);
  assert(connection_ != nullptr);
  assert(path_ != nullptr);
}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : statement_(std::exchange(other.statement_, nullptr)),
      connection_(other.connection_),
      path_(other.path_),
      owner_(other.owner_),
      sql_(std::move(other.sql_)) {}

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept {
  if (this != &other) {
    Release();
    statement_ = std::exchange(other.statement_, nullptr);
    connection_ = other.connection_;
    path_ = other.path_;
    owner_ = other.owner_;
    sql_ = std::move(other.sql_);
  }
  return *this;
}

SqliteStatement::~SqliteStatement() { Release(); }

void SqliteStatement::Release() {
  sqlite3_stmt* statement = std::exchange(statement_, nullptr);
  if (!statement) return;
  if (owner_ && owner_->idle_.size() < SqliteDatabase::kIdleStatementsMax) {
    sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
    owner_->idle_.emplace(std::move(sql_), statement);
    return;
  }
  sqlite3_finalize(statement);
}

Status SqliteStatement::Error() const { return ConnectionError(connection_, *path_); }

Status SqliteStatement::BindText(int index, std::string_view value) {
  assert(statement_ != nullptr);
  if (!FitsInInt(value.size())) {
    return Status::DatabaseError(*path_ + ": text of " + std::to_string(value.size()) +
                                 " bytes is too long to store");
  }
  int code = sqlite3_bind_text(statement_, index, value.data(), static_cast<int>(value.size()),
                               SQLITE_TRANSIENT);
  return code == SQLITE_OK ? Status::Ok() : Error();
}

Status SqliteStatement::BindInt64(int index, int64_t value) {
  assert(statement_ != nullptr);
  int code = sqlite3_bind_int64(statement_, index, value);
  return code == SQLITE_OK ? Status::Ok() : Error();
}

Status SqliteStatement::BindDouble(int index, double value) {
  assert(statement_ != nullptr);
  int code = sqlite3_bind_double(statement_, index, value);
  return code == SQLITE_OK ? Status::Ok() : Error();
}

Status SqliteStatement::BindNull(int index) {
  assert(statement_ != nullptr);
  int code = sqlite3_bind_null(statement_, index);
  return code == SQLITE_OK ? Status::Ok() : Error();
}

Status SqliteStatement::BindAll(const std::vector<SqliteValue>& values) {
  if (values.size() != static_cast<size_t>(sqlite3_bind_parameter_count(statement_))) {
    return Status::Internal(*path_ + ": statement takes " +
                            std::to_string(sqlite3_bind_parameter_count(statement_)) +
                            " parameters, given " + std::to_string(values.size()));
  }
  for (size_t i = 0; i < values.size(); ++i) {
    int index = static_cast<int>(i) + 1;
    const SqliteValue& value = values[i];
    Status status;
    if (std::holds_alternative<std::nullptr_t>(value)) status = BindNull(index);
    if (std::holds_alternative<int64_t>(value)) status = BindInt64(index, std::get<int64_t>(value));
    if (std::holds_alternative<double>(value)) status = BindDouble(index, std::get<double>(value));
    if (std::holds_alternative<std::string>(value)) {
      status = BindText(index, std::get<std::string>(value));
    }
    MATERIA_RETURN_IF_ERROR(status);
  }
  return Status::Ok();
}

Result<bool> SqliteStatement::Step() {
  assert(statement_ != nullptr);
  int code = sqlite3_step(statement_);
  if (code == SQLITE_ROW) return true;
  if (code == SQLITE_DONE) return false;
  return Error();
}

Status SqliteStatement::Run() {
  return ForEachRow([](const SqliteStatement&) { return Status::Ok(); });
}

Status SqliteStatement::ForEachRow(
    const std::function<Status(const SqliteStatement&)>& on_row) {
  for (int64_t rows = 0; rows < kRowsMax; ++rows) {
    MATERIA_ASSIGN_OR_RETURN(bool has_row, Step());
    if (!has_row) return Status::Ok();
    MATERIA_RETURN_IF_ERROR(on_row(*this));
  }
  return Status::Internal(*path_ + ": a query returned more than " +
                          std::to_string(kRowsMax) + " rows");
}

Status SqliteStatement::Reset() {
  assert(statement_ != nullptr);
  sqlite3_clear_bindings(statement_);
  int code = sqlite3_reset(statement_);
  return code == SQLITE_OK ? Status::Ok() : Error();
}

int SqliteStatement::ColumnCount() const { return sqlite3_column_count(statement_); }

bool SqliteStatement::ColumnIsNull(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

std::string SqliteStatement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(statement_, column);
  int size = sqlite3_column_bytes(statement_, column);  // after _text, as SQLite requires
  if (text == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(size));
}

int64_t SqliteStatement::ColumnInt64(int column) const {
  return sqlite3_column_int64(statement_, column);
}

double SqliteStatement::ColumnDouble(int column) const {
  return sqlite3_column_double(statement_, column);
}

// ---------------------------------------------------------------------------
// SqliteDatabase

Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::Open(const std::string& path,
                                                             const SqliteOptions& options) {
  if (path.empty()) return Status::InvalidInput("no SQLite database path given");
  bool read_only = options.mode == SqliteOpenMode::kReadOnly;
  std::error_code error;
  if (read_only && !std::filesystem::exists(path, error)) {
    return Status::NotFound("no SQLite database at " + path);
  }
  int flags = SQLITE_OPEN_NOMUTEX;
  flags |= read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);

  std::unique_ptr<SqliteDatabase> database(new SqliteDatabase());
  database->path_ = path;
  database->read_only_ = read_only;
  int code = sqlite3_open_v2(path.c_str(), &database->connection_, flags, nullptr);
  if (code != SQLITE_OK) {
    return ConnectionError(database->connection_, path).WithPrefix("cannot open");
  }
  sqlite3_extended_result_codes(database->connection_, 1);
  MATERIA_RETURN_IF_ERROR(database->Configure(options));
  return database;
}

SqliteDatabase::~SqliteDatabase() {
  for (auto& [sql, statement] : idle_) sqlite3_finalize(statement);
  // sqlite3_close_v2 defers the close until every statement is finalized.
  if (connection_) sqlite3_close_v2(connection_);
}

Status SqliteDatabase::Configure(const SqliteOptions& options) {
  assert(options.busy_timeout_ms >= 0);
  if (sqlite3_busy_timeout(connection_, options.busy_timeout_ms) != SQLITE_OK) {
    return Error("cannot set the busy timeout");
  }
  MATERIA_RETURN_IF_ERROR(
      Execute(options.foreign_keys ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF"));
  if (read_only_ || !options.write_ahead_log) return Status::Ok();
  MATERIA_ASSIGN_OR_RETURN(std::string mode, QueryText("PRAGMA journal_mode = WAL"));
  if (mode != "wal") {
    return Status::DatabaseError(path_ + ": cannot switch to WAL mode (journal mode is '" +
                                 mode + "')");
  }
  // In WAL mode NORMAL never corrupts the file; a power cut may undo the last
  // commits, which state is built to survive (it records work only after the
  // warehouse committed it, and re-running converges). FULL costs an fsync per commit.
  return Execute("PRAGMA synchronous = NORMAL");
}

Status SqliteDatabase::Error(const std::string& context) const {
  return ConnectionError(connection_, path_).WithPrefix(context);
}

Status SqliteDatabase::Execute(const std::string& sql) {
  char* message = nullptr;
  int code = sqlite3_exec(connection_, sql.c_str(), nullptr, nullptr, &message);
  if (code == SQLITE_OK) return Status::Ok();
  std::string text = message ? message : sqlite3_errmsg(connection_);
  sqlite3_free(message);
  return Status::DatabaseError(path_ + ": " + text);
}

Result<SqliteStatement> SqliteDatabase::Prepare(const std::string& sql) {
  if (!FitsInInt(sql.size())) return Status::Internal(path_ + ": SQL text is too long");
  auto idle = idle_.find(sql);
  if (idle != idle_.end()) {
    sqlite3_stmt* statement = idle->second;
    idle_.erase(idle);
    return SqliteStatement(statement, connection_, &path_, this, sql);
  }
  sqlite3_stmt* statement = nullptr;
  int code = sqlite3_prepare_v2(connection_, sql.c_str(), static_cast<int>(sql.size()),
                                &statement, nullptr);
  if (code != SQLITE_OK) return ConnectionError(connection_, path_);
  if (statement == nullptr) return Status::Internal(path_ + ": no SQL statement in '" + sql + "'");
  return SqliteStatement(statement, connection_, &path_, this, sql);
}

Result<SqliteStatement> SqliteDatabase::PrepareBound(const std::string& sql,
                                                     const std::vector<SqliteValue>& values) {
  MATERIA_ASSIGN_OR_RETURN(SqliteStatement statement, Prepare(sql));
  MATERIA_RETURN_IF_ERROR(statement.BindAll(values));
  return statement;
}

Result<std::string> SqliteDatabase::QueryText(const std::string& sql) {
  MATERIA_ASSIGN_OR_RETURN(SqliteStatement statement, Prepare(sql));
  MATERIA_ASSIGN_OR_RETURN(bool has_row, statement.Step());
  if (!has_row) return std::string();
  std::string text = statement.ColumnText(0);
  MATERIA_RETURN_IF_ERROR(statement.Run());
  return text;
}

int64_t SqliteDatabase::LastInsertRowId() const {
  return sqlite3_last_insert_rowid(connection_);
}

int64_t SqliteDatabase::ChangedRows() const { return sqlite3_changes64(connection_); }

// ---------------------------------------------------------------------------
// SqliteTransaction

Result<SqliteTransaction> SqliteTransaction::Begin(SqliteDatabase& database, Mode mode) {
  const char* sql = mode == Mode::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN";
  MATERIA_RETURN_IF_ERROR(database.Execute(sql));
  return SqliteTransaction(&database);
}

SqliteTransaction::SqliteTransaction(SqliteTransaction&& other) noexcept
    : database_(std::exchange(other.database_, nullptr)) {}

SqliteTransaction::~SqliteTransaction() {
  if (database_ == nullptr) return;
  // A failed statement may already have ended the transaction; ROLLBACK then reports
  // "no transaction is active", which changes nothing and is ignored.
  Status ignored = database_->Execute("ROLLBACK");
  (void)ignored;
}

Status SqliteTransaction::Commit() {
  assert(database_ != nullptr);
  MATERIA_RETURN_IF_ERROR(database_->Execute("COMMIT"));
  database_ = nullptr;
  return Status::Ok();
}

}  // namespace materia
