#include "web/web_server.h"

#include <httplib.h>
#include <openssl/crypto.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "pipelines/http_listen.h"
#include "base/text.h"

namespace materia {

namespace {

namespace fs = std::filesystem;

constexpr int kThreadsMax = 64;
constexpr uintmax_t kStaticFileBytesMax = 16u << 20;

// A fixed set of worker threads over a bounded queue: when the queue is full, the
// accepting thread waits, and new connections wait in the kernel's backlog.
class BoundedThreadPool : public httplib::TaskQueue {
 public:
  BoundedThreadPool(size_t threads, size_t pending_max) : pending_max_(pending_max) {
    for (size_t i = 0; i < threads; i++) workers_.emplace_back([this] { Work(); });
  }
  ~BoundedThreadPool() override = default;

  void enqueue(std::function<void()> task) override {
    std::unique_lock<std::mutex> lock(mutex_);
    space_.wait(lock, [this] { return tasks_.size() < pending_max_ || stopping_; });
    if (stopping_) return;
    tasks_.push_back(std::move(task));
    ready_.notify_one();
  }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    space_.notify_all();
    for (std::thread& worker : workers_) worker.join();
  }

 private:
  void Work() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [this] { return !tasks_.empty() || stopping_; });
        if (tasks_.empty()) return;  // stopping, and nothing left to do
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      space_.notify_one();
      task();
    }
  }

  const size_t pending_max_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable space_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

bool IsLoopback(const std::string& address) {
  return address == "127.0.0.1" || address == "localhost" || address == "::1" || address.rfind("127.", 0) == 0;
}

bool SameSecret(const std::string& given, const std::string& token) {
  return given.size() == token.size() && CRYPTO_memcmp(given.data(), token.data(), token.size()) == 0;
}

std::string ContentType(const fs::path& path) {
  const std::string extension = ToLower(path.extension().string());
  if (extension == ".css") return "text/css; charset=utf-8";
  if (extension == ".js" || extension == ".mjs") return "text/javascript; charset=utf-8";
  if (extension == ".html") return "text/html; charset=utf-8";
  if (extension == ".json" || extension == ".map") return "application/json";
  if (extension == ".svg") return "image/svg+xml";
  if (extension == ".png") return "image/png";
  if (extension == ".ico") return "image/x-icon";
  if (extension == ".woff2") return "font/woff2";
  if (extension == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

// The file under `root` that `relative` names, or an error reply: 400 for a path that
// tries to leave the folder, 404 for a missing or non-regular file.
Result<fs::path> StaticFile(const fs::path& root, const std::string& relative, const std::string& target) {
  const std::string lowered = ToLower(target);
  if (relative.empty() || relative.find("..") != std::string::npos || relative.find('\\') != std::string::npos ||
      relative.find('\0') != std::string::npos || relative.front() == '/' ||
      lowered.find("%2e") != std::string::npos || lowered.find("%2f") != std::string::npos ||
      lowered.find("%5c") != std::string::npos || lowered.find("..") != std::string::npos) {
    return Status::InvalidInput("bad static path");
  }
  std::error_code error;
  const fs::path real_root = fs::canonical(root, error);
  if (error) return Status::NotFound("no static folder");
  const fs::path real = fs::canonical(real_root / relative, error);
  if (error) return Status::NotFound("no such file");
  const std::string prefix = real_root.string() + "/";
  if (real.string().rfind(prefix, 0) != 0) return Status::InvalidInput("bad static path");
  if (!fs::is_regular_file(real, error) || fs::file_size(real, error) > kStaticFileBytesMax) {
    return Status::NotFound("no such file");
  }
  return real;
}

thread_local std::chrono::steady_clock::time_point request_started;

}  // namespace

std::string RoutePattern(const std::string& path) {
  static const char* kExact[] = {"/", "/explorer", "/pipelines", "/catalog", "/workers", "/health", "/metrics",
                                 "/api/commodities", "/api/countries", "/api/metrics", "/api/runs", "/api/models"};
  for (const char* route : kExact) {
    if (path == route) return route;
  }
  if (path.rfind("/api/models/", 0) == 0) return "/api/models/{name}";
  if (path.rfind("/catalog/", 0) == 0) return "/catalog/{name}";
  if (path.rfind("/static/", 0) == 0) return "/static/*";
  return "other";
}

Status ValidateWebServerOptions(const WebServerOptions& options) {
  if (options.port < 0 || options.port > 65535) {
    return Status::InvalidInput("--port must be from 0 to 65535, got " + std::to_string(options.port));
  }
  if (options.bind_address.empty()) return Status::InvalidInput("--bind must not be empty");
  if (!IsLoopback(options.bind_address) && options.token.empty()) {
    return Status::InvalidInput("binding " + options.bind_address +
                                " requires a token (--token or MATERIA_SERVE_TOKEN)");
  }
  if (options.token.size() > 256 || options.token.find_first_of(" \t\r\n") != std::string::npos) {
    return Status::InvalidInput("the token must be at most 256 characters without spaces");
  }
  if (options.threads < 1 || options.threads > kThreadsMax) {
    return Status::InvalidInput("--threads must be from 1 to " + std::to_string(kThreadsMax) + ", got " +
                                std::to_string(options.threads));
  }
  std::error_code error;
  if (!options.static_dir.empty() && !fs::is_directory(options.static_dir, error)) {
    return Status::InvalidInput("--static-dir " + options.static_dir + " is not a directory");
  }
  return Status::Ok();
}

struct WebServer::Impl {
  WebServerOptions options;
  std::unique_ptr<WebApp> app;
  httplib::Server server;
  std::thread thread;
  int port = 0;

  void Register();
  bool Authorized(const httplib::Request& request) const;
};

namespace {

void Send(httplib::Response& response, const WebReply& reply) {
  response.status = reply.status;
  response.set_content(reply.body, reply.content_type.c_str());
}

}  // namespace

bool WebServer::Impl::Authorized(const httplib::Request& request) const {
  if (options.token.empty()) return true;
  const std::string header = request.get_header_value("Authorization");
  if (header.rfind("Bearer ", 0) == 0 && SameSecret(header.substr(7), options.token)) return true;
  return request.has_param("token") && SameSecret(request.get_param_value("token"), options.token);
}

void WebServer::Impl::Register() {
  WebApp* web = app.get();
  auto json_route = [this](const char* pattern, std::function<WebReply(const httplib::Request&)> handler) {
    server.Get(pattern, [handler](const httplib::Request& request, httplib::Response& response) {
      Send(response, handler(request));
    });
  };
  json_route("/health", [web](const httplib::Request&) { return HandleHealth(*web); });
  json_route("/metrics", [web](const httplib::Request&) { return HandlePrometheus(*web); });
  json_route("/api/commodities", [web](const httplib::Request& r) { return HandleCommodities(*web, r.params); });
  json_route("/api/countries", [web](const httplib::Request& r) { return HandleCountries(*web, r.params); });
  json_route("/api/metrics", [web](const httplib::Request& r) { return HandleMetrics(*web, r.params); });
  json_route("/api/runs", [web](const httplib::Request& r) { return HandleRuns(*web, r.params); });
  json_route("/api/models", [web](const httplib::Request&) { return HandleModels(*web); });
  json_route(R"(/api/models/([^/]+))", [web](const httplib::Request& r) { return HandleModel(*web, r.matches[1].str()); });
  json_route("/", [web](const httplib::Request& r) { return PageExplorer(*web, r.params); });
  json_route("/explorer", [web](const httplib::Request& r) { return PageExplorer(*web, r.params); });
  json_route("/pipelines", [web](const httplib::Request&) { return PagePipelines(*web); });
  json_route("/catalog", [web](const httplib::Request&) { return PageCatalog(*web, ""); });
  json_route(R"(/catalog/([^/]+))", [web](const httplib::Request& r) { return PageCatalog(*web, ToLower(r.matches[1].str())); });
  json_route("/workers", [web](const httplib::Request&) { return PageWorkers(*web); });
  const fs::path root = options.static_dir;
  server.Get(R"(/static/(.+))", [root](const httplib::Request& request, httplib::Response& response) {
    auto file = StaticFile(root, request.matches[1].str(), request.target);
    if (!file.ok()) {
      const bool bad = file.status().code() == StatusCode::kInvalidInput;
      response.status = bad ? 400 : 404;
      response.set_content(bad ? "bad path\n" : "not found\n", "text/plain");
      return;
    }
    std::ifstream stream(*file, std::ios::binary);
    std::ostringstream content;
    content << stream.rdbuf();
    response.set_header("Cache-Control", "public, max-age=300");
    response.set_content(content.str(), ContentType(*file).c_str());
  });
  server.set_error_handler([](const httplib::Request& request, httplib::Response& response) {
    if (!response.body.empty()) return;
    if (response.status == 404) Send(response, PageNotFound(request.path));
  });
  server.set_exception_handler([](const httplib::Request&, httplib::Response& response, std::exception_ptr) {
    Send(response, ErrorReply(500, "internal error"));
  });
  server.set_pre_routing_handler([this](const httplib::Request& request, httplib::Response& response) {
    request_started = std::chrono::steady_clock::now();
    response.set_header("X-Content-Type-Options", "nosniff");
    response.set_header("X-Frame-Options", "DENY");
    response.set_header("Referrer-Policy", "no-referrer");
    response.set_header("Content-Security-Policy",
                        "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'");
    if (request.target.size() > options.uri_bytes_max) {
      Send(response, ErrorReply(414, "the request URI is too long"));
      return httplib::Server::HandlerResponse::Handled;
    }
    if (request.path != "/health" && !Authorized(request)) {
      response.set_header("WWW-Authenticate", "Bearer");
      Send(response, ErrorReply(401, "a valid token is required"));
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server.set_logger([web](const httplib::Request& request, const httplib::Response& response) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - request_started).count();
    web->http_metrics().Record(RoutePattern(request.path), response.status, seconds);
  });
  const size_t threads = static_cast<size_t>(options.threads);
  const size_t pending_max = options.pending_connections_max;
  server.new_task_queue = [threads, pending_max] { return new BoundedThreadPool(threads, pending_max); };
  server.set_read_timeout(options.read_timeout_ms / 1000, (options.read_timeout_ms % 1000) * 1000);
  server.set_write_timeout(options.write_timeout_ms / 1000, (options.write_timeout_ms % 1000) * 1000);
  server.set_payload_max_length(options.body_bytes_max);
  // A kept-alive connection holds a worker thread: recycle it after a bounded number of
  // requests (and a short idle time) so that waiting connections get their turn.
  server.set_keep_alive_max_count(10);
  server.set_keep_alive_timeout(2);
  server.set_tcp_nodelay(true);  // small answers go out at once, not after a delayed ACK
}

WebServer::WebServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WebServer::~WebServer() { Stop(); }

Result<std::unique_ptr<WebServer>> WebServer::Start(const WebServerOptions& options) {
  MATERIA_RETURN_IF_ERROR(ValidateWebServerOptions(options));
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->options.app.reader.duckdb_threads = std::min(impl->options.app.reader.duckdb_threads, options.threads);
  impl->app = std::make_unique<WebApp>(impl->options.app);
  impl->Register();
  Impl* state = impl.get();
  MATERIA_ASSIGN_OR_RETURN(state->port,
                           ListenInBackground(state->server, options.bind_address, options.port, &state->thread));
  return std::unique_ptr<WebServer>(new WebServer(std::move(impl)));
}

int WebServer::port() const { return impl_->port; }

std::string WebServer::url() const {
  const std::string& host = impl_->options.bind_address;
  return "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(impl_->port) + "/";
}

WebApp& WebServer::app() { return *impl_->app; }

void WebServer::Stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  impl_->server.stop();
  impl_->thread.join();
}

}  // namespace materia
