// The Postgres metadata store: the conformance suite every store passes, then what only
// Postgres does: types that round-trip through Postgres's own types, the one-line
// errors of an unreachable server and of names Postgres cannot hold, reads that notice
// another process's write, and the feature engine on a Postgres store and catalog.
// Each test works in schemas of its own, dropped afterwards.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "db/postgres.h"
#include "features/feature_config.h"
#include "features/feature_engine.h"
#include "features/feature_parser.h"
#include "features/metadata_store.h"
#include "features/postgres_catalog.h"
#include "pg/pg_test_support.h"
#include "unit/features/store_conformance.h"

namespace materia {
namespace {

// The test server as a store url; the password comes from PGPASSWORD.
std::string TestUrl() {
  const char* host = std::getenv("PGHOST");
  const char* port = std::getenv("PGPORT");
  if (host == nullptr || port == nullptr) {
    ADD_FAILURE() << kNoPostgres;
    return "host=/nonexistent";
  }
  return std::string("host=") + host + " port=" + port + " dbname=postgres";
}

StoreConfig MakePostgresStore(const std::filesystem::path&) {
  StoreConfig config;
  config.type = "postgres";
  config.url = TestUrl();
  config.schema = FreshSchemaName();
  return config;
}

void DropPostgresStore(const StoreConfig& config) { DropSchema(config.schema); }

INSTANTIATE_TEST_SUITE_P(Stores, StoreConformanceTest,
                         ::testing::Values(StoreFactory{"postgres", MakePostgresStore, DropPostgresStore}),
                         StoreFactoryName);

// ---------------------------------------------------------------------------------
// What only the Postgres store does.

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(RequirePostgres());
    admin_ = ConnectForTest();
    ASSERT_NE(admin_, nullptr);
    config_ = MakePostgresStore({});
    config_.name = "team";
    Status opened = harness_.Open(config_);
    ASSERT_TRUE(opened.ok()) << opened.message();
  }
  void TearDown() override {
    for (const std::string& schema : schemas_) DropSchema(schema);
    DropSchema(config_.schema);
  }

  // "column type" of a feature table as Postgres has it, in column order.
  std::vector<std::string> PostgresColumns(const std::string& feature) {
    auto result = admin_->QueryParams(
        "SELECT attname || ' ' || format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
        "to_regclass($1) AND attnum > 0 AND NOT attisdropped AND attname NOT LIKE 'materia%' ORDER BY attnum",
        {QuotePgIdentifier(config_.schema) + "." + QuotePgIdentifier(feature)});
    EXPECT_TRUE(result.ok()) << result.status().message();
    std::vector<std::string> columns;
    if (result.ok()) {
      for (const auto& row : result->rows) columns.push_back(row[0].value_or("NULL"));
    }
    return columns;
  }

  std::unique_ptr<PgConnection> admin_;
  StoreConfig config_;
  StoreHarness harness_;
  std::vector<std::string> schemas_;  // other schemas a test made
};

// Text ids with leading zeros, NULL and '', timestamps with microseconds, doubles,
// booleans, dates, decimals, awkward text, and a type Postgres keeps as text.
const char* const kTypedRows = R"(
  SELECT * FROM (VALUES
    ('007', '', TIMESTAMP '2024-02-29 13:14:15.123456', 0.1::DOUBLE, true, DATE '2024-02-29',
     12.345::DECIMAL(12,3), 'comma, "quote"' || chr(10) || 'newline', [1, 2]),
    ('010', NULL, TIMESTAMP '1999-12-31 23:59:59.000001', -1.5e300::DOUBLE, false, NULL,
     NULL, '\.', NULL),
    ('7', 'x', NULL, 'inf'::DOUBLE, NULL, DATE '1970-01-01', -0.001::DECIMAL(12,3), '', [3]))
  AS v(id, label, seen_at, score, flag, day, amount, note, tags))";

TEST_F(PostgresStoreTest, TypesRoundTripExactly) {
  harness_.AppendOk("clip", harness_.Batch(kTypedRows, TestTimeUs(1)));
  EXPECT_EQ(PostgresColumns("clip"),
            (std::vector<std::string>{"id text", "label text", "seen_at timestamp without time zone",
                                      "score double precision", "flag boolean", "day date", "amount numeric(12,3)",
                                      "note text", "tags text"}));
  const std::string columns =
      "id, label IS NULL, length(label), seen_at, score, flag, day, amount, note = 'comma, \"quote\"' || chr(10) || "
      "'newline', note, tags";
  const std::vector<std::string> expected = {
      "007|false|0|2024-02-29 13:14:15.123456|0.1|true|2024-02-29|12.345|true|comma, \"quote\"\nnewline|[1, 2]",
      "010|true|NULL|1999-12-31 23:59:59.000001|-1.5e+300|false|NULL|NULL|false|\\.|NULL",
      "7|false|1|NULL|inf|NULL|1970-01-01|-0.001|false||[3]"};
  EXPECT_EQ(harness_.Latest("clip", columns), expected);
  const std::string types =
      "typeof(id), typeof(label), typeof(seen_at), typeof(score), typeof(flag), typeof(day), typeof(amount), "
      "typeof(tags), typeof(materia_created_at), typeof(materia_deleted)";
  EXPECT_EQ(harness_.Latest("clip", types),
            (std::vector<std::string>(3, "VARCHAR|VARCHAR|TIMESTAMP|DOUBLE|BOOLEAN|DATE|DECIMAL(12,3)|VARCHAR|"
                                         "TIMESTAMP|BOOLEAN")));
  // A new process reads the same; a second write of the same types fits.
  ASSERT_TRUE(harness_.Reopen().ok());
  EXPECT_EQ(harness_.Latest("clip", columns), expected);
  harness_.AppendOk("clip", harness_.Batch(kTypedRows, TestTimeUs(2)));
  EXPECT_EQ(harness_.Latest("clip", columns), expected);
  // Filters run in Postgres, on its types.
  EXPECT_EQ(harness_.Latest("clip", "id", {"id LIKE '0%'", "label IS NULL OR label = ''"}),
            (std::vector<std::string>{"007", "010"}));
}

TEST_F(PostgresStoreTest, UnreachableServerIsOneLineWithoutPassword) {
  StoreConfig config = config_;
  config.url = "host=127.0.0.1 port=1 password=hunter2";
  StoreHarness unreachable;
  Status opened = unreachable.Open(config);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.code(), StatusCode::kDatabaseError);
  EXPECT_EQ(opened.message(), "store team: cannot connect to Postgres at host 127.0.0.1 port 1: connection refused");
  config.url = "postgresql://materia:hunter2@127.0.0.1:1/db";
  opened = unreachable.Open(config, /*read_only=*/true);
  EXPECT_EQ(opened.message(), "store team: cannot connect to Postgres at host 127.0.0.1 port 1: connection refused");
}

TEST_F(PostgresStoreTest, NamesLongerThanPostgresAllowsAreRefused) {
  const std::string key = "video/" + std::string(58, 'k');  // 64 bytes
  auto appended = harness_.Append(key, harness_.Batch(ScoreRows({{1, "0.5"}}), TestTimeUs(1)));
  ASSERT_FALSE(appended.ok());
  EXPECT_EQ(appended.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(appended.status().message(),
            key + ": the key is 64 bytes, more than the 63 Postgres allows in a table name (store team)");
  const std::string column = std::string(64, 'c');
  appended = harness_.Append("video", harness_.Batch("SELECT 1::BIGINT AS id, 2 AS " + column, TestTimeUs(1)));
  ASSERT_FALSE(appended.ok());
  EXPECT_EQ(appended.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(appended.status().message(),
            "video: column '" + column +
                "' is 64 bytes, more than the 63 Postgres allows in a column name (store team)");
  EXPECT_TRUE(harness_.Features().empty());
  EXPECT_EQ(harness_.Latest(key), std::nullopt);
  // 63 bytes fit.
  const std::string longest = "video/" + std::string(57, 'k');
  harness_.AppendOk(longest, harness_.Batch("SELECT 1::BIGINT AS id, 0.5 AS " + std::string(63, 'c'), TestTimeUs(2)));
  EXPECT_EQ(harness_.Features(), (std::vector<std::string>{longest}));
}

TEST_F(PostgresStoreTest, ContainerNamesHostDatabaseAndSchemaNeverAPassword) {
  StoreConfig config = config_;
  config.url = "postgresql://" + std::string(std::getenv("PGUSER")) + ":" + std::getenv("PGPASSWORD") + "@" +
               std::getenv("PGHOST") + ":" + std::getenv("PGPORT") + "/postgres";
  StoreHarness harness;
  ASSERT_TRUE(harness.Open(config).ok());
  const std::string port = std::getenv("PGPORT");  // named unless it is Postgres's default
  const std::string expected = std::string("postgres:") + std::getenv("PGHOST") + (port == "5432" ? "" : ":" + port) +
                               "/postgres/" + config.schema;
  EXPECT_EQ(harness.store().container(), expected);
  EXPECT_EQ(harness_.store().container(), expected);  // the same database, spelt key=value
}

TEST_F(PostgresStoreTest, ReadsSeeAnotherProcesssWrite) {
  harness_.AppendOk("video", harness_.Batch(ScoreRows({{1, "0.5"}}), TestTimeUs(1)));
  auto first = harness_.store().Latest(harness_.compute(), "video", {"id"}, {});
  ASSERT_TRUE(first.ok() && first->has_value());
  auto again = harness_.store().Latest(harness_.compute(), "video", {"id"}, {});
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*first)->relation, (*again)->relation);  // nothing written since: not copied again
  StoreHarness other;
  ASSERT_TRUE(other.Open(config_).ok());
  other.AppendOk("video", other.Batch(ScoreRows({{1, "0.9"}, {2, "0.2"}}), TestTimeUs(2)));
  EXPECT_EQ(harness_.Latest("video"), (StoreRows{"1|0.9", "2|0.2"}));
  ASSERT_TRUE(other.compute().Execute("CREATE TEMP TABLE gone AS SELECT 2::BIGINT AS id").ok());
  auto removed = other.store().HardDelete(other.compute(), "video", {"id"}, "gone");
  ASSERT_TRUE(removed.ok()) << removed.status().message();
  EXPECT_EQ(*removed, 1);
  EXPECT_EQ(harness_.Latest("video"), (StoreRows{"1|0.9"}));
}

// The engine's migrate reads one Latest relation across its own writes of the feature:
// a copy stays readable until the next read of its feature.
TEST_F(PostgresStoreTest, ACopyOutlivesAWriteUntilTheNextRead) {
  harness_.AppendOk("video", harness_.Batch(ScoreRows({{1, "0.5"}}), TestTimeUs(1)));
  auto before = harness_.store().Latest(harness_.compute(), "video", {"id"}, {});
  ASSERT_TRUE(before.ok() && before->has_value());
  const std::string relation = (*before)->relation;
  harness_.AppendOk("video", harness_.Batch(ScoreRows({{2, "0.2"}}), TestTimeUs(2)));
  EXPECT_EQ(harness_.Query("SELECT id FROM " + relation), (StoreRows{"1"}));
  EXPECT_EQ(harness_.Latest("video"), (StoreRows{"1|0.5", "2|0.2"}));
  EXPECT_FALSE(harness_.compute().Query("SELECT id FROM " + relation).ok());  // dropped by that read
}

TEST_F(PostgresStoreTest, FailedAppendLeavesNothingBehind) {
  harness_.AppendOk("video", harness_.Batch(ScoreRows({{1, "0.5"}}), TestTimeUs(1)));
  // Postgres refuses the second row (an integer too large for the stored column) after
  // the new column was added: neither the column nor the first row stays.
  const std::string table = QuotePgIdentifier(config_.schema) + ".video";
  ASSERT_TRUE(admin_->Execute("ALTER TABLE " + table + " ADD COLUMN small integer").ok());
  auto appended = harness_.Append(
      "video", harness_.Batch("SELECT * FROM (VALUES (2::BIGINT, 1::BIGINT, 'a'), (3::BIGINT, 9999999999::BIGINT, "
                              "'b')) AS v(id, small, extra)",
                              TestTimeUs(2)));
  ASSERT_FALSE(appended.ok());
  const std::string& message = appended.status().message();
  EXPECT_EQ(message.rfind("video: appending to store team: ", 0), 0u) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_EQ(harness_.Latest("video"), (StoreRows{"1|0.5"}));
  EXPECT_EQ(PostgresColumns("video"),
            (std::vector<std::string>{"id bigint", "score double precision", "small integer"}));
}

// ---------------------------------------------------------------------------------
// The feature engine on a Postgres store and a Postgres catalog.

const char* const kPipeline = R"(
- key: video/raw
  id_columns: [video_id]
  fields: [frames, audio]
- key: video/crop
  id_columns: [video_id]
  deps: [video/raw]
  fields:
    - {key: frames, code_version: "1"}
    - {key: audio, code_version: "1"}
)";

TEST_F(PostgresStoreTest, FeatureEngineResolvesAndWritesThroughPostgres) {
  const std::string catalog_schema = FreshSchemaName();
  schemas_.push_back(catalog_schema);
  auto features = ParseFeatureFile("features/video.yaml", kPipeline);
  ASSERT_TRUE(features.ok()) << features.status().message();
  auto graph = FeatureGraph::Build(*features, 16);
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  FeatureConfig config;
  config.stores.push_back(config_);
  config.store = config_.name;
  config.catalog.type = "postgres";
  config.catalog.url = config_.url;
  config.catalog.schema = catalog_schema;
  auto catalog = OpenPostgresCatalog(config.catalog.url, catalog_schema);
  ASSERT_TRUE(catalog.ok()) << catalog.status().message();
  auto opened = FeatureEngine::Create(std::move(*graph), config, std::move(*catalog), {});
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  FeatureEngine& engine = **opened;
  DuckConnection& duck = engine.connection();

  // The root, with ids that are text.
  ASSERT_TRUE(duck.Execute("CREATE TEMP TABLE samples AS SELECT * FROM (VALUES ('001', 'f1', 'a1', 'h1'), "
                           "('002', 'f2', 'a2', 'h2'), ('003', 'f3', 'a3', 'h3')) AS v(video_id, frames, audio, "
                           "materia_sample_version)").ok());
  auto raw = engine.Resolve("video/raw", "samples");
  ASSERT_TRUE(raw.ok()) << raw.status().message();
  EXPECT_EQ(raw->new_count, 3);
  const std::string computed = "(SELECT * EXCLUDE (materia_status, materia_stale_fields) FROM ";
  auto written = engine.Write("video/raw", computed + raw->Relation("new") + ")");
  ASSERT_TRUE(written.ok()) << written.status().message();
  EXPECT_EQ(written->rows, 3);
  EXPECT_EQ(written->store, "team");

  // The child: resolve, compute, write.
  auto crop = engine.Resolve("video/crop");
  ASSERT_TRUE(crop.ok()) << crop.status().message();
  EXPECT_EQ(crop->new_count, 3);
  written = engine.Write("video/crop", "(SELECT * EXCLUDE (materia_status, materia_stale_fields), 'box-' || video_id "
                                       "AS face_box FROM " + crop->table + ")");
  ASSERT_TRUE(written.ok()) << written.status().message();
  crop = engine.Resolve("video/crop");
  ASSERT_TRUE(crop.ok()) << crop.status().message();
  EXPECT_EQ(crop->new_count + crop->stale_count + crop->orphaned_count, 0);

  // One root sample changes: exactly one child is stale.
  ASSERT_TRUE(duck.Execute("UPDATE samples SET materia_sample_version = 'h2b' WHERE video_id = '002'").ok());
  raw = engine.Resolve("video/raw", "samples");
  ASSERT_TRUE(raw.ok()) << raw.status().message();
  EXPECT_EQ(raw->stale_count, 1);
  written = engine.Write("video/raw", computed + raw->Relation("stale") + ")");
  ASSERT_TRUE(written.ok()) << written.status().message();
  EXPECT_EQ(written->rows, 1);
  crop = engine.Resolve("video/crop");
  ASSERT_TRUE(crop.ok()) << crop.status().message();
  EXPECT_EQ(crop->new_count, 0);
  EXPECT_EQ(crop->stale_count, 1);
  EXPECT_EQ(crop->orphaned_count, 0);
  auto stale = duck.Query("SELECT video_id FROM " + crop->Relation("stale"));
  ASSERT_TRUE(stale.ok()) << stale.status().message();
  EXPECT_EQ(stale->Scalar(), "002");

  // The catalog agrees with the store, and names it by host, database and schema.
  auto drift = engine.VerifyCatalog();
  ASSERT_TRUE(drift.ok()) << drift.status().message();
  for (const CatalogDriftLine& line : *drift) ADD_FAILURE() << line.line;
  auto entries = engine.catalog().List();
  ASSERT_TRUE(entries.ok()) << entries.status().message();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].container, engine.store().container());
  EXPECT_EQ((*entries)[0].sample_count, 3);
}

}  // namespace
}  // namespace materia
