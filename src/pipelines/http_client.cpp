#include "pipelines/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

#include "base/text.h"

namespace materia {

namespace {

constexpr long kRedirectsMax = 5;
constexpr const char* kUserAgent = "materia/0.1";

void InitializeCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// What the callbacks of one attempt share.
struct Transfer {
  std::FILE* file = nullptr;
  std::string* body = nullptr;
  int64_t body_bytes = 0;
  int64_t body_bytes_max = 0;
  bool too_large = false;
  int write_errno = 0;
  std::string etag;
  const std::function<void(int64_t, int64_t)>* on_progress = nullptr;
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t length = size * count;
  if (transfer->body_bytes + static_cast<int64_t>(length) > transfer->body_bytes_max) {
    transfer->too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  if (transfer->file != nullptr) {
    if (std::fwrite(data, 1, length, transfer->file) != length) {
      transfer->write_errno = errno;
      return 0;
    }
  } else {
    transfer->body->append(data, length);
  }
  transfer->body_bytes += static_cast<int64_t>(length);
  return length;
}

// Keeps the ETag of the last response (a redirect's headers come first).
size_t ReadHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t length = size * count;
  std::string_view line(data, length);
  if (line.substr(0, 5) == "HTTP/") transfer->etag.clear();
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos && ToLower(line.substr(0, colon)) == "etag") {
    transfer->etag = Trim(line.substr(colon + 1));
  }
  return length;
}

int ReportProgress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto* transfer = static_cast<Transfer*>(user);
  if (*transfer->on_progress) {
    (*transfer->on_progress)(static_cast<int64_t>(now), total > 0 ? static_cast<int64_t>(total) : -1);
  }
  return 0;
}

// One attempt's outcome: a response, or a failure with the reason (without the URL).
struct Attempt {
  HttpResponse response;
  std::string failure;  // "" = a final response
  bool retryable = false;
};

std::string Truncated(int64_t received, int64_t expected) {
  std::string text = "truncated body: received " + std::to_string(received) + " bytes";
  if (expected >= 0) text += " of " + std::to_string(expected);
  return text;
}

void Classify(CURLcode code, CURL* curl, const HttpRequest& request, const Transfer& transfer,
              Attempt* attempt) {
  HttpResponse& response = attempt->response;
  if (code == CURLE_OK) {
    const int status = response.status_code;
    if (status >= 500 || status == 408 || status == 429) {
      attempt->failure = "HTTP " + std::to_string(status);
      attempt->retryable = true;
    } else if (!request.head_only && status >= 200 && status < 300 &&
               response.content_length >= 0 && response.body_bytes != response.content_length) {
      attempt->failure = Truncated(response.body_bytes, response.content_length);
      attempt->retryable = true;
    }
    return;
  }
  attempt->retryable = true;
  switch (code) {
    case CURLE_PARTIAL_FILE:
      attempt->failure = Truncated(response.body_bytes, response.content_length);
      return;
    case CURLE_OPERATION_TIMEDOUT: {
      curl_off_t connect_us = 0;
      curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME_T, &connect_us);
      attempt->failure = connect_us == 0
          ? "no connection within " + std::to_string(request.timeout_connect_ms) + " ms"
          : "no complete response within " + std::to_string(request.timeout_total_ms) + " ms";
      return;
    }
    case CURLE_COULDNT_CONNECT: {
      long os_errno = 0;
      curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
      attempt->failure = "cannot connect to the server";
      if (os_errno != 0) attempt->failure += " (" + std::string(std::strerror(static_cast<int>(os_errno))) + ")";
      return;
    }
    case CURLE_COULDNT_RESOLVE_HOST:
      attempt->failure = "cannot resolve the host name";
      return;
    case CURLE_GOT_NOTHING:
      attempt->failure = "the server closed the connection without a response";
      return;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
      attempt->failure = "the connection failed: " + std::string(curl_easy_strerror(code));
      return;
    default:
      break;
  }
  attempt->retryable = false;
  if (code == CURLE_WRITE_ERROR && transfer.too_large) {
    attempt->failure = "the body is larger than the limit of " +
                       std::to_string(request.body_bytes_max) + " bytes";
  } else if (code == CURLE_WRITE_ERROR) {
    attempt->failure = "cannot write " + request.body_path + ": " + std::strerror(transfer.write_errno);
  } else {
    attempt->failure = curl_easy_strerror(code);
  }
}

void SetOptions(CURL* curl, const HttpRequest& request, curl_slist* headers, Transfer* transfer) {
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, kRedirectsMax);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, kUserAgent);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.timeout_connect_ms));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout_total_ms));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOBODY, request.head_only ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, ReadHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, transfer);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, ReportProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, transfer);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, request.on_progress ? 0L : 1L);
}

Attempt FetchOnce(const HttpRequest& request) {
  Attempt attempt;
  Transfer transfer;
  transfer.body_bytes_max = request.body_bytes_max;
  transfer.on_progress = &request.on_progress;
  transfer.body = &attempt.response.body;
  if (!request.body_path.empty()) {
    transfer.file = std::fopen(request.body_path.c_str(), "wb");
    if (transfer.file == nullptr) {
      attempt.failure = "cannot create " + request.body_path + ": " + std::strerror(errno);
      return attempt;
    }
  }
  CURL* curl = curl_easy_init();
  curl_slist* headers = nullptr;
  if (!request.if_none_match.empty()) {
    headers = curl_slist_append(headers, ("If-None-Match: " + request.if_none_match).c_str());
  }
  CURLcode code = CURLE_FAILED_INIT;
  if (curl != nullptr) {
    SetOptions(curl, request, headers, &transfer);
    code = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_off_t length = -1;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    attempt.response.status_code = static_cast<int>(status);
    attempt.response.content_length = static_cast<int64_t>(length);
    curl_off_t connect_us = 0;
    curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME_T, &connect_us);
    attempt.response.reached_server = status > 0 || connect_us > 0;
  }
  attempt.response.etag = transfer.etag;
  attempt.response.body_bytes = transfer.body_bytes;
  if (transfer.file != nullptr && std::fclose(transfer.file) != 0 && code == CURLE_OK) {
    attempt.failure = "cannot write " + request.body_path + ": " + std::strerror(errno);
  } else {
    Classify(code, curl, request, transfer, &attempt);
  }
  curl_slist_free_all(headers);
  if (curl != nullptr) curl_easy_cleanup(curl);
  return attempt;
}

bool IsHttpUrl(const std::string& url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

}  // namespace

int64_t RetryDelayMs(const RetryPolicy& policy, int retry, uint64_t random) {
  assert(retry >= 1);
  int64_t delay_ms = std::max<int64_t>(0, policy.backoff_ms);
  for (int i = 1; i < retry && delay_ms < policy.backoff_max_ms; i++) delay_ms *= 2;
  delay_ms = std::min(delay_ms, std::max<int64_t>(0, policy.backoff_max_ms));
  const int64_t half = delay_ms / 2;
  return half + (delay_ms - half == 0 ? 0 : static_cast<int64_t>(random % static_cast<uint64_t>(delay_ms - half + 1)));
}

HttpResponse HttpFetch(const HttpRequest& request, const RetryPolicy& policy) {
  if (!IsHttpUrl(request.url)) {
    HttpResponse response;
    response.error = Status::InvalidInput("'" + request.url + "' is not an http:// or https:// URL");
    return response;
  }
  InitializeCurlOnce();
  const int attempts_max = std::clamp(policy.retries, 0, kHttpRetriesMax) + 1;
  std::mt19937_64 random(policy.jitter_seed != 0 ? policy.jitter_seed : std::random_device{}());
  int64_t bytes_downloaded = 0;
  bool reached_server = false;
  for (int attempt_number = 1;; attempt_number++) {
    Attempt attempt = FetchOnce(request);
    const int status = attempt.response.status_code;
    if (status >= 200 && status < 300) bytes_downloaded += attempt.response.body_bytes;
    attempt.response.attempts = attempt_number;
    attempt.response.bytes_downloaded = bytes_downloaded;
    reached_server = reached_server || attempt.response.reached_server;
    attempt.response.reached_server = reached_server;
    if (attempt.failure.empty()) return std::move(attempt.response);
    if (!attempt.retryable || attempt_number >= attempts_max) {
      std::string message = request.url + ": " + attempt.failure;
      if (attempt_number > 1) message += " (after " + std::to_string(attempt_number) + " attempts)";
      attempt.response.error = Status::IoError(message);
      return std::move(attempt.response);
    }
    const int64_t delay_ms = RetryDelayMs(policy, attempt_number, random());
    if (policy.on_retry) policy.on_retry(attempt_number, attempt.failure, delay_ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  }
}

}  // namespace materia
