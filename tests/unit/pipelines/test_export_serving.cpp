// export-serving against real files: a tiny project (a CSV source, a raw table, a
// FULL serving model and a VIEW serving model) is planned and applied through the
// library into a real DuckDB warehouse with a real SQLite state store, then exported.
#include "pipelines/export_serving.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "db/duckdb.h"
#include "plan/plan.h"
#include "project/sql_analysis.h"
#include "run/transform.h"

namespace materia {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& path) {
  std::ifstream stream(path, std::ios::binary);
  std::ostringstream content;
  content << stream.rdbuf();
  return content.str();
}

void WriteFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream stream(path, std::ios::binary);
  stream << content;
}

class ExportServingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("SERVING_DUCKDB_PATH");
    static std::atomic<int> counter{0};
    directory_ = fs::temp_directory_path() /
                 ("materia_export_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(directory_);
    previous_directory_ = fs::current_path();
    WriteFile(directory_ / "config.yaml",
              "gateways:\n  local:\n    connection: {type: duckdb, database: warehouse.duckdb}\n"
              "serving: {database: out/served.duckdb}\n");
    WriteFile(directory_ / "data" / "numbers.csv", Numbers(100));
    WriteFile(directory_ / "models" / "numbers.sql",
              "MODEL (name raw.numbers, kind FULL);\nSELECT n FROM read_csv('data/numbers.csv')\n");
    WriteFile(directory_ / "models" / "totals.sql",
              "MODEL (name serving.totals, kind FULL);\nSELECT count(*) AS rows, sum(n) AS total FROM raw.numbers\n");
    WriteFile(directory_ / "models" / "evens.sql",
              "MODEL (name serving.evens, kind VIEW);\nSELECT n FROM raw.numbers WHERE n % 2 = 0\n");
    fs::current_path(directory_);  // models read their files relative to the project
    auto state = OpenSqliteStateStore((directory_ / ".materia" / "state.db").string());
    ASSERT_TRUE(state.ok()) << state.status().message();
    state_ = std::move(*state);
  }

  void TearDown() override {
    state_.reset();
    fs::current_path(previous_directory_);
    fs::remove_all(directory_);
  }

  static std::string Numbers(int count) {
    std::string csv = "n\n";
    for (int i = 0; i < count; i++) csv += std::to_string(i) + "\n";
    return csv;
  }

  // Plans prod and applies it, as `materia plan --auto-apply` does.
  void Apply() {
    auto project = LoadProject(directory_.string());
    ASSERT_TRUE(project.ok()) << project.status().message();
    project_ = std::move(*project);
    auto analyzer = SqlAnalyzer::Create();
    ASSERT_TRUE(analyzer.ok());
    auto plan = BuildPlan(project_, *state_, "prod", *analyzer);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    auto warehouse = DuckDatabase::Open((directory_ / "warehouse.duckdb").string());
    ASSERT_TRUE(warehouse.ok()) << warehouse.status().message();
    ExecuteOptions options;
    options.command = "apply";
    options.threads = 2;
    options.now_ms = NowMs();
    auto summary = ApplyPlan(project_, *state_, *warehouse, *plan, options);
    ASSERT_TRUE(summary.ok()) << summary.status().message();
    ASSERT_EQ(summary->failed, 0);
  }

  Result<ExportReport> Export(bool force = false) {
    ExportOptions options;
    options.force = force;
    return ExportServing(project_, *state_, options);
  }

  ExportCheckResult Check() {
    auto check = CheckExportServing(project_, *state_, {});
    EXPECT_TRUE(check.ok()) << check.status().message();
    return check.ok() ? *check : ExportCheckResult{};
  }

  fs::path ServingFile() const { return directory_ / "out" / "served.duckdb"; }

  // "name:type:rows" of each table and view in the serving file.
  std::vector<std::string> ServingCatalog() {
    DuckOptions read_only;
    read_only.read_only = true;
    auto database = DuckDatabase::Open(ServingFile().string(), read_only);
    EXPECT_TRUE(database.ok()) << database.status().message();
    if (!database.ok()) return {};
    auto connection = DuckConnection::Connect(*database);
    auto tables = (*connection)->Query(
        "SELECT table_schema || '.' || table_name, table_type FROM information_schema.tables "
        "ORDER BY 1");
    EXPECT_TRUE(tables.ok()) << tables.status().message();
    std::vector<std::string> catalog;
    for (const auto& row : tables->rows) {
      auto count = (*connection)->Query("SELECT count(*) FROM " + *row[0]);
      catalog.push_back(*row[0] + ":" + *row[1] + ":" + (count.ok() ? *count->Scalar() : "?"));
    }
    return catalog;
  }

  fs::path directory_;
  fs::path previous_directory_;
  std::unique_ptr<StateStore> state_;
  Project project_;
};

TEST_F(ExportServingTest, CopiesEveryServingModelAsATableIntoTheConfiguredFile) {
  Apply();
  auto report = Export();
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_FALSE(report->skipped);
  EXPECT_EQ(report->reason, "never exported");
  EXPECT_EQ(report->path, ServingFile().string());
  ASSERT_EQ(report->tables.size(), 2u);
  EXPECT_EQ(report->tables[0].name, "serving.evens");
  EXPECT_EQ(report->tables[0].rows, 50);
  EXPECT_EQ(report->tables[1].name, "serving.totals");
  EXPECT_EQ(report->tables[1].rows, 1);
  EXPECT_EQ(report->rows, 51);
  EXPECT_EQ(report->bytes, static_cast<int64_t>(fs::file_size(ServingFile())));
  EXPECT_EQ(ServingCatalog(), (std::vector<std::string>{"serving.evens:BASE TABLE:50",
                                                        "serving.totals:BASE TABLE:1"}));
  EXPECT_FALSE(fs::exists(directory_ / "out" / "served_new.duckdb"));
  EXPECT_FALSE(fs::exists(directory_ / "out" / "served_new.duckdb.wal"));
  EXPECT_FALSE(fs::exists(directory_ / "out" / "served.duckdb.wal"));

  auto last = state_->LastServingExport();
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->export_id, report->export_id);
  EXPECT_EQ((*last)->status, "success");
  EXPECT_EQ((*last)->rows, 51);
  EXPECT_EQ((*last)->bytes, report->bytes);
  EXPECT_EQ((*last)->tables_json,
            R"([{"name":"serving.evens","rows":50},{"name":"serving.totals","rows":1}])");
  EXPECT_NE((*last)->data_versions_json.find("\"serving.evens\""), std::string::npos);

  std::string json = report->ToJson();
  EXPECT_NE(json.find("\"skipped\": false"), std::string::npos) << json;
  EXPECT_NE(json.find("\"mb_per_second\""), std::string::npos) << json;
}

TEST_F(ExportServingTest, SkipsWhenNothingChangedUnlessForced) {
  Apply();
  ExportCheckResult before = Check();
  EXPECT_TRUE(before.has_work);
  EXPECT_EQ(before.reasons, std::vector<std::string>{"never exported"});
  auto first = Export();
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_FALSE(Check().has_work);
  std::string bytes = ReadAll(ServingFile());

  auto second = Export();
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_TRUE(second->skipped);
  auto last = state_->LastServingExport();
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ(second->reason,
            "the serving layer is unchanged since the export of " + FormatIso((*last)->finished_ms));
  EXPECT_EQ(ReadAll(ServingFile()), bytes);

  auto forced = Export(true);
  ASSERT_TRUE(forced.ok()) << forced.status().message();
  EXPECT_FALSE(forced->skipped);
  EXPECT_EQ(forced->reason, "forced");
  auto exports = state_->ListServingExports(10);
  ASSERT_TRUE(exports.ok());
  ASSERT_EQ(exports->size(), 3u);
  EXPECT_EQ((*exports)[1].status, "skipped");
}

TEST_F(ExportServingTest, NewSourceDataReexportsTheTableAndTheViewOverIt) {
  Apply();
  ASSERT_TRUE(Export().ok());
  // Same code, new data: the view's fingerprint stays, its parent's data changes.
  WriteFile(directory_ / "data" / "numbers.csv", Numbers(10));
  Apply();
  ExportCheckResult check = Check();
  EXPECT_TRUE(check.has_work);
  EXPECT_EQ(check.reasons, std::vector<std::string>{"serving data changed: serving.evens, serving.totals"});
  auto report = Export();
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_FALSE(report->skipped);
  EXPECT_EQ(ServingCatalog(), (std::vector<std::string>{"serving.evens:BASE TABLE:5",
                                                        "serving.totals:BASE TABLE:1"}));
}

TEST_F(ExportServingTest, AddedModelAndMissingFileAreWork) {
  Apply();
  ASSERT_TRUE(Export().ok());
  fs::remove(ServingFile());
  EXPECT_EQ(Check().reasons, std::vector<std::string>{"the serving file " + ServingFile().string() + " is missing"});
  WriteFile(directory_ / "models" / "odds.sql",
            "MODEL (name serving.odds, kind FULL);\nSELECT n FROM raw.numbers WHERE n % 2 = 1\n");
  Apply();
  EXPECT_EQ(Check().reasons, (std::vector<std::string>{"the serving file " + ServingFile().string() + " is missing",
                                                       "serving models added: serving.odds"}));
  auto report = Export();
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->tables.size(), 3u);
}

TEST_F(ExportServingTest, FailedCopyKeepsTheOldFileAndRemovesTheNewOne) {
  Apply();
  ASSERT_TRUE(Export().ok());
  std::string bytes = ReadAll(ServingFile());
  // The view reads raw.numbers, a table; drop it behind the project's back so that
  // copying the view fails half-way through the export.
  {
    auto warehouse = DuckDatabase::Open((directory_ / "warehouse.duckdb").string());
    ASSERT_TRUE(warehouse.ok());
    auto connection = DuckConnection::Connect(*warehouse);
    ASSERT_TRUE((*connection)->Execute("DROP SCHEMA materia__raw CASCADE").ok());
  }
  auto report = Export(true);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().message().rfind("export to " + ServingFile().string() +
                                                " failed (the serving file is unchanged): ",
                                            0),
            0u)
      << report.status().message();
  EXPECT_EQ(ReadAll(ServingFile()), bytes);
  EXPECT_FALSE(fs::exists(directory_ / "out" / "served_new.duckdb"));
  EXPECT_FALSE(fs::exists(directory_ / "out" / "served_new.duckdb.wal"));
  auto exports = state_->ListServingExports(1);
  ASSERT_TRUE(exports.ok() && exports->size() == 1);
  EXPECT_EQ((*exports)[0].status, "failed");
  EXPECT_EQ((*exports)[0].error, report.status().message());
}

TEST_F(ExportServingTest, LeftoversOfACrashedExportAreReplaced) {
  Apply();
  WriteFile(directory_ / "out" / "served_new.duckdb", "half-written");
  WriteFile(directory_ / "out" / "served_new.duckdb.wal", "half-written");
  auto report = Export();
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_FALSE(fs::exists(directory_ / "out" / "served_new.duckdb"));
  EXPECT_FALSE(fs::exists(directory_ / "out" / "served_new.duckdb.wal"));
  EXPECT_EQ(ServingCatalog().size(), 2u);
}

TEST_F(ExportServingTest, LockedWarehouseIsAConflictAndChangesNothing) {
  Apply();
  ASSERT_TRUE(Export().ok());
  std::string bytes = ReadAll(ServingFile());
  // Another process holds the warehouse's write lock as a DuckDB writer does (an
  // exclusive fcntl lock on the file) until the pipe closes.
  int pipe_ends[2];
  ASSERT_EQ(::pipe(pipe_ends), 0);
  std::string warehouse = (directory_ / "warehouse.duckdb").string();
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_ends[1]);
    int descriptor = ::open(warehouse.c_str(), O_RDWR);
    struct flock lock = {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    if (descriptor < 0 || ::fcntl(descriptor, F_SETLK, &lock) != 0) ::_exit(1);
    char byte;
    (void)::read(pipe_ends[0], &byte, 1);  // until the parent closes its end
    ::_exit(0);
  }
  ::close(pipe_ends[0]);
  // Wait (at most 5 s) until the child holds the lock.
  struct flock probe = {};
  for (int i = 0; i < 500; i++) {
    int descriptor = ::open(warehouse.c_str(), O_RDONLY);
    probe = {};
    probe.l_type = F_RDLCK;
    probe.l_whence = SEEK_SET;
    ::fcntl(descriptor, F_GETLK, &probe);
    ::close(descriptor);
    if (probe.l_type != F_UNLCK) break;
    ::usleep(10'000);
  }
  ASSERT_NE(probe.l_type, F_UNLCK) << "the child never locked the warehouse";
  auto report = Export(true);
  ::close(pipe_ends[1]);
  int child_status = 0;
  ::waitpid(child, &child_status, 0);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kConflict);
  EXPECT_EQ(report.status().message(),
            "warehouse warehouse.duckdb is locked by another process (a run in progress?)");
  EXPECT_EQ(ReadAll(ServingFile()), bytes);
  EXPECT_FALSE(fs::exists(directory_ / "out" / "served_new.duckdb"));
  auto exports = state_->ListServingExports(10);
  ASSERT_TRUE(exports.ok());
  EXPECT_EQ(exports->size(), 1u);  // a refused export is not recorded
}

TEST_F(ExportServingTest, SecondExportOfTheSameFileAtOnceIsRefused) {
  Apply();
  fs::create_directories(directory_ / "out");
  // What a running export holds: an exclusive flock on the serving file's directory.
  int descriptor = ::open((directory_ / "out").c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(descriptor, 0);
  ASSERT_EQ(::flock(descriptor, LOCK_EX), 0);
  auto report = Export();
  ::close(descriptor);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kConflict);
  EXPECT_EQ(report.status().message(), "another export to " + ServingFile().string() + " is in progress");
  EXPECT_FALSE(fs::exists(ServingFile()));
  ASSERT_TRUE(Export().ok());  // released: the next one runs
}

TEST_F(ExportServingTest, NoProdOrNoServingModelsIsAClearError) {
  project_.config.project_dir = directory_.string();
  auto none = Export();
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().message(),
            "there is no prod environment to export (run `materia plan --auto-apply` first)");
  fs::remove(directory_ / "models" / "totals.sql");
  fs::remove(directory_ / "models" / "evens.sql");
  Apply();
  auto empty = Export();
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(empty.status().message(),
            "the prod environment has no models in schema serving: nothing to export");
  auto check = CheckExportServing(project_, *state_, {});
  ASSERT_FALSE(check.ok());
  EXPECT_EQ(check.status().message(), empty.status().message());
}

TEST_F(ExportServingTest, ServingPathComesFromTheOverrideTheEnvironmentTheConfigOrTheDefault) {
  ProjectConfig config;
  config.project_dir = directory_.string();
  EXPECT_EQ(ServingDatabasePath(config, "x/y.duckdb"), (directory_ / "x" / "y.duckdb").string());
  EXPECT_EQ(ServingDatabasePath(config, "/abs/s.duckdb"), "/abs/s.duckdb");
  EXPECT_EQ(ServingDatabasePath(config, ""), (directory_ / "out" / "served.duckdb").string());
  ::setenv("SERVING_DUCKDB_PATH", "env.duckdb", 1);
  EXPECT_EQ(ServingDatabasePath(config, ""), (directory_ / "env.duckdb").string());
  ::unsetenv("SERVING_DUCKDB_PATH");
  WriteFile(directory_ / "config.yaml", "serving: {}\n");
  EXPECT_EQ(ServingDatabasePath(config, ""), (directory_ / "serving.duckdb").string());
  WriteFile(directory_ / "config.yaml", "gateways: {}\nserving:\n  database: [a, b]\n");
  auto bad = ResolveServingDatabasePath(config, "");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "config.yaml:3:13: serving database must be a file path");
  EXPECT_EQ(ServingDatabasePath(config, ""), (directory_ / "serving.duckdb").string());
  WriteFile(directory_ / "config.yaml", "serving: served.duckdb\n");
  auto scalar = ResolveServingDatabasePath(config, "");
  ASSERT_FALSE(scalar.ok());
  EXPECT_EQ(scalar.status().message(),
            "config.yaml:1:10: serving must be a mapping, e.g. {database: serving.duckdb}");
  EXPECT_EQ(ServingTemporaryPath("/a/serving.duckdb"), "/a/serving_new.duckdb");
  EXPECT_EQ(ServingTemporaryPath("/a/web.db"), "/a/web_new.db");
}

}  // namespace
}  // namespace materia
