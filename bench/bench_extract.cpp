// Extract: 24 monthly archives (and the current file) from the local PSD server, cold
// into an empty landing directory, then again with every ETag known: the second pass
// must download no body at all (each answer a 304). The reference is the cold pass.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "benchmarks.h"
#include "pipelines/extract.h"
#include "pipelines/psd_server.h"
#include "project/config.h"
#include "state/state_store.h"

namespace materia::bench {

namespace {

constexpr int kArchives = 24;

}  // namespace

void BenchExtract(const BenchOptions& options, const std::string& scratch, Report& report) {
  PrintHeading("Extract");
  double scale = options.quick ? 0.02 : 0.1;
  PsdServerOptions server_options;
  server_options.months = kArchives;
  server_options.end_year = 2026;
  server_options.end_month = 8;
  server_options.scale = scale;
  auto server = PsdServer::Start(server_options);
  if (!server.ok()) Die("extract: the local server", server.status().message());
  std::string project = scratch + "/extract";
  std::filesystem::create_directories(project);
  std::ofstream(project + "/config.yaml")
      << "extract:\n  psd:\n    base_url: " << (*server)->url()
      << "\n    archives_from: 2024-09\n    archives_to: 2026-08\n";
  auto config = LoadConfig(project);
  if (!config.ok()) Die("extract: config", config.status().message());
  auto state = OpenSqliteStateStore(project + "/state.db");
  if (!state.ok()) Die("extract: state", state.status().message());
  ExtractOptions extract;
  extract.landing_dir = project + "/landing";

  Stopwatch cold_clock;
  auto cold = RunExtract(*config, **state, extract);
  double cold_ms = cold_clock.ElapsedMs();
  if (!cold.ok()) Die("extract: cold run", cold.status().message());
  if (cold->failed > 0) Die("extract: cold run", std::to_string(cold->failed) + " files failed");
  Stopwatch warm_clock;
  auto warm = RunExtract(*config, **state, extract);
  double warm_ms = warm_clock.ElapsedMs();
  if (!warm.ok()) Die("extract: all-304 run", warm.status().message());

  double megabytes = static_cast<double>(cold->bytes_downloaded) / 1e6;
  std::printf("  cold: %d files, %.1f MB of zips in %.0f ms (%.1f MB/s), scale %.2f\n", cold->downloaded,
              megabytes, cold_ms, megabytes / (cold_ms / 1000), scale);
  std::printf("  all-304: %d not modified, %lld bytes of body downloaded (must be 0) in %.0f ms\n",
              warm->not_modified, static_cast<long long>(warm->bytes_downloaded), warm_ms);
  report.Add({"extract 24 archives cold", cold_ms, 0, "", "", false});
  report.Add({"extract all-304 (" + std::to_string(warm->bytes_downloaded) + " body bytes)", warm_ms, cold_ms,
              "cold", "0 body bytes", warm->bytes_downloaded == 0});
}

}  // namespace materia::bench
