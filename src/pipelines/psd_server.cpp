#include "pipelines/psd_server.h"

#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include "base/hash.h"
#include "pipelines/http_listen.h"
#include "pipelines/psd_generator.h"
#include "pipelines/zip_archive.h"

namespace materia {

namespace {

constexpr size_t kReleasesCachedMax = 8;
constexpr size_t kCorruptOffset = 64;
constexpr int64_t kDelayMsMax = 600000;
constexpr const char* kEntryName = "psd_alldata.csv";

// One zipped release, as served.
struct Release {
  std::string zip;
  std::string etag;  // without quotes
};

// What a 304 or a HEAD needs of a release: kept for every release generated, while
// the zips themselves are cached only up to kReleasesCachedMax.
struct ReleaseIdentity {
  std::string etag;
  size_t zip_bytes = 0;
};

uint64_t Mix(uint64_t value) {
  value += 0x9e3779b97f4a7c15ULL;
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
  return value ^ (value >> 31);
}

uint64_t HashText(const std::string& text) {
  uint64_t hash = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ULL;
  return hash;
}

// A deterministic draw in [0, 1) for the n-th request of `path` and one kind of fault.
double Draw(uint64_t seed, const std::string& path, int64_t n, uint64_t fault) {
  const uint64_t value = Mix(Mix(Mix(seed ^ HashText(path)) + static_cast<uint64_t>(n)) + fault);
  return static_cast<double>(value >> 11) / static_cast<double>(uint64_t{1} << 53);
}

std::string Number(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", value);
  return text;
}

Status CheckRate(const char* flag, double rate) {
  if (rate >= 0 && rate <= 1) return Status::Ok();
  return Status::InvalidInput(std::string(flag) + " must be from 0 to 1, got " + Number(rate));
}

// Whether an If-None-Match header value names `etag` (quoted), or is "*".
bool EtagMatches(const std::string& header, const std::string& quoted_etag) {
  if (header.empty()) return false;
  if (header == "*") return true;
  size_t start = 0;
  while (start < header.size()) {
    size_t comma = header.find(',', start);
    if (comma == std::string::npos) comma = header.size();
    std::string item = header.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.erase(0, 1);
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (item.rfind("W/", 0) == 0) item.erase(0, 2);
    if (item == quoted_etag) return true;
    start = comma + 1;
  }
  return false;
}

}  // namespace

struct PsdServer::Impl {
  PsdServerOptions options;
  httplib::Server server;
  std::thread thread;
  int port = 0;
  int end_index = 0;    // year * 12 + month - 1 of the latest release
  int first_index = 0;  // of the oldest release

  mutable std::mutex mutex;  // guards the members below
  std::map<std::string, int64_t> requests_by_path;
  std::map<int, std::shared_ptr<const Release>> releases;
  std::map<int, ReleaseIdentity> identities;
  std::vector<int> release_order;  // oldest cached first, for eviction
  int64_t etag_changes = 0;
  PsdServerStats stats;
  std::mutex generate_mutex;  // one release is generated at a time

  Result<std::shared_ptr<const Release>> ReleaseOf(int index);
  Result<ReleaseIdentity> IdentityOf(int index);
  void SendBody(const httplib::Request& request, httplib::Response& response, int index, int64_t n);
  void Answer(const httplib::Request& request, httplib::Response& response, int index);
  void Log(const httplib::Request& request, int status, const std::string& note);
};

Result<std::shared_ptr<const Release>> PsdServer::Impl::ReleaseOf(int index) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto found = releases.find(index);
    if (found != releases.end()) return found->second;
  }
  std::lock_guard<std::mutex> generating(generate_mutex);
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto found = releases.find(index);
    if (found != releases.end()) return found->second;
  }
  PsdGeneratorOptions generator;
  generator.scale = options.scale;
  generator.seed = options.seed;
  std::string csv;
  auto rows = WritePsdRelease(generator, index / 12, index % 12 + 1, &csv);
  if (!rows.ok()) return rows.status();
  if (options.wrong_header) {
    const size_t header_end = csv.find('\n');
    const size_t value = csv.rfind(",Value", header_end);
    if (value != std::string::npos) csv.replace(value, 6, ",Amount");
  }
  auto release = std::make_shared<Release>();
  release->etag = Sha256Hex(csv).substr(0, 16);
  MATERIA_ASSIGN_OR_RETURN(release->zip, WriteSingleFileZip(kEntryName, csv));
  std::lock_guard<std::mutex> lock(mutex);
  if (release_order.size() >= kReleasesCachedMax) {
    releases.erase(release_order.front());
    release_order.erase(release_order.begin());
  }
  releases[index] = release;
  release_order.push_back(index);
  identities[index] = ReleaseIdentity{release->etag, release->zip.size()};
  return std::shared_ptr<const Release>(release);
}

Result<ReleaseIdentity> PsdServer::Impl::IdentityOf(int index) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto found = identities.find(index);
    if (found != identities.end()) return found->second;
  }
  MATERIA_ASSIGN_OR_RETURN(std::shared_ptr<const Release> release, ReleaseOf(index));
  return ReleaseIdentity{release->etag, release->zip.size()};
}

void PsdServer::Impl::Log(const httplib::Request& request, int status, const std::string& note) {
  if (!options.log) return;
  options.log(request.method + " " + request.path + " " + std::to_string(status) +
              (note.empty() ? "" : " (" + note + ")"));
}

void PsdServer::Impl::Answer(const httplib::Request& request, httplib::Response& response, int index) {
  const bool head = request.method == "HEAD";
  int64_t n = 0;
  {
    std::lock_guard<std::mutex> lock(mutex);
    n = ++requests_by_path[request.path];
    stats.requests++;
    if (head) stats.head_requests++;
  }
  const uint64_t seed = options.seed;
  if (options.delay_ms > 0 && Draw(seed, request.path, n, 1) < options.delay_rate) {
    std::this_thread::sleep_for(std::chrono::milliseconds(options.delay_ms));
  }
  if (Draw(seed, request.path, n, 2) < options.fail_rate) {
    { std::lock_guard<std::mutex> lock(mutex); stats.failures++; }
    response.status = 500;
    response.set_content("injected failure\n", "text/plain");
    return Log(request, 500, "injected");
  }
  if (index < first_index || index > end_index) {
    { std::lock_guard<std::mutex> lock(mutex); stats.not_found++; }
    response.status = 404;
    response.set_content("not published\n", "text/plain");
    return Log(request, 404, "");
  }
  auto identity = IdentityOf(index);
  if (!identity.ok()) {
    response.status = 500;
    response.set_content(identity.status().message() + "\n", "text/plain");
    return Log(request, 500, identity.status().message());
  }
  std::string etag = "\"" + identity->etag + "\"";
  if (options.change_etags) {
    std::lock_guard<std::mutex> lock(mutex);
    etag = "\"" + identity->etag + "-" + std::to_string(++etag_changes) + "\"";
  }
  response.set_header("ETag", etag);
  if (EtagMatches(request.get_header_value("If-None-Match"), etag)) {
    { std::lock_guard<std::mutex> lock(mutex); stats.not_modified++; }
    response.status = 304;
    return Log(request, 304, "");
  }
  response.status = 200;
  if (head) {
    const size_t size = identity->zip_bytes;
    response.set_content_provider(size, "application/zip",
                                  [](size_t, size_t, httplib::DataSink&) { return false; });
    return Log(request, 200, "");
  }
  SendBody(request, response, index, n);
}

void PsdServer::Impl::SendBody(const httplib::Request& request, httplib::Response& response,
                               int index, int64_t n) {
  auto release = ReleaseOf(index);
  if (!release.ok()) {
    response.status = 500;
    response.set_content(release.status().message() + "\n", "text/plain");
    return Log(request, 500, release.status().message());
  }
  std::shared_ptr<const Release> content = *release;
  const size_t size = content->zip.size();
  const bool truncate = Draw(options.seed, request.path, n, 3) < options.truncate_rate;
  const bool corrupt = !truncate && Draw(options.seed, request.path, n, 4) < options.corrupt_rate;
  {
    std::lock_guard<std::mutex> lock(mutex);
    stats.bodies_sent++;
    if (truncate) stats.truncated++;
    if (corrupt) stats.corrupted++;
  }
  // The cached zip is shared with the response; only a damaged one is a copy.
  std::shared_ptr<const std::string> body(content, &content->zip);
  if (corrupt) {
    auto damaged = std::make_shared<std::string>(content->zip);
    for (size_t i = std::min(kCorruptOffset, size); i < size; i++) {
      (*damaged)[i] = static_cast<char>(~(*damaged)[i]);
    }
    body = damaged;
  }
  const size_t sent_max = truncate ? size / 2 : size;
  response.set_content_provider(
      size, "application/zip",
      [body, sent_max](size_t offset, size_t length, httplib::DataSink& sink) {
        if (offset >= sent_max) return false;  // closes the connection early
        const size_t count = std::min(length, sent_max - offset);
        return sink.write(body->data() + offset, count);
      });
  Log(request, 200, truncate ? "truncated" : corrupt ? "corrupted" : "");
}

Status ValidatePsdServerOptions(const PsdServerOptions& options) {
  if (options.port < 0 || options.port > 65535) {
    return Status::InvalidInput("--port must be from 0 to 65535, got " + std::to_string(options.port));
  }
  if (options.months < 1 || options.months > 240) {
    return Status::InvalidInput("--months must be from 1 to 240, got " + std::to_string(options.months));
  }
  if (options.end_year < 1990 || options.end_year > 2100) {
    return Status::InvalidInput("--end-year must be from 1990 to 2100, got " + std::to_string(options.end_year));
  }
  if (options.end_month < 1 || options.end_month > 12) {
    return Status::InvalidInput("--end-month must be from 1 to 12, got " + std::to_string(options.end_month));
  }
  if (!(options.scale > 0 && options.scale <= 10)) {
    return Status::InvalidInput("--scale must be more than 0 and at most 10, got " + Number(options.scale));
  }
  if (options.delay_ms < 0 || options.delay_ms > kDelayMsMax) {
    return Status::InvalidInput("--delay-ms must be from 0 to " + std::to_string(kDelayMsMax) + ", got " +
                                std::to_string(options.delay_ms));
  }
  MATERIA_RETURN_IF_ERROR(CheckRate("--fail-rate", options.fail_rate));
  MATERIA_RETURN_IF_ERROR(CheckRate("--delay-rate", options.delay_rate));
  MATERIA_RETURN_IF_ERROR(CheckRate("--truncate-rate", options.truncate_rate));
  return CheckRate("--corrupt-rate", options.corrupt_rate);
}

PsdServer::PsdServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PsdServer::~PsdServer() { Stop(); }

Result<std::unique_ptr<PsdServer>> PsdServer::Start(const PsdServerOptions& options) {
  MATERIA_RETURN_IF_ERROR(ValidatePsdServerOptions(options));
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->end_index = options.end_year * 12 + options.end_month - 1;
  impl->first_index = impl->end_index - options.months + 1;
  Impl* state = impl.get();
  state->server.Get(R"(/archives/(\d{4})/(\d{2})/psd_alldata_csv\.zip)",
                    [state](const httplib::Request& request, httplib::Response& response) {
                      const int year = std::stoi(request.matches[1].str());
                      const int month = std::stoi(request.matches[2].str());
                      const int index = month >= 1 && month <= 12 ? year * 12 + month - 1 : -1;
                      state->Answer(request, response, index);
                    });
  state->server.Get("/psd_alldata_csv.zip",
                    [state](const httplib::Request& request, httplib::Response& response) {
                      state->Answer(request, response, state->end_index);
                    });
  state->server.set_keep_alive_max_count(100);
  MATERIA_ASSIGN_OR_RETURN(state->port,
                           ListenInBackground(state->server, options.bind_address, options.port, &state->thread));
  return std::unique_ptr<PsdServer>(new PsdServer(std::move(impl)));
}

int PsdServer::port() const { return impl_->port; }

std::string PsdServer::url() const {
  return "http://" + impl_->options.bind_address + ":" + std::to_string(impl_->port);
}

PsdServerStats PsdServer::stats() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->stats;
}

void PsdServer::Stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  impl_->server.stop();
  impl_->thread.join();
}

}  // namespace materia
