// The Postgres MaterializationCatalog: the conformance suite every implementation
// passes, then what only a shared server does (reopening, schema versions, read-only,
// concurrent writers and openers, a lost session). Each test works in a schema of its
// own, dropped afterwards.

#include "features/postgres_catalog.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "db/postgres.h"
#include "features/materialization_catalog.h"
#include "pg/pg_test_support.h"
#include "unit/features/catalog_conformance.h"

namespace materia {
namespace {

// A catalog in a fresh schema, which is dropped when the catalog is released.
std::shared_ptr<MaterializationCatalog> MakePostgres(const std::filesystem::path&) {
  if (std::getenv("PGHOST") == nullptr) {
    ADD_FAILURE() << kNoPostgres;
    return nullptr;
  }
  std::string schema = FreshSchemaName();
  auto catalog = OpenPostgresCatalog("", schema);
  EXPECT_TRUE(catalog.ok()) << catalog.status().message();
  if (!catalog.ok()) return nullptr;
  return std::shared_ptr<MaterializationCatalog>(
      std::move(catalog).value().release(), [schema](MaterializationCatalog* opened) {
        delete opened;
        DropSchema(schema);
      });
}

INSTANTIATE_TEST_SUITE_P(Implementations, CatalogConformanceTest,
                         ::testing::Values(CatalogFactory{"Postgres", MakePostgres}),
                         CatalogFactoryName);

// ---------------------------------------------------------------------------------
// What only the Postgres catalog does.

class PostgresCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(RequirePostgres());
    admin_ = ConnectForTest();
    ASSERT_NE(admin_, nullptr);
    label_ = "materialization catalog in Postgres schema " + schema_ + " at " + admin_->server();
  }
  void TearDown() override { DropSchema(schema_); }

  std::unique_ptr<MaterializationCatalog> Open(bool read_only = false) {
    auto catalog = OpenPostgresCatalog("", schema_, read_only);
    EXPECT_TRUE(catalog.ok()) << catalog.status().message();
    return catalog.ok() ? std::move(catalog).value() : nullptr;
  }

  std::optional<std::string> Scalar(const std::string& sql) {
    auto result = admin_->Query(sql);
    EXPECT_TRUE(result.ok()) << sql << ": " << result.status().message();
    return result.ok() ? result->Scalar() : std::nullopt;
  }

  void Execute(const std::string& sql) {
    Status status = admin_->Execute(sql);
    ASSERT_TRUE(status.ok()) << sql << ": " << status.message();
  }

  // Ends every session but the admin's, as a server restart would; returns whether
  // one was ended.
  bool TerminateOtherSessions() {
    return Scalar("SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM "
                  "pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = "
                  "current_database() AND backend_type = 'client backend') AS ended") != "0";
  }

  std::string Table(const std::string& name) const {
    return QuotePgIdentifier(schema_) + "." + name;
  }

  const std::string schema_ = FreshSchemaName();
  std::unique_ptr<PgConnection> admin_;  // for looking behind the catalog's back
  std::string label_;                    // how messages name the catalog
};

TEST_F(PostgresCatalogTest, ReopeningKeepsEntries) {
  MaterializationEntry entry = Entry("video/crop", "a1", kDuckdb, "0f", 12, 1'000);
  {
    auto catalog = Open();
    ASSERT_NE(catalog, nullptr);
    Status registered = catalog->Register(entry);
    ASSERT_TRUE(registered.ok()) << registered.message();
  }
  for (bool read_only : {false, true}) {
    auto catalog = Open(read_only);
    ASSERT_NE(catalog, nullptr);
    auto entries = catalog->List();
    ASSERT_TRUE(entries.ok()) << entries.status().message();
    EXPECT_EQ(*entries, std::vector<MaterializationEntry>{entry});
  }
}

TEST_F(PostgresCatalogTest, SchemaHasItsVersionRowPerMigration) {
  ASSERT_NE(Open(), nullptr);
  std::string latest = std::to_string(LatestPostgresCatalogSchemaVersion());
  EXPECT_EQ(Scalar("SELECT MAX(version) FROM " + Table("catalog_schema_version")), latest);
  EXPECT_EQ(Scalar("SELECT description FROM " + Table("catalog_schema_version") +
                   " WHERE version = 1"),
            "feature materializations");
  // Opening again applies nothing twice.
  ASSERT_NE(Open(), nullptr);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM " + Table("catalog_schema_version")), latest);
}

TEST_F(PostgresCatalogTest, NewerSchemaIsRefused) {
  ASSERT_NE(Open(), nullptr);
  Execute("INSERT INTO " + Table("catalog_schema_version") + " VALUES (99, 'future', 0)");
  std::string expected = label_ + " has schema version 99, newer than this materia (" +
                         std::to_string(LatestPostgresCatalogSchemaVersion()) + ")";
  for (bool read_only : {false, true}) {
    auto catalog = OpenPostgresCatalog("", schema_, read_only);
    ASSERT_FALSE(catalog.ok());
    EXPECT_EQ(catalog.status().code(), StatusCode::kInvalidInput);
    EXPECT_EQ(catalog.status().message(), expected);
  }
}

TEST_F(PostgresCatalogTest, OlderSchemaIsMigratedInPlaceNotDropped) {
  // A schema from before the catalog existed (version 0), holding something else.
  Execute("CREATE SCHEMA " + QuotePgIdentifier(schema_));
  Execute("CREATE TABLE " + Table("unrelated") + " (x INTEGER); INSERT INTO " +
          Table("unrelated") + " VALUES (7)");
  auto read_only = OpenPostgresCatalog("", schema_, /*read_only=*/true);
  ASSERT_FALSE(read_only.ok());
  EXPECT_EQ(read_only.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(read_only.status().message(),
            label_ + " has schema version 0, older than this materia (" +
                std::to_string(LatestPostgresCatalogSchemaVersion()) +
                "); open it for writing once to upgrade it");
  ASSERT_NE(Open(), nullptr);  // writable: migrated
  EXPECT_NE(Open(/*read_only=*/true), nullptr);
  EXPECT_EQ(Scalar("SELECT x FROM " + Table("unrelated")), "7");
}

TEST_F(PostgresCatalogTest, MissingSchemaOpenedReadOnlyIsNotFound) {
  auto catalog = OpenPostgresCatalog("", schema_, /*read_only=*/true);
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog.status().message(), "no " + label_);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM pg_namespace WHERE nspname = " + QuotePgLiteral(schema_)),
            "0");
}

TEST_F(PostgresCatalogTest, BadSchemaNamesAreRefused) {
  const std::string rule =
      "' is not valid: use 1 to 63 characters of a-z, 0-9 and '_', not starting with a digit "
      "or 'pg_'";
  for (std::string schema : std::vector<std::string>{"Materia", "a-b", "1abc", "pg_catalog",
                                                    "a b", "x\"y", std::string(64, 'a')}) {
    auto catalog = OpenPostgresCatalog("", schema);
    ASSERT_FALSE(catalog.ok()) << schema;
    EXPECT_EQ(catalog.status().code(), StatusCode::kInvalidInput);
    EXPECT_EQ(catalog.status().message(), "Postgres schema name '" + schema + rule);
  }
  auto empty = OpenPostgresCatalog("", "");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(), "Postgres schema name is empty");
  EXPECT_NE(OpenPostgresCatalog("", schema_ + std::string(63 - schema_.size(), 'z')).status().code(),
            StatusCode::kInvalidInput);
  DropSchema(schema_ + std::string(63 - schema_.size(), 'z'));
}

TEST_F(PostgresCatalogTest, ReadOnlyCatalogRefusesWrites) {
  MaterializationEntry entry = Entry("video/crop", "a1", kDuckdb, "0f", 12, 1'000);
  {
    auto catalog = Open();
    ASSERT_NE(catalog, nullptr);
    ASSERT_TRUE(catalog->Register(entry).ok());
  }
  auto catalog = Open(/*read_only=*/true);
  ASSERT_NE(catalog, nullptr);
  Status registered = catalog->Register(Entry("video/crop", "a1", kDuckdb, "1e", 1, 1));
  EXPECT_EQ(registered.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(registered.message(), label_ + " is open read-only: cannot register video/crop");
  Status removed = catalog->Remove("video/crop", kDuckdb);
  EXPECT_EQ(removed.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(removed.message(), label_ + " is open read-only: cannot remove video/crop");
  auto has = catalog->HasFeature("video/crop");
  ASSERT_TRUE(has.ok()) << has.status().message();
  EXPECT_TRUE(*has);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM " + Table("feature_materializations")), "1");
}

TEST_F(PostgresCatalogTest, TwoConnectionsRegisteringConcurrentlyLoseNothing) {
  ASSERT_NE(Open(), nullptr);  // create the schema before the writers race
  constexpr int kWriters = 2;
  constexpr int kEntriesPerWriter = 200;
  std::vector<std::unique_ptr<MaterializationCatalog>> catalogs;
  for (int writer = 0; writer < kWriters; writer++) {
    catalogs.push_back(Open());
    ASSERT_NE(catalogs.back(), nullptr);
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int writer = 0; writer < kWriters; writer++) {
    threads.emplace_back([&, writer] {
      MaterializationCatalog& catalog = *catalogs[writer];
      for (int i = 0; i < kEntriesPerWriter; i++) {
        std::string version = std::to_string(writer * 1000 + i);  // decimal digits are hex
        Status own = catalog.Register(Entry("video/crop", "a1", kDuckdb, version, i, i));
        // Both writers also insert, then update, one shared entry.
        Status shared = catalog.Register(Entry("video/shared", "a1", kDuckdb, "00", i, i));
        if (!own.ok() || !shared.ok()) {
          ADD_FAILURE() << own.message() << " / " << shared.message();
          failures++;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  auto catalog = Open(/*read_only=*/true);
  ASSERT_NE(catalog, nullptr);
  auto versions = catalog->Versions("video/crop");
  ASSERT_TRUE(versions.ok()) << versions.status().message();
  EXPECT_EQ(versions->size(), static_cast<size_t>(kWriters * kEntriesPerWriter));
  auto shared = catalog->List(std::string("video/shared"));
  ASSERT_TRUE(shared.ok());
  ASSERT_EQ(shared->size(), 1u);
  EXPECT_EQ((*shared)[0].sample_count, kEntriesPerWriter - 1);
}

TEST_F(PostgresCatalogTest, ConcurrentOpenersMigrateOnce) {
  constexpr int kOpeners = 4;
  std::vector<std::thread> threads;
  std::vector<std::string> errors(kOpeners);
  for (int opener = 0; opener < kOpeners; opener++) {
    threads.emplace_back([&, opener] {
      auto catalog = OpenPostgresCatalog("", schema_);
      if (!catalog.ok()) errors[opener] = catalog.status().message();
    });
  }
  for (auto& thread : threads) thread.join();
  for (const std::string& error : errors) EXPECT_EQ(error, "");
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM " + Table("catalog_schema_version")),
            std::to_string(LatestPostgresCatalogSchemaVersion()));
}

TEST_F(PostgresCatalogTest, OrderIsByteOrderWhateverTheCollation) {
  auto catalog = Open();
  ASSERT_NE(catalog, nullptr);
  // A linguistic collation would put "video-x" and "videos" around "video/..."
  // differently, and "B" after "a"; byte order is what std::string and SQLite use.
  for (std::string feature : {"video", "video-x/a", "video/a", "videos/a", "video_z", "video0"}) {
    ASSERT_TRUE(catalog->Register(Entry(feature, "a1", kDuckdb, "01", 1, 1)).ok());
  }
  ASSERT_TRUE(catalog->Register(Entry("video", "a1", "B:/x", "01", 1, 1)).ok());
  auto entries = catalog->List();
  ASSERT_TRUE(entries.ok()) << entries.status().message();
  std::vector<std::string> order;
  for (const auto& entry : *entries) order.push_back(entry.feature + " " + entry.container);
  EXPECT_EQ(order, (std::vector<std::string>{"video B:/x", "video duckdb:/data/x.duckdb",
                                             "video-x/a duckdb:/data/x.duckdb",
                                             "video/a duckdb:/data/x.duckdb",
                                             "video0 duckdb:/data/x.duckdb",
                                             "video_z duckdb:/data/x.duckdb",
                                             "videos/a duckdb:/data/x.duckdb"}));
}

TEST_F(PostgresCatalogTest, LostSessionIsReestablishedAndTheCallRunsAgain) {
  auto catalog = Open();
  ASSERT_NE(catalog, nullptr);
  MaterializationEntry entry = Entry("video/crop", "a1", kDuckdb, "0f", 12, 1'000);
  ASSERT_TRUE(catalog->Register(entry).ok());
  ASSERT_TRUE(TerminateOtherSessions());
  // The call that finds the session gone reconnects and runs again.
  auto entries = catalog->List();
  ASSERT_TRUE(entries.ok()) << entries.status().message();
  EXPECT_EQ(*entries, std::vector<MaterializationEntry>{entry});
  ASSERT_TRUE(TerminateOtherSessions());
  Status registered = catalog->Register(Entry("video/crop", "a1", kDuckdb, "1e", 1, 2'000));
  EXPECT_TRUE(registered.ok()) << registered.message();
  // Remove is not run twice: it reports the loss, and the next call reconnects.
  ASSERT_TRUE(TerminateOtherSessions());
  Status lost = catalog->Remove("video/crop", kDuckdb);
  EXPECT_EQ(lost.code(), StatusCode::kDatabaseError);
  EXPECT_EQ(lost.message().rfind("lost connection to Postgres at " + admin_->server() + ": ", 0),
            0u)
      << lost.message();
  EXPECT_EQ(lost.message().find('\n'), std::string::npos) << lost.message();
  Status removed = catalog->Remove("video/crop", kDuckdb);
  EXPECT_TRUE(removed.ok()) << removed.message();
}

TEST(PostgresCatalogOpenTest, UnreachableServerIsOneLineWithoutPassword) {
  auto catalog = OpenPostgresCatalog("host=127.0.0.1 port=1 password=hunter2");
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), StatusCode::kDatabaseError);
  EXPECT_EQ(catalog.status().message(),
            "cannot connect to Postgres at host 127.0.0.1 port 1: connection refused");
}

}  // namespace
}  // namespace materia
