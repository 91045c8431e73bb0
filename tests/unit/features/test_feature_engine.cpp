// The feature engine on real DuckDB stores: provenance by the documented formula,
// resolve for one-to-one, aggregation and expansion lineage, renames, selects and
// filters, fallback chains that never mix stores, and the one-line errors.

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "features/feature_config.h"
#include "features/feature_engine.h"
#include "features/feature_parser.h"

namespace materia {
namespace {

namespace fs = std::filesystem;

// md5 as hex, computed here with OpenSSL, to check the SQL's formula independently.
std::string Md5Hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_md5(), nullptr);
  static const char* const kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; i++) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

class FeatureEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    folder_ = fs::temp_directory_path() / ("materia_engine_test_" + std::to_string(getpid()) + "_" +
                                           std::to_string(counter++));
    fs::remove_all(folder_);
    fs::create_directories(folder_);
  }
  void TearDown() override {
    engine_.reset();
    fs::remove_all(folder_);
  }

  // Opens an engine over `yaml` (one feature file) with the given stores (name ->
  // fallback list); the first store is written.
  void Open(const std::string& yaml, std::vector<std::pair<std::string, std::vector<std::string>>> stores = {{"local", {}}},
            const std::string& write_store = "") {
    auto features = ParseFeatureFile("features/test.yaml", yaml);
    ASSERT_TRUE(features.ok()) << features.status().message();
    auto graph = FeatureGraph::Build(*features, 16);
    ASSERT_TRUE(graph.ok()) << graph.status().message();
    FeatureConfig config;
    for (const auto& [name, fallback] : stores) {
      StoreConfig store;
      store.name = name;
      store.path = (folder_ / (name + ".duckdb")).string();
      store.fallback = fallback;
      config.stores.push_back(store);
    }
    config.store = write_store.empty() ? stores.front().first : write_store;
    config.catalog.type = "memory";
    engine_.reset();
    auto engine = FeatureEngine::Create(std::move(*graph), config, std::make_unique<InMemoryCatalog>(), {});
    ASSERT_TRUE(engine.ok()) << engine.status().message();
    engine_ = std::move(*engine);
  }

  QueryResult Query(const std::string& sql) {
    auto result = engine_->connection().Query(sql);
    EXPECT_TRUE(result.ok()) << result.status().message() << "\n" << sql;
    return result.ok() ? *result : QueryResult{};
  }

  // Resolves and returns status -> sorted ids (first key column, as text).
  std::map<std::string, std::vector<std::string>> Resolve(const std::string& feature, const std::string& samples = "") {
    auto resolved = engine_->Resolve(feature, samples);
    EXPECT_TRUE(resolved.ok()) << resolved.status().message();
    std::map<std::string, std::vector<std::string>> out;
    if (!resolved.ok()) return out;
    QueryResult rows = Query("SELECT materia_status, CAST(COLUMNS(* EXCLUDE (materia_status)) AS VARCHAR) FROM " +
                             resolved->table + " ORDER BY ALL");
    for (const auto& row : rows.rows) out[row[0].value_or("")].push_back(row[1].value_or("NULL"));
    return out;
  }

  // Resolves, then writes every new and stale row back as computed.
  void Compute(const std::string& feature, const std::string& samples = "", const std::string& extra = "") {
    auto resolved = engine_->Resolve(feature, samples);
    ASSERT_TRUE(resolved.ok()) << resolved.status().message();
    std::string rows = "(SELECT * EXCLUDE (materia_status, materia_stale_fields)" + extra + " FROM " +
                       resolved->table + " WHERE materia_status <> 'orphaned')";
    auto written = engine_->Write(feature, rows);
    ASSERT_TRUE(written.ok()) << written.status().message();
  }

  fs::path folder_;
  std::unique_ptr<FeatureEngine> engine_;
};

const char* const kPipeline = R"(
- key: video/raw
  id_columns: [video_id]
  fields: [frames, audio]
- key: video/crop
  id_columns: [video_id]
  deps:
    - feature: video/raw
      rename: {frames: raw_frames}
      filters: ["duration > 0"]
  fields:
    - {key: frames, code_version: "2"}
    - {key: audio, code_version: "1"}
)";

TEST_F(FeatureEngineTest, RootProvenanceFollowsTheDocumentedFormula) {
  Open(kPipeline);
  ASSERT_TRUE(engine_->connection().Execute("CREATE TEMP TABLE s AS SELECT 7 AS video_id, 'h7' AS materia_sample_version, "
                                            "'f' AS frames, 'a' AS audio, 3 AS duration").ok());
  auto resolved = engine_->Resolve("video/raw", "s");
  ASSERT_TRUE(resolved.ok()) << resolved.status().message();
  QueryResult row = Query("SELECT materia_provenance__frames, materia_provenance__audio, materia_provenance FROM " +
                          resolved->table);
  const std::string frames = Md5Hex("field|frames|1|sample=h7");
  const std::string audio = Md5Hex("field|audio|1|sample=h7");
  EXPECT_EQ(row.rows[0][0], frames);
  EXPECT_EQ(row.rows[0][1], audio);
  EXPECT_EQ(row.rows[0][2], Md5Hex("frames=" + frames + "|audio=" + audio));
}

TEST_F(FeatureEngineTest, DownstreamProvenanceHashesParentDataVersions) {
  Open(kPipeline);
  ASSERT_TRUE(engine_->connection().Execute("CREATE TEMP TABLE s AS SELECT 7 AS video_id, 'f' AS frames, 'a' AS audio, "
                                            "3 AS duration, 'content-7' AS materia_data_version").ok());
  ASSERT_TRUE(engine_->Write("video/raw", "s").ok());
  auto resolved = engine_->Resolve("video/crop");
  ASSERT_TRUE(resolved.ok()) << resolved.status().message();
  QueryResult row = Query("SELECT materia_provenance__frames, raw_frames FROM " + resolved->table);
  // The user's data version stands for every field of raw; crop's frames reads raw's frames.
  EXPECT_EQ(row.rows[0][0], Md5Hex("field|frames|2|video/raw/frames=content-7"));
  EXPECT_EQ(row.rows[0][1], "f");  // renamed
}

TEST_F(FeatureEngineTest, FiltersDropUpstreamRowsAndChangesGoStalePerField) {
  Open(kPipeline);
  ASSERT_TRUE(engine_->connection().Execute(
      "CREATE TEMP TABLE s AS SELECT i AS video_id, 'v' || i AS materia_sample_version, 'f' AS frames, 'a' AS audio, "
      "i % 3 AS duration FROM range(6) t(i)").ok());
  Compute("video/raw", "s");
  auto first = Resolve("video/crop");
  EXPECT_EQ(first["new"], (std::vector<std::string>{"1", "2", "4", "5"}));  // duration 0 filtered out
  Compute("video/crop");
  EXPECT_TRUE(Resolve("video/crop").empty());
  // Sample 4 changes: its crop is stale in both fields (a root sample version feeds all).
  ASSERT_TRUE(engine_->connection().Execute("UPDATE s SET materia_sample_version = 'changed' WHERE video_id = 4").ok());
  Compute("video/raw", "s");
  auto resolved = engine_->Resolve("video/crop");
  ASSERT_TRUE(resolved.ok());
  QueryResult stale = Query("SELECT video_id, materia_stale_fields FROM " + resolved->table);
  ASSERT_EQ(stale.rows.size(), 1u);
  EXPECT_EQ(stale.rows[0][0], "4");
  EXPECT_EQ(stale.rows[0][1], "frames,audio");
  // Sample 5 now has duration 0 upstream: its crop is orphaned.
  ASSERT_TRUE(engine_->connection().Execute("CREATE TEMP TABLE z AS SELECT 5 AS video_id, 'f' AS frames, 'a' AS audio, "
                                            "0 AS duration, 'v5' AS materia_sample_version").ok());
  ASSERT_TRUE(engine_->Write("video/raw", "z").ok());
  auto after = Resolve("video/crop");
  EXPECT_EQ(after["orphaned"].size(), 1u);
}

TEST_F(FeatureEngineTest, AggregationIsStaleWhenAnyMemberChangesJoinsOrLeaves) {
  Open(R"(
- key: clip
  id_columns: [clip_id]
- key: channel_stats
  id_columns: [channel]
  deps: [clip]
  lineage: {type: aggregation, by: [channel]}
)");
  ASSERT_TRUE(engine_->connection().Execute(
      "CREATE TEMP TABLE s AS SELECT i AS clip_id, 'ch' || (i % 2) AS channel, 'v' || i AS materia_sample_version "
      "FROM range(4) t(i)").ok());
  Compute("clip", "s");
  EXPECT_EQ(Resolve("channel_stats")["new"], (std::vector<std::string>{"ch0", "ch1"}));
  Compute("channel_stats");
  EXPECT_TRUE(Resolve("channel_stats").empty());
  // A member of ch1 changes.
  ASSERT_TRUE(engine_->connection().Execute("UPDATE s SET materia_sample_version = 'x' WHERE clip_id = 3").ok());
  Compute("clip", "s");
  EXPECT_EQ(Resolve("channel_stats")["stale"], (std::vector<std::string>{"ch1"}));
  Compute("channel_stats");
  // A member joins ch0.
  ASSERT_TRUE(engine_->connection().Execute("INSERT INTO s VALUES (10, 'ch0', 'v10')").ok());
  Compute("clip", "s");
  EXPECT_EQ(Resolve("channel_stats")["stale"], (std::vector<std::string>{"ch0"}));
  Compute("channel_stats");
  // A member leaves ch0.
  ASSERT_TRUE(engine_->connection().Execute("CREATE TEMP TABLE gone AS SELECT 10 AS clip_id").ok());
  ASSERT_TRUE(engine_->Delete("clip", "gone", /*hard=*/false).ok());
  EXPECT_EQ(Resolve("channel_stats")["stale"], (std::vector<std::string>{"ch0"}));
}

TEST_F(FeatureEngineTest, ExpansionResolvesPerParentAndRewritesReplaceChildren) {
  Open(R"(
- key: doc
  id_columns: [doc_id]
- key: chunk
  id_columns: [doc_id, chunk_no]
  deps: [doc]
  lineage: {type: expansion, by: [chunk_no]}
)");
  ASSERT_TRUE(engine_->connection().Execute(
      "CREATE TEMP TABLE s AS SELECT i AS doc_id, 'v' || i AS materia_sample_version FROM range(3) t(i)").ok());
  Compute("doc", "s");
  EXPECT_EQ(Resolve("chunk")["new"].size(), 3u);
  // Three chunks per document.
  auto resolved = engine_->Resolve("chunk");
  ASSERT_TRUE(resolved.ok());
  ASSERT_TRUE(engine_->Write("chunk", "(SELECT r.* EXCLUDE (materia_status, materia_stale_fields), c AS chunk_no FROM " +
                                          resolved->table + " r, range(3) t(c))").ok());
  EXPECT_TRUE(Resolve("chunk").empty());
  QueryResult count = Query("SELECT count(*) FROM " + *engine_->Read("chunk"));
  EXPECT_EQ(count.Scalar(), "9");
  // Document 1 changes and now has a single chunk: the two others disappear.
  ASSERT_TRUE(engine_->connection().Execute("UPDATE s SET materia_sample_version = 'x' WHERE doc_id = 1").ok());
  Compute("doc", "s");
  auto stale = engine_->Resolve("chunk");
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ(stale->stale_count, 1);
  auto written = engine_->Write("chunk", "(SELECT r.* EXCLUDE (materia_status, materia_stale_fields), 0 AS chunk_no FROM " +
                                             stale->table + " r)");
  ASSERT_TRUE(written.ok()) << written.status().message();
  EXPECT_EQ(written->rows, 1);
  EXPECT_TRUE(Resolve("chunk").empty());
  count = Query("SELECT count(*) FROM " + *engine_->Read("chunk") + " WHERE doc_id = 1");
  EXPECT_EQ(count.Scalar(), "1");
}

TEST_F(FeatureEngineTest, FallbackChainReadsEachFeatureFromOneStore) {
  Open(kPipeline, {{"prod", {}}});
  ASSERT_TRUE(engine_->connection().Execute(
      "CREATE TEMP TABLE s AS SELECT i AS video_id, 'f' AS frames, 'a' AS audio, 1 AS duration, "
      "'v' || i AS materia_sample_version FROM range(4) t(i)").ok());
  Compute("video/raw", "s");
  Compute("video/crop");
  // dev falls back to staging, then prod. What prod holds already counts as done in dev.
  Open(kPipeline, {{"dev", {"staging"}}, {"staging", {"prod"}}, {"prod", {}}});
  ASSERT_TRUE(engine_->connection().Execute(
      "CREATE TEMP TABLE same AS SELECT 0 AS video_id, 'f' AS frames, 'a' AS audio, 1 AS duration, "
      "'v0' AS materia_sample_version").ok());
  auto reused = engine_->Resolve("video/raw", "same");
  ASSERT_TRUE(reused.ok());
  EXPECT_EQ(reused->new_count + reused->stale_count, 0);
  // dev changes one raw sample and so holds raw of its own.
  ASSERT_TRUE(engine_->connection().Execute(
      "CREATE TEMP TABLE one AS SELECT 0 AS video_id, 'f' AS frames, 'a' AS audio, 1 AS duration, "
      "'changed' AS materia_sample_version").ok());
  Compute("video/raw", "one");
  auto statuses = engine_->StatusOfFeatures();
  ASSERT_TRUE(statuses.ok()) << statuses.status().message();
  EXPECT_EQ((*statuses)[0].store, "dev");
  EXPECT_EQ((*statuses)[0].samples, 1);  // never dev's one sample plus prod's four
  EXPECT_EQ((*statuses)[1].store, "prod");
  // crop (from prod) sees raw as dev has it: one sample changed, three have no upstream.
  EXPECT_EQ((*statuses)[1].stale_count, 1);
  EXPECT_EQ((*statuses)[1].orphaned_count, 3);
}

TEST_F(FeatureEngineTest, BadDefinitionsAndInputsGiveOneLine) {
  Open(R"(
- key: a
  id_columns: [id]
- key: b
  id_columns: [id]
  deps: [{feature: a, rename: {nope: x}}]
- key: c
  id_columns: [id]
  deps: [{feature: a, select: [id, missing]}]
- key: d
  id_columns: [grp]
  deps: [a]
  lineage: {type: aggregation, by: [other]}
- key: e
  id_columns: [id]
  deps: [a, b]
)");
  ASSERT_TRUE(engine_->connection().Execute("CREATE TEMP TABLE s AS SELECT 1 AS id, 2 AS v").ok());
  ASSERT_TRUE(engine_->Write("a", "s").ok());
  auto b = engine_->Resolve("b");
  EXPECT_EQ(b.status().message(), "b renames column 'nope' of a in store local, which has no such column (its columns: "
                                  "id, v, materia_provenance__default, materia_data_version__default, materia_provenance, "
                                  "materia_data_version, materia_feature_version, materia_created_at, materia_deleted)");
  auto c = engine_->Resolve("c");
  EXPECT_EQ(c.status().message(), "c selects column 'missing' of a in store local, which has no such column (its columns: id, v)");
  auto d = engine_->Resolve("d");
  EXPECT_EQ(d.status().message(), "d: an aggregation's 'by' columns (other) must be its id columns (grp)");
  auto missing = engine_->Resolve("zzz");
  EXPECT_EQ(missing.status().message(), "unknown feature 'zzz' (known: a, b, c, d, e)");
  // e reads a and b: b has nothing stored yet, so e expects nothing.
  auto e = engine_->Resolve("e");
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(e->new_count, 0);
  auto written = engine_->Write("e", "s");
  EXPECT_EQ(written.status().message(),
            "the rows: sample id=1 of e matches no upstream sample (b is stored nowhere yet)");
}

TEST_F(FeatureEngineTest, TwoDependenciesBringingOneColumnIsAnError) {
  Open(R"(
- key: a
  id_columns: [id]
- key: b
  id_columns: [id]
- key: c
  id_columns: [id]
  deps: [a, b]
)");
  ASSERT_TRUE(engine_->connection().Execute("CREATE TEMP TABLE s AS SELECT 1 AS id, 2 AS v").ok());
  ASSERT_TRUE(engine_->Write("a", "s").ok());
  ASSERT_TRUE(engine_->Write("b", "s").ok());
  auto c = engine_->Resolve("c");
  EXPECT_EQ(c.status().message(),
            "c: column 'v' comes from b in store local and from another dependency; rename or leave out one of them");
}

TEST_F(FeatureEngineTest, MigrateMovesOnlySamplesWhoseInputsAreUnchanged) {
  Open(kPipeline);
  ASSERT_TRUE(engine_->connection().Execute(
      "CREATE TEMP TABLE s AS SELECT i AS video_id, 'v' || i AS materia_sample_version, 'f' AS frames, 'a' AS audio, "
      "1 AS duration FROM range(3) t(i)").ok());
  Compute("video/raw", "s");
  Compute("video/crop");
  // Sample 2's input changes; then crop's audio code_version moves 1 -> 2.
  ASSERT_TRUE(engine_->connection().Execute("UPDATE s SET materia_sample_version = 'x' WHERE video_id = 2").ok());
  Compute("video/raw", "s");
  std::string bumped = kPipeline;
  bumped.replace(bumped.find(R"({key: audio, code_version: "1"})"), 31, R"({key: audio, code_version: "2"})");
  Open(bumped);
  EXPECT_EQ(Resolve("video/crop")["stale"].size(), 3u);
  auto wrong = engine_->Migrate("video/crop", "audio", "3");
  EXPECT_EQ(wrong.status().message(), "features/test.yaml:13:7: field 'audio' of video/crop has code_version \"2\", "
                                      "not \"3\": change the definition first");
  auto migrated = engine_->Migrate("video/crop", "audio", "2");
  ASSERT_TRUE(migrated.ok()) << migrated.status().message();
  EXPECT_EQ(migrated->migrated, 2);
  EXPECT_EQ(migrated->left_stale, 1);
  EXPECT_EQ(Resolve("video/crop")["stale"], (std::vector<std::string>{"2"}));
}

TEST_F(FeatureEngineTest, CatalogVerifyNamesEachKindOfDrift) {
  Open(kPipeline);
  ASSERT_TRUE(engine_->connection().Execute(
      "CREATE TEMP TABLE s AS SELECT i AS video_id, 'f' AS frames, 'a' AS audio, 1 AS duration FROM range(2) t(i)").ok());
  ASSERT_TRUE(engine_->Write("video/raw", "s").ok());
  auto clean = engine_->VerifyCatalog();
  ASSERT_TRUE(clean.ok());
  EXPECT_TRUE(clean->empty());
  const std::string container = engine_->store().container();
  auto entry = engine_->catalog().Info("video/raw", container);
  ASSERT_TRUE(entry.ok() && entry->has_value());
  MaterializationEntry changed = **entry;
  changed.data_version = "00";
  ASSERT_TRUE(engine_->catalog().Remove("video/raw", container).ok());
  ASSERT_TRUE(engine_->catalog().Register(changed).ok());
  MaterializationEntry gone = changed;
  gone.feature = "video/crop";
  ASSERT_TRUE(engine_->catalog().Register(gone).ok());
  auto drifts = engine_->VerifyCatalog();
  ASSERT_TRUE(drifts.ok()) << drifts.status().message();
  std::vector<std::string> kinds;
  for (const CatalogDriftLine& drift : *drifts) kinds.push_back(drift.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"missing", "data"}));
  ASSERT_TRUE(engine_->catalog().Remove("video/raw", container).ok());
  drifts = engine_->VerifyCatalog();
  ASSERT_TRUE(drifts.ok());
  ASSERT_EQ(drifts->size(), 2u);
  EXPECT_EQ((*drifts)[1].line, "unregistered: video/raw " + entry->value().feature_version + " in " + container +
                                   " holds 2 samples the catalog does not list");
}

TEST_F(FeatureEngineTest, CopyRefusesOneStoreAndFeaturesTheSourceLacks) {
  Open(kPipeline, {{"a", {}}, {"b", {}}});
  EXPECT_EQ(engine_->Copy("a", "a", {}).status().message(), "copy needs two different stores (both are a)");
  EXPECT_EQ(engine_->Copy("a", "b", {"video/raw"}).status().message(), "store a holds no rows of video/raw");
  EXPECT_EQ(engine_->Copy("a", "zz", {}).status().message(), "unknown store 'zz'");
}

TEST(FeatureConfigTest, StoresFallbacksAndErrors) {
  auto folder = fs::temp_directory_path() / ("materia_feature_config_" + std::to_string(getpid()));
  fs::create_directories(folder);
  auto write = [&](const std::string& text) {
    FILE* file = std::fopen((folder / "config.yaml").c_str(), "w");
    std::fputs(text.c_str(), file);
    std::fclose(file);
    return LoadFeatureConfig(folder.string());
  };
  auto defaults = write("gateways: {}\n");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->stores.size(), 1u);
  EXPECT_EQ(defaults->store, "local");
  EXPECT_EQ(defaults->stores[0].path, (folder / ".materia/features.duckdb").string());
  EXPECT_EQ(defaults->catalog.type, "sqlite");
  auto chain = write("features:\n  store: dev\n  stores:\n    dev: {type: duckdb, path: d.duckdb, fallback: [prod]}\n"
                     "    prod: {type: parquet, path: /data/f, partition_by: [day]}\n");
  ASSERT_TRUE(chain.ok()) << chain.status().message();
  EXPECT_EQ(chain->FindStore("prod")->partition_by, std::vector<std::string>{"day"});
  EXPECT_EQ(write("features:\n  stores:\n    a: {type: duckdb, path: a.duckdb, fallback: [b]}\n"
                  "    b: {type: duckdb, path: b.duckdb, fallback: [a]}\n").status().message(),
            "config.yaml:3:49: store fallbacks form a cycle: a -> b -> a");
  EXPECT_EQ(write("features:\n  stores:\n    a: {type: sqlite, path: a}\n").status().message(),
            "config.yaml:3:15: store 'a' has unknown type 'sqlite' (use duckdb, parquet or postgres)");
  EXPECT_EQ(write("features:\n  stores:\n    a: {type: duckdb, pth: a}\n").status().message(),
            "config.yaml:3:23: unknown key 'pth' in store 'a' (known keys: type, path, url, schema, partition_by, fallback)");
  EXPECT_EQ(write("features:\n  stores:\n    a: {type: postgres}\n").status().message(),
            "config.yaml:3:8: store 'a' (postgres) needs a url");
  EXPECT_EQ(write("features:\n  store: b\n  stores:\n    a: {type: duckdb, path: a.duckdb}\n").status().message(),
            "config.yaml:2:10: features.store names unknown store 'b'");
  EXPECT_EQ(write("features:\n  stors: {}\n").status().message(),
            "config.yaml:2:3: unknown key 'stors' in features (known keys: version_length, store, stores, catalog)");
  EXPECT_EQ(write("features:\n  catalog: {type: redis}\n").status().message(),
            "config.yaml:2:19: unknown catalog type 'redis' (use sqlite, postgres or memory)");
  fs::remove_all(folder);
}

}  // namespace
}  // namespace materia
