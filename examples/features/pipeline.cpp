// The feature API from C++: the example's three-step video pipeline (raw -> crop ->
// embed), run twice. The first run computes every sample; between the runs one video
// is re-uploaded; the second run computes only that video's samples, step by step.
//
//   build/feature_pipeline_example PROJECT_DIR
//
// PROJECT_DIR is a copy of examples/features (the run writes .materia/ there). Each
// step asks the engine what is new or stale, "computes" those samples (here: a string
// built from the inputs, where a real step would crop frames or embed text) and
// writes the results back; the engine adds the provenance.
#include <cstdio>
#include <string>

#include "features/feature_engine.h"

namespace {

using materia::FeatureEngine;
using materia::QueryResult;
using materia::Result;
using materia::Status;

int Fail(const Status& status) {
  std::fprintf(stderr, "error: %s\n", status.message().c_str());
  return 1;
}

// Resolves `feature`, computes its new and stale samples with `compute_sql` (a SELECT
// over `todo`, the samples to do), writes them, and returns how many were computed.
Result<int64_t> Step(FeatureEngine& engine, const std::string& feature, const std::string& samples,
                     const std::string& compute_sql) {
  MATERIA_ASSIGN_OR_RETURN(materia::ResolveResult todo, engine.Resolve(feature, samples));
  const std::string rows = "(SELECT * EXCLUDE (materia_status, materia_stale_fields) FROM " + todo.table +
                           " WHERE materia_status IN ('new', 'stale'))";
  std::string sql = compute_sql;
  for (size_t at = sql.find("todo"); at != std::string::npos; at = sql.find("todo", at + rows.size())) {
    sql.replace(at, 4, rows);
  }
  MATERIA_ASSIGN_OR_RETURN(materia::WriteResult written, engine.Write(feature, "(" + sql + ")"));
  std::printf("  %-12s %lld new, %lld stale -> computed %lld\n", feature.c_str(),
              static_cast<long long>(todo.new_count), static_cast<long long>(todo.stale_count),
              static_cast<long long>(written.rows));
  return todo.new_count + todo.stale_count;
}

Status Run(FeatureEngine& engine, int run) {
  std::printf("run %d\n", run);
  // The uploads: a content hash per video stands for its bytes.
  MATERIA_RETURN_IF_ERROR(engine.connection().Execute(
      "CREATE OR REPLACE TEMP TABLE uploads AS SELECT i AS video_id, 'frames-' || i AS frames, "
      "'audio-' || i AS audio, 10 * (i + 1) AS duration_seconds, "
      "'sha-' || i || CASE WHEN i = 2 AND " + std::to_string(run) + " = 2 THEN '-reuploaded' ELSE '' END "
      "AS materia_sample_version FROM range(5) t(i)"));
  MATERIA_RETURN_IF_ERROR(Step(engine, "video/raw", "uploads", "SELECT * FROM todo").status());
  MATERIA_RETURN_IF_ERROR(
      Step(engine, "video/crop", "", "SELECT *, 'face-box-of-' || raw_frames AS face_box FROM todo").status());
  // embed expands: one row per 30-second chunk of each video.
  MATERIA_RETURN_IF_ERROR(Step(engine, "video/embed", "",
                               "SELECT t.*, c AS chunk, 'vector-' || t.video_id || '-' || c AS embedding "
                               "FROM todo t, range(2) r(c)")
                              .status());
  MATERIA_ASSIGN_OR_RETURN(auto statuses, engine.StatusOfFeatures());
  bool in_sync = true;
  for (const materia::FeatureStatus& status : statuses) in_sync = in_sync && status.InSync();
  std::printf("  %s\n", in_sync ? "in sync" : "NOT in sync");
  return Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || std::string(argv[1]) == "--help") {
    std::fprintf(stderr, "usage: feature_pipeline_example PROJECT_DIR  (a copy of examples/features)\n");
    return argc == 2 ? 0 : 2;
  }
  materia::FeatureEngineOptions options;
  options.project_dir = argv[1];
  auto engine = FeatureEngine::Open(options);
  if (!engine.ok()) return Fail(engine.status());
  for (int run = 1; run <= 2; run++) {
    Status status = Run(**engine, run);
    if (!status.ok()) return Fail(status);
  }
  return 0;
}
