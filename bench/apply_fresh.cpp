#include "apply_fresh.h"

#include "bench_common.h"
#include "db/duckdb.h"
#include "run/transform.h"

namespace materia::bench {

ApplyTiming ApplyFresh(int threads) {
  ApplyTiming timing;
  Stopwatch load;
  timing.project = Expect(LoadProject("."), "load the project");
  timing.load_ms = load.ElapsedMs();
  const GatewayConfig& gateway = timing.project.config.gateway();
  RemoveDatabase(gateway.database);
  RemoveDatabase(gateway.state_database);

  Stopwatch plan;
  std::unique_ptr<StateStore> state =
      Expect(OpenSqliteStateStore(gateway.state_database), "open the state store");
  SqlAnalyzer analyzer = Expect(SqlAnalyzer::Create(), "create an SQL analyzer");
  timing.plan = Expect(BuildPlan(timing.project, *state, "prod", analyzer), "plan prod");
  timing.plan_ms = plan.ElapsedMs();

  Stopwatch execute;
  {
    std::shared_ptr<DuckDatabase> warehouse =
        Expect(DuckDatabase::Open(gateway.database), "open the warehouse");
    ExecuteOptions options;
    options.command = "apply";
    options.threads = threads;
    options.now_ms = NowMs();
    ExecuteSummary summary =
        Expect(ApplyPlan(timing.project, *state, warehouse, timing.plan, options), "apply prod");
    for (const ModelOutcome& outcome : summary.outcomes) {
      if (!outcome.error.empty()) Die("apply prod", outcome.name + ": " + outcome.error);
    }
    timing.models_ran = summary.ran;
  }
  timing.execute_ms = execute.ElapsedMs();
  return timing;
}

}  // namespace materia::bench
