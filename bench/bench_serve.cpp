// The web app under load: wrk (Debian's) against `materia serve` on the applied and
// exported PSD project — the JSON API (/api/metrics) and the explorer page — alone, and
// while export-serving replaces the serving file in a loop. Prints requests/s, p99
// latency and non-2xx answers (goal: >= 5k req/s on the API, 0 errors).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "apply_fresh.h"
#include "benchmarks.h"

extern char** environ;

namespace materia::bench {

namespace {

struct WrkFigures {
  double requests_per_second = 0;
  double p99_ms = 0;
  long errors = 0;  // non-2xx/3xx answers and socket errors
};

double ToMs(double value, const std::string& unit) {
  if (unit == "us") return value / 1000;
  if (unit == "s") return value * 1000;
  if (unit == "m") return value * 60'000;
  return value;  // ms
}

// Runs wrk and reads its summary.
WrkFigures RunWrk(const std::string& url, int seconds) {
  std::string command = "wrk -t2 -c32 -d" + std::to_string(seconds) + "s --latency '" + url + "' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) Die("wrk", "cannot start wrk (apt-get install wrk)");
  std::string output;
  char buffer[4096];
  while (size_t read = std::fread(buffer, 1, sizeof(buffer), pipe)) output.append(buffer, read);
  int status = ::pclose(pipe);
  if (status != 0) Die("wrk", "failed: " + output);
  WrkFigures figures;
  std::smatch match;
  if (std::regex_search(output, match, std::regex(R"(Requests/sec:\s+([0-9.]+))"))) {
    figures.requests_per_second = std::stod(match[1]);
  }
  if (std::regex_search(output, match, std::regex(R"(99%\s+([0-9.]+)(us|ms|s|m))"))) {
    figures.p99_ms = ToMs(std::stod(match[1]), match[2]);
  }
  if (std::regex_search(output, match, std::regex(R"(Non-2xx or 3xx responses:\s+(\d+))"))) {
    figures.errors += std::stol(match[1]);
  }
  if (std::regex_search(output, match, std::regex(R"(Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+))"))) {
    figures.errors += std::stol(match[1]) + std::stol(match[2]) + std::stol(match[3]) + std::stol(match[4]);
  }
  return figures;
}

// `materia serve --port 0` in the background; its first line says the URL.
struct Server {
  pid_t pid = 0;
  std::string url;
};

Server StartServer(const BenchOptions& options, const std::string& project_dir) {
  std::string log = project_dir + "/serve.log";
  std::vector<std::string> arguments = {options.materia_binary, "-p", project_dir, "serve", "--port", "0",
                                        "--static-dir", options.root + "/web/static"};
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  Server server;
  int spawned = posix_spawn(&server.pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) Die("materia serve", "cannot start it");
  for (int i = 0; i < 200 && server.url.empty(); i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream stream(log);
    std::stringstream text;
    text << stream.rdbuf();
    std::smatch match;
    std::string content = text.str();
    if (std::regex_search(content, match, std::regex(R"((http://127\.0\.0\.1:\d+)/)"))) server.url = match[1];
  }
  if (server.url.empty()) Die("materia serve", "did not say where it listens (see " + log + ")");
  return server;
}

}  // namespace

void BenchServe(const BenchOptions& options, const std::string& project_dir, Report& report) {
  PrintHeading("8. materia serve under wrk, with and without serving-file swaps");
  {
    WorkingDirectory inside(project_dir);
    if (!std::filesystem::exists(".materia/state.db")) ApplyFresh(4);
  }
  double export_ms = 0;
  if (RunProcess({options.materia_binary, "-p", project_dir, "export-serving", "--force"}, &export_ms) != 0) {
    Die("materia export-serving", "failed");
  }
  Server server = StartServer(options, project_dir);
  int seconds = options.quick ? 3 : 8;
  const std::string api = server.url + "/api/metrics?commodity=0440000&country=US";
  const std::string page = server.url + "/explorer?commodity=0440000&country=US";
  RunWrk(api, 1);  // warm-up: the first answer fills the cache

  WrkFigures api_alone = RunWrk(api, seconds);
  WrkFigures page_alone = RunWrk(page, seconds);
  std::atomic<bool> swapping{true};
  std::atomic<int> swaps{0};
  std::thread exporter([&] {
    while (swapping) {
      double ms = 0;
      if (RunProcess({options.materia_binary, "-p", project_dir, "export-serving", "--force"}, &ms) == 0) swaps++;
    }
  });
  WrkFigures api_swaps = RunWrk(api, seconds);
  WrkFigures page_swaps = RunWrk(page, seconds);
  swapping = false;
  exporter.join();
  ::kill(server.pid, SIGTERM);
  ::waitpid(server.pid, nullptr, 0);

  auto print = [](const char* what, const WrkFigures& figures) {
    std::printf("  %-34s %9.0f req/s   p99 %7.2f ms   errors %ld\n", what, figures.requests_per_second,
                figures.p99_ms, figures.errors);
  };
  print("/api/metrics", api_alone);
  print("/explorer", page_alone);
  print("/api/metrics during swaps", api_swaps);
  print("/explorer during swaps", page_swaps);
  std::printf("  %d serving-file swaps during the swap runs (wrk -t2 -c32, %d s each)\n", swaps.load(), seconds);
  auto per_request_ms = [](const WrkFigures& figures) {
    return figures.requests_per_second > 0 ? 1000.0 / figures.requests_per_second : 0;
  };
  report.Add({"serve /api/metrics, ms per request (" + std::to_string(static_cast<long>(api_alone.requests_per_second)) +
                  " req/s, p99 " + FormatMs(api_alone.p99_ms) + ")",
              per_request_ms(api_alone), 0, "", ">= 5k req/s, 0 errors",
              api_alone.requests_per_second >= 5000 && api_alone.errors == 0});
  report.Add({"serve /api/metrics during swaps (" + std::to_string(api_swaps.errors) + " errors)",
              per_request_ms(api_swaps), per_request_ms(api_alone), "no swaps", "0 errors", api_swaps.errors == 0});
  report.Add({"serve /explorer (" + std::to_string(static_cast<long>(page_alone.requests_per_second)) + " req/s)",
              per_request_ms(page_alone), 0, "", "0 errors", page_alone.errors == 0 && page_swaps.errors == 0});
}

}  // namespace materia::bench
