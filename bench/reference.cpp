#include "reference.h"

#include <set>

#include "bench_common.h"
#include "db/duckdb.h"
#include "plan/needs_work.h"
#include "plan/snapshot.h"
#include "run/evaluate.h"

namespace materia::bench {

std::vector<std::string> RenderReferenceStatements(const Project& project, const Plan& plan,
                                                   TimestampMs now_ms) {
  SqlAnalyzer analyzer = Expect(SqlAnalyzer::Create(), "create an SQL analyzer");
  EvaluationContext context;
  context.project = &project;
  context.snapshots = &plan.snapshots;
  context.analyzer = &analyzer;
  context.now_ms = now_ms;
  std::set<std::string> schemas;
  for (const Model& model : project.models) schemas.insert(PhysicalSchema(model.definition.schema));
  std::vector<std::string> statements;
  for (const std::string& schema : schemas) {
    statements.push_back("CREATE SCHEMA IF NOT EXISTS " + QuoteIdentifier(schema));
  }
  for (const Model& model : project.models) {
    ModelKind kind = model.definition.kind;
    if (kind != ModelKind::kFull && kind != ModelKind::kView) {
      Die("render " + model.name(), "the reference supports FULL and VIEW models only");
    }
    const SnapshotRecord& snapshot = plan.snapshots.at(model.name());
    ModelSchedule schedule = Expect(ScheduleOf(model, project.config, now_ms), "schedule " + model.name());
    std::string query = Expect(RenderForExecution(context, model, snapshot, schedule.start_ms,
                                                  schedule.due_end_ms),
                               "render " + model.name());
    statements.push_back(std::string("CREATE OR REPLACE ") +
                         (kind == ModelKind::kView ? "VIEW " : "TABLE ") +
                         QualifiedPhysicalTable(model.name(), snapshot.version) + " AS " + query);
  }
  return statements;
}

double RunReference(const std::string& database_path, const std::vector<std::string>& statements) {
  RemoveDatabase(database_path);
  Stopwatch stopwatch;
  {
    std::shared_ptr<DuckDatabase> database =
        Expect(DuckDatabase::Open(database_path), "open " + database_path);
    std::unique_ptr<DuckConnection> connection =
        Expect(DuckConnection::Connect(database), "connect to " + database_path);
    for (const std::string& statement : statements) {
      Expect(connection->Execute(statement), "reference statement " + statement.substr(0, 120));
    }
  }
  double elapsed_ms = stopwatch.ElapsedMs();
  RemoveDatabase(database_path);
  return elapsed_ms;
}

}  // namespace materia::bench
