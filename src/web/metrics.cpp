#include "web/metrics.h"

#include <cmath>
#include <cstdio>

namespace materia {

namespace {

std::string Number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  char text[40];
  std::snprintf(text, sizeof(text), "%.17g", value);
  return text;
}

std::string Bound(double value) {
  char text[40];
  std::snprintf(text, sizeof(text), "%g", value);
  return text;
}

void Header(const char* name, const char* type, const char* help, std::string* out) {
  *out += std::string("# HELP ") + name + " " + help + "\n";
  *out += std::string("# TYPE ") + name + " " + type + "\n";
}

}  // namespace

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds(std::move(upper_bounds)), counts(bounds.size() + 1, 0) {}

void Histogram::Observe(double value) {
  size_t i = 0;
  while (i < bounds.size() && value > bounds[i]) i++;
  counts[i]++;
  count++;
  sum += value;
}

void Histogram::Render(const std::string& name, const std::string& labels, std::string* out) const {
  const std::string prefix = labels.empty() ? "" : labels + ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds.size(); i++) {
    cumulative += counts[i];
    *out += name + "_bucket{" + prefix + "le=\"" + Bound(bounds[i]) + "\"} " + std::to_string(cumulative) + "\n";
  }
  *out += name + "_bucket{" + prefix + "le=\"+Inf\"} " + std::to_string(count) + "\n";
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  *out += name + "_sum" + braces + " " + Number(sum) + "\n";
  *out += name + "_count" + braces + " " + std::to_string(count) + "\n";
}

void HttpMetrics::Record(const std::string& route, int code, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string label = route;
  if (!durations_.count(label) && durations_.size() >= kRoutesMax) label = "other";
  requests_[{label, code}]++;
  auto found = durations_.find(label);
  if (found == durations_.end()) {
    found = durations_.emplace(label, Histogram({kHttpDurationBucketsSeconds.begin(),
                                                 kHttpDurationBucketsSeconds.end()})).first;
  }
  found->second.Observe(seconds);
}

std::string HttpMetrics::Render() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  Header("materia_http_requests_total", "counter", "HTTP requests answered, by route pattern and status code.", &out);
  for (const auto& [key, count] : requests_) {
    out += "materia_http_requests_total{route=\"" + EscapeLabelValue(key.first) + "\",code=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(count) + "\n";
  }
  Header("materia_http_request_duration_seconds", "histogram", "Time to answer an HTTP request, by route pattern.", &out);
  for (const auto& [route, histogram] : durations_) {
    histogram.Render("materia_http_request_duration_seconds", "route=\"" + EscapeLabelValue(route) + "\"", &out);
  }
  return out;
}

std::string RenderStateMetrics(const std::vector<PipelineRunRecord>& runs,
                               const std::vector<ModelRows>& models, double serving_age_seconds) {
  std::map<std::pair<std::string, std::string>, uint64_t> totals;
  std::map<std::string, Histogram> durations;
  for (const PipelineRunRecord& run : runs) {
    totals[{run.pipeline, run.status}]++;
    if (run.finished_ms <= 0 || run.finished_ms < run.started_ms) continue;
    auto found = durations.find(run.pipeline);
    if (found == durations.end()) {
      found = durations.emplace(run.pipeline, Histogram({kPipelineDurationBucketsSeconds.begin(),
                                                         kPipelineDurationBucketsSeconds.end()})).first;
    }
    found->second.Observe(static_cast<double>(run.finished_ms - run.started_ms) / 1000.0);
  }
  std::string out;
  Header("materia_pipeline_runs_total", "counter", "Pipeline runs (attempts) recorded in state, by pipeline and status.", &out);
  for (const auto& [key, count] : totals) {
    out += "materia_pipeline_runs_total{pipeline=\"" + EscapeLabelValue(key.first) + "\",status=\"" +
           EscapeLabelValue(key.second) + "\"} " + std::to_string(count) + "\n";
  }
  Header("materia_pipeline_duration_seconds", "histogram", "Duration of finished pipeline runs recorded in state.", &out);
  for (const auto& [pipeline, histogram] : durations) {
    histogram.Render("materia_pipeline_duration_seconds", "pipeline=\"" + EscapeLabelValue(pipeline) + "\"", &out);
  }
  Header("materia_model_rows", "gauge", "Rows of the last materialization of each model of prod.", &out);
  for (const ModelRows& model : models) {
    out += "materia_model_rows{model=\"" + EscapeLabelValue(model.model) + "\"} " + std::to_string(model.rows) + "\n";
  }
  if (serving_age_seconds >= 0) {
    Header("materia_serving_age_seconds", "gauge", "Seconds since the serving file was last replaced.", &out);
    out += "materia_serving_age_seconds " + Number(serving_age_seconds) + "\n";
  }
  return out;
}

}  // namespace materia
