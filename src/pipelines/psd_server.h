// PsdServer: a local stand-in for PSD Online's download site, for tests, the demo and
// soak runs. It serves generated releases (pipelines/psd_generator.h), each zipped as
// psd_alldata.csv:
//   GET|HEAD /archives/{yyyy}/{mm}/psd_alldata_csv.zip   the release of that month
//   GET|HEAD /psd_alldata_csv.zip                        the latest release
// for the `months` months ending at (end_year, end_month); other months are 404. Each
// response carries a strong ETag ("<first 16 hex digits of the CSV's SHA-256>", the
// name `materia example psd` gives the same release) and If-None-Match is honoured
// with a 304.
//
// Faults are injected deterministically: whether the n-th request for a path fails is
// a function of (seed, path, n), so a run repeats exactly whatever the order of
// requests to different paths. In the order applied:
//   delay      delay_rate of requests wait delay_ms before answering
//   fail       fail_rate of requests get a 500
//   truncate   truncate_rate of 200 responses send half the body, with the full
//              Content-Length, then close the connection
//   corrupt    corrupt_rate of 200 responses send a damaged zip (the bytes after the
//              first 64 flipped), with the right length
// wrong_header serves CSVs whose last column is named Amount instead of Value;
// change_etags gives every response a new ETag (the content stays), so no 304 ever.
//
// Thread safety: the server answers on its own threads; Start, port, url, stats and
// Stop may be called from any thread. Memory: at most 8 zipped releases are kept (older
// ones are generated again when asked for their body); every ETag is kept, so 304s and
// HEADs never regenerate.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"

namespace materia {

struct PsdServerOptions {
  std::string bind_address = "127.0.0.1";
  int port = 0;  // 0 = a free port
  int months = 3;
  int end_year = 2026;
  int end_month = 8;
  double scale = 0.02;
  uint64_t seed = 42;
  double fail_rate = 0;
  int64_t delay_ms = 0;
  double delay_rate = 1;  // of requests delayed, when delay_ms > 0
  double truncate_rate = 0;
  double corrupt_rate = 0;
  bool wrong_header = false;
  bool change_etags = false;
  // Called once per answered request ("GET /psd_alldata_csv.zip 200"), from the
  // server's threads; may be empty.
  std::function<void(const std::string&)> log;
};

struct PsdServerStats {
  int64_t requests = 0;
  int64_t head_requests = 0;
  int64_t bodies_sent = 0;  // 200 responses to GET, whole or not
  int64_t not_modified = 0;
  int64_t not_found = 0;
  int64_t failures = 0;     // injected 500s
  int64_t truncated = 0;
  int64_t corrupted = 0;
};

class PsdServer {
 public:
  // Checks the options, binds the port and starts answering. Errors: kInvalidInput for
  // bad options ("--fail-rate must be from 0 to 1, got 2"), kIoError when the address
  // cannot be bound ("cannot listen on 127.0.0.1:80").
  static Result<std::unique_ptr<PsdServer>> Start(const PsdServerOptions& options);

  ~PsdServer();  // stops
  PsdServer(const PsdServer&) = delete;
  PsdServer& operator=(const PsdServer&) = delete;

  int port() const;
  std::string url() const;  // "http://127.0.0.1:PORT"
  PsdServerStats stats() const;
  // Stops answering and joins the server's threads; idempotent.
  void Stop();

 private:
  struct Impl;
  explicit PsdServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Checks PsdServerOptions as Start does.
Status ValidatePsdServerOptions(const PsdServerOptions& options);

}  // namespace materia
