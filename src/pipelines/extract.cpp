#include "pipelines/extract.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "base/cron.h"
#include "base/text.h"
#include "base/time.h"
#include "pipelines/extract_config.h"
#include "pipelines/http_client.h"
#include "pipelines/landing_file.h"
#include "pipelines/zip_archive.h"

namespace materia {

namespace fs = std::filesystem;

namespace {

constexpr int64_t kProgressIntervalMs = 250;
constexpr size_t kEtagFileNameMax = 64;
constexpr size_t kContentHashDigits = 16;
constexpr int kStaleScanEntriesMax = 10000;

std::atomic<uint64_t> download_counter{0};

// One URL to fetch and where its file lands.
struct Target {
  const ExtractSourceConfig* source = nullptr;
  std::string url;
  YearMonth month;
  bool current = false;  // the current file: a 404 is an error, not "not published"
};

std::string TwoDigits(int value) { return (value < 10 ? "0" : "") + std::to_string(value); }

std::string MonthText(const YearMonth& month) {
  return std::to_string(month.year) + "/" + TwoDigits(month.month);
}

std::string Expand(std::string pattern, const std::string& name, const std::string& value) {
  const std::string placeholder = "{" + name + "}";
  for (size_t at = pattern.find(placeholder); at != std::string::npos;
       at = pattern.find(placeholder, at + value.size())) {
    pattern.replace(at, placeholder.size(), value);
  }
  return pattern;
}

// The landing path of `target`, relative to the landing directory, with `etag_name`.
std::string LandingPath(const Target& target, const std::string& etag_name) {
  std::string path = Expand(target.source->landing_path, "source", target.source->name);
  path = Expand(path, "year", std::to_string(target.month.year));
  path = Expand(path, "month", TwoDigits(target.month.month));
  return Expand(path, "etag", etag_name);
}

YearMonth CurrentMonth() {
  const CivilTime now = ToCivil(NowMs());
  return YearMonth{now.year, now.month};
}

YearMonth NextMonth(YearMonth month) {
  return month.month == 12 ? YearMonth{month.year + 1, 1} : YearMonth{month.year, month.month + 1};
}

std::vector<Target> TargetsOf(const ExtractSourceConfig& source) {
  const YearMonth last = source.archives_to.value_or(CurrentMonth());
  std::vector<Target> targets;
  YearMonth month = source.archives_from;
  for (int count = 0; count < kExtractMonthsMax && month <= last; count++, month = NextMonth(month)) {
    std::string path = Expand(source.archive_path, "year", std::to_string(month.year));
    path = Expand(path, "month", TwoDigits(month.month));
    targets.push_back(Target{&source, source.base_url + "/" + path, month, false});
  }
  if (!source.current_path.empty()) {
    targets.push_back(Target{&source, source.base_url + "/" + source.current_path, last, true});
  }
  return targets;
}

// When a source was last found current (all its files fetched or unchanged), in ms.
std::string CheckedKey(const std::string& source) { return "extract:checked:" + source; }

std::string EtagKey(const Target& target) {
  return "extract:etag:" + target.source->name + ":" + target.url;
}

// What the selected sources are, or why there are none.
Result<std::vector<ExtractSourceConfig>> SelectSources(const ProjectConfig& config,
                                                       const std::string& source_name) {
  MATERIA_ASSIGN_OR_RETURN(ExtractConfig extract, LoadExtractConfig(config.project_dir));
  if (!extract.present || extract.sources.empty()) {
    return Status::InvalidInput(extract.file_name + " has no extract: section; add one such as "
                                "'extract: {psd: {archives_from: 2024-01}}'");
  }
  if (source_name.empty()) return extract.sources;
  std::string names;
  for (const ExtractSourceConfig& source : extract.sources) {
    if (source.name == source_name) return std::vector<ExtractSourceConfig>{source};
    names += (names.empty() ? "" : ", ") + source.name;
  }
  return Status::InvalidInput("unknown extract source '" + source_name + "' (sources in " +
                              extract.file_name + ": " + names + ")");
}

// The ETag to send as If-None-Match: the last one landed, while its file exists.
Result<std::string> KnownEtag(StateStore& state, const Target& target, const std::string& landing) {
  MATERIA_ASSIGN_OR_RETURN(std::optional<std::string> etag, state.GetValue(EtagKey(target)));
  if (!etag || etag->empty() || EtagFileName(*etag).empty()) return std::string();
  std::error_code error;
  if (!fs::exists(fs::path(landing) / LandingPath(target, EtagFileName(*etag)), error)) {
    return std::string();
  }
  return *etag;
}

std::string Megabytes(int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f MB", static_cast<double>(bytes) / 1e6);
  return text;
}

// Reports progress lines for one file, at most every kProgressIntervalMs while downloading.
class FileProgress {
 public:
  FileProgress(const ExtractOptions& options, int index, int total, const Target& target)
      : options_(options),
        prefix_("[" + std::to_string(index) + "/" + std::to_string(total) + "] " +
                target.source->name + " " + (target.current ? "current " : "") +
                MonthText(target.month) + " ") {}

  void Say(const std::string& what) const {
    if (options_.progress) options_.progress(prefix_ + what);
  }

  void Downloading(int64_t bytes, int64_t total) {
    const int64_t now_ms = NowMs();
    if (!options_.progress || bytes == 0 || now_ms - last_ms_ < kProgressIntervalMs) return;
    last_ms_ = now_ms;
    Say("downloading " + Megabytes(bytes) + (total > 0 ? " of " + Megabytes(total) : ""));
  }

 private:
  const ExtractOptions& options_;
  std::string prefix_;
  int64_t last_ms_ = 0;
};

RetryPolicy PolicyOf(const ExtractSourceConfig& source, FileProgress* progress, int attempts_max) {
  RetryPolicy policy;
  policy.retries = source.retries;
  policy.backoff_ms = source.retry_backoff_ms;
  policy.backoff_max_ms = source.retry_backoff_max_ms;
  policy.on_retry = [progress, attempts_max](int attempt, const std::string& why, int64_t delay_ms) {
    char wait[32];
    if (delay_ms < 1000) {
      std::snprintf(wait, sizeof(wait), "%lld ms", static_cast<long long>(delay_ms));
    } else {
      std::snprintf(wait, sizeof(wait), "%.1f s", static_cast<double>(delay_ms) / 1000.0);
    }
    progress->Say(why + "; retrying in " + wait + " (attempt " + std::to_string(attempt + 1) +
                  " of " + std::to_string(attempts_max) + ")");
  };
  return policy;
}

// Removes a file when it goes out of scope.
class RemoveOnExit {
 public:
  explicit RemoveOnExit(std::string path) : path_(std::move(path)) {}
  ~RemoveOnExit() {
    std::error_code error;
    fs::remove(path_, error);
  }
  RemoveOnExit(const RemoveOnExit&) = delete;
  RemoveOnExit& operator=(const RemoveOnExit&) = delete;

 private:
  std::string path_;
};

// True when process `pid` exists and is not a zombie (a killed process whose parent
// died too may stay a zombie where nothing reaps it, as under some container inits).
bool ProcessRuns(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  for (int i = 0; i < 8 && std::getline(status, line); i++) {
    if (line.rfind("State:", 0) == 0) return line.find('Z') == std::string::npos;
  }
  return true;
}

// Removes the temporary files (".extract-<pid>-<n>...tmp") that a killed extract left
// in `directory`: those of processes that no longer run. Looks at most at
// kStaleScanEntriesMax entries.
void RemoveStaleTemporaryFiles(const fs::path& directory) {
  std::error_code error;
  fs::directory_iterator entries(directory, error);
  int scanned = 0;
  for (; !error && entries != fs::directory_iterator() && scanned < kStaleScanEntriesMax;
       entries.increment(error), scanned++) {
    const std::string name = entries->path().filename().string();
    if (name.rfind(".extract-", 0) != 0 || name.size() < 4 || name.substr(name.size() - 4) != ".tmp") {
      continue;
    }
    const long pid = std::strtol(name.c_str() + 9, nullptr, 10);
    const bool running = pid > 0 && (pid == ::getpid() || ProcessRuns(static_cast<pid_t>(pid)));
    if (running) continue;
    std::error_code ignored;
    fs::remove(entries->path(), ignored);
  }
}

// Removes `directory` and its parents up to (not including) `landing` while they are
// empty, so that a failed download leaves no trace. Bounded by the path's depth.
void RemoveEmptyDirectories(fs::path directory, const fs::path& landing) {
  std::error_code error;
  while (directory != landing && directory.string().size() > landing.string().size() &&
         fs::is_empty(directory, error) && !error) {
    if (!fs::remove(directory, error) || error) return;
    directory = directory.parent_path();
  }
}

// Unzips the downloaded archive into its landing file; fills path and rows.
Status LandInDirectory(const Target& target, const std::string& zip_path,
                       const std::string& landing, const HttpResponse& response,
                       ExtractFileResult* result) {
  std::string etag_name = EtagFileName(response.etag);
  const fs::path relative = LandingPath(target, "etag");
  const std::string directory = (fs::path(landing) / relative.parent_path()).string();
  MATERIA_ASSIGN_OR_RETURN(std::unique_ptr<LandingFile> file,
                           LandingFile::Create(directory, kPsdCsvHeader, etag_name.empty()));
  auto unzipped = ReadSingleCsvFromZip(zip_path, target.source->csv_bytes_max,
                                       [&file](std::string_view chunk) { return file->Write(chunk); });
  if (!unzipped.ok()) return unzipped.status();
  MATERIA_ASSIGN_OR_RETURN(std::string content_hash, file->Finish());
  if (etag_name.empty()) etag_name = content_hash.substr(0, kContentHashDigits);
  const std::string file_name = fs::path(LandingPath(target, etag_name)).filename().string();
  MATERIA_ASSIGN_OR_RETURN(result->path, file->Commit(file_name));
  result->rows = file->rows();
  return Status::Ok();
}

Status Land(const Target& target, const std::string& zip_path, const std::string& landing,
            const HttpResponse& response, ExtractFileResult* result) {
  Status landed = LandInDirectory(target, zip_path, landing, response, result);
  if (!landed.ok()) {
    const fs::path relative = LandingPath(target, "etag");
    RemoveEmptyDirectories(fs::path(landing) / relative.parent_path(), fs::path(landing));
  }
  return landed;
}

// Fetches one target and lands its file. Per-file failures go into the result; the
// returned error (state store failures) stops the whole run.
Status FetchTarget(const Target& target, StateStore& state, const std::string& landing,
                   FileProgress* progress, ExtractFileResult* result, bool* reached_server) {
  const ExtractSourceConfig& source = *target.source;
  result->source = source.name;
  result->url = target.url;
  MATERIA_ASSIGN_OR_RETURN(std::string known_etag, KnownEtag(state, target, landing));
  const std::string zip_path = (fs::path(landing) / (".extract-" + std::to_string(::getpid()) + "-" +
                                                     std::to_string(download_counter++) +
                                                     ".zip.tmp")).string();
  RemoveOnExit remove_zip(zip_path);
  RemoveStaleTemporaryFiles(fs::path(landing) / fs::path(LandingPath(target, "etag")).parent_path());
  HttpRequest request;
  request.url = target.url;
  request.if_none_match = known_etag;
  request.body_path = zip_path;
  request.body_bytes_max = source.download_bytes_max;
  request.timeout_connect_ms = source.timeout_connect_ms;
  request.timeout_total_ms = source.timeout_total_ms;
  request.on_progress = [progress](int64_t bytes, int64_t total) { progress->Downloading(bytes, total); };
  progress->Say(known_etag.empty() ? "requesting" : "requesting if changed");
  const HttpResponse response = HttpFetch(request, PolicyOf(source, progress, source.retries + 1));
  result->attempts = response.attempts;
  result->bytes_downloaded = response.bytes_downloaded;
  result->etag = response.etag;
  *reached_server = response.reached_server;
  const int code = response.status_code;
  if (!response.error.ok()) {
    result->status = "failed";
    result->error = OneLine(response.error.message());
  } else if (code == 304 && known_etag.empty()) {
    result->status = "failed";
    result->error = target.url + ": HTTP 304 to a request that was not conditional";
  } else if (code == 304) {
    result->status = "not_modified";
    result->etag = known_etag;
    result->path = (fs::path(landing) / LandingPath(target, EtagFileName(known_etag))).string();
  } else if (code == 404 && !target.current) {
    result->status = "not_published";
  } else if (code != 200) {
    result->status = "failed";
    result->error = target.url + ": HTTP " + std::to_string(code);
  } else {
    progress->Say("unzipping " + Megabytes(response.body_bytes));
    Status landed = Land(target, zip_path, landing, response, result);
    if (!landed.ok()) {
      result->status = "failed";
      result->error = OneLine(target.url + ": " + landed.message());
      result->path.clear();
      result->rows = 0;
      return Status::Ok();
    }
    result->status = "downloaded";
    // The archive goes before its ETag is recorded: a kill in between leaves the ETag
    // unrecorded, so the next extract downloads again and sweeps the folder, whereas
    // once the ETag is recorded no later extract might run to remove it.
    std::error_code ignored;
    fs::remove(zip_path, ignored);
    if (!response.etag.empty()) MATERIA_RETURN_IF_ERROR(state.PutValue(EtagKey(target), response.etag));
  }
  return Status::Ok();
}

void Count(const ExtractFileResult& file, ExtractReport* report) {
  report->bytes_downloaded += file.bytes_downloaded;
  if (file.status == "downloaded") report->downloaded++;
  if (file.status == "not_modified") report->not_modified++;
  if (file.status == "not_published") report->not_published++;
  if (file.status == "failed") report->failed++;
}

Result<std::string> CreateLanding(const ProjectConfig& config, const std::string& override_dir) {
  const std::string landing = LandingDirectory(config, override_dir);
  std::error_code error;
  fs::create_directories(landing, error);
  if (error) return Status::IoError("cannot create the landing directory " + landing + ": " + error.message());
  return landing;
}

}  // namespace

std::string EtagFileName(const std::string& etag) {
  std::string_view text = etag;
  if (text.substr(0, 2) == "W/") text.remove_prefix(2);
  std::string name;
  for (char c : text) {
    if (c == '"') continue;
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.';
    if (name.empty() && c == '.') continue;
    name.push_back(safe ? c : '_');
  }
  if (name.size() > kEtagFileNameMax) name.resize(kEtagFileNameMax);
  return name;
}

std::string LandingDirectory(const ProjectConfig& config, const std::string& override_dir) {
  std::string directory = override_dir;
  const char* environment = std::getenv("LANDING_DIR");
  if (directory.empty() && environment != nullptr) directory = environment;
  if (directory.empty()) {
    auto variable = config.variable_text.find("landing_dir");
    if (variable != config.variable_text.end()) directory = variable->second;
  }
  if (directory.empty()) directory = "data/landing";
  fs::path path(directory);
  if (path.is_relative()) {
    std::error_code error;
    fs::path project = config.project_dir.empty() ? fs::current_path(error) : fs::path(config.project_dir);
    path = project / path;
  }
  std::string text = path.lexically_normal().string();
  while (text.size() > 1 && text.back() == '/') text.pop_back();
  return text;
}

std::string ExtractReport::ToJson() const {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const ExtractFileResult& file : files) {
    list.push_back({{"source", file.source}, {"url", file.url}, {"status", file.status},
                    {"path", file.path}, {"etag", file.etag},
                    {"bytes_downloaded", file.bytes_downloaded}, {"rows", file.rows},
                    {"attempts", file.attempts}, {"error", file.error}});
  }
  nlohmann::ordered_json report = {{"files", list}, {"downloaded", downloaded},
                           {"not_modified", not_modified}, {"not_published", not_published},
                           {"failed", failed}, {"bytes_downloaded", bytes_downloaded}};
  return report.dump(2);
}

Result<ExtractReport> RunExtract(const ProjectConfig& config, StateStore& state,
                                 const ExtractOptions& options) {
  MATERIA_ASSIGN_OR_RETURN(std::vector<ExtractSourceConfig> sources, SelectSources(config, options.source));
  MATERIA_ASSIGN_OR_RETURN(std::string landing, CreateLanding(config, options.landing_dir));
  RemoveStaleTemporaryFiles(landing);
  std::vector<std::vector<Target>> targets;
  int total = 0;
  for (const ExtractSourceConfig& source : sources) {
    targets.push_back(TargetsOf(source));
    total += static_cast<int>(targets.back().size());
  }
  ExtractReport report;
  int index = 0;
  for (size_t source_index = 0; source_index < targets.size(); source_index++) {
    const std::vector<Target>& source_targets = targets[source_index];
    int failed_before = report.failed;
    for (const Target& target : source_targets) {
      FileProgress progress(options, ++index, total, target);
      ExtractFileResult file;
      bool reached_server = false;
      MATERIA_RETURN_IF_ERROR(FetchTarget(target, state, landing, &progress, &file, &reached_server));
      Count(file, &report);
      report.files.push_back(std::move(file));
      // A server that cannot be reached at all fails every other URL the same way.
      if (report.files.back().status == "failed" && !reached_server) {
        break;
      }
    }
    if (report.failed == failed_before) {  // the source is current as of now
      MATERIA_RETURN_IF_ERROR(state.PutValue(CheckedKey(sources[source_index].name), std::to_string(NowMs())));
    }
  }
  return report;
}

Result<ExtractCheckResult> CheckExtract(const ProjectConfig& config, StateStore& state,
                                        const ExtractOptions& options) {
  MATERIA_ASSIGN_OR_RETURN(std::vector<ExtractSourceConfig> sources, SelectSources(config, options.source));
  const std::string landing = LandingDirectory(config, options.landing_dir);
  ExtractCheckResult check;
  const TimestampMs now_ms = NowMs();
  for (const ExtractSourceConfig& source : sources) {
    // A source with a schedule is asked only once per tick of its cron.
    if (!source.schedule.empty()) {
      MATERIA_ASSIGN_OR_RETURN(Cron cron, Cron::Parse(source.schedule));
      MATERIA_ASSIGN_OR_RETURN(std::optional<std::string> checked, state.GetValue(CheckedKey(source.name)));
      TimestampMs checked_ms = checked ? std::strtoll(checked->c_str(), nullptr, 10) : 0;
      if (checked_ms > 0 && checked_ms >= cron.Floor(now_ms)) continue;  // not due yet
    }
    size_t reasons_before = check.reasons.size();
    for (const Target& target : TargetsOf(source)) {
      MATERIA_ASSIGN_OR_RETURN(std::optional<std::string> stored, state.GetValue(EtagKey(target)));
      MATERIA_ASSIGN_OR_RETURN(std::string known_etag, KnownEtag(state, target, landing));
      HttpRequest request;
      request.url = target.url;
      request.if_none_match = known_etag;
      request.head_only = true;
      request.timeout_connect_ms = source.timeout_connect_ms;
      request.timeout_total_ms = source.timeout_total_ms;
      RetryPolicy policy;
      policy.retries = source.retries;
      policy.backoff_ms = source.retry_backoff_ms;
      policy.backoff_max_ms = source.retry_backoff_max_ms;
      const HttpResponse response = HttpFetch(request, policy);
      if (!response.error.ok()) return response.error;
      const int code = response.status_code;
      if (code == 304 || (code == 404 && !target.current)) continue;
      if (code != 200) return Status::IoError(target.url + ": HTTP " + std::to_string(code));
      if (!known_etag.empty() && response.etag == known_etag) continue;
      std::string why = " is new";
      if (stored && !stored->empty() && known_etag.empty()) {
        why = " has no landing file any more";
      } else if (stored && !stored->empty()) {
        why = " changed (ETag " + response.etag + ", was " + *stored + ")";
      }
      check.reasons.push_back(source.name + " " + (target.current ? "current " : "") +
                              MonthText(target.month) + ": " + target.url + why);
    }
    if (!source.schedule.empty() && check.reasons.size() == reasons_before) {
      // Asked at this tick and nothing changed: not again before the next one.
      MATERIA_RETURN_IF_ERROR(state.PutValue(CheckedKey(source.name), std::to_string(now_ms)));
    }
  }
  check.has_work = !check.reasons.empty();
  return check;
}

}  // namespace materia
