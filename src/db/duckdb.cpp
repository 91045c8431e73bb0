#include "db/duckdb.h"

#include <duckdb.h>

#include <string>

namespace materia {

std::optional<std::string> QueryResult::Scalar() const {
  if (rows.empty() || rows[0].empty()) return std::nullopt;
  return rows[0][0];
}

bool IsValidMemoryLimit(const std::string& text) {
  duckdb_config config = nullptr;
  if (duckdb_create_config(&config) != DuckDBSuccess) return false;
  bool valid = duckdb_set_config(config, "memory_limit", text.c_str()) == DuckDBSuccess;
  duckdb_destroy_config(&config);
  return valid;
}

Result<std::shared_ptr<DuckDatabase>> DuckDatabase::Open(const std::string& path,
                                                         const DuckOptions& options) {
  duckdb_config config = nullptr;
  if (duckdb_create_config(&config) != DuckDBSuccess) {
    return Status::DatabaseError("cannot create a DuckDB configuration");
  }
  if (options.read_only) duckdb_set_config(config, "access_mode", "READ_ONLY");
  if (options.threads > 0) {
    duckdb_set_config(config, "threads", std::to_string(options.threads).c_str());
  }
  if (!options.memory_limit.empty()) {
    duckdb_set_config(config, "memory_limit", options.memory_limit.c_str());
  }
  // Extensions cannot be downloaded here; never try.
  duckdb_set_config(config, "autoinstall_known_extensions", "false");
  duckdb_set_config(config, "autoload_known_extensions", "false");

  std::shared_ptr<DuckDatabase> database(new DuckDatabase());
  database->path_ = path.empty() ? ":memory:" : path;
  duckdb_database raw = nullptr;
  char* error = nullptr;
  const char* open_path = (path.empty() || path == ":memory:") ? nullptr : path.c_str();
  duckdb_state state = duckdb_open_ext(open_path, &raw, config, &error);
  duckdb_destroy_config(&config);
  if (state != DuckDBSuccess) {
    std::string message = error ? error : "unknown error";
    if (error) duckdb_free(error);
    return Status::DatabaseError("cannot open DuckDB database " + database->path_ + ": " +
                                 message);
  }
  database->database_ = raw;
  return database;
}

DuckDatabase::~DuckDatabase() {
  if (database_) {
    auto raw = static_cast<duckdb_database>(database_);
    duckdb_close(&raw);
  }
}

Result<std::unique_ptr<DuckConnection>> DuckConnection::Connect(
    std::shared_ptr<DuckDatabase> database) {
  std::unique_ptr<DuckConnection> connection(new DuckConnection());
  duckdb_connection raw = nullptr;
  if (duckdb_connect(static_cast<duckdb_database>(database->raw()), &raw) != DuckDBSuccess) {
    return Status::DatabaseError("cannot connect to " + database->path());
  }
  connection->connection_ = raw;
  connection->database_ = std::move(database);
  return connection;
}

DuckConnection::~DuckConnection() {
  if (connection_) {
    auto raw = static_cast<duckdb_connection>(connection_);
    duckdb_disconnect(&raw);
  }
}

namespace {

// Returns DuckDB's SQL name of a logical type id.
const char* TypeName(duckdb_type type) {
  switch (type) {
    case DUCKDB_TYPE_BOOLEAN: return "BOOLEAN";
    case DUCKDB_TYPE_TINYINT: return "TINYINT";
    case DUCKDB_TYPE_SMALLINT: return "SMALLINT";
    case DUCKDB_TYPE_INTEGER: return "INTEGER";
    case DUCKDB_TYPE_BIGINT: return "BIGINT";
    case DUCKDB_TYPE_HUGEINT: return "HUGEINT";
    case DUCKDB_TYPE_UTINYINT: return "UTINYINT";
    case DUCKDB_TYPE_USMALLINT: return "USMALLINT";
    case DUCKDB_TYPE_UINTEGER: return "UINTEGER";
    case DUCKDB_TYPE_UBIGINT: return "UBIGINT";
    case DUCKDB_TYPE_FLOAT: return "FLOAT";
    case DUCKDB_TYPE_DOUBLE: return "DOUBLE";
    case DUCKDB_TYPE_DECIMAL: return "DECIMAL";
    case DUCKDB_TYPE_DATE: return "DATE";
    case DUCKDB_TYPE_TIME: return "TIME";
    case DUCKDB_TYPE_TIMESTAMP: return "TIMESTAMP";
    case DUCKDB_TYPE_TIMESTAMP_TZ: return "TIMESTAMP WITH TIME ZONE";
    case DUCKDB_TYPE_INTERVAL: return "INTERVAL";
    case DUCKDB_TYPE_VARCHAR: return "VARCHAR";
    case DUCKDB_TYPE_BLOB: return "BLOB";
    case DUCKDB_TYPE_UUID: return "UUID";
    case DUCKDB_TYPE_LIST: return "LIST";
    case DUCKDB_TYPE_STRUCT: return "STRUCT";
    case DUCKDB_TYPE_MAP: return "MAP";
    case DUCKDB_TYPE_ENUM: return "ENUM";
    default: return "OTHER";
  }
}

// Moves a duckdb_result into a QueryResult, destroying the C result either way.
Result<QueryResult> TakeResult(duckdb_state state, duckdb_result* result) {
  if (state != DuckDBSuccess) {
    const char* error = duckdb_result_error(result);
    std::string message = error ? error : "unknown DuckDB error";
    duckdb_destroy_result(result);
    return Status::DatabaseError(message);
  }
  QueryResult out;
  idx_t columns = duckdb_column_count(result);
  for (idx_t c = 0; c < columns; c++) {
    out.column_names.emplace_back(duckdb_column_name(result, c));
    duckdb_logical_type type = duckdb_column_logical_type(result, c);
    out.column_types.emplace_back(TypeName(duckdb_get_type_id(type)));
    duckdb_destroy_logical_type(&type);
  }
  out.rows_changed = static_cast<int64_t>(duckdb_rows_changed(result));
  idx_t rows = duckdb_row_count(result);
  out.rows.reserve(rows);
  for (idx_t r = 0; r < rows; r++) {
    std::vector<std::optional<std::string>> row;
    row.reserve(columns);
    for (idx_t c = 0; c < columns; c++) {
      if (duckdb_value_is_null(result, c, r)) {
        row.emplace_back(std::nullopt);
        continue;
      }
      char* text = duckdb_value_varchar(result, c, r);
      row.emplace_back(text ? std::string(text) : std::string());
      if (text) duckdb_free(text);
    }
    out.rows.push_back(std::move(row));
  }
  duckdb_destroy_result(result);
  return out;
}

}  // namespace

Result<QueryResult> DuckConnection::Query(const std::string& sql) {
  duckdb_result result;
  duckdb_state state =
      duckdb_query(static_cast<duckdb_connection>(connection_), sql.c_str(), &result);
  return TakeResult(state, &result);
}

Status DuckConnection::Execute(const std::string& sql) {
  duckdb_result result;
  duckdb_state state =
      duckdb_query(static_cast<duckdb_connection>(connection_), sql.c_str(), &result);
  if (state != DuckDBSuccess) {
    const char* error = duckdb_result_error(&result);
    std::string message = error ? error : "unknown DuckDB error";
    duckdb_destroy_result(&result);
    return Status::DatabaseError(message);
  }
  duckdb_destroy_result(&result);
  return Status::Ok();
}

Result<QueryResult> DuckConnection::QueryParams(
    const std::string& sql, const std::vector<std::optional<std::string>>& params) {
  duckdb_prepared_statement statement = nullptr;
  if (duckdb_prepare(static_cast<duckdb_connection>(connection_), sql.c_str(), &statement) !=
      DuckDBSuccess) {
    std::string message = duckdb_prepare_error(statement) ? duckdb_prepare_error(statement)
                                                           : "cannot prepare statement";
    duckdb_destroy_prepare(&statement);
    return Status::DatabaseError(message);
  }
  for (size_t i = 0; i < params.size(); i++) {
    duckdb_state bound = params[i] ? duckdb_bind_varchar_length(statement, i + 1,
                                                                params[i]->data(),
                                                                params[i]->size())
                                   : duckdb_bind_null(statement, i + 1);
    if (bound != DuckDBSuccess) {
      duckdb_destroy_prepare(&statement);
      return Status::DatabaseError("cannot bind parameter " + std::to_string(i + 1));
    }
  }
  duckdb_result result;
  duckdb_state state = duckdb_execute_prepared(statement, &result);
  duckdb_destroy_prepare(&statement);
  return TakeResult(state, &result);
}

void DuckConnection::Interrupt() {
  duckdb_interrupt(static_cast<duckdb_connection>(connection_));
}

std::string QuoteIdentifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string QuoteIdentifierList(const std::vector<std::string>& names) {
  std::string list;
  for (size_t i = 0; i < names.size(); i++) list += (i ? ", " : "") + QuoteIdentifier(names[i]);
  return list;
}

std::string QuoteLiteral(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

}  // namespace materia
