// materia pipeline list | check NAME | run NAME | history [NAME]: the project's pipelines
// (extract, transform, export_serving) under the names the supervisor uses, and
// materia supervise: the loop that runs them.
//
// `check` exits 0 when the pipeline has work, 1 when it has none, 2+ on errors; its JSON
// says why and which worker size the union of its tags asks for. `run` applies that
// size (threads and DuckDB memory_limit) and records the run in state.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>
#include <thread>

#include "base/duration.h"
#include "base/json_writer.h"
#include "base/time.h"
#include "cli/commands.h"
#include "plan/check.h"
#include "pipelines/export_serving.h"
#include "pipelines/extract.h"
#include "pipelines/extract_config.h"
#include "pipelines/registry.h"
#include "pipelines/supervisor.h"

namespace materia::cli {

namespace {

// What a check found: work or not, why, and the worker size its tags ask for.
struct PipelineCheck {
  bool has_work = false;
  std::vector<std::string> reasons;
  std::vector<std::string> tags;  // the pipeline's, and for transform those of the models with work
};

Result<std::unique_ptr<StateStore>> OpenStateOrEmpty(const ProjectConfig& config) {
  return OpenState(config, false);
}

Result<PipelineCheck> CheckTransform(const Project& project) {
  PipelineCheck check;
  std::unique_ptr<StateStore> state;
  std::error_code error;
  if (std::filesystem::exists(StatePath(project.config), error)) {
    MATERIA_ASSIGN_OR_RETURN(state, OpenState(project.config, true));
  }
  MATERIA_ASSIGN_OR_RETURN(SqlAnalyzer analyzer, SqlAnalyzer::Create());
  MATERIA_ASSIGN_OR_RETURN(CheckReport report,
                           CheckEnvironment(project, state.get(), "prod", analyzer, NowMs()));
  check.has_work = report.has_work;
  for (const CheckModel& model : report.models) {
    std::string why;
    for (const std::string& reason : model.reasons) why += (why.empty() ? "" : "; ") + reason;
    check.reasons.push_back(model.name + ": " + why);
  }
  check.tags = report.tags;
  return check;
}

Result<PipelineCheck> CheckPipeline(const PipelineDefinition& pipeline) {
  MATERIA_ASSIGN_OR_RETURN(Project project, LoadCurrentProject());
  PipelineCheck check;
  if (pipeline.name == "transform") {
    MATERIA_ASSIGN_OR_RETURN(check, CheckTransform(project));
  } else if (pipeline.name == "extract") {
    // A project that downloads nothing (its files arrive otherwise) has no extract work.
    MATERIA_ASSIGN_OR_RETURN(ExtractConfig sources, LoadExtractConfig(project.config.project_dir));
    if (!sources.present || sources.sources.empty()) {
      check.reasons.push_back("no extract sources in " + sources.file_name);
      return check;
    }
    MATERIA_ASSIGN_OR_RETURN(std::unique_ptr<StateStore> state, OpenStateOrEmpty(project.config));
    MATERIA_ASSIGN_OR_RETURN(ExtractCheckResult result, CheckExtract(project.config, *state, ExtractOptions{}));
    check.has_work = result.has_work;
    check.reasons = result.reasons;
  } else {
    MATERIA_ASSIGN_OR_RETURN(std::unique_ptr<StateStore> state, OpenStateOrEmpty(project.config));
    MATERIA_ASSIGN_OR_RETURN(ExportCheckResult result, CheckExportServing(project, *state, ExportOptions{}));
    check.has_work = result.has_work;
    check.reasons = result.reasons;
  }
  check.tags.insert(check.tags.end(), pipeline.tags.begin(), pipeline.tags.end());
  std::sort(check.tags.begin(), check.tags.end());
  check.tags.erase(std::unique(check.tags.begin(), check.tags.end()), check.tags.end());
  return check;
}

void WriteWorker(JsonWriter& json, const WorkerSize& size) {
  json.BeginObject()
      .Key("size").String(size.name)
      .Key("threads").Int(size.threads)
      .Key("memory_limit").String(size.memory_limit)
      .EndObject();
}

int RunCheckCommand(const std::string& name, const std::string& format) {
  EndWithSupervisor();
  auto project = LoadCurrentProject();
  if (!project.ok()) return ReportError(project.status());
  auto settings = LoadPipelineSettings(project->config);
  if (!settings.ok()) return ReportError(settings.status());
  auto pipeline = FindPipeline(*settings, name);
  if (!pipeline.ok()) return ReportError(pipeline.status());
  auto check = CheckPipeline(*pipeline);
  if (!check.ok()) return ReportError(check.status().WithPrefix(name));
  WorkerSize size = SizeForTags(*settings, check->tags);
  if (format == "json") {
    JsonWriter json;
    json.BeginObject().Key("pipeline").String(name).Key("has_work").Bool(check->has_work);
    json.Key("reasons").StringArray(check->reasons).Key("tags").StringArray(check->tags);
    json.Key("worker");
    WriteWorker(json, size);
    json.EndObject();
    std::printf("%s\n", json.Take().c_str());
  } else if (check->has_work) {
    std::printf("%s has work (worker size %s):\n", name.c_str(), size.name.c_str());
    for (const std::string& reason : check->reasons) std::printf("  %s\n", reason.c_str());
  } else {
    std::printf("%s: nothing to do.\n", name.c_str());
  }
  return check->has_work ? kExitOk : kExitFailed;
}

struct RunOptions {
  std::string name;
  std::string worker;        // "" = the size the check asks for
  std::string run_id;        // "" = a new one
  std::string trigger = "manual";
  int attempt = 1;
  std::string format = "text";
};

// Runs the pipeline itself; returns the exit code, and fills `summary` and `error`.
int ExecutePipeline(const Project& project, StateStore& state, const RunOptions& options,
                    const WorkerSize& size, std::string* summary, std::string* error) {
  int threads = size.threads > 0 ? size.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  bool terminal = StderrIsTerminal();
  auto progress = [terminal](const std::string& line) {
    if (terminal) std::fprintf(stderr, "\r\033[K%s", line.c_str());
  };
  if (options.name == "transform") {
    PlanOptions plan;
    plan.auto_apply = true;
    plan.threads = threads;
    plan.memory_limit = size.memory_limit;
    plan.format = options.format;
    int code = RunPlan("prod", plan);
    auto runs = state.ListRuns(1);
    if (runs.ok() && !runs->empty()) {
      *summary = runs->front().summary_json;
      // The first failed model's own error says more than the run's count of failures.
      auto models = state.ListRunModels(runs->front().run_id);
      for (size_t i = 0; code != kExitOk && error->empty() && models.ok() && i < models->size(); i++) {
        const RunModelRecord& model = (*models)[i];
        if (model.action == "failed" && !model.error.empty()) *error = model.error;
      }
      if (code != kExitOk && error->empty()) *error = runs->front().error;
    }
    if (code != kExitOk && error->empty()) *error = "the transform failed (exit " + std::to_string(code) + ")";
    return code;
  }
  if (options.name == "extract") {
    ExtractOptions extract;
    extract.progress = progress;
    auto report = RunExtract(project.config, state, extract);
    if (terminal) std::fprintf(stderr, "\r\033[K");
    if (!report.ok()) {
      *error = report.status().message();
      return ReportError(report.status());
    }
    *summary = report->ToJson();
    if (options.format == "json") {
      std::printf("%s\n", summary->c_str());
    } else {
      std::printf("extract: %d downloaded, %d not modified, %d not published, %d failed; %lld bytes downloaded\n",
                  report->downloaded, report->not_modified, report->not_published, report->failed,
                  static_cast<long long>(report->bytes_downloaded));
    }
    for (const ExtractFileResult& file : report->files) {
      if (file.status == "failed") {
        *error = file.url + ": " + file.error;
        std::fprintf(stderr, "error: %s\n", error->c_str());
      }
    }
    return report->failed > 0 ? kExitFailed : kExitOk;
  }
  ExportOptions exporting;
  exporting.progress = progress;
  exporting.threads = threads;
  exporting.memory_limit = size.memory_limit;
  auto report = ExportServing(project, state, exporting);
  if (terminal) std::fprintf(stderr, "\r\033[K");
  if (!report.ok()) {
    *error = report.status().message();
    return ReportError(report.status());
  }
  *summary = report->ToJson();
  if (options.format == "json") {
    std::printf("%s\n", summary->c_str());
  } else if (report->skipped) {
    std::printf("export_serving: skipped: %s\n", report->reason.c_str());
  } else {
    std::printf("export_serving: %zu tables, %lld rows into %s in %.2fs\n", report->tables.size(),
                static_cast<long long>(report->rows), report->path.c_str(), report->seconds);
  }
  return kExitOk;
}

int RunPipelineCommand(const RunOptions& options) {
  EndWithSupervisor();
  auto project = LoadCurrentProject();
  if (!project.ok()) return ReportError(project.status());
  auto settings = LoadPipelineSettings(project->config);
  if (!settings.ok()) return ReportError(settings.status());
  auto pipeline = FindPipeline(*settings, options.name);
  if (!pipeline.ok()) return ReportError(pipeline.status());
  WorkerSize size;
  if (!options.worker.empty()) {
    auto found = settings->sizes.find(options.worker);
    if (found == settings->sizes.end()) {
      std::string known;
      for (const auto& [name, ignored] : settings->sizes) known += (known.empty() ? "" : ", ") + name;
      return ReportError(Status::InvalidInput("unknown worker size '" + options.worker + "' (known: " + known + ")"));
    }
    size = found->second;
  } else {
    std::vector<std::string> tags = pipeline->tags;
    if (pipeline->name == "transform") {
      auto check = CheckTransform(*project);
      if (check.ok()) tags.insert(tags.end(), check->tags.begin(), check->tags.end());
    }
    size = SizeForTags(*settings, tags);
  }
  auto state = OpenState(project->config, false);
  if (!state.ok()) return ReportError(state.status());
  PipelineRunRecord record;
  record.run_id = options.run_id.empty() ? NewPipelineRunId(options.name) : options.run_id;
  record.pipeline = options.name;
  record.status = "running";
  record.attempt = options.attempt;
  record.started_ms = NowMs();
  record.worker_size = size.name;
  record.trigger = options.trigger;
  Status recorded = (*state)->PutPipelineRun(record);
  if (!recorded.ok()) return ReportError(recorded);
  std::string summary;
  std::string error;
  int code = ExecutePipeline(*project, **state, options, size, &summary, &error);
  record.status = code == kExitOk ? "success" : "failed";
  record.finished_ms = NowMs();
  record.summary_json = summary;
  record.error = code == kExitOk ? "" : error;
  Status finished = (*state)->PutPipelineRun(record);
  if (!finished.ok()) return ReportError(finished);
  return code;
}

int RunHistoryCommand(const std::string& name, int limit, const std::string& format) {
  auto project = LoadCurrentProject();
  if (!project.ok()) return ReportError(project.status());
  std::error_code error;
  std::vector<PipelineRunRecord> runs;
  if (std::filesystem::exists(StatePath(project->config), error)) {
    auto state = OpenState(project->config, true);
    if (!state.ok()) return ReportError(state.status());
    auto listed = (*state)->ListPipelineRuns(name, limit);
    if (!listed.ok()) return ReportError(listed.status());
    runs = std::move(listed).value();
  }
  // A name that is neither configured nor in the history is a typo, not "no runs yet".
  if (!name.empty() && runs.empty()) {
    auto settings = LoadPipelineSettings(project->config);
    if (!settings.ok()) return ReportError(settings.status());
    auto pipeline = FindPipeline(*settings, name);
    if (!pipeline.ok()) return ReportError(pipeline.status());
  }
  if (format == "json") {
    JsonWriter json;
    json.BeginArray();
    for (const PipelineRunRecord& run : runs) {
      json.BeginObject()
          .Key("run_id").String(run.run_id)
          .Key("pipeline").String(run.pipeline)
          .Key("status").String(run.status)
          .Key("attempt").Int(run.attempt)
          .Key("started").String(FormatIso(run.started_ms))
          .Key("finished").String(run.finished_ms ? FormatIso(run.finished_ms) : "")
          .Key("seconds").Double(run.finished_ms ? static_cast<double>(run.finished_ms - run.started_ms) / 1000.0 : 0)
          .Key("worker_size").String(run.worker_size)
          .Key("trigger").String(run.trigger)
          .Key("error").String(run.error)
          .EndObject();
    }
    json.EndArray();
    std::printf("%s\n", json.Take().c_str());
    return kExitOk;
  }
  if (runs.empty()) {
    std::printf("No pipeline runs yet.\n");
    return kExitOk;
  }
  std::printf("%-24s %-15s %-10s %7s %8s %-7s %s\n", "started", "pipeline", "status", "attempt", "seconds",
              "worker", "error");
  for (const PipelineRunRecord& run : runs) {
    double seconds = run.finished_ms ? static_cast<double>(run.finished_ms - run.started_ms) / 1000.0 : 0;
    std::printf("%-24s %-15s %-10s %7d %8.2f %-7s %s\n", FormatIso(run.started_ms).c_str(), run.pipeline.c_str(),
                run.status.c_str(), run.attempt, seconds, run.worker_size.c_str(), run.error.c_str());
  }
  return kExitOk;
}

int RunListCommand(const std::string& format) {
  auto project = LoadCurrentProject();
  if (!project.ok()) return ReportError(project.status());
  auto settings = LoadPipelineSettings(project->config);
  if (!settings.ok()) return ReportError(settings.status());
  if (format == "json") {
    JsonWriter json;
    json.BeginArray();
    for (const PipelineDefinition& p : settings->pipelines) {
      json.BeginObject()
          .Key("name").String(p.name)
          .Key("description").String(p.description)
          .Key("priority").Int(p.priority)
          .Key("timeout_s").Int(p.timeout_ms / 1000)
          .Key("attempts").Int(p.retry.attempts_max)
          .Key("backoff_s").Int(p.retry.backoff_initial_ms / 1000)
          .Key("tags").StringArray(p.tags)
          .Key("enabled").Bool(p.enabled)
          .EndObject();
    }
    json.EndArray();
    std::printf("%s\n", json.Take().c_str());
    return kExitOk;
  }
  std::printf("%-15s %8s %9s %8s  %-14s %s\n", "pipeline", "priority", "timeout", "attempts", "tags", "description");
  for (const PipelineDefinition& p : settings->pipelines) {
    std::string tags;
    for (const std::string& tag : p.tags) tags += (tags.empty() ? "" : ",") + tag;
    std::printf("%-15s %8d %8llds %8d  %-14s %s%s\n", p.name.c_str(), p.priority,
                static_cast<long long>(p.timeout_ms / 1000), p.retry.attempts_max, tags.c_str(),
                p.description.c_str(), p.enabled ? "" : " (disabled)");
  }
  return kExitOk;
}

// The executable to run children with: this very binary.
std::string SelfPath() {
  std::error_code error;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string("materia") : self.string();
}

}  // namespace

void RegisterPipelineCommand(CLI::App& app, GlobalOptions& global) {
  auto format = std::make_shared<std::string>("text");
  auto name = std::make_shared<std::string>();
  CLI::App* pipeline = app.add_subcommand("pipeline", "List, check and run the pipelines (extract, transform, export_serving)");
  pipeline->require_subcommand(1);

  CLI::App* list = pipeline->add_subcommand("list", "List the pipelines with their priority, timeout, retries and tags");
  AddFormatOption(list, format.get(), {"text", "json"});
  SetProjectAction(list, global, [format] { return RunListCommand(*format); });

  CLI::App* check = pipeline->add_subcommand(
      "check", "Tell whether a pipeline has work (exit 0: work, 1: none, 2+: error) and the worker size it asks for");
  check->add_option("name", *name, "pipeline: extract, transform or export_serving")->required();
  AddFormatOption(check, format.get(), {"text", "json"});
  SetProjectAction(check, global, [name, format] { return RunCheckCommand(*name, *format); });

  auto run_options = std::make_shared<RunOptions>();
  CLI::App* run = pipeline->add_subcommand("run", "Run a pipeline once, sized by its tags (or --worker), and record the run");
  run->add_option("name", run_options->name, "pipeline: extract, transform or export_serving")->required();
  run->add_option("--worker", run_options->worker, "worker size to run with (default: what its tags ask for)");
  run->add_option("--run-id", run_options->run_id, "id to record the run under (default: a new one)");
  run->add_option("--attempt", run_options->attempt, "attempt number to record (default: 1)")->check(CLI::Range(1, 100));
  run->add_option("--trigger", run_options->trigger, "who started it, recorded with the run (default: manual)");
  AddFormatOption(run, &run_options->format, {"text", "json"});
  SetProjectAction(run, global, [run_options] { return RunPipelineCommand(*run_options); });

  auto limit = std::make_shared<int>(20);
  auto history_name = std::make_shared<std::string>();
  CLI::App* history = pipeline->add_subcommand("history", "Recent pipeline runs, newest first");
  history->add_option("name", *history_name, "only this pipeline");
  history->add_option("--limit", *limit, "runs to show (default: 20)")->check(CLI::Range(1, 10000));
  AddFormatOption(history, format.get(), {"text", "json"});
  SetProjectAction(history, global, [history_name, limit, format] {
    return RunHistoryCommand(*history_name, *limit, *format);
  });
}

void RegisterSuperviseCommand(CLI::App& app, GlobalOptions& global) {
  struct Options {
    std::string interval;
    bool once = false;
    int cycles = 0;
    std::string log_format = "text";
  };
  auto options = std::make_shared<Options>();
  CLI::App* supervise = app.add_subcommand(
      "supervise", "Run forever: check every pipeline by priority and run those with work, with "
                   "timeouts, retries and back-off (SIGTERM stops cleanly)");
  supervise->add_option("--interval", options->interval, "time between cycles, e.g. 15m (default: config supervisor.interval, else 15m)");
  supervise->add_flag("--once", options->once, "run one cycle and exit");
  supervise->add_option("--cycles", options->cycles, "run this many cycles and exit")->check(CLI::Range(1, 1'000'000));
  supervise->add_option("--log-format", options->log_format, "text or json (JSON lines)")
      ->check(CLI::IsMember({"text", "json"}));
  SetProjectAction(supervise, global, [options] {
    auto project = LoadCurrentProject();
    if (!project.ok()) return ReportError(project.status());
    auto settings = LoadPipelineSettings(project->config);
    if (!settings.ok()) return ReportError(settings.status());
    SupervisorOptions supervisor;
    supervisor.materia_path = SelfPath();
    supervisor.project_dir = project->config.project_dir;
    supervisor.cycles_max = options->once ? 1 : options->cycles;
    supervisor.json_logs = options->log_format == "json";
    if (!options->interval.empty()) {
      auto interval = ParseSpanMs(options->interval, "--interval");
      if (!interval.ok()) return ReportError(interval.status());
      if (*interval <= 0 || *interval > kPipelineSpanMsMax) {  // the same bounds as supervisor.interval in config.yaml
        return ReportError(Status::InvalidInput("--interval must be between 1s and 7 days, got '" + options->interval + "'"));
      }
      supervisor.interval_ms = *interval;
    }
    auto state = OpenState(project->config, false);
    if (!state.ok()) return ReportError(state.status());
    Status done = Supervise(*settings, **state, supervisor);
    return done.ok() ? kExitOk : ReportError(done);
  });
}

}  // namespace materia::cli
