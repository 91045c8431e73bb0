#include "pipelines/registry.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "base/duration.h"
#include "base/time.h"
#include "base/yaml_syntax.h"
#include "db/duckdb.h"
#include "run/executor.h"

namespace materia {

namespace {

constexpr int kAttemptsMax = 20;
constexpr int kThreadsMax = 256;
constexpr int64_t kTimeoutMsMax = kPipelineSpanMsMax;

struct BuiltinPipeline {
  const char* name;
  const char* description;
  int priority;
  int64_t timeout_ms;
};

constexpr BuiltinPipeline kBuiltins[] = {
    {"extract", "download new source files into the landing directory (ETags)", 1, 30 * 60'000},
    {"transform", "plan and run the prod environment of the project's models", 2, 2 * 3'600'000},
    {"export_serving", "copy the serving layer into its own DuckDB file", 3, 30 * 60'000},
};

// Reads config.yaml's scheduling sections, with messages "config.yaml:line:col: ...".
class SettingsReader {
 public:
  explicit SettingsReader(std::string file_name) : file_name_(std::move(file_name)) {}

  Status Error(const YAML::Node& node, const std::string& message) const {
    YAML::Mark mark = node.Mark();
    if (mark.is_null()) return Status::InvalidInput(file_name_ + ": " + message);
    return Status::InvalidInput(file_name_ + ":" + std::to_string(mark.line + 1) + ":" +
                                std::to_string(mark.column + 1) + ": " + message);
  }

  Result<std::string> Text(const YAML::Node& node, const std::string& what) const {
    if (!node.IsScalar()) return Error(node, what + " must be a single value");
    return node.Scalar();
  }

  Result<int> Integer(const YAML::Node& node, const std::string& what, int low, int high) const {
    MATERIA_ASSIGN_OR_RETURN(std::string text, Text(node, what));
    int value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < low || value > high) {
      return Error(node, what + " must be a whole number from " + std::to_string(low) + " to " +
                             std::to_string(high) + ", got '" + text + "'");
    }
    return value;
  }

  Result<int64_t> Span(const YAML::Node& node, const std::string& what) const {
    MATERIA_ASSIGN_OR_RETURN(std::string text, Text(node, what));
    auto span = ParseSpanMs(text, what);
    if (!span.ok()) return Error(node, span.status().message());
    if (*span <= 0 || *span > kTimeoutMsMax) return Error(node, what + " must be between 1s and 7 days, got '" + text + "'");
    return span;
  }

  Result<bool> Boolean(const YAML::Node& node, const std::string& what) const {
    MATERIA_ASSIGN_OR_RETURN(std::string text, Text(node, what));
    if (text == "true") return true;
    if (text == "false") return false;
    return Error(node, what + " must be true or false, got '" + text + "'");
  }

  Result<std::vector<std::string>> Names(const YAML::Node& node, const std::string& what) const {
    std::vector<std::string> names;
    if (node.IsScalar()) return std::vector<std::string>{node.Scalar()};
    if (!node.IsSequence()) return Error(node, what + " must be a list of names");
    for (const YAML::Node& item : node) {
      MATERIA_ASSIGN_OR_RETURN(std::string name, Text(item, what));
      names.push_back(name);
    }
    return names;
  }

  Status ReadPipeline(const YAML::Node& node, PipelineDefinition* pipeline) const;
  Status ReadWorkers(const YAML::Node& node, PipelineSettings* settings) const;
  Status ReadSupervisor(const YAML::Node& node, PipelineSettings* settings) const;

 private:
  std::string file_name_;
};

Status SettingsReader::ReadPipeline(const YAML::Node& node, PipelineDefinition* pipeline) const {
  if (node.IsNull()) return Status::Ok();
  if (!node.IsMap()) return Error(node, "pipeline " + pipeline->name + " must be a mapping of settings");
  const std::string where = " in pipeline " + pipeline->name;
  for (auto entry = node.begin(); entry != node.end(); ++entry) {
    std::string key = entry->first.Scalar();
    const YAML::Node value = entry->second;  // a copy: `->` yields a temporary
    if (key == "priority") {
      MATERIA_ASSIGN_OR_RETURN(pipeline->priority, Integer(value, "priority", 0, 1000));
    } else if (key == "timeout") {
      MATERIA_ASSIGN_OR_RETURN(pipeline->timeout_ms, Span(value, "timeout"));
    } else if (key == "attempts") {
      MATERIA_ASSIGN_OR_RETURN(pipeline->retry.attempts_max, Integer(value, "attempts", 1, kAttemptsMax));
    } else if (key == "backoff") {
      MATERIA_ASSIGN_OR_RETURN(pipeline->retry.backoff_initial_ms, Span(value, "backoff"));
    } else if (key == "backoff_max") {
      MATERIA_ASSIGN_OR_RETURN(pipeline->retry.backoff_max_ms, Span(value, "backoff_max"));
    } else if (key == "tags") {
      MATERIA_ASSIGN_OR_RETURN(pipeline->tags, Names(value, "tags"));
    } else if (key == "enabled") {
      MATERIA_ASSIGN_OR_RETURN(pipeline->enabled, Boolean(value, "enabled"));
    } else {
      return Error(entry->first, "unknown key '" + key + "'" + where +
                                     " (expected priority, timeout, attempts, backoff, backoff_max, "
                                     "tags or enabled)");
    }
  }
  pipeline->retry.backoff_max_ms = std::max(pipeline->retry.backoff_max_ms, pipeline->retry.backoff_initial_ms);
  return Status::Ok();
}

Status SettingsReader::ReadWorkers(const YAML::Node& node, PipelineSettings* settings) const {
  if (node.IsNull()) return Status::Ok();
  if (!node.IsMap()) return Error(node, "workers must be a mapping with sizes, tags and default");
  std::optional<YAML::Node> default_node;
  for (auto entry = node.begin(); entry != node.end(); ++entry) {
    std::string key = entry->first.Scalar();
    const YAML::Node value = entry->second;  // a copy: `->` yields a temporary
    if (key == "sizes") {
      if (!value.IsMap()) return Error(value, "workers sizes must map size names to {threads, memory_limit}");
      for (auto size = value.begin(); size != value.end(); ++size) {
        WorkerSize worker;
        worker.name = size->first.Scalar();
        auto existing = settings->sizes.find(worker.name);
        worker.rank = existing != settings->sizes.end() ? existing->second.rank
                                                        : static_cast<int>(settings->sizes.size());
        if (!size->second.IsMap()) return Error(size->second, "worker size " + worker.name + " must be {threads: N, memory_limit: 8GB}");
        for (auto field = size->second.begin(); field != size->second.end(); ++field) {
          std::string name = field->first.Scalar();
          if (name == "threads") {
            MATERIA_ASSIGN_OR_RETURN(worker.threads, Integer(field->second, "threads", 0, kThreadsMax));
          } else if (name == "memory_limit") {
            MATERIA_ASSIGN_OR_RETURN(worker.memory_limit, Text(field->second, "memory_limit"));
            if (!worker.memory_limit.empty() && !IsValidMemoryLimit(worker.memory_limit)) {
              return Error(field->second, "memory_limit of worker size " + worker.name +
                                              " must be a size such as 8GB or 512MiB, got '" +
                                              worker.memory_limit + "'");
            }
          } else {
            return Error(field->first, "unknown key '" + name + "' in worker size " + worker.name +
                                           " (expected threads or memory_limit)");
          }
        }
        settings->sizes[worker.name] = worker;
      }
    } else if (key == "tags") {
      if (!value.IsMap()) return Error(value, "workers tags must map tags to size names, e.g. {heavy: large}");
      for (auto tag = value.begin(); tag != value.end(); ++tag) {
        MATERIA_ASSIGN_OR_RETURN(std::string size, Text(tag->second, "a worker size"));
        settings->tag_sizes[tag->first.Scalar()] = size;
      }
    } else if (key == "default") {
      MATERIA_ASSIGN_OR_RETURN(settings->default_size, Text(value, "default"));
      default_node = value;
    } else {
      return Error(entry->first, "unknown key '" + key + "' in workers (expected sizes, tags or default)");
    }
  }
  // Names must resolve, after every size is known.
  if (default_node && !settings->sizes.count(settings->default_size)) {
    return Error(*default_node, "unknown worker size '" + settings->default_size + "'");
  }
  if (node["tags"]) {
    for (auto tag = node["tags"].begin(); tag != node["tags"].end(); ++tag) {
      if (!settings->sizes.count(tag->second.Scalar())) {
        return Error(tag->second, "unknown worker size '" + tag->second.Scalar() + "' for tag " +
                                      tag->first.Scalar());
      }
    }
  }
  return Status::Ok();
}

Status SettingsReader::ReadSupervisor(const YAML::Node& node, PipelineSettings* settings) const {
  if (node.IsNull()) return Status::Ok();
  if (!node.IsMap()) return Error(node, "supervisor must be a mapping, e.g. {interval: 15m}");
  for (auto entry = node.begin(); entry != node.end(); ++entry) {
    std::string key = entry->first.Scalar();
    if (key == "interval") {
      MATERIA_ASSIGN_OR_RETURN(settings->supervisor_interval_ms, Span(entry->second, "interval"));
    } else {
      return Error(entry->first, "unknown key '" + key + "' in supervisor (expected interval)");
    }
  }
  return Status::Ok();
}

PipelineSettings Defaults() {
  PipelineSettings settings;
  for (const BuiltinPipeline& builtin : kBuiltins) {
    PipelineDefinition pipeline;
    pipeline.name = builtin.name;
    pipeline.description = builtin.description;
    pipeline.priority = builtin.priority;
    pipeline.timeout_ms = builtin.timeout_ms;
    settings.pipelines.push_back(pipeline);
  }
  settings.sizes["small"] = {"small", 1, "2GB", 0};
  settings.sizes["medium"] = {"medium", 2, "8GB", 1};
  settings.sizes["large"] = {"large", 0, "", 2};
  return settings;
}

Result<std::string> ReadConfigText(const ProjectConfig& config, std::string* file_name) {
  namespace fs = std::filesystem;
  for (const char* name : {"config.yaml", "config.yml"}) {
    fs::path path = fs::path(config.project_dir) / name;
    std::error_code error;
    if (!fs::exists(path, error)) continue;
    std::ifstream stream(path, std::ios::binary);
    if (!stream) return Status::IoError("cannot read " + path.string());
    std::ostringstream text;
    text << stream.rdbuf();
    *file_name = name;
    return text.str();
  }
  *file_name = "config.yaml";
  return std::string();  // a project without a config file has the defaults
}

}  // namespace

Result<PipelineSettings> LoadPipelineSettings(const ProjectConfig& config) {
  PipelineSettings settings = Defaults();
  std::string file_name;
  MATERIA_ASSIGN_OR_RETURN(std::string text, ReadConfigText(config, &file_name));
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    YamlSyntaxError syntax = ExplainYamlError(text, error);
    return Status::InvalidInput(file_name + ":" + std::to_string(syntax.mark.line + 1) + ":" +
                                std::to_string(syntax.mark.column + 1) + ": " + syntax.message);
  }
  if (!root.IsMap()) return settings;
  SettingsReader reader(file_name);
  // Sizes first: pipelines' tags and the default refer to them.
  if (root["workers"]) MATERIA_RETURN_IF_ERROR(reader.ReadWorkers(root["workers"], &settings));
  if (root["supervisor"]) MATERIA_RETURN_IF_ERROR(reader.ReadSupervisor(root["supervisor"], &settings));
  if (const YAML::Node pipelines = root["pipelines"]) {
    if (!pipelines.IsMap() && !pipelines.IsNull()) {
      return reader.Error(pipelines, "pipelines must map pipeline names to their settings");
    }
    for (auto entry = pipelines.begin(); pipelines.IsMap() && entry != pipelines.end(); ++entry) {
      std::string name = entry->first.Scalar();
      auto found = std::find_if(settings.pipelines.begin(), settings.pipelines.end(),
                                [&](const PipelineDefinition& p) { return p.name == name; });
      if (found == settings.pipelines.end()) {
        return reader.Error(entry->first, "unknown pipeline '" + name +
                                              "' (known: extract, transform, export_serving)");
      }
      MATERIA_RETURN_IF_ERROR(reader.ReadPipeline(entry->second, &*found));
    }
  }
  std::stable_sort(settings.pipelines.begin(), settings.pipelines.end(),
                   [](const PipelineDefinition& a, const PipelineDefinition& b) { return a.priority < b.priority; });
  return settings;
}

Result<PipelineDefinition> FindPipeline(const PipelineSettings& settings, const std::string& name) {
  std::string known;
  for (const PipelineDefinition& pipeline : settings.pipelines) {
    if (pipeline.name == name) return pipeline;
    known += (known.empty() ? "" : ", ") + pipeline.name;
  }
  return Status::NotFound("unknown pipeline '" + name + "' (known: " + known + ")");
}

WorkerSize SizeForTags(const PipelineSettings& settings, const std::vector<std::string>& tags) {
  const WorkerSize* chosen = nullptr;
  for (const std::string& tag : tags) {
    auto mapped = settings.tag_sizes.find(tag);
    if (mapped == settings.tag_sizes.end()) continue;
    auto size = settings.sizes.find(mapped->second);
    if (size == settings.sizes.end()) continue;
    if (!chosen || size->second.rank > chosen->rank) chosen = &size->second;
  }
  if (chosen) return *chosen;
  auto fallback = settings.sizes.find(settings.default_size);
  if (fallback != settings.sizes.end()) return fallback->second;
  return WorkerSize{settings.default_size, 0, "", 0};
}

int64_t BackoffMs(const RetryPolicy& policy, int attempt) {
  int64_t delay_ms = policy.backoff_initial_ms;
  for (int i = 1; i < attempt && delay_ms < policy.backoff_max_ms; i++) delay_ms *= 2;
  return std::min(delay_ms, policy.backoff_max_ms);
}

std::string NewPipelineRunId(const std::string& pipeline) { return pipeline + "-" + NewRunId(NowMs()); }

}  // namespace materia
