#include "run/executor.h"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/hash.h"
#include "base/text.h"
#include "plan/needs_work.h"
#include "plan/snapshot.h"
#include "plan/source_version.h"
#include "run/evaluate.h"

namespace materia {

namespace {

constexpr int kMaxThreads = 64;


std::string JoinReasons(const std::vector<std::string>& reasons) {
  std::string text;
  for (const std::string& reason : reasons) text += (text.empty() ? "" : "; ") + reason;
  return text;
}

// Shared state of one Execute call. Every member is guarded by `mutex`.
struct Scheduler {
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<size_t> ready;
  std::vector<size_t> pending_parents;
  std::vector<ModelOutcome> outcomes;
  std::map<std::string, std::string> data_versions;  // models finished with a known version
  std::set<std::string> broken;                      // failed or upstream failed
  std::set<std::string> running;                     // being evaluated now
  std::set<std::string> objects;  // physical objects at the start; read-only once running
  size_t finished = 0;
  Status fatal;
};

// Thread-local tools of one worker.
struct Worker {
  std::unique_ptr<DuckConnection> connection;
  std::optional<SqlAnalyzer> analyzer;
  std::unique_ptr<SourceScanner> scanner;
};

// The physical tables and views in the warehouse, as "schema.name", read once per run
// (a model's own object changes only when that model runs).
Result<std::set<std::string>> PhysicalObjects(DuckConnection& connection) {
  MATERIA_ASSIGN_OR_RETURN(
      QueryResult result,
      connection.Query("SELECT schema_name || '.' || table_name FROM duckdb_tables() "
                       "WHERE schema_name LIKE 'materia\\_\\_%' ESCAPE '\\' UNION ALL "
                       "SELECT schema_name || '.' || view_name FROM duckdb_views() "
                       "WHERE schema_name LIKE 'materia\\_\\_%' ESCAPE '\\'"));
  std::set<std::string> objects;
  for (const auto& row : result.rows) {
    if (row[0]) objects.insert(*row[0]);
  }
  return objects;
}

bool PhysicalObjectExists(const std::set<std::string>& objects, const std::string& model_name,
                          const std::string& version) {
  auto [schema, table] = SplitModelName(model_name);
  return objects.count(PhysicalSchema(schema) + "." + PhysicalTableName(schema, table, version)) > 0;
}

// On a terminal: one line per finished model, then a status line (overwritten) naming
// the models running now, so a long model shows what it is waiting on.
void PrintProgress(const ExecuteOptions& options, size_t done, size_t total,
                   const ModelOutcome* finished, const std::set<std::string>& running) {
  if (!options.progress) return;
  if (finished) {
    std::string detail = finished->action == "ran"
                             ? (finished->rows < 0 ? std::string("view")
                                                   : std::to_string(finished->rows) + " rows")
                             : finished->action == "skipped" ? "up to date" : finished->error;
    if (finished->action == "ran") {
      char seconds[32];
      std::snprintf(seconds, sizeof(seconds), ", %.2fs", finished->seconds);
      detail += seconds;
    }
    if (detail.size() > 160) detail = detail.substr(0, 157) + "...";
    std::fprintf(stderr, "\r\033[K[%zu/%zu] %-8s %s  %s\n", done, total,
                 finished->action.c_str(), finished->name.c_str(), detail.c_str());
  }
  if (running.empty()) {
    std::fprintf(stderr, "\r\033[K");
    return;
  }
  std::string names;
  for (const std::string& name : running) names += (names.empty() ? "" : ", ") + name;
  if (names.size() > 100) names = names.substr(0, 97) + "...";
  std::fprintf(stderr, "\r\033[K[%zu/%zu] running %s", done, total, names.c_str());
}

ModelOutcome ProcessModel(const Project& project, StateStore& state,
                          const std::map<std::string, SnapshotRecord>& snapshots,
                          const ExecuteOptions& options, const std::string& run_id, Worker& worker,
                          const std::set<std::string>& objects, const Model& model, const std::map<std::string, std::string>& parent_versions,
                          std::optional<std::string>* data_version) {
  ModelOutcome outcome;
  outcome.name = model.name();
  auto started = std::chrono::steady_clock::now();
  const SnapshotRecord& snapshot = snapshots.at(model.name());
  WorkDecider decider(project, snapshots, state, *worker.scanner, options.now_ms);
  bool exists = PhysicalObjectExists(objects, model.name(), snapshot.version);
  auto work = decider.Decide(model, snapshot, parent_versions, !exists);
  if (!work.ok()) {
    outcome.action = "failed";
    outcome.error = model.definition.path + ": " + OneLine(work.status().message());
    return outcome;
  }
  outcome.reasons = work->reasons;
  auto plan_reason = options.plan_reasons.find(model.name());
  if (plan_reason != options.plan_reasons.end()) {
    std::erase(outcome.reasons, std::string("not built yet"));
    outcome.reasons.insert(outcome.reasons.begin(), plan_reason->second);
  }
  if (!work->needs_work && options.restate.count(model.name())) {
    work->needs_work = true;
    outcome.reasons = {plan_reason != options.plan_reasons.end() ? plan_reason->second : "restated"};
  }
  if (!work->needs_work) {
    outcome.action = "skipped";
    bool forward = plan_reason != options.plan_reasons.end() &&
                   plan_reason->second.find("forward-only") != std::string::npos;
    outcome.reasons = {model.definition.kind == ModelKind::kView ? "view: reads its inputs live"
                       : forward ? "forward-only change: the table and its intervals are kept; "
                                   "intervals run from now on use the new code"
                                 : "code and input data unchanged"};
    auto version = decider.CurrentDataVersion(model, snapshot, *work);
    if (version.ok()) *data_version = *version;
  } else {
    EvaluationContext context{&project, &snapshots, worker.connection.get(), &*worker.analyzer,
                              &state, options.now_ms, run_id};
    auto result = EvaluateModel(context, model, snapshot, *work);
    if (result.ok()) {
      outcome.audits = result->audits;
      outcome.reasons.insert(outcome.reasons.end(), result->warnings.begin(), result->warnings.end());
    }
    if (!result.ok()) {
      outcome.action = "failed";
      outcome.error = result.status().message();
    } else if (result->blocked) {
      outcome.action = "failed";
      for (const AuditOutcome& audit : result->audits) {
        if ((audit.blocking && !audit.passed()) || !audit.error.empty()) {
          outcome.error = AuditFailureLine(audit);
          break;
        }
      }
    } else {
      outcome.action = "ran";
      outcome.rows = model.definition.kind == ModelKind::kView ? -1 : result->rows;
      outcome.intervals = work->intervals.ToString();
      *data_version = result->data_version;
    }
  }
  outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return outcome;
}

void WorkerLoop(const Project& project, StateStore& state,
                const std::map<std::string, SnapshotRecord>& snapshots, const ExecuteOptions& options,
                const std::string& run_id, Worker& worker, Scheduler& scheduler) {
  const size_t total = project.models.size();
  while (true) {
    size_t index;
    std::map<std::string, std::string> parent_versions;
    bool upstream_broken = false;
    {
      std::unique_lock<std::mutex> lock(scheduler.mutex);
      scheduler.wake.wait(lock, [&] { return !scheduler.ready.empty() || scheduler.finished == total; });
      if (scheduler.ready.empty()) return;
      index = scheduler.ready.front();
      scheduler.ready.pop_front();
      scheduler.running.insert(project.models[index].name());
      PrintProgress(options, scheduler.finished, total, nullptr, scheduler.running);
      for (const std::string& parent : project.models[index].parents) {
        upstream_broken |= scheduler.broken.count(parent) > 0;
        auto found = scheduler.data_versions.find(parent);
        if (found != scheduler.data_versions.end()) parent_versions[parent] = found->second;
      }
    }
    const Model& model = project.models[index];
    std::optional<std::string> data_version;
    ModelOutcome outcome;
    if (upstream_broken) {
      outcome.name = model.name();
      outcome.action = "upstream failed";
      outcome.error = "not run: an upstream model failed";
    } else {
      outcome = ProcessModel(project, state, snapshots, options, run_id, worker,
                             scheduler.objects, model, parent_versions, &data_version);
    }
    RunModelRecord record{run_id, outcome.name, outcome.action, JoinReasons(outcome.reasons),
                          outcome.intervals, outcome.rows, outcome.seconds, outcome.error};
    Status recorded = state.AddRunModel(record);
    std::lock_guard<std::mutex> lock(scheduler.mutex);
    if (!recorded.ok() && scheduler.fatal.ok()) scheduler.fatal = recorded;
    if (outcome.action == "failed" || outcome.action == "upstream failed") {
      scheduler.broken.insert(model.name());
    } else if (data_version) {
      scheduler.data_versions[model.name()] = *data_version;
    }
    scheduler.outcomes[index] = outcome;
    scheduler.finished++;
    scheduler.running.erase(model.name());
    PrintProgress(options, scheduler.finished, total, &outcome, scheduler.running);
    for (const std::string& child : model.children) {
      size_t child_index = project.index.at(child);
      if (--scheduler.pending_parents[child_index] == 0) scheduler.ready.push_back(child_index);
    }
    scheduler.wake.notify_all();
  }
}

Status CreatePhysicalSchemas(DuckConnection& connection, const Project& project) {
  std::set<std::string> schemas;
  for (const Model& model : project.models) schemas.insert(PhysicalSchema(model.definition.schema));
  for (const std::string& schema : schemas) {
    MATERIA_RETURN_IF_ERROR(connection.Execute("CREATE SCHEMA IF NOT EXISTS " + QuoteIdentifier(schema)));
  }
  return Status::Ok();
}

Result<std::vector<Worker>> MakeWorkers(std::shared_ptr<DuckDatabase> warehouse, int count) {
  std::vector<Worker> workers(count);
  for (Worker& worker : workers) {
    MATERIA_ASSIGN_OR_RETURN(worker.connection, DuckConnection::Connect(warehouse));
    MATERIA_ASSIGN_OR_RETURN(SqlAnalyzer analyzer, SqlAnalyzer::Create());
    worker.analyzer.emplace(std::move(analyzer));
    worker.scanner = std::make_unique<SourceScanner>();
  }
  return workers;
}

std::string SummaryJson(const ExecuteSummary& summary) {
  return nlohmann::json{{"ran", summary.ran}, {"skipped", summary.skipped},
                        {"failed", summary.failed}, {"seconds", summary.seconds}}
      .dump();
}

}  // namespace

Result<ExecuteSummary> Execute(const Project& project, StateStore& state,
                               std::shared_ptr<DuckDatabase> warehouse,
                               const std::map<std::string, SnapshotRecord>& snapshots,
                               const ExecuteOptions& options) {
  auto started = std::chrono::steady_clock::now();
  ExecuteSummary summary;
  summary.run_id = NewRunId(options.now_ms);
  RunRecord run{summary.run_id, options.command, options.environment, "running", NowMs(), 0, "", ""};
  MATERIA_RETURN_IF_ERROR(state.PutRun(run));

  int threads = std::clamp(options.threads, 1, kMaxThreads);
  threads = std::max(1, std::min<int>(threads, static_cast<int>(project.models.size())));
  auto workers = MakeWorkers(warehouse, threads);
  Status ready = workers.ok() ? CreatePhysicalSchemas(*(*workers)[0].connection, project)
                              : workers.status();
  if (!ready.ok()) {
    run.status = "failed";
    run.finished_ms = NowMs();
    run.error = OneLine(ready.message());
    (void)state.PutRun(run);  // the set-up error is what the user needs to see
    return ready;
  }

  Scheduler scheduler;
  MATERIA_ASSIGN_OR_RETURN(scheduler.objects, PhysicalObjects(*(*workers)[0].connection));
  scheduler.outcomes.resize(project.models.size());
  scheduler.pending_parents.resize(project.models.size());
  for (size_t i = 0; i < project.models.size(); i++) {
    scheduler.pending_parents[i] = project.models[i].parents.size();
    if (scheduler.pending_parents[i] == 0) scheduler.ready.push_back(i);
  }
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; t++) {
    pool.emplace_back([&, t] {
      WorkerLoop(project, state, snapshots, options, summary.run_id, (*workers)[t], scheduler);
    });
  }
  for (std::thread& thread : pool) thread.join();

  summary.outcomes = std::move(scheduler.outcomes);
  for (const ModelOutcome& outcome : summary.outcomes) {
    if (outcome.action == "ran") summary.ran++;
    else if (outcome.action == "skipped") summary.skipped++;
    else summary.failed++;
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  run.status = summary.failed > 0 ? "failed" : "success";
  run.finished_ms = NowMs();
  run.summary_json = SummaryJson(summary);
  if (summary.failed > 0) run.error = std::to_string(summary.failed) + " model(s) failed";
  MATERIA_RETURN_IF_ERROR(state.PutRun(run));
  MATERIA_RETURN_IF_ERROR(scheduler.fatal);
  return summary;
}

Status PromoteViews(DuckConnection& connection, const std::string& environment,
                    const std::map<std::string, SnapshotRecord>& snapshots,
                    const std::vector<std::string>& removed_models,
                    const std::vector<std::string>& before) {
  std::vector<std::string> statements = before;
  std::set<std::string> schemas;
  for (const auto& [name, snapshot] : snapshots) {
    schemas.insert(EnvironmentSchema(SplitModelName(name).first, environment));
  }
  for (const std::string& schema : schemas) {
    statements.push_back("CREATE SCHEMA IF NOT EXISTS " + QuoteIdentifier(schema));
  }
  for (const auto& [name, snapshot] : snapshots) {
    auto [schema, table] = SplitModelName(name);
    statements.push_back("CREATE OR REPLACE VIEW " +
                         QuoteIdentifier(EnvironmentSchema(schema, environment)) + "." +
                         QuoteIdentifier(table) + " AS SELECT * FROM " +
                         QualifiedPhysicalTable(name, snapshot.version));
  }
  for (const std::string& name : removed_models) {
    auto [schema, table] = SplitModelName(name);
    statements.push_back("DROP VIEW IF EXISTS " +
                         QuoteIdentifier(EnvironmentSchema(schema, environment)) + "." +
                         QuoteIdentifier(table));
  }
  MATERIA_RETURN_IF_ERROR(connection.Execute("BEGIN TRANSACTION"));
  for (const std::string& statement : statements) {
    Status status = connection.Execute(statement);
    if (!status.ok()) {
      (void)connection.Execute("ROLLBACK");
      return status;
    }
  }
  return connection.Execute("COMMIT");
}

std::string NewRunId(TimestampMs now_ms) {
  std::string stamp = FormatIso(now_ms - now_ms % kMsPerSecond);
  std::string compact;
  for (char c : stamp) {
    if (c != '-' && c != ':') compact += c;
  }
  std::string salt = Xxh64Hex(stamp + std::to_string(::getpid()) +
                              std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  return compact + "-" + salt.substr(0, 6);
}

}  // namespace materia
