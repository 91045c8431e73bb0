// The `extract:` section of config.yaml: which sources `materia extract` downloads,
// from where, into which landing paths, how patiently. Read here rather than by
// project/config (which leaves the section to the part that uses it).
//
//   extract:
//     psd:                                  # the source's name: [a-z0-9_]+
//       base_url: https://apps.fas.usda.gov/psdonline/downloads   # the default
//       archives_from: 2024-01              # required: the first monthly archive (YYYY-MM)
//       archives_to: 2026-08                # optional: the last one (default: this month, UTC)
//       archive_path: archives/{year}/{month}/psd_alldata_csv.zip # the default
//       current_path: psd_alldata_csv.zip   # the default; '' = no current file
//       landing_path: '{source}/{year}/{month}/{etag}.csv.gz'     # the default
//       schedule: '@daily'                  # optional cron, for the supervisor
//       timeout_connect_ms: 10000           # per attempt
//       timeout_total_ms: 600000            # per attempt, the whole response
//       retries: 4                          # 0..10 retries after the first attempt
//       retry_backoff_ms: 1000              # doubles each retry, jittered
//       retry_backoff_max_ms: 60000
//       download_bytes_max: 2147483648      # a larger zip fails
//       csv_bytes_max: 17179869184          # a larger uncompressed CSV fails
//
// A source downloads {base_url}/{archive_path} for every month from archives_from to
// archives_to ({year} four digits, {month} two: 2024/08), then {base_url}/{current_path},
// whose file lands under the year and month of archives_to (this month by default).
// The landing path is relative to the landing directory and may use {source}, {year},
// {month} and {etag}; it needs the last three ({etag} in the file name, not in a
// directory) and ends in .csv.gz.
//
// Errors are kInvalidInput, one line with the file's position:
//   config.yaml:4:5: unknown key 'archive_form' in extract source 'psd'
//   config.yaml:3:20: invalid archives_from '2024-13': expected a month as YYYY-MM
//   config.yaml:3:15: invalid base_url 'ftp://x': expected an http:// or https:// URL
//   config.yaml:5:14: retries must be a whole number from 0 to 10, got '11'
//   config.yaml:2:3: extract source 'psd' needs archives_from, the first monthly archive (YYYY-MM)
//   config.yaml:6:15: schedule: invalid cron 'daily': expected 5 fields (...), found 1
// Thread-safe: pure functions over values.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace materia {

constexpr const char* kPsdDownloadsUrl = "https://apps.fas.usda.gov/psdonline/downloads";
constexpr int kExtractSourcesMax = 64;
constexpr int kExtractMonthsMax = 1200;  // months from archives_from to archives_to

struct YearMonth {
  int year = 0;
  int month = 0;  // 1..12
  bool operator==(const YearMonth& other) const = default;
  auto operator<=>(const YearMonth& other) const = default;
};

struct ExtractSourceConfig {
  std::string name;
  std::string base_url = kPsdDownloadsUrl;  // without a trailing '/'
  YearMonth archives_from;
  std::optional<YearMonth> archives_to;     // none = the current month
  std::string archive_path = "archives/{year}/{month}/psd_alldata_csv.zip";
  std::string current_path = "psd_alldata_csv.zip";
  std::string landing_path = "{source}/{year}/{month}/{etag}.csv.gz";
  std::string schedule;                     // "" = none
  int64_t timeout_connect_ms = 10000;
  int64_t timeout_total_ms = 600000;
  int retries = 4;
  int64_t retry_backoff_ms = 1000;
  int64_t retry_backoff_max_ms = 60000;
  int64_t download_bytes_max = int64_t{2} << 30;
  int64_t csv_bytes_max = int64_t{16} << 30;
};

struct ExtractConfig {
  bool present = false;  // the file has an extract: section
  std::string file_name; // "config.yaml" or "config.yml", for messages
  std::vector<ExtractSourceConfig> sources;  // in the file's order
};

// Reads the extract: section of `project_dir`/config.yaml (or config.yml). A missing
// section gives present = false. Errors: kNotFound without a config file; kIoError when
// it cannot be read; kInvalidInput with "config.yaml:line:col: ..." for a bad section.
Result<ExtractConfig> LoadExtractConfig(const std::string& project_dir);

// The same, from the text of the file (named `file_name` in messages).
Result<ExtractConfig> ParseExtractConfig(const std::string& text, const std::string& file_name);

// "2024-08" -> {2024, 8}; std::nullopt unless exactly YYYY-MM with a year in 1990..2100.
std::optional<YearMonth> ParseYearMonth(const std::string& text);

}  // namespace materia
