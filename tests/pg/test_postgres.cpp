// The libpq wrapper against a real server: queries and parameters, one-line errors,
// transactions, COPY in both directions, a lost session, and the connection errors a
// user sees (never with a password in them).

#include "db/postgres.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pg/pg_test_support.h"

namespace materia {
namespace {

using Row = std::vector<std::optional<std::string>>;

class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(RequirePostgres());
    connection_ = ConnectForTest();
    ASSERT_NE(connection_, nullptr);
  }

  PgResult Query(const std::string& sql) {
    auto result = connection_->Query(sql);
    EXPECT_TRUE(result.ok()) << sql << ": " << result.status().message();
    return result.ok() ? std::move(result).value() : PgResult{};
  }

  void Execute(const std::string& sql) {
    Status status = connection_->Execute(sql);
    ASSERT_TRUE(status.ok()) << sql << ": " << status.message();
  }

  // The connection still answers after an error.
  void ExpectUsable() { EXPECT_EQ(Query("SELECT 'still here'").Scalar(), "still here"); }

  std::unique_ptr<PgConnection> connection_;
};

TEST_F(PostgresTest, QueryReturnsColumnNamesRowsAndNulls) {
  PgResult result = Query("SELECT 1 AS a, NULL::text AS b, 'x y' AS c UNION ALL SELECT 2, 'z', ''");
  EXPECT_EQ(result.column_names, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(result.rows.size(), 2u);
  EXPECT_EQ(result.rows[0], (Row{"1", std::nullopt, "x y"}));
  EXPECT_EQ(result.rows[1], (Row{"2", "z", ""}));
  EXPECT_EQ(result.command_tag, "SELECT 2");
}

TEST_F(PostgresTest, ScalarIsTheOneValueOrNothing) {
  EXPECT_EQ(Query("SELECT 42").Scalar(), "42");
  EXPECT_EQ(Query("SELECT NULL").Scalar(), std::nullopt);
  EXPECT_EQ(Query("SELECT 1 WHERE false").Scalar(), std::nullopt);
}

TEST_F(PostgresTest, RowsChangedCountsWrites) {
  Execute("CREATE TEMPORARY TABLE t (x INTEGER)");
  EXPECT_EQ(Query("INSERT INTO t VALUES (1), (2), (3)").rows_changed, 3);
  EXPECT_EQ(Query("UPDATE t SET x = x + 1 WHERE x >= 2").rows_changed, 2);
  EXPECT_EQ(Query("DELETE FROM t").rows_changed, 3);
  EXPECT_EQ(Query("SELECT 1").rows_changed, 1);
}

TEST_F(PostgresTest, ExecuteRunsSeveralStatements) {
  Execute("CREATE TEMPORARY TABLE t (x INTEGER); INSERT INTO t VALUES (7); INSERT INTO t VALUES (8)");
  EXPECT_EQ(Query("SELECT SUM(x) FROM t").Scalar(), "15");
}

TEST_F(PostgresTest, ParametersAreTextAndNulls) {
  auto result = connection_->QueryParams(
      "SELECT $1::integer + 1, $2::text IS NULL, $3::text, length($3)",
      {"41", std::nullopt, "it's \"quoted\"; DROP TABLE x; --"});
  ASSERT_TRUE(result.ok()) << result.status().message();
  ASSERT_EQ(result->rows.size(), 1u);
  EXPECT_EQ(result->rows[0], (Row{"42", "t", "it's \"quoted\"; DROP TABLE x; --", "31"}));
  Execute("CREATE TEMPORARY TABLE t (a TEXT, b BIGINT)");
  auto inserted = connection_->QueryParams("INSERT INTO t VALUES ($1, $2)", {std::nullopt, "9"});
  ASSERT_TRUE(inserted.ok()) << inserted.status().message();
  EXPECT_EQ(inserted->rows_changed, 1);
  EXPECT_EQ(Query("SELECT a IS NULL, b FROM t").rows[0], (Row{"t", "9"}));
}

TEST_F(PostgresTest, SqlErrorIsOneLineWithSqlstate) {
  auto missing = connection_->Query("SELECT * FROM nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kDatabaseError);
  EXPECT_EQ(missing.status().message(), "relation \"nope\" does not exist (SQLSTATE 42P01)");
  EXPECT_EQ(connection_->last_sqlstate(), "42P01");
  ExpectUsable();
  EXPECT_EQ(connection_->last_sqlstate(), "");

  Status syntax = connection_->Execute("SELEC 1");
  EXPECT_EQ(syntax.message(), "syntax error at or near \"SELEC\" (SQLSTATE 42601)");

  auto bad_parameter = connection_->QueryParams("SELECT $1::integer", {"x"});
  ASSERT_FALSE(bad_parameter.ok());
  EXPECT_EQ(bad_parameter.status().message(),
            "invalid input syntax for type integer: \"x\" (SQLSTATE 22P02)");
  ExpectUsable();
}

TEST_F(PostgresTest, MultiLineServerMessageBecomesOneLine) {
  Status raised =
      connection_->Execute("DO $$ BEGIN RAISE EXCEPTION E'first line\\nsecond line'; END $$");
  EXPECT_EQ(raised.message(), "first line second line (SQLSTATE P0001)");
}

TEST_F(PostgresTest, TransactionRollsBackUnlessCommitted) {
  Execute("CREATE TEMPORARY TABLE t (x INTEGER)");
  {
    auto transaction = PgTransaction::Begin(*connection_);
    ASSERT_TRUE(transaction.ok()) << transaction.status().message();
    Execute("INSERT INTO t VALUES (1)");
  }  // rolled back
  EXPECT_EQ(Query("SELECT COUNT(*) FROM t").Scalar(), "0");
  {
    auto transaction = PgTransaction::Begin(*connection_);
    ASSERT_TRUE(transaction.ok());
    Execute("INSERT INTO t VALUES (2)");
    Status committed = transaction->Commit();
    ASSERT_TRUE(committed.ok()) << committed.message();
  }
  EXPECT_EQ(Query("SELECT x FROM t").Scalar(), "2");
}

TEST_F(PostgresTest, CommitAfterAFailedStatementIsAnError) {
  Execute("CREATE TEMPORARY TABLE t (x INTEGER)");
  auto transaction = PgTransaction::Begin(*connection_);
  ASSERT_TRUE(transaction.ok());
  Execute("INSERT INTO t VALUES (1)");
  EXPECT_FALSE(connection_->Execute("INSERT INTO t VALUES ('not a number')").ok());
  Status committed = transaction->Commit();
  EXPECT_EQ(committed.code(), StatusCode::kDatabaseError);
  EXPECT_EQ(committed.message(), "the transaction was rolled back because a statement in it failed");
  EXPECT_EQ(Query("SELECT COUNT(*) FROM t").Scalar(), "0");
}

// Rows in COPY's text format: tabs between columns, \N for NULL, escapes for a tab,
// newline and backslash inside a value.
std::string CopyRows(int rows) {
  std::string data;
  for (int i = 0; i < rows; i++) {
    data += std::to_string(i) + "\tname " + std::to_string(i) + "\t";
    data += (i % 7 == 0) ? "\\N" : (i % 5 == 0 ? "tab\\there\\nnewline \\\\ back" : "plain");
    data += "\n";
  }
  return data;
}

TEST_F(PostgresTest, CopyInAndOutRoundTripTenThousandRows) {
  constexpr int kRows = 10'000;
  Execute("CREATE TEMPORARY TABLE t (id INTEGER PRIMARY KEY, name TEXT, note TEXT)");
  std::string data = CopyRows(kRows);
  int64_t copied = -1;
  Status in = connection_->CopyIn("COPY t FROM STDIN", data, &copied);
  ASSERT_TRUE(in.ok()) << in.message();
  EXPECT_EQ(copied, kRows);
  EXPECT_EQ(Query("SELECT COUNT(*), COUNT(note) FROM t").rows[0],
            (Row{std::to_string(kRows), std::to_string(kRows - (kRows + 6) / 7)}));
  EXPECT_EQ(Query("SELECT note FROM t WHERE id = 5").Scalar(), "tab\there\nnewline \\ back");

  std::string out;
  int64_t chunks = 0;
  Status copied_out = connection_->CopyOut("COPY (SELECT * FROM t ORDER BY id) TO STDOUT",
                                           [&](std::string_view chunk) {
                                             out += chunk;
                                             chunks++;
                                             return Status::Ok();
                                           });
  ASSERT_TRUE(copied_out.ok()) << copied_out.message();
  EXPECT_EQ(chunks, kRows);  // one row per chunk
  EXPECT_EQ(out, data);
}

TEST_F(PostgresTest, CopyInTakesChunksThatSplitRows) {
  Execute("CREATE TEMPORARY TABLE t (id INTEGER, name TEXT, note TEXT)");
  std::string data = CopyRows(1'000);
  size_t offset = 0;
  Status in = connection_->CopyIn("COPY t FROM STDIN", [&](std::string* chunk) {
    size_t size = std::min<size_t>(777, data.size() - offset);  // mid-row boundaries
    chunk->assign(data, offset, size);
    offset += size;
    return Status::Ok();
  });
  ASSERT_TRUE(in.ok()) << in.message();
  EXPECT_EQ(Query("SELECT COUNT(*) FROM t").Scalar(), "1000");
}

TEST_F(PostgresTest, CopyInSourceErrorStoresNothing) {
  Execute("CREATE TEMPORARY TABLE t (id INTEGER, name TEXT, note TEXT)");
  int calls = 0;
  Status in = connection_->CopyIn("COPY t FROM STDIN", [&](std::string* chunk) {
    if (calls++ == 0) {
      *chunk = CopyRows(10);
      return Status::Ok();
    }
    return Status::IoError("input.csv: read failed");
  });
  EXPECT_EQ(in.code(), StatusCode::kIoError);
  EXPECT_EQ(in.message(), "input.csv: read failed");
  EXPECT_EQ(Query("SELECT COUNT(*) FROM t").Scalar(), "0");
}

TEST_F(PostgresTest, CopyInBadRowIsOneLineAndStoresNothing) {
  Execute("CREATE TEMPORARY TABLE t (id INTEGER, name TEXT)");
  Status in = connection_->CopyIn("COPY t FROM STDIN", std::string_view("1\ta\nnot a number\tb\n"));
  EXPECT_EQ(in.code(), StatusCode::kDatabaseError);
  EXPECT_EQ(in.message(), "invalid input syntax for type integer: \"not a number\" (SQLSTATE 22P02)");
  EXPECT_EQ(Query("SELECT COUNT(*) FROM t").Scalar(), "0");
}

TEST_F(PostgresTest, CopyOutSinkErrorCancelsTheCopy) {
  int64_t rows = 0;
  Status out = connection_->CopyOut("COPY (SELECT generate_series(1, 5000000)) TO STDOUT",
                                    [&](std::string_view) {
                                      if (++rows == 5) return Status::IoError("disk full");
                                      return Status::Ok();
                                    });
  EXPECT_EQ(out.code(), StatusCode::kIoError);
  EXPECT_EQ(out.message(), "disk full");
  EXPECT_EQ(rows, 5);
  ExpectUsable();
}

TEST_F(PostgresTest, CopyThroughTheWrongCallIsRefusedAndTheConnectionRecovers) {
  Execute("CREATE TEMPORARY TABLE t (x INTEGER)");
  auto queried = connection_->Query("COPY t FROM STDIN");
  EXPECT_EQ(queried.status().code(), StatusCode::kInternal);
  EXPECT_EQ(queried.status().message(),
            "a COPY from or to the client must run through CopyIn or CopyOut");
  ExpectUsable();
  Status wrong_way = connection_->CopyOut("COPY t FROM STDIN", [](std::string_view) {
    return Status::Ok();
  });
  EXPECT_EQ(wrong_way.code(), StatusCode::kInternal);
  EXPECT_EQ(wrong_way.message(), "'COPY t FROM STDIN' is not a COPY ... TO STDOUT");
  ExpectUsable();
  Status not_copy = connection_->CopyIn("SELECT 1", std::string_view("1\n"));
  EXPECT_EQ(not_copy.message(), "'SELECT 1' is not a COPY ... FROM STDIN");
  ExpectUsable();
  EXPECT_EQ(Query("SELECT COUNT(*) FROM t").Scalar(), "0");
}

TEST_F(PostgresTest, LostSessionIsOneLineAndReconnects) {
  std::optional<std::string> pid = Query("SELECT pg_backend_pid()").Scalar();
  ASSERT_TRUE(pid.has_value());
  Execute("SET application_name = 'about to be killed'");
  std::unique_ptr<PgConnection> other = ConnectForTest();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->QueryParams("SELECT pg_terminate_backend($1::integer)", {*pid}).ok());

  auto lost = connection_->Query("SELECT 1");
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.status().code(), StatusCode::kDatabaseError);
  EXPECT_EQ(lost.status().message().rfind("lost connection to Postgres at " +
                                              connection_->server() + ": ", 0),
            0u)
      << lost.status().message();
  EXPECT_EQ(lost.status().message().find('\n'), std::string::npos) << lost.status().message();
  EXPECT_FALSE(connection_->connected());

  Status reconnected = connection_->EnsureConnected();
  ASSERT_TRUE(reconnected.ok()) << reconnected.message();
  EXPECT_TRUE(connection_->connected());
  EXPECT_NE(Query("SELECT pg_backend_pid()").Scalar(), pid);
  EXPECT_NE(Query("SHOW application_name").Scalar(), "about to be killed");
}

TEST_F(PostgresTest, QuotedIdentifiersAndLiteralsRoundTrip) {
  for (std::string value : {"plain", "it's", "back\\slash", "both ' and \\", "\"dq\"", ""}) {
    EXPECT_EQ(Query("SELECT " + QuotePgLiteral(value)).Scalar(), value) << value;
  }
  Execute("CREATE TEMPORARY TABLE " + QuotePgIdentifier("Odd \"Name\"") + " (x INTEGER)");
  EXPECT_EQ(Query("SELECT COUNT(*) FROM " + QuotePgIdentifier("Odd \"Name\"")).Scalar(), "0");
}

TEST_F(PostgresTest, ServerIsNamedByHostAndPort) {
  const char* port = std::getenv("PGPORT");
  ASSERT_NE(port, nullptr);
  EXPECT_EQ(connection_->server(),
            std::string("host ") + std::getenv("PGHOST") + " port " + port);
  EXPECT_GE(connection_->server_version(), 100000);
}

// ---------------------------------------------------------------------------------
// Connecting: what a user sees when it fails.

TEST(PostgresConnectTest, UnreachableServerIsOneLineWithoutPassword) {
  for (std::string conninfo : {"host=127.0.0.1 port=1 password=hunter2 connect_timeout=5",
                               "postgresql://materia:hunter2@127.0.0.1:1/db",
                               "postgres://materia:hunter2@127.0.0.1:1/db?password=hunter2"}) {
    auto connection = PgConnection::Connect(conninfo);
    ASSERT_FALSE(connection.ok()) << conninfo;
    EXPECT_EQ(connection.status().code(), StatusCode::kDatabaseError);
    EXPECT_EQ(connection.status().message(),
              "cannot connect to Postgres at host 127.0.0.1 port 1: connection refused");
  }
}

TEST(PostgresConnectTest, UnknownHostIsOneLine) {
  auto connection = PgConnection::Connect("host=no-such-host.invalid port=5432", 2);
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.status().code(), StatusCode::kDatabaseError);
  const std::string& message = connection.status().message();
  EXPECT_EQ(message.rfind("cannot connect to Postgres at host no-such-host.invalid port 5432: "
                          "could not translate host name \"no-such-host.invalid\" to address",
                          0),
            0u)
      << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(PostgresConnectTest, WrongPasswordIsOneLineWithoutIt) {
  ASSERT_NO_FATAL_FAILURE(RequirePostgres());
  // pg_virtualenv's cluster checks passwords on TCP; "localhost" goes through TCP.
  auto connection = PgConnection::Connect("host=localhost password=wrong-hunter2");
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.status().message(),
            std::string("cannot connect to Postgres at host localhost port ") +
                std::getenv("PGPORT") + ": password authentication failed for user \"" +
                std::getenv("PGUSER") + "\"");
}

TEST(PostgresConnectTest, MalformedConnectionStringIsInvalidInput) {
  auto unknown = PgConnection::Connect("host=localhost colour=blue");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(unknown.status().message(),
            "invalid Postgres connection string: invalid connection option \"colour\"");
  auto url = PgConnection::Connect("postgresql://host:port/db");
  ASSERT_FALSE(url.ok());
  EXPECT_EQ(url.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(url.status().message(),
            "invalid Postgres connection string: invalid integer value \"port\" for "
            "connection option \"port\"");
  auto timeout = PgConnection::Connect("", 0);
  ASSERT_FALSE(timeout.ok());
  EXPECT_EQ(timeout.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(timeout.status().message(), "Postgres connect timeout of 0 s is not positive");
}

TEST(PostgresTextTest, PasswordsAreMasked) {
  struct Case {
    std::string conninfo;
    std::string masked;
  };
  std::vector<Case> cases = {
      {"postgresql://u:secret@db:5432/materia", "postgresql://u:***@db:5432/materia"},
      {"postgres://u:s%40cret@db/materia?sslmode=require&password=two",
       "postgres://u:***@db/materia?sslmode=require&password=***"},
      {"postgresql://u@db/materia", "postgresql://u@db/materia"},
      {"postgresql://db/materia?password=x", "postgresql://db/materia?password=***"},
      {"postgresql:///materia", "postgresql:///materia"},
      {"host=db password=secret dbname=m", "host=db password=*** dbname=m"},
      {"host=db password = 'it\\'s a secret' user=u", "host=db password = *** user=u"},
      {"password=secret", "password=***"},
      {"host=db user=u", "host=db user=u"},
      {"", ""},
      {"materia", "materia"},
      {"host=db password", "host=db password=***"},
  };
  for (const Case& test_case : cases) {
    EXPECT_EQ(MaskConninfoPassword(test_case.conninfo), test_case.masked) << test_case.conninfo;
  }
}

TEST(PostgresTextTest, QuotingDoublesQuotes) {
  EXPECT_EQ(QuotePgIdentifier("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(QuotePgIdentifier("materia"), "\"materia\"");
  EXPECT_EQ(QuotePgLiteral("it's"), "'it''s'");
  EXPECT_EQ(QuotePgLiteral("a\\b'"), "E'a\\\\b'''");
}

}  // namespace
}  // namespace materia
