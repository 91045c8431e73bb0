// materia run [ENV]: evaluate every due interval and every stale model of an environment.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "run/transform.h"

namespace materia::cli {

namespace {

std::string FormatSeconds(double seconds) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.2fs", seconds);
  return buffer;
}

// "start-end,..." in milliseconds -> [{"start": ISO, "end": ISO}, ...]
nlohmann::json IntervalsJson(const std::string& text) {
  nlohmann::json out = nlohmann::json::array();
  auto set = IntervalSet::Parse(text);
  if (!set.ok()) return out;
  for (const Interval& range : set->ranges()) {
    out.push_back({{"start", FormatIso(range.start)}, {"end", FormatIso(range.end)}});
  }
  return out;
}

}  // namespace

nlohmann::json AuditsJson(const std::vector<AuditOutcome>& audits) {
  nlohmann::json list = nlohmann::json::array();
  for (const AuditOutcome& audit : audits) {
    nlohmann::json sample = nlohmann::json::array();
    for (const auto& row : audit.sample) {
      nlohmann::json object = nlohmann::json::object();
      for (size_t i = 0; i < row.size() && i < audit.columns.size(); i++) {
        object[audit.columns[i]] = row[i] ? nlohmann::json(*row[i]) : nlohmann::json(nullptr);
      }
      sample.push_back(object);
    }
    list.push_back({{"model", audit.model}, {"audit", audit.audit}, {"blocking", audit.blocking},
                    {"passed", audit.passed()}, {"failing_rows", audit.failing_rows},
                    {"error", audit.error}, {"sample", sample}});
  }
  return list;
}

int PrintSummary(const ExecuteSummary& summary, const std::string& environment,
                 const std::string& format) {
  if (format == "json") {
    nlohmann::json models = nlohmann::json::array();
    for (const ModelOutcome& outcome : summary.outcomes) {
      models.push_back({{"name", outcome.name}, {"action", outcome.action},
                        {"reasons", outcome.reasons},
                        {"rows", outcome.rows < 0 ? nlohmann::json(nullptr) : nlohmann::json(outcome.rows)},
                        {"intervals", IntervalsJson(outcome.intervals)},
                        {"seconds", outcome.seconds}, {"error", outcome.error},
                        {"audits", AuditsJson(outcome.audits)}});
    }
    std::printf("%s\n", nlohmann::json{{"run_id", summary.run_id}, {"environment", environment},
                                       {"ran", summary.ran}, {"skipped", summary.skipped},
                                       {"failed", summary.failed}, {"seconds", summary.seconds},
                                       {"models", models}}
                            .dump(2)
                            .c_str());
    return summary.failed > 0 ? kExitFailed : kExitOk;
  }
  std::printf("  %-15s %-40s %12s %8s  %s\n", "action", "model", "rows", "time", "why");
  for (const ModelOutcome& outcome : summary.outcomes) {
    std::string why;
    for (const std::string& reason : outcome.reasons) why += (why.empty() ? "" : "; ") + reason;
    if (!outcome.error.empty()) why = outcome.error;
    bool ran = outcome.action == "ran";
    std::string rows = !ran ? "" : outcome.rows < 0 ? "view" : std::to_string(outcome.rows);
    std::string seconds = ran ? FormatSeconds(outcome.seconds) : "";
    std::printf("  %-15s %-40s %12s %8s  %s\n", outcome.action.c_str(), outcome.name.c_str(),
                rows.c_str(), seconds.c_str(), why.c_str());
  }
  for (const ModelOutcome& outcome : summary.outcomes) {
    for (const AuditOutcome& audit : outcome.audits) {
      if (!audit.passed()) std::printf("%s", DescribeAuditOutcome(audit).c_str());
    }
  }
  std::printf("Run %s on '%s': %d ran, %d skipped, %d failed in %.2fs\n", summary.run_id.c_str(),
              environment.c_str(), summary.ran, summary.skipped, summary.failed, summary.seconds);
  return summary.failed > 0 ? kExitFailed : kExitOk;
}

namespace {

int RunCommand(const std::string& environment, int threads, const std::string& format) {
  auto session = StartPlanSession(environment);
  if (!session.ok()) return ReportError(session.status());
  const Project& project = session->project;
  StateStore& state = *session->state;
  const Plan& plan = session->plan;
  if (!plan.previous) {
    return ReportError(Status::NotFound("environment '" + environment +
                                        "' does not exist: run `materia plan " + environment +
                                        " --auto-apply` first"));
  }
  auto warehouse = OpenWarehouse(project.config, false);
  if (!warehouse.ok()) return ReportError(warehouse.status());
  ExecuteOptions options;
  options.command = "run";
  options.threads = threads;
  options.now_ms = NowMs();
  options.progress = StderrIsTerminal();
  auto summary = RunEnvironment(project, state, *warehouse, plan, options);
  if (!summary.ok()) return ReportError(summary.status());
  return PrintSummary(*summary, environment, format);
}

}  // namespace

void RegisterRunCommand(CLI::App& app, GlobalOptions& global) {
  struct Options {
    std::string environment = "prod";
    int threads = 4;
    std::string format = "text";
  };
  auto options = std::make_shared<Options>();
  CLI::App* run = app.add_subcommand(
      "run", "Evaluate every due interval and every model whose input data changed; skip the "
             "rest and say why each model ran");
  run->add_option("environment", options->environment, "environment (default: prod)");
  AddThreadsOption(run, &options->threads);
  AddFormatOption(run, &options->format, {"text", "json"});
  SetProjectAction(run, global, [options] {
    return RunCommand(options->environment, options->threads, options->format);
  });
}

}  // namespace materia::cli
