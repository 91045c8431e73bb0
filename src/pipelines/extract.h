// Extract: downloads the USDA PSD Online archives over HTTP into the landing directory,
// doing no work for files that did not change.
//
// For each source of config.yaml's extract: section (see pipelines/extract_config.h),
// RunExtract fetches every monthly archive {base_url}/archives/{year}/{month}/
// psd_alldata_csv.zip from archives_from to archives_to (this month by default), oldest
// first, then the current {base_url}/psd_alldata_csv.zip. Each request carries
// If-None-Match with the ETag last landed from that URL (state key
// "extract:etag:<source>:<url>") while that ETag's landing file still exists:
//   200  the zip's one CSV is checked (its header must be PSD's 12 columns) and written
//        gzip-compressed to {landing}/{source}/{year}/{month}/{etag}.csv.gz — into a
//        temporary file in the same directory, synced, and renamed into place only when
//        complete; then the ETag is recorded. The current file lands under archives_to's
//        month. Without an ETag the file is named by its content's SHA-256 (16 digits).
//   304  not_modified: nothing is written, nothing is downloaded.
//   404  not_published, for a month not published yet (an error for the current file).
// Failures are per file (status "failed", the one-line error names the URL) and leave
// no landing file and no temporary file. 5xx responses, timeouts, dropped connections
// and truncated bodies are retried with exponential back-off and jitter; a bad zip or a
// wrong CSV header is not. When the server cannot be reached at all, the source's
// remaining URLs are not tried.
//
// The landing directory is, in order: ExtractOptions::landing_dir, $LANDING_DIR, the
// project's landing_dir variable, data/landing; relative paths are relative to the
// project directory.
//
// Thread safety: RunExtract and CheckExtract may run at the same time as each other and
// in other processes: landing files appear whole by rename, temporary names are unique.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "project/config.h"
#include "state/state_store.h"

namespace materia {

// The header of PSD Online's psd_alldata.csv.
constexpr const char* kPsdCsvHeader =
    "Commodity_Code,Commodity_Description,Country_Code,Country_Name,Market_Year,"
    "Calendar_Year,Month,Attribute_ID,Attribute_Description,Unit_ID,Unit_Description,Value";

struct ExtractOptions {
  std::string source;       // "" = every source
  std::string landing_dir;  // "" = the default (see above)
  // Called with one line of progress at a time ("[2/7] psd 2024/02 downloading 3.1 MB").
  std::function<void(const std::string&)> progress;
};

struct ExtractFileResult {
  std::string source;
  std::string url;
  std::string status;  // "downloaded", "not_modified", "not_published", "failed"
  std::string path;    // the landing file (absolute); "" unless downloaded or not_modified
  std::string etag;    // as the server sent it
  std::string error;   // one line, for "failed"
  int64_t bytes_downloaded = 0;  // body bytes over all attempts
  int64_t rows = 0;              // data rows of the CSV, for "downloaded"
  int attempts = 0;
};

struct ExtractReport {
  std::vector<ExtractFileResult> files;  // in the order fetched
  int64_t bytes_downloaded = 0;
  int downloaded = 0;
  int not_modified = 0;
  int not_published = 0;
  int failed = 0;
  // {"files": [{source, url, status, path, etag, bytes_downloaded, rows, attempts,
  //   error}], "downloaded", "not_modified", "not_published", "failed", "bytes_downloaded"}
  std::string ToJson() const;
};

// Downloads what changed. Returns the report (with failed files in it), or an error
// that stopped everything: kInvalidInput for a bad or missing extract: section or an
// unknown source ("config.yaml has no extract: section ..."), kIoError when the landing
// directory cannot be created, kDatabaseError from the state store.
Result<ExtractReport> RunExtract(const ProjectConfig& config, StateStore& state,
                                 const ExtractOptions& options);

struct ExtractCheckResult {
  bool has_work = false;
  std::vector<std::string> reasons;  // one line per changed or new URL
};

// Whether RunExtract would download anything: one conditional HEAD request per URL (a
// 304 or a 404 is no work), so no body is downloaded. Errors as RunExtract's, and
// kIoError naming the URL when a server cannot be asked.
Result<ExtractCheckResult> CheckExtract(const ProjectConfig& config, StateStore& state,
                                        const ExtractOptions& options);

// The landing directory these options resolve to (absolute).
std::string LandingDirectory(const ProjectConfig& config, const std::string& override_dir);

// `etag` as a file name: W/ and quotes dropped, characters other than letters, digits,
// '-', '_' and '.' replaced by '_', leading dots dropped, at most 64 characters; "" when
// nothing is left.
std::string EtagFileName(const std::string& etag);

}  // namespace materia
