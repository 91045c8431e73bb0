// What every test against Postgres shares: the server comes from the environment
// that pg_virtualenv sets (PGHOST, PGPORT, PGUSER, PGPASSWORD), and without it the
// tests fail, naming the way to run them; they never skip. Each test that needs a
// schema takes a fresh one and drops it afterwards.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>

#include "base/status.h"
#include "db/postgres.h"

namespace materia {

inline constexpr const char* kNoPostgres =
    "PGHOST is not set: these tests need a Postgres server; run them under pg_virtualenv "
    "(ctest -R pg.unit, or pg_virtualenv ./materia_pg_tests)";

// Fails the current test (fatally) when no server is configured.
inline void RequirePostgres() { ASSERT_NE(std::getenv("PGHOST"), nullptr) << kNoPostgres; }

// Connects to the test server through libpq's environment; nullptr after a failure.
inline std::unique_ptr<PgConnection> ConnectForTest() {
  if (std::getenv("PGHOST") == nullptr) {
    ADD_FAILURE() << kNoPostgres;
    return nullptr;
  }
  auto connection = PgConnection::Connect("");
  EXPECT_TRUE(connection.ok()) << connection.status().message();
  return connection.ok() ? std::move(connection).value() : nullptr;
}

// A schema name no other test in any process uses: t_<pid>_<counter>.
inline std::string FreshSchemaName() {
  static std::atomic<int> counter{0};
  return "t_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
}

// Drops `schema` and everything in it; a failure is reported, not fatal.
inline void DropSchema(const std::string& schema) {
  std::unique_ptr<PgConnection> connection = ConnectForTest();
  if (connection == nullptr) return;
  Status dropped =
      connection->Execute("DROP SCHEMA IF EXISTS " + QuotePgIdentifier(schema) + " CASCADE");
  EXPECT_TRUE(dropped.ok()) << dropped.message();
}

}  // namespace materia
