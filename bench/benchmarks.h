// The benchmarks `make bench` runs, one file each. Each prints its figures with their
// goals as it goes and adds them to the report's table.
#pragma once

#include <string>

#include "bench_common.h"

namespace materia::bench {

// Load + plan of synthetic projects of 1k and 10k models (and 100k with --large):
// cold (no analysis cache), warm (cache present), and warm with `prod` recorded and
// unchanged; `materia plan` as a whole process for 10k.
void BenchLoadAndPlan(const BenchOptions& options, const std::string& scratch, Report& report);

// The PSD project with one release at options.psd_scale: `materia apply` on a fresh
// warehouse against raw DuckDB running the same SQL. Leaves the project applied at
// `project_dir` (written by PreparePsdProject).
void BenchPsdApply(const BenchOptions& options, const std::string& project_dir, Report& report);

// Copies examples/psd (config.yaml, models/) to `project_dir` and generates one
// release at options.psd_scale into its landing directory.
void PreparePsdProject(const BenchOptions& options, const std::string& project_dir);

// First run of the 1k-model synthetic project against raw DuckDB running the same SQL.
void BenchFirstRun(const BenchOptions& options, const std::string& scratch, Report& report);

// `check` on the applied PSD project with nothing to do: the whole process and the
// library call. Applies the project first when it is not applied yet.
void BenchCheck(const BenchOptions& options, const std::string& project_dir, Report& report);

// `materia validate` and `materia test` (a unit test per 10 derived models) on the
// synthetic project of 10k models (1k with --quick), as whole processes.
void BenchDevCommands(const BenchOptions& options, const std::string& scratch, Report& report);

// export-serving of the applied PSD project at `project_dir` (forced, so every run
// copies) against raw DuckDB making the same copy; and the skip when nothing changed.
// Applies the project first when it is not applied yet.
void BenchExport(const BenchOptions& options, const std::string& project_dir, Report& report);

// extract of 24 monthly archives (scale 0.1; 0.02 with --quick) from the local PSD
// server: cold, then with every ETag known (all 304: no body bytes may be downloaded).
void BenchExtract(const BenchOptions& options, const std::string& scratch, Report& report);

// `materia serve` on the applied PSD project under wrk: /api/metrics and the explorer
// page, alone and while export-serving replaces the serving file in a loop.
void BenchServe(const BenchOptions& options, const std::string& project_dir, Report& report);

// resolve_update: FeatureEngine::Resolve of a one-field and a ten-field feature over
// 10k, 100k and 1M upstream samples (10k and 100k with --quick; 10M added with --large),
// 10 % new or 10 % stale, against a hand-written DuckDB query doing the same work.
void BenchFeatures(const BenchOptions& options, const std::string& scratch, Report& report);

}  // namespace materia::bench
