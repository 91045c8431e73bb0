// WebServer: the HTTP server of `materia serve` — pages, the JSON API, /metrics,
// /health and static files — over a WebApp (see web_app.h for what it reads).
//
// Security and bounds: it binds 127.0.0.1 unless told otherwise, and any other address
// requires a token, then checked on every route but /health (`Authorization: Bearer T`
// or `?token=T`; 401 otherwise). Request bodies, URIs, read and write times and the
// worker thread count are bounded; static files are served only from inside
// `static_dir` (no `..`, encoded or not, no symbolic link leading out). Every answer
// carries a restrictive Content-Security-Policy and nosniff.
//
// Start() returns once the server accepts connections; Stop() (or the destructor)
// ends it after the requests in progress. Safe to Stop() from any thread.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "web/web_app.h"

namespace materia {

struct WebServerOptions {
  std::string bind_address = "127.0.0.1";
  int port = 8080;  // 0 = any free port (see WebServer::port())
  std::string token;  // "" = none; required unless bind_address is a loopback address
  std::string static_dir;
  int threads = 16;
  int read_timeout_ms = 10000;
  int write_timeout_ms = 10000;
  size_t body_bytes_max = 64 * 1024;
  size_t uri_bytes_max = 4096;
  size_t pending_connections_max = 256;
  WebAppOptions app;
};

// kInvalidInput: "--port must be from 0 to 65535, got 70000", "binding 0.0.0.0 requires
// a token (--token or MATERIA_SERVE_TOKEN)", "--threads must be from 1 to 64, got 0",
// "--static-dir ... is not a directory".
Status ValidateWebServerOptions(const WebServerOptions& options);

// The route pattern a path is counted under in metrics: "/api/models/{name}",
// "/static/*", "/" ...; "other" for anything unknown.
std::string RoutePattern(const std::string& path);

class WebServer {
 public:
  // Validates, loads the project, binds and starts serving on a thread of its own.
  // kIoError when the address cannot be bound.
  static Result<std::unique_ptr<WebServer>> Start(const WebServerOptions& options);
  ~WebServer();

  int port() const;
  std::string url() const;  // http://address:port/
  WebApp& app();
  void Stop();

  struct Impl;

 private:
  explicit WebServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace materia
