// materia serve [--bind 127.0.0.1] [--port 8080] [--token T] [--static-dir DIR]
// [--threads N]: the web app over the serving file and the state store (see
// web/web_server.h). Prints the URL, serves until SIGTERM or SIGINT, exits 0; 2 for
// bad options or an address that cannot be bound.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "cli/commands.h"
#include "pipelines/export_serving.h"
#include "web/web_server.h"

namespace materia::cli {

namespace {

namespace fs = std::filesystem;

constexpr int kStaticSearchDepthMax = 4;

// web/static next to the binary or in one of its parent folders (a build folder sits
// inside the source tree), else share/materia/static beside it; "" when none exists.
std::string DefaultStaticDir() {
  std::error_code error;
  fs::path folder = fs::read_symlink("/proc/self/exe", error).parent_path();
  if (error) return "";
  if (fs::is_directory(folder / ".." / "share" / "materia" / "static", error)) {
    return fs::weakly_canonical(folder / ".." / "share" / "materia" / "static", error).string();
  }
  for (int depth = 0; depth < kStaticSearchDepthMax && !folder.empty(); depth++) {
    if (fs::is_directory(folder / "web" / "static", error)) return (folder / "web" / "static").string();
    if (folder == folder.parent_path()) break;
    folder = folder.parent_path();
  }
  return "";
}

struct ServeOptions {
  std::string bind_address = "127.0.0.1";
  int port = 8080;
  std::string token;
  std::string static_dir;
  int threads = 16;
};

int RunServe(const ServeOptions& command) {
  auto config = LoadConfig(".");
  if (!config.ok()) return ReportError(config.status());
  WebServerOptions options;
  options.bind_address = command.bind_address;
  options.port = command.port;
  options.token = command.token;
  options.threads = command.threads;
  options.static_dir = command.static_dir.empty() ? DefaultStaticDir() : command.static_dir;
  auto serving_path = ResolveServingDatabasePath(*config, "");
  if (!serving_path.ok()) return ReportError(serving_path.status());
  options.app.serving_path = *serving_path;
  options.app.state_path = fs::absolute(StatePath(*config)).string();
  options.app.project_dir = fs::current_path().string();
  // Block the signals in every thread the server starts; this thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto server = WebServer::Start(options);
  if (!server.ok()) return ReportError(server.status());
  std::printf("Serving %s (serving file %s)\n", (*server)->url().c_str(), options.app.serving_path.c_str());
  if (options.static_dir.empty()) std::printf("note: no static folder found; pages render without styles and charts\n");
  if (!(*server)->app().project()) {
    std::printf("note: the catalog is unavailable: %s\n", (*server)->app().project_error().c_str());
  }
  std::fflush(stdout);
  int received = 0;
  sigwait(&signals, &received);
  (*server)->Stop();
  return kExitOk;
}

}  // namespace

void RegisterServeCommand(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<ServeOptions>();
  CLI::App* command = app.add_subcommand(
      "serve", "Serve the web app: explorer, pipelines, catalog and workers pages, a JSON API, /metrics "
               "and /health, over the serving file and the state store (read-only)");
  command->add_option("--bind", options->bind_address, "address to listen on (default 127.0.0.1)");
  command->add_option("--port", options->port, "port to listen on; 0 = a free port (default 8080)");
  command->add_option("--token", options->token, "token required on every route but /health")
      ->envname("MATERIA_SERVE_TOKEN");
  command->add_option("--static-dir", options->static_dir, "folder of the static files (default: web/static)");
  command->add_option("--threads", options->threads, "worker threads (default 16)");
  SetProjectAction(command, global, [options] { return RunServe(*options); });
}

}  // namespace materia::cli
