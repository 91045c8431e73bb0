// The pipelines a project runs — extract, transform, export_serving — with what the
// supervisor needs to schedule them: a priority (lower runs first), a timeout, a retry
// policy and the tags that size the worker that runs them; and the worker sizes
// themselves. Read from config.yaml:
//
//   pipelines:
//     extract:        {priority: 1, timeout: 30m, attempts: 3, backoff: 30s, tags: [light]}
//     transform:      {priority: 2, timeout: 2h, tags: [heavy]}
//     export_serving: {enabled: false}
//   workers:
//     default: medium
//     sizes:
//       small:  {threads: 1, memory_limit: 2GB}
//       large:  {threads: 8, memory_limit: 24GB}
//     tags: {heavy: large, light: small}
//   supervisor:
//     interval: 15m
//
// Every key is optional; unknown keys are errors with config.yaml:line:col. Built-in
// sizes are small (1 thread, 2GB), medium (2 threads, 8GB) and large (every core,
// DuckDB's default memory limit); `sizes` adds to or replaces them.
//
// Pure data and functions of it; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "project/config.h"

namespace materia {

// The longest timeout, back-off or supervisor interval a project may set: a week.
inline constexpr int64_t kPipelineSpanMsMax = 7LL * 24 * 3'600'000;

// How a failed pipeline run is retried: at most `attempts_max` tries in all, waiting
// backoff_initial_ms, then twice that, ... up to backoff_max_ms, each wait with up to
// 20% random jitter.
struct RetryPolicy {
  int attempts_max = 3;               // 1..20
  int64_t backoff_initial_ms = 30'000;
  int64_t backoff_max_ms = 600'000;
};

struct PipelineDefinition {
  std::string name;         // "extract", "transform", "export_serving"
  std::string description;
  int priority = 0;         // lower runs first
  int64_t timeout_ms = 0;   // a run taking longer is stopped and counts as failed
  RetryPolicy retry;
  std::vector<std::string> tags;
  bool enabled = true;
};

struct WorkerSize {
  std::string name;
  int threads = 0;           // 0 = every core
  std::string memory_limit;  // DuckDB's memory_limit, e.g. "8GB"; "" = DuckDB's default
  int rank = 0;              // larger sizes rank higher (order of declaration, built-ins first)
};

struct PipelineSettings {
  std::vector<PipelineDefinition> pipelines;      // by priority, then name
  std::map<std::string, WorkerSize> sizes;        // by name
  std::map<std::string, std::string> tag_sizes;   // tag -> size name
  std::string default_size = "medium";
  int64_t supervisor_interval_ms = 15 * 60'000;
};

// Reads the pipelines, workers and supervisor sections of `config`'s config.yaml.
// Errors are one line: "config.yaml:4:5: unknown key 'priorty' in pipeline transform".
Result<PipelineSettings> LoadPipelineSettings(const ProjectConfig& config);

// The pipeline named `name`, or kNotFound listing the known ones.
Result<PipelineDefinition> FindPipeline(const PipelineSettings& settings, const std::string& name);

// The worker size the union of `tags` asks for: the highest ranked of the sizes the
// tags map to, or the default size when none maps.
WorkerSize SizeForTags(const PipelineSettings& settings, const std::vector<std::string>& tags);

// The delay before retry number `attempt` (1 = the first retry), without jitter.
int64_t BackoffMs(const RetryPolicy& policy, int attempt);

// "extract-20261122T045012Z-3fa2c1": a new id for a pipeline run.
std::string NewPipelineRunId(const std::string& pipeline);

}  // namespace materia
