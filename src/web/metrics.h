// Prometheus metrics of `materia serve`, in the text exposition format 0.0.4.
//
// HttpMetrics counts requests by route pattern (never the raw path, so the label set
// stays bounded) and status code, and keeps a latency histogram per route. The
// pipeline and model metrics are computed from the state store on each scrape by
// RenderStateMetrics. HttpMetrics is safe for concurrent use from several threads.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "state/state_store.h"

namespace materia {

// Upper bounds (seconds) of the request latency buckets; +Inf is implied.
inline constexpr std::array<double, 11> kHttpDurationBucketsSeconds = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5};
// Upper bounds (seconds) of the pipeline duration buckets; +Inf is implied.
inline constexpr std::array<double, 10> kPipelineDurationBucketsSeconds = {
    1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200};

// A cumulative histogram over fixed bucket bounds.
struct Histogram {
  std::vector<double> bounds;
  std::vector<uint64_t> counts;  // one per bound, then +Inf; not cumulative
  uint64_t count = 0;
  double sum = 0;

  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double value);
  // The _bucket, _sum and _count lines of metric `name` with `labels` ("a=\"b\"" or "").
  void Render(const std::string& name, const std::string& labels, std::string* out) const;
};

class HttpMetrics {
 public:
  // Routes beyond kRoutesMax are counted under route "other".
  static constexpr size_t kRoutesMax = 64;

  void Record(const std::string& route, int code, double seconds);
  // The materia_http_* metric families with their HELP and TYPE lines.
  std::string Render() const;

 private:
  mutable std::mutex mutex_;  // guards the members below
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> durations_;
};

struct ModelRows {
  std::string model;
  int64_t rows = 0;
};

// materia_pipeline_runs_total, materia_pipeline_duration_seconds (finished runs),
// materia_model_rows and materia_serving_age_seconds (omitted when `serving_age_seconds`
// is negative, i.e. there is no serving file).
std::string RenderStateMetrics(const std::vector<PipelineRunRecord>& runs,
                               const std::vector<ModelRows>& models, double serving_age_seconds);

// A label value escaped as the exposition format requires (\\, \", \n).
std::string EscapeLabelValue(const std::string& value);

}  // namespace materia
