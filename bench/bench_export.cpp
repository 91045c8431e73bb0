// Benchmark 6: `materia export-serving` on the applied PSD project — the serving layer
// copied into its own file (with the row-count checks, the re-open of the closed copy,
// fsync and rename) against raw DuckDB making the same copy (attach, CREATE TABLE AS,
// close) and nothing else; and the skip when nothing changed.
#include <cstdio>
#include <filesystem>

#include "apply_fresh.h"
#include "benchmarks.h"
#include "db/duckdb.h"
#include "pipelines/export_serving.h"

namespace materia::bench {

namespace {

constexpr int kThreads = 4;

// The same copy as an export, without its checks: the reference.
void RawCopy(const std::string& warehouse, const std::string& target,
             const std::vector<ExportedTable>& tables) {
  RemoveDatabase(target);
  std::shared_ptr<DuckDatabase> database = Expect(DuckDatabase::Open(target), "open " + target);
  std::unique_ptr<DuckConnection> connection = Expect(DuckConnection::Connect(database), "connect");
  Expect(connection->Execute("ATTACH " + QuoteLiteral(warehouse) + " AS pipeline (READ_ONLY); "
                             "BEGIN TRANSACTION; CREATE SCHEMA serving"),
         "attach the warehouse");
  for (const ExportedTable& table : tables) {
    std::string name = table.name.substr(table.name.find('.') + 1);
    Expect(connection->Execute("CREATE TABLE serving." + QuoteIdentifier(name) +
                               " AS SELECT * FROM pipeline.serving." + QuoteIdentifier(name)),
           "copy " + table.name);
  }
  Expect(connection->Execute("COMMIT; DETACH pipeline; CHECKPOINT"), "commit the copy");
}

}  // namespace

void BenchExport(const BenchOptions& options, const std::string& project_dir, Report& report) {
  PrintHeading("6. export-serving of the applied PSD project vs a raw DuckDB copy");
  WorkingDirectory inside(project_dir);
  if (!std::filesystem::exists(".materia/state.db")) ApplyFresh(kThreads);
  Project project;
  project.config = Expect(LoadConfig("."), "load config.yaml");
  std::unique_ptr<StateStore> state =
      Expect(OpenSqliteStateStore(project.config.gateway().state_database), "open the state store");
  ExportOptions export_options;
  export_options.force = true;
  export_options.serving_path = "serving.duckdb";

  int repetitions = options.quick ? 2 : 3;
  ExportReport last;
  std::vector<double> export_ms = TimeRepeated(repetitions, [&] {
    last = Expect(ExportServing(project, *state, export_options), "export the serving layer");
  });
  std::string warehouse = std::filesystem::absolute(project.config.gateway().database).string();
  std::vector<double> raw_ms = TimeRepeated(repetitions, [&] { RawCopy(warehouse, "raw_copy.duckdb", last.tables); });
  RemoveDatabase("raw_copy.duckdb");
  double process_ms = 0;
  int code = RunProcess({options.materia_binary, "export-serving", "--force"}, &process_ms);
  if (code != 0) Die("materia export-serving --force", "exit code " + std::to_string(code));
  export_options.force = false;
  std::vector<double> skip_ms = TimeRepeated(repetitions, [&] {
    ExportReport skipped = Expect(ExportServing(project, *state, export_options), "skip the export");
    if (!skipped.skipped) Die("export without changes", "it was not skipped");
  });

  double megabytes = static_cast<double>(last.bytes) / 1e6;
  double median_ms = Median(export_ms);
  double reference_ms = Median(raw_ms);
  std::printf("  %zu tables, %lld rows, %.1f MB\n", last.tables.size(), static_cast<long long>(last.rows),
              megabytes);
  std::printf("  export (library):   %8s  %.1f MB/s  (median of %d)\n", FormatMs(median_ms).c_str(),
              megabytes / (median_ms / 1000), repetitions);
  std::printf("  raw DuckDB copy:    %8s  %.1f MB/s  ratio %.2f\n", FormatMs(reference_ms).c_str(),
              megabytes / (reference_ms / 1000), median_ms / reference_ms);
  std::printf("  materia export-serving --force, whole process: %s\n", FormatMs(process_ms).c_str());
  std::printf("  skipped (nothing changed), library: %s\n", FormatMs(Median(skip_ms)).c_str());
  std::fflush(stdout);

  Figure figure;
  figure.name = "export-serving, PSD scale " + std::to_string(options.psd_scale).substr(0, 4);
  figure.value_ms = median_ms;
  figure.reference_ms = reference_ms;
  report.Add(figure);
  Figure skip;
  skip.name = "export-serving skipped";
  skip.value_ms = Median(skip_ms);
  report.Add(skip);
}

}  // namespace materia::bench
