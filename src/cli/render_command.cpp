// materia render MODEL [--start] [--end] [--environment]: prints the SQL a run would
// execute for the model — macros rendered, references pointed at the physical tables
// of the environment's plan. Reads the files and the state store; never the warehouse.
#include <cstdio>
#include <filesystem>
#include <tuple>

#include "cli/commands.h"
#include "plan/needs_work.h"
#include "plan/snapshot.h"
#include "project/selector.h"
#include "run/evaluate.h"

namespace materia::cli {

namespace {

// The state of a project that has none yet: no snapshots, no environments. Planning
// against it gives every model its new version, as a first plan would. Writes are
// refused: rendering must change nothing.
class EmptyStateStore : public StateStore {
 public:
  Status PutSnapshot(const SnapshotRecord&) override { return ReadOnly(); }
  Status PutSnapshots(const std::vector<SnapshotRecord>&) override { return ReadOnly(); }
  Result<std::optional<SnapshotRecord>> GetSnapshot(const std::string&, const std::string&) override {
    return std::optional<SnapshotRecord>();
  }
  Result<std::vector<SnapshotRecord>> ListSnapshots() override { return std::vector<SnapshotRecord>(); }
  Status DeleteSnapshot(const std::string&, const std::string&) override { return ReadOnly(); }
  Result<std::optional<EnvironmentRecord>> GetEnvironment(const std::string&) override {
    return std::optional<EnvironmentRecord>();
  }
  Status PutEnvironment(const EnvironmentRecord&) override { return ReadOnly(); }
  Result<std::vector<std::string>> ListEnvironments() override { return std::vector<std::string>(); }
  Status DeleteEnvironment(const std::string&) override { return ReadOnly(); }
  Result<IntervalSet> GetIntervals(const std::string&, const std::string&) override {
    return IntervalSet();
  }
  Status RemoveIntervals(const std::string&, const std::string&, const IntervalSet&) override {
    return ReadOnly();
  }
  Result<std::optional<MaterializationRecord>> GetMaterialization(const std::string&,
                                                                  const std::string&) override {
    return std::optional<MaterializationRecord>();
  }
  Result<std::vector<IntervalVersionRecord>> GetIntervalVersions(const std::string&,
                                                                 const std::string&) override {
    return std::vector<IntervalVersionRecord>();
  }
  Status RecordEvaluation(const EvaluationRecord&) override { return ReadOnly(); }
  Status PutRun(const RunRecord&) override { return ReadOnly(); }
  Status AddRunModel(const RunModelRecord&) override { return ReadOnly(); }
  Result<std::vector<RunRecord>> ListRuns(int) override { return std::vector<RunRecord>(); }
  Result<std::vector<RunModelRecord>> ListRunModels(const std::string&) override {
    return std::vector<RunModelRecord>();
  }
  Status PutPipelineRun(const PipelineRunRecord&) override { return ReadOnly(); }
  Result<std::vector<PipelineRunRecord>> ListPipelineRuns(const std::string&, int) override {
    return std::vector<PipelineRunRecord>();
  }
  Status PutServingExport(const ServingExportRecord&) override { return ReadOnly(); }
  Result<std::vector<ServingExportRecord>> ListServingExports(int) override {
    return std::vector<ServingExportRecord>();
  }
  Result<std::optional<ServingExportRecord>> LastServingExport() override {
    return std::optional<ServingExportRecord>();
  }
  Result<std::optional<std::string>> GetValue(const std::string&) override {
    return std::optional<std::string>();
  }
  Status PutValue(const std::string&, const std::string&) override { return ReadOnly(); }
  Result<int> SchemaVersion() override { return 0; }

 private:
  static Status ReadOnly() { return Status::Internal("no state store: nothing can be written"); }
};

struct RenderOptions {
  std::string model;
  std::string start;
  std::string end;
  std::string environment = "prod";
};

// The state store read-only, or an empty one when the project has none yet.
Result<std::unique_ptr<StateStore>> OpenStateForReading(const ProjectConfig& config) {
  std::error_code error;
  bool exists = std::filesystem::exists(StatePath(config), error);
  if (error) {
    return Status::IoError("cannot open state store " + StatePath(config) + ": " + error.message());
  }
  if (!exists) return std::unique_ptr<StateStore>(new EmptyStateStore());
  return OpenState(config, true);
}

// [start, end) of the rendering: the options, else the model's whole due range.
Result<Interval> RenderInterval(const Model& model, const ProjectConfig& config,
                                const RenderOptions& options, TimestampMs now_ms) {
  MATERIA_ASSIGN_OR_RETURN(ModelSchedule schedule, ScheduleOf(model, config, now_ms));
  Interval interval{schedule.start_ms, schedule.due_end_ms};
  for (auto [flag, text, target] : {std::tuple{"--start", &options.start, &interval.start},
                                     std::tuple{"--end", &options.end, &interval.end}}) {
    if (text->empty()) continue;
    Result<TimestampMs> time = ParseTimestamp(*text, now_ms);
    if (!time.ok()) return Status::InvalidInput(std::string(flag) + ": " + time.status().message());
    *target = *time;
  }
  if (interval.end < interval.start && options.start.empty() && options.end.empty()) {
    interval.end = interval.start;  // nothing is due yet: a run renders the empty range
  }
  if (interval.end < interval.start) {
    return Status::InvalidInput("--end " + FormatIso(interval.end) + " is before --start " +
                                FormatIso(interval.start));
  }
  return interval;
}

// Pre- or post-statements with the run's macros, each ending with ';'.
Result<std::string> RenderStatements(const Project& project, const Model& model,
                                     const SnapshotRecord& snapshot, Interval interval,
                                     TimestampMs now_ms, const std::vector<std::string>& statements,
                                     const std::vector<SourceLocation>& locations) {
  MacroContext macros =
      RunMacros(project.config, model, snapshot.version, interval.start, interval.end, now_ms);
  std::string text;
  for (size_t i = 0; i < statements.size(); i++) {
    const SourceLocation& where =
        i < locations.size() ? locations[i] : model.definition.header_location;
    MATERIA_ASSIGN_OR_RETURN(std::string rendered, RenderMacros(statements[i], macros, where));
    text += rendered + ";\n";
  }
  return text;
}

Result<std::string> Render(const RenderOptions& options) {
  MATERIA_RETURN_IF_ERROR(CheckEnvironmentName(options.environment));
  MATERIA_ASSIGN_OR_RETURN(Project project, LoadCurrentProject());
  MATERIA_ASSIGN_OR_RETURN(std::string name, ResolveModelName(project, options.model));
  const Model& model = *project.Find(name);
  if (model.definition.kind == ModelKind::kSeed) return SeedQuery(project, model) + "\n";
  MATERIA_ASSIGN_OR_RETURN(std::unique_ptr<StateStore> state, OpenStateForReading(project.config));
  MATERIA_ASSIGN_OR_RETURN(SqlAnalyzer analyzer, SqlAnalyzer::Create());
  MATERIA_ASSIGN_OR_RETURN(Plan plan, BuildPlan(project, *state, options.environment, analyzer));
  TimestampMs now_ms = NowMs();
  MATERIA_ASSIGN_OR_RETURN(Interval interval, RenderInterval(model, project.config, options, now_ms));
  EvaluationContext context;
  context.project = &project;
  context.snapshots = &plan.snapshots;
  context.analyzer = &analyzer;
  context.state = state.get();
  context.now_ms = now_ms;
  const SnapshotRecord& snapshot = plan.snapshots.at(name);
  MATERIA_ASSIGN_OR_RETURN(std::string query,
                           RenderForExecution(context, model, snapshot, interval.start, interval.end));
  const ModelDefinition& definition = model.definition;
  if (definition.pre_statements.empty() && definition.post_statements.empty()) return query + "\n";
  MATERIA_ASSIGN_OR_RETURN(
      std::string pre, RenderStatements(project, model, snapshot, interval, now_ms,
                                        definition.pre_statements, definition.pre_statement_locations));
  MATERIA_ASSIGN_OR_RETURN(
      std::string post, RenderStatements(project, model, snapshot, interval, now_ms,
                                         definition.post_statements, definition.post_statement_locations));
  return pre + query + ";\n" + post;
}

}  // namespace

void RegisterRenderCommand(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<RenderOptions>();
  CLI::App* render = app.add_subcommand(
      "render", "Print the SQL a run would execute for a model: macros rendered for the "
                "interval, references pointed at the environment's physical tables");
  render->add_option("model", options->model, "the model (schema.table, or a unique table name)")
      ->required();
  render->add_option("--start", options->start,
                     "start of the interval, included (default: the model's start)");
  render->add_option("--end", options->end,
                     "end of the interval, excluded (default: the end of its last complete "
                     "interval)");
  render->add_option("-e,--environment", options->environment,
                     "environment whose tables the references name (default: prod)");
  SetProjectAction(render, global, [options] {
    auto sql = Render(*options);
    if (!sql.ok()) return ReportError(sql.status());
    std::fputs(sql->c_str(), stdout);
    return kExitOk;
  });
}

}  // namespace materia::cli
