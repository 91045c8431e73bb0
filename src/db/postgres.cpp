#include "db/postgres.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cassert>
#include <cctype>
#include <charconv>
#include <string>
#include <utility>

namespace materia {

namespace {

// The most results libpq may hand back after one statement or COPY before we give up
// waiting for the end (one, in practice).
constexpr int kPendingResultsMax = 1'000;
// The protocol's limit on parameters of one statement.
constexpr size_t kParametersMax = 65'535;

// Notices ("schema already exists, skipping") would go to stderr by default; they
// tell a user nothing they must act on.
void IgnoreNotice(void*, const char*) {}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::string Trim(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return std::string();
  size_t end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

// Joins the lines of `text` with single spaces.
std::string OneLine(std::string_view text) {
  std::string line;
  for (char character : text) {
    if (character == '\n' || character == '\r' || character == '\t') character = ' ';
    if (character == ' ' && (line.empty() || line.back() == ' ')) continue;
    line += character;
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

// "Connection refused" -> "connection refused"; "SSL error" stays.
std::string LowercaseFirstWord(std::string text) {
  if (text.size() >= 2 && std::isupper(static_cast<unsigned char>(text[0])) &&
      std::islower(static_cast<unsigned char>(text[1]))) {
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  }
  return text;
}

// The reason in libpq's multi-line error text: the last line that is not an indented
// hint, without "connection to server at ... failed: " or a "FATAL:  " severity.
std::string LibpqReason(const char* message) {
  std::string_view text = message ? message : "";
  std::string reason;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == '\t' || line[0] == ' ') continue;
    reason = std::string(line);
  }
  if (StartsWith(reason, "connection to server")) {
    size_t failed = reason.find(" failed: ");
    if (failed != std::string::npos) reason = reason.substr(failed + 9);
  }
  for (std::string_view severity : {"FATAL:", "ERROR:"}) {
    if (StartsWith(reason, severity)) reason = reason.substr(severity.size());
  }
  reason = Trim(reason);
  if (reason.empty()) reason = "unknown error";
  return LowercaseFirstWord(reason);
}

// "host H port P" for the server `connection` was asked to reach: the configured host
// list and port, else libpq's defaults (a socket folder, 5432).
std::string DescribeServer(PGconn* connection) {
  std::string host;
  std::string port;
  PQconninfoOption* options = PQconninfo(connection);
  for (PQconninfoOption* option = options; option && option->keyword; ++option) {
    if (option->val == nullptr) continue;
    std::string_view keyword = option->keyword;
    if (keyword == "host") host = option->val;
    if (keyword == "hostaddr" && host.empty()) host = option->val;
    if (keyword == "port") port = option->val;
  }
  PQconninfoFree(options);
  if (host.empty() && PQhost(connection)) host = PQhost(connection);
  if (port.empty() && PQport(connection)) port = PQport(connection);
  if (host.empty()) host = "localhost";
  if (port.empty()) port = "5432";
  return "host " + host + " port " + port;
}

// Whether libpq reads `conninfo` as a connection string rather than a database name.
bool IsConnectionString(const std::string& conninfo) {
  return conninfo.find('=') != std::string::npos || StartsWith(conninfo, "postgresql://") ||
         StartsWith(conninfo, "postgres://");
}

Status CheckConnectionString(const std::string& conninfo) {
  if (!IsConnectionString(conninfo)) return Status::Ok();
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options != nullptr) {
    PQconninfoFree(options);
    return Status::Ok();
  }
  std::string reason = error ? OneLine(error) : "out of memory";
  PQfreemem(error);
  return Status::InvalidInput("invalid Postgres connection string: " + reason);
}

int64_t ParseCount(const char* text) {
  int64_t count = 0;
  std::string_view digits = text ? text : "";
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
  (void)end;
  return error == std::errc() ? count : 0;
}

// Replaces the value of each "password" parameter in the query of a URL.
std::string MaskUrlQuery(std::string_view query) {
  std::string masked;
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = std::min(query.find('&', start), query.size());
    std::string_view parameter = query.substr(start, end - start);
    if (StartsWith(parameter, "password=")) {
      masked += "password=***";
    } else {
      masked += parameter;
    }
    if (end < query.size()) masked += '&';
    start = end + 1;
  }
  return masked;
}

// libpq reads a URL's user information up to the first '@' or '/' after "://".
std::string MaskUrlPassword(const std::string& url) {
  size_t authority = url.find("://") + 3;
  size_t query_from = authority;
  std::string masked = url;
  size_t at = url.find_first_of("@/", authority);
  if (at != std::string::npos && url[at] == '@') {
    size_t colon = url.find(':', authority);
    if (colon != std::string::npos && colon < at) {
      masked = url.substr(0, colon + 1) + "***" + url.substr(at);
      query_from = colon + 1 + 3 + 1;  // past "***@"
    } else {
      query_from = at + 1;
    }
  }
  size_t query = masked.find('?', query_from);
  if (query == std::string::npos) return masked;
  return masked.substr(0, query + 1) + MaskUrlQuery(std::string_view(masked).substr(query + 1));
}

bool IsSpace(char character) { return std::isspace(static_cast<unsigned char>(character)) != 0; }

// Scans key=value pairs as libpq does (values unquoted up to a space, or in single
// quotes; a backslash escapes the next character). Returns nullopt when malformed.
std::optional<std::string> MaskKeyValuePassword(const std::string& text) {
  std::string masked;
  size_t copied = 0;
  size_t position = 0;
  const size_t size = text.size();
  while (position < size) {
    while (position < size && IsSpace(text[position])) position++;
    if (position == size) break;
    size_t key_start = position;
    while (position < size && !IsSpace(text[position]) && text[position] != '=') position++;
    std::string_view key(text.data() + key_start, position - key_start);
    while (position < size && IsSpace(text[position])) position++;
    if (position == size || text[position] != '=') return std::nullopt;
    position++;
    while (position < size && IsSpace(text[position])) position++;
    size_t value_start = position;
    bool quoted = position < size && text[position] == '\'';
    if (quoted) position++;
    while (position < size) {
      char character = text[position];
      if (character == '\\') {
        position += 2;
        continue;
      }
      if (quoted && character == '\'') {
        position++;
        break;
      }
      if (!quoted && IsSpace(character)) break;
      position++;
    }
    position = std::min(position, size);
    if (key == "password") {
      masked += text.substr(copied, value_start - copied) + "***";
      copied = position;
    }
  }
  masked += text.substr(copied);
  return masked;
}

}  // namespace

// ---------------------------------------------------------------------------
// PgResult

std::optional<std::string> PgResult::Scalar() const {
  if (rows.empty() || rows[0].empty()) return std::nullopt;
  return rows[0][0];
}

// ---------------------------------------------------------------------------
// PgConnection

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const std::string& conninfo,
                                                            int connect_timeout_s) {
  if (connect_timeout_s <= 0) {
    return Status::InvalidInput("Postgres connect timeout of " +
                                std::to_string(connect_timeout_s) + " s is not positive");
  }
  MATERIA_RETURN_IF_ERROR(CheckConnectionString(conninfo));
  // Keywords are applied in order, and the expanded `dbname` (the whole conninfo)
  // comes last, so what the user wrote there wins over these defaults.
  std::string timeout = std::to_string(connect_timeout_s);
  const char* const keywords[] = {"connect_timeout", "fallback_application_name", "dbname",
                                  nullptr};
  const char* const values[] = {timeout.c_str(), "materia", conninfo.c_str(), nullptr};
  PGconn* raw = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (raw == nullptr) return Status::DatabaseError("cannot connect to Postgres: out of memory");
  std::unique_ptr<PgConnection> connection(new PgConnection());
  connection->connection_ = raw;
  connection->server_ = DescribeServer(raw);
  if (PQstatus(raw) != CONNECTION_OK) {
    // Values libpq checks only when connecting ("invalid integer value "x" for
    // connection option "port"") are the user's input, like a malformed string.
    const char* message = PQerrorMessage(raw);
    if (message != nullptr && StartsWith(message, "invalid ")) {
      return Status::InvalidInput("invalid Postgres connection string: " + OneLine(message));
    }
    return Status::DatabaseError("cannot connect to Postgres at " + connection->server_ + ": " +
                                 LibpqReason(PQerrorMessage(raw)));
  }
  PQsetNoticeProcessor(raw, IgnoreNotice, nullptr);
  return connection;
}

PgConnection::~PgConnection() {
  if (connection_) PQfinish(connection_);
}

bool PgConnection::connected() const { return PQstatus(connection_) == CONNECTION_OK; }

int PgConnection::server_version() const { return PQserverVersion(connection_); }

Status PgConnection::EnsureConnected() {
  if (PQstatus(connection_) == CONNECTION_OK) return Status::Ok();
  PQreset(connection_);
  if (PQstatus(connection_) == CONNECTION_OK) return Status::Ok();
  return Status::DatabaseError("cannot connect to Postgres at " + server_ + ": " +
                               LibpqReason(PQerrorMessage(connection_)));
}

Status PgConnection::ClientError() {
  last_sqlstate_.clear();
  std::string reason = LibpqReason(PQerrorMessage(connection_));
  if (PQstatus(connection_) == CONNECTION_BAD) {
    return Status::DatabaseError("lost connection to Postgres at " + server_ + ": " + reason);
  }
  return Status::DatabaseError("Postgres: " + reason);
}

Status PgConnection::ResultError(const pg_result* result) {
  const char* sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  if (primary == nullptr) {
    // Raised by libpq itself (a lost connection, say), not by the server.
    last_sqlstate_.clear();
    std::string reason = LibpqReason(PQresultErrorMessage(result));
    if (PQstatus(connection_) == CONNECTION_BAD) {
      return Status::DatabaseError("lost connection to Postgres at " + server_ + ": " + reason);
    }
    return Status::DatabaseError("Postgres: " + reason);
  }
  last_sqlstate_ = sqlstate ? sqlstate : "";
  std::string message = OneLine(primary);
  if (!last_sqlstate_.empty()) message += " (SQLSTATE " + last_sqlstate_ + ")";
  if (PQstatus(connection_) == CONNECTION_BAD) {
    // "terminating connection due to administrator command", and the session is gone.
    message = "lost connection to Postgres at " + server_ + ": " + message;
  }
  return Status::DatabaseError(message);
}

Result<PgResult> PgConnection::TakeResult(pg_result* result) {
  if (result == nullptr) return ClientError();
  ExecStatusType status = PQresultStatus(result);
  if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) {
    PQclear(result);
    AbandonPending();
    last_sqlstate_.clear();
    return Status::Internal("a COPY from or to the client must run through CopyIn or CopyOut");
  }
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
    Status error = ResultError(result);
    PQclear(result);
    return error;
  }
  last_sqlstate_.clear();
  PgResult rows;
  int columns = PQnfields(result);
  int row_count = PQntuples(result);
  rows.column_names.reserve(static_cast<size_t>(columns));
  for (int column = 0; column < columns; ++column) {
    rows.column_names.emplace_back(PQfname(result, column));
  }
  rows.rows.reserve(static_cast<size_t>(row_count));
  for (int row = 0; row < row_count; ++row) {
    std::vector<std::optional<std::string>>& values = rows.rows.emplace_back();
    values.reserve(static_cast<size_t>(columns));
    for (int column = 0; column < columns; ++column) {
      if (PQgetisnull(result, row, column)) {
        values.emplace_back(std::nullopt);
      } else {
        values.emplace_back(std::string(PQgetvalue(result, row, column),
                                        static_cast<size_t>(PQgetlength(result, row, column))));
      }
    }
  }
  rows.rows_changed = ParseCount(PQcmdTuples(result));
  rows.command_tag = PQcmdStatus(result) ? PQcmdStatus(result) : "";
  PQclear(result);
  return rows;
}

Result<PgResult> PgConnection::Query(const std::string& sql) {
  return TakeResult(PQexec(connection_, sql.c_str()));
}

Status PgConnection::Execute(const std::string& sql) { return Query(sql).status(); }

Result<PgResult> PgConnection::QueryParams(
    const std::string& sql, const std::vector<std::optional<std::string>>& params) {
  if (params.size() > kParametersMax) {
    return Status::Internal("a Postgres statement takes at most " +
                            std::to_string(kParametersMax) + " parameters, given " +
                            std::to_string(params.size()));
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::optional<std::string>& param : params) {
    values.push_back(param ? param->c_str() : nullptr);
  }
  return TakeResult(PQexecParams(connection_, sql.c_str(), static_cast<int>(values.size()),
                                 /*paramTypes=*/nullptr, values.data(), /*paramLengths=*/nullptr,
                                 /*paramFormats=*/nullptr, /*resultFormat=*/0));
}

void PgConnection::CancelRunningStatement() {
  PGcancel* cancel = PQgetCancel(connection_);
  if (cancel == nullptr) return;
  char error[256];
  (void)PQcancel(cancel, error, static_cast<int>(sizeof(error)));
  PQfreeCancel(cancel);
}

void PgConnection::AbandonPending() {
  for (int i = 0; i < kPendingResultsMax; ++i) {
    pg_result* result = PQgetResult(connection_);
    if (result == nullptr) return;
    ExecStatusType status = PQresultStatus(result);
    PQclear(result);
    if (status == PGRES_COPY_IN) {
      (void)PQputCopyEnd(connection_, "abandoned by the client");
    } else if (status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) {
      CancelRunningStatement();
      char* buffer = nullptr;
      for (int64_t chunk = 0; chunk < kCopyChunksMax; ++chunk) {
        int size = PQgetCopyData(connection_, &buffer, 0);
        if (buffer) PQfreemem(buffer);
        buffer = nullptr;
        if (size < 0) break;
      }
    }
    if (PQstatus(connection_) == CONNECTION_BAD) return;
  }
}

Status PgConnection::CheckCopyStarted(pg_result* started, bool copy_in,
                                      const std::string& copy_sql) {
  if (started == nullptr) return ClientError();
  ExecStatusType expected = copy_in ? PGRES_COPY_IN : PGRES_COPY_OUT;
  ExecStatusType status = PQresultStatus(started);
  if (status == expected) {
    PQclear(started);
    return Status::Ok();
  }
  if (status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE) {
    Status error = ResultError(started);
    PQclear(started);
    return error;
  }
  PQclear(started);
  if (status == PGRES_COPY_IN) (void)PQputCopyEnd(connection_, "not a COPY ... TO STDOUT");
  AbandonPending();
  return Status::Internal(std::string("'") + OneLine(copy_sql) + "' is not a COPY " +
                          (copy_in ? "... FROM STDIN" : "... TO STDOUT"));
}

Status PgConnection::FinishCopy(int64_t* rows_copied) {
  Status outcome = Status::Ok();
  for (int i = 0; i < kPendingResultsMax; ++i) {
    pg_result* result = PQgetResult(connection_);
    if (result == nullptr) return outcome;
    Result<PgResult> finished = TakeResult(result);
    if (!finished.ok() && outcome.ok()) outcome = finished.status();
    if (finished.ok() && rows_copied) *rows_copied = finished->rows_changed;
    if (PQstatus(connection_) == CONNECTION_BAD) return outcome.ok() ? ClientError() : outcome;
  }
  return Status::Internal("Postgres kept sending results after a COPY");
}

Status PgConnection::CopyIn(const std::string& copy_sql, const PgCopySource& source,
                            int64_t* rows_copied) {
  MATERIA_RETURN_IF_ERROR(
      CheckCopyStarted(PQexec(connection_, copy_sql.c_str()), /*copy_in=*/true, copy_sql));
  std::string chunk;
  for (int64_t chunks = 0;; ++chunks) {
    Status produced = chunks < kCopyChunksMax
                          ? source(&chunk)
                          : Status::Internal("a COPY sent more than " +
                                             std::to_string(kCopyChunksMax) + " chunks");
    if (!produced.ok()) {
      (void)PQputCopyEnd(connection_, produced.message().c_str());
      (void)FinishCopy(nullptr);  // the server's "COPY from stdin failed" echoes ours
      return produced;
    }
    if (chunk.empty()) break;
    for (size_t offset = 0; offset < chunk.size(); offset += kCopyChunkBytes) {
      size_t size = std::min(kCopyChunkBytes, chunk.size() - offset);
      if (PQputCopyData(connection_, chunk.data() + offset, static_cast<int>(size)) != 1) {
        Status error = ClientError();
        AbandonPending();
        return error;
      }
    }
    chunk.clear();
  }
  if (PQputCopyEnd(connection_, nullptr) != 1) {
    Status error = ClientError();
    AbandonPending();
    return error;
  }
  return FinishCopy(rows_copied);
}

Status PgConnection::CopyIn(const std::string& copy_sql, std::string_view data,
                            int64_t* rows_copied) {
  size_t offset = 0;
  return CopyIn(
      copy_sql,
      [&](std::string* chunk) {
        size_t size = std::min(kCopyChunkBytes, data.size() - offset);
        chunk->assign(data.substr(offset, size));
        offset += size;
        return Status::Ok();
      },
      rows_copied);
}

Status PgConnection::CopyOut(const std::string& copy_sql, const PgCopySink& sink) {
  MATERIA_RETURN_IF_ERROR(
      CheckCopyStarted(PQexec(connection_, copy_sql.c_str()), /*copy_in=*/false, copy_sql));
  Status sunk = Status::Ok();
  for (int64_t chunks = 0;; ++chunks) {
    char* buffer = nullptr;
    int size = PQgetCopyData(connection_, &buffer, /*async=*/0);
    if (size == -1) break;  // the COPY is over; its result follows
    if (size < 0) {
      Status error = ClientError();
      AbandonPending();
      return error;
    }
    if (sunk.ok()) {
      sunk = chunks < kCopyChunksMax
                 ? sink(std::string_view(buffer, static_cast<size_t>(size)))
                 : Status::Internal("a COPY received more than " +
                                    std::to_string(kCopyChunksMax) + " chunks");
      // Stop the server sending the rest; what is already on the way is discarded.
      if (!sunk.ok()) CancelRunningStatement();
    }
    PQfreemem(buffer);
  }
  Status finished = FinishCopy(nullptr);
  return sunk.ok() ? finished : sunk;
}

// ---------------------------------------------------------------------------
// PgTransaction

Result<PgTransaction> PgTransaction::Begin(PgConnection& connection,
                                           const std::string& begin_sql) {
  MATERIA_RETURN_IF_ERROR(connection.Execute(begin_sql));
  return PgTransaction(&connection);
}

PgTransaction::PgTransaction(PgTransaction&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)) {}

PgTransaction::~PgTransaction() {
  if (connection_ == nullptr) return;
  // On a lost connection the server has already rolled back; the error is ignored.
  Status ignored = connection_->Execute("ROLLBACK");
  (void)ignored;
}

Status PgTransaction::Commit() {
  assert(connection_ != nullptr);
  Result<PgResult> committed = connection_->Query("COMMIT");
  if (!committed.ok()) return committed.status();
  connection_ = nullptr;
  // COMMIT of a transaction in which a statement failed succeeds, as a ROLLBACK.
  if (committed->command_tag == "ROLLBACK") {
    return Status::DatabaseError(
        "the transaction was rolled back because a statement in it failed");
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// Quoting

std::string QuotePgIdentifier(std::string_view name) {
  std::string quoted = "\"";
  for (char character : name) {
    if (character == '"') quoted += '"';
    quoted += character;
  }
  return quoted + "\"";
}

std::string QuotePgLiteral(std::string_view value) {
  bool has_backslash = value.find('\\') != std::string_view::npos;
  std::string quoted = has_backslash ? "E'" : "'";
  for (char character : value) {
    if (character == '\'' || character == '\\') quoted += character;
    quoted += character;
  }
  return quoted + "'";
}

std::string MaskConninfoPassword(const std::string& conninfo) {
  if (StartsWith(conninfo, "postgresql://") || StartsWith(conninfo, "postgres://")) {
    return MaskUrlPassword(conninfo);
  }
  std::optional<std::string> masked = MaskKeyValuePassword(conninfo);
  if (masked) return *masked;
  // Not key=value pairs libpq would accept; hide everything from "password" on.
  size_t password = conninfo.find("password");
  if (password == std::string::npos) return conninfo;
  return conninfo.substr(0, password) + "password=***";
}

}  // namespace materia
