// RAII wrappers over libpq, Postgres's C client. Nothing outside src/db/ includes
// libpq-fe.h.
//
// A PgConnection owns one session with one Postgres server. It is used by one thread
// at a time: threads that share one must serialize every call (and hold their lock for
// the whole life of a PgTransaction). Separate PgConnection objects are independent
// and may be used from different threads at once. A PgTransaction belongs to the
// connection that began it and must not outlive it.
//
// Values travel as text in both directions (libpq's text format): parameters are
// strings that the server casts to the types it infers, and results are strings, with
// std::nullopt for SQL NULL.
//
// Errors are one line, never libpq's multi-line output:
//  - a server that cannot be reached: "cannot connect to Postgres at host 127.0.0.1
//    port 1: connection refused" (kDatabaseError; no password is ever printed);
//  - a bad connection string: kInvalidInput;
//  - an error the server reports: its primary message and SQLSTATE,
//    "relation "nope" does not exist (SQLSTATE 42P01)" (kDatabaseError);
//  - a session lost mid-way: "lost connection to Postgres at host H port P: server
//    closed the connection unexpectedly" (kDatabaseError; see EnsureConnected).
// Nothing here throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

// libpq's own handle type, declared here so that libpq-fe.h stays inside src/db/.
struct pg_conn;
struct pg_result;

namespace materia {

// The rows of one statement, every value as text.
struct PgResult {
  std::vector<std::string> column_names;
  std::vector<std::vector<std::optional<std::string>>> rows;
  int64_t rows_changed = 0;  // rows inserted, updated, deleted or copied; 0 for others
  std::string command_tag;   // the server's tag for the statement, e.g. "INSERT 0 1"

  // Returns the single value of a 1x1 result, or std::nullopt when empty or NULL.
  std::optional<std::string> Scalar() const;
};

// Produces the data of a COPY ... FROM STDIN: fills `*chunk` (given empty) with the
// next bytes, leaving it empty when there is no more. An error aborts the COPY (the
// server keeps none of its rows) and is returned by CopyIn.
using PgCopySource = std::function<Status(std::string* chunk)>;
// Receives the data of a COPY ... TO STDOUT, one row (with its newline) per call. An
// error cancels the COPY and is returned by CopyOut.
using PgCopySink = std::function<Status(std::string_view chunk)>;

class PgConnection {
 public:
  // The most bytes sent in one message of CopyIn(copy_sql, data).
  static constexpr size_t kCopyChunkBytes = 1 << 20;
  // The most chunks one CopyIn or CopyOut moves; more is reported as an error.
  static constexpr int64_t kCopyChunksMax = 10'000'000'000;

  // Connects to the server that `conninfo` names: a URL
  // ("postgresql://user:password@host:5432/db") or key=value pairs ("host=db port=5432
  // dbname=materia"); empty means libpq's defaults and environment (PGHOST, PGPORT,
  // PGUSER, PGPASSWORD, PGDATABASE, ...). `connect_timeout_s` bounds each attempt to
  // reach a host (> 0); a connect_timeout inside `conninfo` takes precedence. Returns
  // kInvalidInput for a malformed connection string, kDatabaseError with one line
  // naming host and port for a server that cannot be reached or refuses the login.
  static Result<std::unique_ptr<PgConnection>> Connect(const std::string& conninfo,
                                                       int connect_timeout_s = 10);
  ~PgConnection();  // closes the session
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one or more statements separated by ';' and returns the rows of the last.
  // A COPY from or to the client is refused (kInternal): it goes through CopyIn or
  // CopyOut.
  Result<PgResult> Query(const std::string& sql);
  // Runs one or more statements separated by ';', ignoring any rows.
  Status Execute(const std::string& sql);
  // Runs one statement with parameters $1, $2, ... bound to params[0], params[1], ...
  // as text (std::nullopt binds NULL); the server casts them to the types it infers.
  Result<PgResult> QueryParams(const std::string& sql,
                               const std::vector<std::optional<std::string>>& params);

  // Runs `copy_sql` (a COPY ... FROM STDIN) and sends it what `source` produces.
  // Returns the error of `source`, or of the server (a malformed row, say), in which
  // case no row was stored; on success `rows_copied` (when given) receives the count.
  Status CopyIn(const std::string& copy_sql, const PgCopySource& source,
                int64_t* rows_copied = nullptr);
  // Runs `copy_sql` (a COPY ... FROM STDIN) sending `data`, in chunks of
  // kCopyChunkBytes.
  Status CopyIn(const std::string& copy_sql, std::string_view data,
                int64_t* rows_copied = nullptr);
  // Runs `copy_sql` (a COPY ... TO STDOUT) and passes each row to `sink`. Returns the
  // error of `sink` (the COPY is then cancelled) or of the server.
  Status CopyOut(const std::string& copy_sql, const PgCopySink& sink);

  // Returns ok when the session is usable; after a lost connection, tries once to
  // reconnect with the same settings, and returns the one-line error when that fails.
  // Anything the old session had set (SET, temporary tables, an open transaction) is
  // gone after a reconnect.
  Status EnsureConnected();
  // Whether the session is usable as far as libpq knows (it learns of a lost
  // connection only when a statement fails).
  bool connected() const;

  // The SQLSTATE of the last error the server reported on this connection ("42P01"),
  // or "" when the last statement succeeded or failed on the client's side.
  const std::string& last_sqlstate() const { return last_sqlstate_; }
  // "host H port P", for messages; never holds a password.
  const std::string& server() const { return server_; }
  // The server's version as an integer, e.g. 150018 for 15.18.
  int server_version() const;

 private:
  PgConnection() = default;
  // Turns a finished libpq result (which it frees) into a PgResult or an error.
  Result<PgResult> TakeResult(pg_result* result);
  // The error of a result that failed: the server's message and SQLSTATE, or
  // libpq's own first line. Sets last_sqlstate_.
  Status ResultError(const pg_result* result);
  // libpq's last error on this connection as one line.
  Status ClientError();
  // Checks what `started` (the result of sending a COPY) says, freeing it: ok when it
  // is a COPY in direction `copy_in`. A COPY the other way is ended first.
  Status CheckCopyStarted(pg_result* started, bool copy_in, const std::string& copy_sql);
  // Collects the results after a COPY ends: its error, or its row count.
  Status FinishCopy(int64_t* rows_copied);
  // Ends whatever the connection is in the middle of (a COPY, pending results) and
  // discards it, so the next statement can run.
  void AbandonPending();
  // Asks the server to cancel the statement running on this connection.
  void CancelRunningStatement();

  pg_conn* connection_ = nullptr;
  std::string server_;
  std::string last_sqlstate_;
};

// A transaction on one PgConnection. The destructor rolls back unless Commit()
// succeeded, so an early return on error leaves the database as it was.
class PgTransaction {
 public:
  // Starts a transaction with `begin_sql` ("BEGIN", or e.g. "BEGIN ISOLATION LEVEL
  // SERIALIZABLE"). Returns an error when the server refuses it.
  static Result<PgTransaction> Begin(PgConnection& connection,
                                     const std::string& begin_sql = "BEGIN");

  PgTransaction(PgTransaction&& other) noexcept;
  PgTransaction& operator=(PgTransaction&&) = delete;
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;
  ~PgTransaction();

  // Commits. Returns kDatabaseError when the server rolled back instead (an earlier
  // statement in the transaction failed) or the commit failed.
  Status Commit();

 private:
  explicit PgTransaction(PgConnection* connection) : connection_(connection) {}

  PgConnection* connection_ = nullptr;  // null once committed or moved from
};

// Quotes an identifier for Postgres SQL: a"b -> "a""b".
std::string QuotePgIdentifier(std::string_view name);
// Quotes a string literal: it's -> 'it''s'; a backslash makes it E'...' with the
// backslash doubled, so the result means the same whatever standard_conforming_strings
// says.
std::string QuotePgLiteral(std::string_view value);

// Returns `conninfo` with any password replaced by "***": the password of a URL's
// user ("postgresql://u:***@host/db"), a URL's password parameter, and a key=value
// password ("password=***"). Everything else is kept as it was.
std::string MaskConninfoPassword(const std::string& conninfo);

}  // namespace materia
