#include "plan/check.h"

#include <set>

#include <nlohmann/json.hpp>

#include "plan/plan.h"

namespace materia {

namespace {

void AddModel(CheckReport& report, const Model& model, std::vector<std::string> reasons,
              const ModelWork* work) {
  CheckModel entry;
  entry.name = model.name();
  entry.reasons = std::move(reasons);
  entry.tags = model.definition.tags;
  if (work) entry.intervals = work->intervals.ranges();
  report.models.push_back(std::move(entry));
}

CheckReport AllNew(const Project& project, const std::string& environment) {
  CheckReport report;
  report.environment = environment;
  for (const Model& model : project.models) {
    AddModel(report, model, {"new model (environment '" + environment + "' does not exist)"}, nullptr);
  }
  return report;
}

}  // namespace

Result<CheckReport> CheckEnvironment(const Project& project, StateStore* state,
                                     const std::string& environment, SqlAnalyzer& analyzer,
                                     TimestampMs now_ms) {
  CheckReport report;
  MATERIA_ASSIGN_OR_RETURN(std::optional<EnvironmentRecord> existing,
                           state ? state->GetEnvironment(environment)
                                 : Result<std::optional<EnvironmentRecord>>(std::nullopt));
  if (!existing) {
    report = AllNew(project, environment);
  } else {
    MATERIA_ASSIGN_OR_RETURN(Plan plan, BuildPlan(project, *state, environment, analyzer));
    SourceScanner scanner;
    WorkDecider decider(project, plan.snapshots, *state, scanner, now_ms);
    std::map<std::string, std::string> versions;
    report.environment = environment;
    for (size_t i = 0; i < project.models.size(); i++) {
      const Model& model = project.models[i];
      const SnapshotRecord& snapshot = plan.snapshots.at(model.name());
      auto decided = decider.Decide(model, snapshot, versions);
      if (!decided.ok()) return decided.status().WithPrefix(model.definition.path);
      ModelWork work = std::move(decided).value();
      std::vector<std::string> reasons;
      std::string plan_reason = ChangeReason(plan.changes[i]);
      if (!plan_reason.empty()) reasons.push_back(plan_reason);
      for (const std::string& reason : work.reasons) {
        if (!(reason == "not built yet" && !plan_reason.empty())) reasons.push_back(reason);
      }
      if (work.needs_work || !reasons.empty()) {
        AddModel(report, model, reasons, &work);
        continue;
      }
      report.up_to_date++;
      MATERIA_ASSIGN_OR_RETURN(std::optional<std::string> version,
                               decider.CurrentDataVersion(model, snapshot, work));
      if (version) versions[model.name()] = *version;
    }
    for (const ModelChange& change : plan.changes) {
      if (change.type != ChangeType::kRemoved) continue;
      report.models.push_back({change.name, {"removed from the project"}, {}, {}});
    }
  }
  std::set<std::string> tags;
  for (const CheckModel& model : report.models) tags.insert(model.tags.begin(), model.tags.end());
  report.tags.assign(tags.begin(), tags.end());
  report.has_work = !report.models.empty();
  return report;
}

std::string CheckReportJson(const CheckReport& report) {
  nlohmann::json models = nlohmann::json::array();
  for (const CheckModel& model : report.models) {
    nlohmann::json intervals = nlohmann::json::array();
    for (const Interval& interval : model.intervals) {
      intervals.push_back({{"start", FormatIso(interval.start)}, {"end", FormatIso(interval.end)}});
    }
    models.push_back({{"name", model.name},
                      {"reasons", model.reasons},
                      {"tags", model.tags},
                      {"intervals", intervals}});
  }
  nlohmann::json json = {{"has_work", report.has_work},
                         {"environment", report.environment},
                         {"models", models},
                         {"tags", report.tags},
                         {"up_to_date", report.up_to_date}};
  return json.dump(2);
}

}  // namespace materia
