// Tests of extract against a real PSD server on 127.0.0.1 (pipelines/psd_server.h, over
// cpp-httplib), real landing files and a real SQLite state store: what lands where,
// that a second run downloads nothing, retries of injected faults, that failures leave
// no file behind, the check, the extract: section's messages, the landing directory's
// precedence, and the zip reader and writer.

#include "pipelines/extract.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "base/hash.h"
#include "pipelines/extract_config.h"
#include "pipelines/psd_generator.h"
#include "pipelines/psd_server.h"
#include "pipelines/zip_archive.h"

namespace materia {
namespace {

namespace fs = std::filesystem;

constexpr double kScale = 0.01;

std::string ReadGzip(const fs::path& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  EXPECT_NE(file, nullptr) << path;
  if (file == nullptr) return "";
  std::string content;
  char buffer[1 << 16];
  int read = 0;
  while ((read = gzread(file, buffer, sizeof(buffer))) > 0) content.append(buffer, read);
  gzclose(file);
  return content;
}

std::string Release(int year, int month, int64_t* rows = nullptr) {
  PsdGeneratorOptions options;
  options.scale = kScale;
  options.seed = 42;
  std::string csv;
  auto written = WritePsdRelease(options, year, month, &csv);
  EXPECT_TRUE(written.ok());
  if (rows != nullptr && written.ok()) *rows = *written;
  return csv;
}

class ExtractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("LANDING_DIR");
    directory_ = fs::temp_directory_path() /
                 ("materia_extract_test_" + std::to_string(::getpid()) + "_" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(directory_);
    fs::create_directories(directory_);
    landing_ = (directory_ / "landing").string();
  }

  void TearDown() override {
    server_.reset();
    state_.reset();
    fs::remove_all(directory_);
  }

  // Starts a server of the releases 2026/07 and 2026/08 with `faults` applied.
  void StartServer(PsdServerOptions options = PsdServerOptions()) {
    options.months = 2;
    options.end_year = 2026;
    options.end_month = 8;
    options.scale = kScale;
    auto server = PsdServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(*server);
  }

  // A project whose psd source asks for 2026/07 to 2026/09 from the server.
  void WriteProject(const std::string& extra = "    retries: 2\n", int64_t timeout_total_ms = 10000) {
    std::ofstream config(directory_ / "config.yaml");
    config << "gateways:\n  local:\n    connection: {type: duckdb, database: warehouse.duckdb}\n"
           << "extract:\n  psd:\n    base_url: " << server_->url() << "\n"
           << "    archives_from: 2026-07\n    archives_to: 2026-09\n"
           << "    retry_backoff_ms: 5\n    retry_backoff_max_ms: 20\n"
           << "    timeout_total_ms: " << timeout_total_ms << "\n"
           << extra;
    config.close();
    auto loaded = LoadConfig(directory_.string());
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    config_ = *loaded;
    if (!state_) {
      auto state = OpenSqliteStateStore((directory_ / "state.db").string());
      ASSERT_TRUE(state.ok()) << state.status().message();
      state_ = std::move(*state);
    }
  }

  ExtractReport Extract() {
    ExtractOptions options;
    options.landing_dir = landing_;
    auto report = RunExtract(config_, *state_, options);
    EXPECT_TRUE(report.ok()) << report.status().message();
    return report.ok() ? *report : ExtractReport();
  }

  ExtractCheckResult Check() {
    ExtractOptions options;
    options.landing_dir = landing_;
    auto check = CheckExtract(config_, *state_, options);
    EXPECT_TRUE(check.ok()) << check.status().message();
    return check.ok() ? *check : ExtractCheckResult();
  }

  // Every file under the landing directory (temporary ones too), relative to it.
  std::set<std::string> LandingFiles() const {
    std::set<std::string> files;
    std::error_code error;
    if (!fs::exists(landing_, error)) return files;
    for (const auto& entry : fs::recursive_directory_iterator(landing_)) {
      if (entry.is_regular_file()) files.insert(fs::relative(entry.path(), landing_).string());
    }
    return files;
  }

  std::string Url(const std::string& path) const { return server_->url() + path; }

  fs::path directory_;
  std::string landing_;
  std::unique_ptr<PsdServer> server_;
  std::unique_ptr<StateStore> state_;
  ProjectConfig config_;
};

std::vector<std::string> Statuses(const ExtractReport& report) {
  std::vector<std::string> statuses;
  for (const ExtractFileResult& file : report.files) statuses.push_back(file.status);
  return statuses;
}

TEST_F(ExtractTest, LandsEachMonthThenDownloadsNothing) {
  StartServer();
  WriteProject();
  ExtractReport first = Extract();
  ASSERT_EQ(first.files.size(), 4u);
  EXPECT_EQ(Statuses(first), (std::vector<std::string>{"downloaded", "downloaded", "not_published",
                                                       "downloaded"}));
  EXPECT_EQ(first.files[0].url, Url("/archives/2026/07/psd_alldata_csv.zip"));
  EXPECT_EQ(first.files[2].url, Url("/archives/2026/09/psd_alldata_csv.zip"));
  EXPECT_EQ(first.files[3].url, Url("/psd_alldata_csv.zip"));
  int64_t rows_july = 0;
  int64_t rows_august = 0;
  const std::string july = Release(2026, 7, &rows_july);
  const std::string august = Release(2026, 8, &rows_august);
  const std::string july_etag = Sha256Hex(july).substr(0, 16);
  const std::string august_etag = Sha256Hex(august).substr(0, 16);
  EXPECT_EQ(first.files[0].path, landing_ + "/psd/2026/07/" + july_etag + ".csv.gz");
  EXPECT_EQ(first.files[0].etag, "\"" + july_etag + "\"");
  EXPECT_EQ(first.files[0].rows, rows_july);
  EXPECT_EQ(first.files[1].rows, rows_august);
  EXPECT_EQ(ReadGzip(first.files[0].path), july);
  EXPECT_EQ(ReadGzip(first.files[1].path), august);
  // The current file is the latest release, landed under archives_to's month.
  EXPECT_EQ(first.files[3].path, landing_ + "/psd/2026/09/" + august_etag + ".csv.gz");
  EXPECT_EQ(first.downloaded, 3);
  EXPECT_EQ(first.not_published, 1);
  EXPECT_GT(first.bytes_downloaded, 0);
  EXPECT_EQ(LandingFiles(), (std::set<std::string>{"psd/2026/07/" + july_etag + ".csv.gz",
                                                   "psd/2026/08/" + august_etag + ".csv.gz",
                                                   "psd/2026/09/" + august_etag + ".csv.gz"}));
  auto stored = state_->GetValue("extract:etag:psd:" + Url("/archives/2026/07/psd_alldata_csv.zip"));
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ(**stored, "\"" + july_etag + "\"");

  const int64_t bodies = server_->stats().bodies_sent;
  ExtractReport second = Extract();
  EXPECT_EQ(Statuses(second), (std::vector<std::string>{"not_modified", "not_modified",
                                                        "not_published", "not_modified"}));
  EXPECT_EQ(second.bytes_downloaded, 0);
  EXPECT_EQ(second.not_modified, 3);
  EXPECT_EQ(second.files[0].path, first.files[0].path);
  EXPECT_EQ(second.files[0].etag, first.files[0].etag);
  EXPECT_EQ(server_->stats().bodies_sent, bodies);
  EXPECT_EQ(server_->stats().not_modified, 3);
}

TEST_F(ExtractTest, DownloadsAgainWhenTheLandingFileWasRemoved) {
  StartServer();
  WriteProject();
  ExtractReport first = Extract();
  ASSERT_EQ(first.downloaded, 3);
  fs::remove(first.files[1].path);
  ExtractReport second = Extract();
  EXPECT_EQ(Statuses(second), (std::vector<std::string>{"not_modified", "downloaded",
                                                        "not_published", "not_modified"}));
  EXPECT_TRUE(fs::exists(first.files[1].path));
}

TEST_F(ExtractTest, RetriesFailuresAndTruncatedBodies) {
  PsdServerOptions faults;
  faults.fail_rate = 0.4;
  faults.truncate_rate = 0.4;
  faults.seed = 3;
  StartServer(faults);
  WriteProject("    retries: 10\n");
  ExtractReport report = Extract();
  EXPECT_EQ(report.downloaded, 3);
  EXPECT_EQ(report.failed, 0);
  int attempts = 0;
  for (const ExtractFileResult& file : report.files) attempts += file.attempts;
  const PsdServerStats stats = server_->stats();
  EXPECT_GT(stats.failures, 0);
  EXPECT_GT(stats.truncated, 0);
  EXPECT_EQ(attempts, static_cast<int>(report.files.size() + stats.failures + stats.truncated));
  EXPECT_EQ(LandingFiles().size(), 3u);
}

TEST_F(ExtractTest, RetriesTimeouts) {
  PsdServerOptions faults;
  faults.delay_ms = 300;
  faults.delay_rate = 0.5;
  faults.seed = 11;
  StartServer(faults);
  WriteProject("    retries: 10\n", 150);
  ExtractReport report = Extract();
  EXPECT_EQ(report.downloaded, 3);
  EXPECT_EQ(report.failed, 0);
  int attempts = 0;
  for (const ExtractFileResult& file : report.files) attempts += file.attempts;
  EXPECT_GT(attempts, 4);
}

TEST_F(ExtractTest, RemovesTemporaryFilesOfKilledRuns) {
  StartServer();
  WriteProject();
  fs::create_directories(fs::path(landing_) / "psd/2026/07");
  // pid 999999999 does not run (above Linux's pid_max).
  std::ofstream(fs::path(landing_) / ".extract-999999999-0.zip.tmp") << "partial";
  std::ofstream(fs::path(landing_) / "psd/2026/07/.extract-999999999-1.csv.gz.tmp") << "partial";
  std::ofstream(fs::path(landing_) / ("psd/2026/07/.extract-" + std::to_string(::getpid()) + "-77.csv.gz.tmp"))
      << "this process's own";
  Extract();
  EXPECT_FALSE(fs::exists(fs::path(landing_) / ".extract-999999999-0.zip.tmp"));
  EXPECT_FALSE(fs::exists(fs::path(landing_) / "psd/2026/07/.extract-999999999-1.csv.gz.tmp"));
  EXPECT_TRUE(fs::exists(fs::path(landing_) / ("psd/2026/07/.extract-" + std::to_string(::getpid()) + "-77.csv.gz.tmp")));
}

TEST_F(ExtractTest, AServerThatAlwaysFailsLeavesNoFile) {
  PsdServerOptions faults;
  faults.fail_rate = 1;
  StartServer(faults);
  WriteProject("    retries: 1\n");
  ExtractReport report = Extract();
  ASSERT_EQ(report.files.size(), 4u);
  EXPECT_EQ(report.failed, 4);
  EXPECT_EQ(report.files[0].error,
            Url("/archives/2026/07/psd_alldata_csv.zip") + ": HTTP 500 (after 2 attempts)");
  EXPECT_EQ(report.files[0].attempts, 2);
  EXPECT_EQ(report.files[0].path, "");
  EXPECT_TRUE(fs::is_empty(landing_)) << "files or directories left behind";
}

TEST_F(ExtractTest, ADamagedZipIsAClearErrorAndLeavesNoFile) {
  PsdServerOptions faults;
  faults.corrupt_rate = 1;
  StartServer(faults);
  WriteProject();
  ExtractReport report = Extract();
  EXPECT_EQ(report.failed, 3);
  EXPECT_EQ(report.files[0].attempts, 1);
  EXPECT_EQ(report.files[0].error.rfind(Url("/archives/2026/07/psd_alldata_csv.zip") +
                                            ": damaged zip archive: ", 0),
            0u)
      << report.files[0].error;
  EXPECT_TRUE(fs::is_empty(landing_)) << "files or directories left behind";
  EXPECT_FALSE(state_->GetValue("extract:etag:psd:" + Url("/psd_alldata_csv.zip"))->has_value());
}

TEST_F(ExtractTest, AWrongCsvHeaderIsAClearErrorAndLeavesNoFile) {
  PsdServerOptions faults;
  faults.wrong_header = true;
  StartServer(faults);
  WriteProject();
  ExtractReport report = Extract();
  EXPECT_EQ(report.failed, 3);
  EXPECT_EQ(report.files[3].error, Url("/psd_alldata_csv.zip") +
                                       ": unexpected CSV header: column 12 is 'Amount', expected 'Value'");
  EXPECT_TRUE(fs::is_empty(landing_)) << "files or directories left behind";
}

TEST_F(ExtractTest, AServerThatIsDownStopsTheSource) {
  StartServer();
  WriteProject("    retries: 1\n");
  const std::string url = Url("/archives/2026/07/psd_alldata_csv.zip");
  server_->Stop();
  ExtractReport report = Extract();
  ASSERT_EQ(report.files.size(), 1u);
  EXPECT_EQ(report.failed, 1);
  EXPECT_EQ(report.files[0].error,
            url + ": cannot connect to the server (Connection refused) (after 2 attempts)");
}

TEST_F(ExtractTest, CheckAsksWithoutDownloading) {
  StartServer();
  WriteProject();
  ExtractCheckResult before = Check();
  EXPECT_TRUE(before.has_work);
  ASSERT_EQ(before.reasons.size(), 3u);
  EXPECT_EQ(before.reasons[0], "psd 2026/07: " + Url("/archives/2026/07/psd_alldata_csv.zip") + " is new");
  EXPECT_EQ(before.reasons[2], "psd current 2026/09: " + Url("/psd_alldata_csv.zip") + " is new");
  EXPECT_EQ(server_->stats().bodies_sent, 0);
  Extract();
  const PsdServerStats stats = server_->stats();
  ExtractCheckResult after = Check();
  EXPECT_FALSE(after.has_work);
  EXPECT_EQ(after.reasons, std::vector<std::string>());
  EXPECT_EQ(server_->stats().bodies_sent, stats.bodies_sent);
  EXPECT_EQ(server_->stats().head_requests, stats.head_requests + 4);
}

TEST_F(ExtractTest, CheckSeesAChangedEtag) {
  PsdServerOptions options;
  options.change_etags = true;
  StartServer(options);
  WriteProject();
  ExtractReport report = Extract();
  ASSERT_EQ(report.downloaded, 3);
  ExtractCheckResult check = Check();
  EXPECT_TRUE(check.has_work);
  ASSERT_EQ(check.reasons.size(), 3u);
  EXPECT_NE(check.reasons[0].find(" changed (ETag \""), std::string::npos) << check.reasons[0];
  EXPECT_NE(check.reasons[0].find(", was " + report.files[0].etag + ")"), std::string::npos)
      << check.reasons[0];
}

TEST_F(ExtractTest, ASourceWithAScheduleIsAskedOncePerTick) {
  PsdServerOptions options;
  options.change_etags = true;  // every answer would be news
  StartServer(options);
  WriteProject("    retries: 2\n    schedule: '@daily'\n");
  EXPECT_TRUE(Check().has_work);  // never extracted: due
  ASSERT_EQ(Extract().downloaded, 3);
  const PsdServerStats stats = server_->stats();
  // Extracted since today's tick: the check does not ask the server at all.
  ExtractCheckResult check = Check();
  EXPECT_FALSE(check.has_work);
  EXPECT_EQ(server_->stats().requests, stats.requests);
  // Without a schedule the same source is asked every time.
  WriteProject("    retries: 2\n");
  EXPECT_TRUE(Check().has_work);
  EXPECT_GT(server_->stats().requests, stats.requests);
}

TEST_F(ExtractTest, NamesAMissingSectionAndAnUnknownSource) {
  std::ofstream(directory_ / "config.yaml") << "variables: {landing_dir: data/landing}\n";
  auto config = LoadConfig(directory_.string());
  ASSERT_TRUE(config.ok());
  auto state = OpenSqliteStateStore((directory_ / "state.db").string());
  ASSERT_TRUE(state.ok());
  auto report = RunExtract(*config, **state, ExtractOptions());
  EXPECT_EQ(report.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(report.status().message(),
            "config.yaml has no extract: section; add one such as "
            "'extract: {psd: {archives_from: 2024-01}}'");
  std::ofstream(directory_ / "config.yaml") << "extract:\n  psd: {archives_from: 2024-01}\n";
  ExtractOptions options;
  options.source = "cotton";
  auto unknown = CheckExtract(*config, **state, options);
  EXPECT_EQ(unknown.status().message(), "unknown extract source 'cotton' (sources in config.yaml: psd)");
}

// The first error of `yaml`'s extract: section.
std::string ConfigError(const std::string& yaml) {
  auto config = ParseExtractConfig(yaml, "config.yaml");
  return config.ok() ? "ok" : config.status().message();
}

TEST(ExtractConfig, ReadsEveryKeyAndDefaults) {
  auto config = ParseExtractConfig(
      "extract:\n"
      "  psd:\n"
      "    base_url: http://127.0.0.1:8080/downloads/\n"
      "    archives_from: 2024-01\n"
      "    archives_to: 2024-03\n"
      "    schedule: '@daily'\n"
      "    timeout_connect_ms: 500\n"
      "    timeout_total_ms: 1000\n"
      "    retries: 0\n"
      "    retry_backoff_ms: 10\n"
      "    retry_backoff_max_ms: 100\n"
      "    download_bytes_max: 1000\n"
      "    csv_bytes_max: 2000\n"
      "  other:\n"
      "    archives_from: 2025-12\n"
      "    current_path: ''\n"
      "    landing_path: 'x/{source}-{year}{month}/{etag}.csv.gz'\n",
      "config.yaml");
  ASSERT_TRUE(config.ok()) << config.status().message();
  ASSERT_EQ(config->sources.size(), 2u);
  const ExtractSourceConfig& psd = config->sources[0];
  EXPECT_EQ(psd.base_url, "http://127.0.0.1:8080/downloads");
  EXPECT_EQ(psd.archives_from, (YearMonth{2024, 1}));
  EXPECT_EQ(psd.archives_to, (YearMonth{2024, 3}));
  EXPECT_EQ(psd.schedule, "@daily");
  EXPECT_EQ(psd.timeout_connect_ms, 500);
  EXPECT_EQ(psd.retries, 0);
  EXPECT_EQ(psd.csv_bytes_max, 2000);
  const ExtractSourceConfig& other = config->sources[1];
  EXPECT_EQ(other.base_url, kPsdDownloadsUrl);
  EXPECT_FALSE(other.archives_to.has_value());
  EXPECT_EQ(other.current_path, "");
  EXPECT_EQ(other.retries, 4);
  EXPECT_FALSE(ParseExtractConfig("gateways: {}\n", "config.yaml")->present);
}

TEST(ExtractConfig, NamesEveryMistakeWithItsPosition) {
  EXPECT_EQ(ConfigError("extract:\n  psd:\n    archives_from: 2024-01\n    archive_form: 2024-01\n"),
            "config.yaml:4:5: unknown key 'archive_form' in extract source 'psd'");
  EXPECT_EQ(ConfigError("extract:\n  psd:\n    archives_from: 2024-13\n"),
            "config.yaml:3:20: invalid archives_from '2024-13': expected a month as YYYY-MM");
  EXPECT_EQ(ConfigError("extract:\n  psd:\n    archives_from: 2024-01\n    archives_to: 24-1\n"),
            "config.yaml:4:18: invalid archives_to '24-1': expected a month as YYYY-MM");
  EXPECT_EQ(ConfigError("extract:\n  psd: {archives_from: 2024-01, base_url: 'ftp://x'}\n"),
            "config.yaml:2:43: invalid base_url 'ftp://x': expected an http:// or https:// URL");
  EXPECT_EQ(ConfigError("extract:\n  psd: {archives_from: 2024-01, retries: 11}\n"),
            "config.yaml:2:42: retries must be a whole number from 0 to 10, got '11'");
  EXPECT_EQ(ConfigError("extract:\n  psd: {archives_from: 2024-01, timeout_total_ms: -5}\n"),
            "config.yaml:2:51: timeout_total_ms must be a whole number from 1 to 86400000, got '-5'");
  EXPECT_EQ(ConfigError("extract:\n  psd: {base_url: 'http://x'}\n"),
            "config.yaml:2:3: extract source 'psd' needs archives_from, the first monthly archive (YYYY-MM)");
  EXPECT_EQ(ConfigError("extract:\n  psd: {archives_from: 2024-05, archives_to: 2024-04}\n"),
            "config.yaml:2:3: extract source 'psd': archives_to is before archives_from");
  EXPECT_EQ(ConfigError("extract:\n  psd: {archives_from: 2024-05, schedule: 'every day'}\n"),
            "config.yaml:2:43: schedule: invalid cron 'every day': expected 5 fields (minute hour "
            "day-of-month month day-of-week), found 2");
  EXPECT_EQ(ConfigError("extract:\n  PSD: {archives_from: 2024-05}\n"),
            "config.yaml:2:3: extract source name 'PSD' must be lower-case letters, digits and _ "
            "(at most 64)");
  EXPECT_EQ(ConfigError("extract:\n  psd: {archives_from: 2024-05}\n  psd: {archives_from: 2024-05}\n"),
            "config.yaml:3:3: extract source 'psd' appears twice");
  EXPECT_EQ(ConfigError("extract: [psd]\n"),
            "config.yaml:1:10: extract must be a mapping of source names to their settings, "
            "e.g. psd: {archives_from: 2024-01}");
  EXPECT_EQ(ConfigError("extract:\n  psd:\n"),
            "config.yaml:2:3: extract source 'psd' must be a mapping of settings, e.g. "
            "{archives_from: 2024-01}");
  EXPECT_EQ(ConfigError("extract:\n  psd: {archives_from: 2024-05, archive_path: 'a/{year}.zip'}\n"),
            "config.yaml:2:47: invalid archive_path 'a/{year}.zip': it needs {month}");
  EXPECT_EQ(ConfigError("extract:\n  psd: {archives_from: 2024-05, landing_path: '../{year}/{month}/{etag}.csv.gz'}\n"),
            "config.yaml:2:47: invalid landing_path '../{year}/{month}/{etag}.csv.gz': it must be a "
            "relative path without '..'");
  EXPECT_EQ(ConfigError("extract:\n  psd: {archives_from: 2024-05, landing_path: '{year}/{month}/{etag}.csv'}\n"),
            "config.yaml:2:47: invalid landing_path '{year}/{month}/{etag}.csv': it must end in .csv.gz");
  EXPECT_EQ(ConfigError("extract:\n  psd: {archives_from: 2024-05, landing_path: '{etag}/{year}/{month}.csv.gz'}\n"),
            "config.yaml:2:47: invalid landing_path '{etag}/{year}/{month}.csv.gz': {etag} belongs in "
            "the file name, not in a directory");
  EXPECT_EQ(ConfigError("extract:\n  psd: {archives_from: 2024-05, landing_path: '{day}/{year}/{month}/{etag}.csv.gz'}\n"),
            "config.yaml:2:47: invalid landing_path '{day}/{year}/{month}/{etag}.csv.gz': unknown "
            "placeholder {day}");
  EXPECT_EQ(ConfigError("extract:\n  psd: {archives_from: 2024-05, type: ftp}\n"),
            "config.yaml:2:39: unknown extract type 'ftp' (known: psd)");
}

TEST(LandingDirectory, FlagThenEnvironmentThenVariableThenDefault) {
  ProjectConfig config;
  config.project_dir = "/projects/p";
  ::unsetenv("LANDING_DIR");
  EXPECT_EQ(LandingDirectory(config, ""), "/projects/p/data/landing");
  config.variable_text["landing_dir"] = "lake/";
  EXPECT_EQ(LandingDirectory(config, ""), "/projects/p/lake");
  ::setenv("LANDING_DIR", "/env/landing", 1);
  EXPECT_EQ(LandingDirectory(config, ""), "/env/landing");
  EXPECT_EQ(LandingDirectory(config, "/flag/landing"), "/flag/landing");
  EXPECT_EQ(LandingDirectory(config, "relative"), "/projects/p/relative");
  ::unsetenv("LANDING_DIR");
}

TEST(EtagFileName, KeepsOnlySafeCharacters) {
  EXPECT_EQ(EtagFileName("\"0123abcd\""), "0123abcd");
  EXPECT_EQ(EtagFileName("W/\"5f-3a\""), "5f-3a");
  EXPECT_EQ(EtagFileName("\"../../etc/passwd\""), "_.._etc_passwd");
  EXPECT_EQ(EtagFileName("\"a b:c\""), "a_b_c");
  EXPECT_EQ(EtagFileName("\"\""), "");
  EXPECT_EQ(EtagFileName(std::string(200, 'e')).size(), 64u);
}

class ZipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() / ("materia_zip_test_" + std::to_string(::getpid()) + ".zip");
  }
  void TearDown() override { fs::remove(path_); }

  void Write(const std::string& bytes) { std::ofstream(path_, std::ios::binary) << bytes; }

  Result<ZipEntryInfo> Read(std::string* content, int64_t limit = 1 << 30) {
    return ReadSingleCsvFromZip(path_.string(), limit, [content](std::string_view chunk) {
      content->append(chunk);
      return Status::Ok();
    });
  }

  fs::path path_;
};

TEST_F(ZipTest, RoundTripsOneCsv) {
  const std::string csv = Release(2026, 8);
  auto zip = WriteSingleFileZip("psd_alldata.csv", csv);
  ASSERT_TRUE(zip.ok());
  EXPECT_LT(zip->size(), csv.size() / 3);
  EXPECT_EQ(*WriteSingleFileZip("psd_alldata.csv", csv), *zip);  // the same bytes each time
  Write(*zip);
  std::string content;
  auto info = Read(&content);
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_EQ(info->name, "psd_alldata.csv");
  EXPECT_EQ(info->bytes, static_cast<int64_t>(csv.size()));
  EXPECT_EQ(content, csv);
}

TEST_F(ZipTest, NamesWhatIsWrong) {
  std::string content;
  Write("<html>maintenance</html>");
  EXPECT_EQ(Read(&content).status().message(), "not a zip archive");
  Write(*WriteSingleFileZip("readme.txt", "hello"));
  EXPECT_EQ(Read(&content).status().message(), "the zip archive holds no CSV file");
  Write(*WriteSingleFileZip("a.csv", std::string(5000, 'a')));
  EXPECT_EQ(Read(&content, 100).status().message(), "a.csv is larger than the limit of 100 bytes");
}

}  // namespace
}  // namespace materia
