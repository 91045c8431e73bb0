// HttpFetch: one HTTP GET (or HEAD) over libcurl, conditional on an ETag, bounded by a
// connect timeout, a total timeout and a body size limit, with the body written to a
// file or kept in memory, retried with exponential back-off and jitter.
//
// What is retried: 5xx responses, timeouts, failures to connect, connections closed
// early and truncated bodies (fewer bytes than Content-Length). Everything else — a
// 2xx, a 304, any other 4xx — is final and comes back as a response, not an error: the
// caller decides what a 404 means. After the last attempt the error is kIoError with
// one line that starts with the URL ("http://h/x.zip: HTTP 500 after 5 attempts").
// Messages carry no timings or other run-to-run noise, so tests can match them exactly.
//
// Only http:// and https:// URLs are fetched, redirects included (at most 5).
// Thread safety: HttpFetch may be called from several threads at once; each call uses
// its own curl handle. libcurl's global set-up runs once per process.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/status.h"

namespace materia {

constexpr int kHttpRetriesMax = 10;
constexpr int64_t kHttpTimeoutMsMax = 24 * 60 * 60 * 1000;  // one day

struct HttpRequest {
  std::string url;
  std::string if_none_match;  // "" = unconditional; else sent as If-None-Match
  bool head_only = false;     // HEAD: headers only, no body is downloaded
  std::string body_path;      // "" = keep the body in HttpResponse::body
  int64_t body_bytes_max = int64_t{1} << 30;  // a larger body fails (not retried)
  int64_t timeout_connect_ms = 10000;
  int64_t timeout_total_ms = 600000;         // per attempt
  // Called while the body arrives: (bytes received, Content-Length or -1). May be
  // called often; the caller throttles what it shows.
  std::function<void(int64_t, int64_t)> on_progress;
};

struct RetryPolicy {
  int retries = 4;                 // attempts = retries + 1; at most kHttpRetriesMax
  int64_t backoff_ms = 1000;       // before the first retry; doubles each time
  int64_t backoff_max_ms = 60000;  // no wait is longer
  uint64_t jitter_seed = 0;        // 0 = from std::random_device
  // Called before each retry's wait: (attempt that failed, why, wait in ms).
  std::function<void(int, const std::string&, int64_t)> on_retry;
};

struct HttpResponse {
  int status_code = 0;         // of the last attempt; 0 when none completed
  std::string etag;            // the ETag header as sent, quotes included; "" if none
  int64_t content_length = -1; // -1 when the server did not say
  int64_t body_bytes = 0;      // bytes of the last attempt's body
  std::string body;            // when body_path is empty
  int attempts = 0;
  bool reached_server = false;   // some attempt connected (false: refused, no DNS, ...)
  int64_t bytes_downloaded = 0;  // body bytes of 2xx responses over all attempts (error
                                 // pages do not count)
  // Ok, or why the fetch failed after its last attempt (kIoError naming the URL;
  // kInvalidInput for a URL that is not http(s)). status_code may still be set (5xx).
  Status error;
};

// The back-off before retry `retry` (1 = the first): backoff_ms doubled retry-1 times,
// capped at backoff_max_ms, then jittered into [half of it, all of it].
int64_t RetryDelayMs(const RetryPolicy& policy, int retry, uint64_t random);

// Fetches `request.url`, retrying transient failures as `policy` says. Never throws.
HttpResponse HttpFetch(const HttpRequest& request, const RetryPolicy& policy);

}  // namespace materia
