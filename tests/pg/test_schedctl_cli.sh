# mz-schedctl driven as a user drives it, against a throwaway Postgres (pg_virtualenv,
# ctest -R pg.schedctl_cli) holding FIXTURE relations with the names and columns of the
# Materialize catalog relations it reads: plan (text and JSON), --cluster, --verbose
# logs, apply (whose real DDL Postgres refuses: exit 1, the audit rows, one error
# line), wipe-state, burst's latency threshold against the activity log, where the
# database URL comes from, and each bad input's one line and exit code. Materialize itself cannot run here; the cycles that succeed are in
# test_schedctl.cpp, through the library with a stand-in DDL executor.
set -euo pipefail

: "${MZ_SCHEDCTL:?set MZ_SCHEDCTL to the mz-schedctl binary}"
: "${PGHOST:?PGHOST is not set: run this under pg_virtualenv (ctest -R pg.schedctl_cli)}"
: "${PGPORT:?PGPORT is not set: run this under pg_virtualenv}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/schedctl-cli.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
unset DATABASE_URL

passed=0
failed=0
fail() { echo "FAIL: $*" >&2; failed=$((failed + 1)); }
ok() { passed=$((passed + 1)); }

# run ARGS...: runs mz-schedctl; stdout in $OUT, stderr in $ERR, exit code in $CODE.
run() {
  set +e
  OUT=$("$MZ_SCHEDCTL" "$@" 2>"$WORK/.stderr")
  CODE=$?
  set -e
  ERR=$(cat "$WORK/.stderr")
}
expect_code() {  # expect_code N DESCRIPTION
  if [ "$CODE" -eq "$1" ]; then ok; else fail "$2: exit $CODE, expected $1; stdout: $OUT; stderr: $ERR"; fi
}
expect_out() {  # expect_out TEXT DESCRIPTION: a line of stdout is TEXT
  if grep -qxF -- "$1" <<<"$OUT"; then ok; else fail "$2: stdout lacks the line '$1': $OUT"; fi
}
expect_err() {  # expect_err EXACT DESCRIPTION: stderr is exactly EXACT
  if [ "$ERR" = "$1" ]; then ok; else fail "$2: stderr is '$ERR', expected '$1'"; fi
}
expect_eq() {  # expect_eq GOT EXPECTED DESCRIPTION
  if [ "$1" = "$2" ]; then ok; else fail "$3: got '$1', expected '$2'"; fi
}
sql() { psql -XAtq -v ON_ERROR_STOP=1 -d "${DB:-schedctl_cli}" -c "$1"; }

# FIXTURE: Materialize's catalog relations as Postgres tables, Materialize-only types
# mapped to the nearest Postgres type. Keep in step with kFixtureCatalogSql in
# test_schedctl.cpp.
fixture_schema() {
  cat <<'SQL'
CREATE SCHEMA mz_catalog;
CREATE SCHEMA mz_internal;
CREATE TABLE mz_catalog.mz_clusters (
  id text NOT NULL, name text NOT NULL, owner_id text NOT NULL, privileges text[] NOT NULL,
  managed boolean NOT NULL, size text, replication_factor bigint, disk boolean,
  availability_zones text[], introspection_debugging boolean NOT NULL, introspection_interval interval);
CREATE TABLE mz_catalog.mz_cluster_replicas (
  id text NOT NULL, name text NOT NULL, cluster_id text NOT NULL, size text,
  availability_zone text, owner_id text NOT NULL, disk boolean);
CREATE TABLE mz_internal.mz_cluster_replica_statuses (
  replica_id text NOT NULL, process_id numeric(20) NOT NULL, status text NOT NULL, reason text,
  updated_at timestamptz NOT NULL);
CREATE TABLE mz_internal.mz_hydration_statuses (
  object_id text NOT NULL, replica_id text NOT NULL, hydrated boolean NOT NULL);
CREATE TABLE mz_internal.mz_recent_activity_log (
  execution_id uuid NOT NULL, sample_rate double precision NOT NULL, cluster_id text,
  application_name text NOT NULL, cluster_name text, database_name text NOT NULL,
  search_path text[] NOT NULL, transaction_isolation text NOT NULL, execution_timestamp numeric(20),
  transient_index_id text, params text[] NOT NULL, mz_version text NOT NULL,
  began_at timestamptz NOT NULL, finished_at timestamptz, finished_status text, error_message text,
  result_size bigint, rows_returned bigint, execution_strategy text, transaction_id numeric(20) NOT NULL,
  prepared_statement_id uuid NOT NULL, sql_hash bytea NOT NULL, prepared_statement_name text NOT NULL,
  session_id uuid NOT NULL, prepared_at timestamptz NOT NULL, statement_type text,
  throttled_count numeric(20) NOT NULL, connected_at timestamptz NOT NULL,
  initial_application_name text NOT NULL, authenticated_user text NOT NULL, sql text NOT NULL);
SQL
}

# Three clusters: analytics (unmanaged, one small replica, busy), reporting (managed,
# 100cc x 1, idle for two hours) and alpha (managed, 100cc x 1, as configured).
fixture_rows() {
  cat <<'SQL'
INSERT INTO mz_catalog.mz_clusters VALUES
  ('u1', 'analytics', 'u1', '{}', false, NULL, NULL, NULL, NULL, false, '1 second'),
  ('u2', 'reporting', 'u1', '{}', true, '100cc', 1, false, '{}', false, '1 second'),
  ('u3', 'alpha', 'u1', '{}', true, '100cc', 1, false, '{}', false, '1 second');
INSERT INTO mz_catalog.mz_cluster_replicas VALUES
  ('u10', 'r1', 'u1', 'small', 'use1-az1', 'u1', false),
  ('u20', 'r1', 'u2', '100cc', 'use1-az1', 'u1', false),
  ('u30', 'r1', 'u3', '100cc', 'use1-az1', 'u1', false);
INSERT INTO mz_internal.mz_cluster_replica_statuses VALUES
  ('u10', 0, 'online', NULL, now()), ('u20', 0, 'online', NULL, now()), ('u30', 0, 'online', NULL, now());
INSERT INTO mz_internal.mz_hydration_statuses VALUES
  ('u500', 'u10', true), ('u600', 'u20', true), ('u700', 'u30', true);
INSERT INTO mz_internal.mz_recent_activity_log
SELECT gen_random_uuid(), 1.0, c.id, 'psql', c.name, 'materialize', '{public}', 'strict serializable', 1,
       NULL, '{}', 'v0.130.0', t, t, 'success', NULL, 0, 1, 'fast-path', 1, gen_random_uuid(), '\x00', '',
       gen_random_uuid(), t, 'select', 0, t, 'psql', 'alice', 'SELECT 1'
FROM (VALUES ('u1', 'analytics', now() - interval '1 minute'),
             ('u2', 'reporting', now() - interval '2 hours'),
             ('u3', 'alpha', now() - interval '1 minute')) AS c(id, name, t);
SQL
}

createdb schedctl_cli
fixture_schema | psql -XAtq -v ON_ERROR_STOP=1 -d schedctl_cli
fixture_rows | psql -XAtq -v ON_ERROR_STOP=1 -d schedctl_cli
URL="postgresql://${PGUSER}@${PGHOST}:${PGPORT}/schedctl_cli"  # the password stays in PGPASSWORD

# --help, for the program and each command.
for command in "" plan apply wipe-state; do
  run $command --help
  expect_code 0 "mz-schedctl $command --help"
  if grep -q -- "--postgres-url" <<<"$OUT" || [ -z "$command" ]; then ok; else fail "$command --help lacks --postgres-url"; fi
done
run
expect_code 2 "no command"
run plan --format xml --postgres-url "$URL"
expect_code 2 "--format xml"

# No database URL anywhere.
run plan
expect_code 2 "no URL"
expect_err "error: no database URL: pass --postgres-url, set DATABASE_URL, or put a DATABASE_URL= line in ./.env" \
  "no URL message"

# From ./.env: the first run creates the tables; no strategy yet.
echo "# the controller's database" >.env
echo "export DATABASE_URL=\"$URL\"" >>.env
run plan
expect_code 0 "plan with no strategies"
expect_out "no selected cluster has a strategy: insert rows into mz_cluster_strategies (see mz-schedctl --help)" \
  "plan with no strategies says what to do"
expect_eq "$(sql 'SELECT version FROM mz_cluster_strategy_schema')" "1" "schema version row"
rm .env

# DATABASE_URL from the environment; --postgres-url wins over it.
DATABASE_URL="$URL" run plan
expect_code 0 "plan from DATABASE_URL"
DATABASE_URL="postgresql://nobody@127.0.0.1:1/nothing" run plan --postgres-url "$URL"
expect_code 0 "--postgres-url wins over DATABASE_URL"

sql "INSERT INTO mz_cluster_strategies (cluster_id, strategy_type, config) VALUES
  ('u1', 'target_size', '{\"target_size\": \"medium\"}'),
  ('u2', 'idle_suspend', '{\"idle_after_s\": 3600, \"cooldown_s\": 300}'),
  ('u3', 'target_size', '{\"target_size\": \"100cc\"}')"

# plan, as text: one line per action with its SQL and reason, grouped by cluster.
run plan --postgres-url "$URL"
expect_code 0 "plan"
expected_plan=$(cat <<'EOF'
alpha (u3, managed): nothing to do
analytics (u1, unmanaged): 1 action
  CREATE CLUSTER REPLICA "analytics"."r1_2" (SIZE = 'medium');  -- target_size: one replica r1 of size 'medium'
  waiting: r1 (small) is kept until a replacement is hydrated (r1_2 not yet)
reporting (u2, managed): 1 action
  ALTER CLUSTER "reporting" SET (REPLICATION FACTOR = 0);  -- desired replicas: none
plan: 2 actions on 3 clusters; mz-schedctl apply executes them
EOF
)
expect_eq "$OUT" "$expected_plan" "plan text"
expect_err "" "plan writes nothing on stderr without --verbose"
expect_eq "$(sql 'SELECT count(*) FROM mz_cluster_strategy_actions')" "0" "plan records no action"
expect_eq "$(sql 'SELECT count(*) FROM mz_cluster_strategy_state')" "0" "plan stores no state"

# plan, as JSON a script can use.
run plan --postgres-url "$URL" --format json
expect_code 0 "plan --format json"
checked=$(JSON="$OUT" python3 - <<'EOF'
import json, os
d = json.loads(os.environ['JSON'])
assert d['command'] == 'plan', d['command']
assert d['summary'] == {'clusters': 3, 'actions': 2, 'executed': 0, 'failed': 0, 'not_executed': 0}, d['summary']
assert d['failure'] is None
names = [c['cluster'] for c in d['clusters']]
assert names == ['alpha', 'analytics', 'reporting'], names
analytics = d['clusters'][1]
assert analytics['cluster_id'] == 'u1'
action = analytics['actions'][0]
assert action['sql'] == 'CREATE CLUSTER REPLICA "analytics"."r1_2" (SIZE = \'medium\')', action
assert action['kind'] == 'create_replica' and action['strategy'] == 'target_size', action
assert action['outcome'] == 'planned' and 'action_id' not in action, action
assert action['expected_change'] == 'replicas: r1 (small) -> r1 (small), r1_2 (medium)', action
assert analytics['snapshot']['replicas'] == [{'name': 'r1', 'size': 'small', 'status': 'online', 'hydrated': True}]
assert analytics['decisions'][0]['decision'] == 'r1 (medium)', analytics['decisions']
reporting = d['clusters'][2]
assert reporting['snapshot']['replication_factor'] == 1 and reporting['snapshot']['size'] == '100cc'
assert reporting['decisions'][0]['strategy'] == 'idle_suspend'
assert reporting['decisions'][0]['decision'] == 'no replicas', reporting['decisions']
print('ok')
EOF
)
expect_eq "$checked" "ok" "plan JSON"

# --cluster: a regular expression on whole names.
run plan --postgres-url "$URL" --cluster 'rep.*'
expect_code 0 "plan --cluster"
expect_eq "$(head -1 <<<"$OUT")" "reporting (u2, managed): 1 action" "--cluster selects reporting"
expect_eq "$(grep -c 'managed)' <<<"$OUT")" "1" "--cluster selects one cluster"

# --verbose: JSON lines on stderr with cluster_id and strategy.
run plan --postgres-url "$URL" --verbose --cluster analytics
expect_code 0 "plan --verbose"
checked=$(LOG="$ERR" python3 - <<'EOF'
import json, os
events = [json.loads(line) for line in os.environ['LOG'].splitlines()]
decision = [e for e in events if e['event'] == 'strategy_decision']
assert decision and decision[0]['cluster_id'] == 'u1' and decision[0]['strategy'] == 'target_size', events
planned = [e for e in events if e['event'] == 'action_planned']
assert planned and planned[0]['strategy'] == 'target_size' and planned[0]['cluster'] == 'analytics', events
assert all('ts' in e and 'level' in e for e in events)
print('ok')
EOF
)
expect_eq "$checked" "ok" "verbose log lines"

# apply: Postgres is no Materialize, so the first DDL fails: exit 1, one error line,
# every planned action recorded, the state of alpha (settled, before the failure) stored.
run apply --postgres-url "$URL"
expect_code 1 "apply of real DDL on Postgres"
run_id=$(sql "SELECT decision_ctx->>'run_id' FROM mz_cluster_strategy_actions LIMIT 1")
expect_err "error: cluster 'analytics' (u1): action ${run_id}-1 failed: syntax error at or near \"CLUSTER\" (SQLSTATE 42601)" \
  "apply error line"
expected_apply=$(cat <<EOF
alpha (u3, managed): nothing to do, state saved
analytics (u1, unmanaged): 1 action, state not saved
  failed       ${run_id}-1  CREATE CLUSTER REPLICA "analytics"."r1_2" (SIZE = 'medium');  -- target_size: one replica r1 of size 'medium'
    error: syntax error at or near "CLUSTER" (SQLSTATE 42601)
  waiting: r1 (small) is kept until a replacement is hydrated (r1_2 not yet)
reporting (u2, managed): 1 action, state not saved
  not executed ${run_id}-2  ALTER CLUSTER "reporting" SET (REPLICATION FACTOR = 0);  -- desired replicas: none
apply (run ${run_id}): 0 executed, 1 failed, 1 not executed on 3 clusters
EOF
)
expect_eq "$OUT" "$expected_apply" "apply text"
expect_eq "$(sql "SELECT action_id || ' ' || cluster_id || ' ' || executed || ' ' || error_message
                  FROM mz_cluster_strategy_actions ORDER BY action_id")" \
  "${run_id}-1 u1 false syntax error at or near \"CLUSTER\" (SQLSTATE 42601)
${run_id}-2 u2 false not executed: action ${run_id}-1 failed before it" "audit rows"
expect_eq "$(sql "SELECT decision_ctx->'action'->>'expected_change' FROM mz_cluster_strategy_actions ORDER BY action_id")" \
  "replicas: r1 (small) -> r1 (small), r1_2 (medium)
replication factor: 1 -> 0" "audit rows keep the expected change"
expect_eq "$(sql 'SELECT cluster_id FROM mz_cluster_strategy_state')" "u3" "state stored for alpha only"

run apply --postgres-url "$URL" --format json --cluster alpha
expect_code 0 "apply with nothing to do"
expect_eq "$(JSON="$OUT" python3 -c "import json, os; d = json.loads(os.environ['JSON']); \
print(d['command'], d['summary']['actions'], d['clusters'][0]['state_saved'])")" "apply 0 True" "apply JSON"

# wipe-state, of one cluster and of all.
run wipe-state --postgres-url "$URL" --cluster alpha
expect_code 0 "wipe-state --cluster"
expect_eq "$OUT" "wiped the stored state of 1 cluster: alpha (u3) (1 row deleted)" "wipe-state --cluster output"
expect_eq "$(sql 'SELECT count(*) FROM mz_cluster_strategy_state')" "0" "wipe-state --cluster deleted the row"
run wipe-state --postgres-url "$URL"
expect_code 0 "wipe-state"
expect_eq "$OUT" "wiped the stored state of every cluster (0 rows deleted)" "wipe-state output"
run wipe-state --postgres-url "$URL" --format json
expect_eq "$(JSON="$OUT" python3 -c "import json, os; d = json.loads(os.environ['JSON']); print(d['all'], d['rows_deleted'])")" \
  "True 0" "wipe-state JSON"

# burst with a latency threshold: a slow SELECT on analytics a minute ago (3 s, over the
# 500 ms threshold) asks for a burst replica although r1 is hydrated; mz-schedctl's own
# slow statements do not count.
sql "INSERT INTO mz_cluster_strategies (cluster_id, strategy_type, config) VALUES
  ('u1', 'burst', '{\"burst_replica_size\": \"800cc\", \"max_replicas\": 3, \"scale_up_threshold_ms\": 500, \"cooldown_s\": 60}')"
slow_statement() {  # slow_statement APPLICATION: a 3-second SELECT on analytics, finished a minute ago
  sql "INSERT INTO mz_internal.mz_recent_activity_log
       SELECT gen_random_uuid(), 1.0, 'u1', '$1', 'analytics', 'materialize', '{public}', 'strict serializable', 1,
              NULL, '{}', 'v0.130.0', t - interval '3 seconds', t, 'success', NULL, 0, 1, 'standard', 1,
              gen_random_uuid(), '\\x00', '', gen_random_uuid(), t, 'select', 0, t, '$1', 'alice', 'SELECT 1'
       FROM (VALUES (now() - interval '1 minute')) AS c(t)"
}
burst_reason() {
  run plan --postgres-url "$URL" --cluster analytics --format json
  JSON="$OUT" python3 -c "import json, os; d = json.loads(os.environ['JSON']); \
print([x for x in d['clusters'][0]['decisions'] if x['strategy'] == 'burst'][0]['reasons'][0])"
}
slow_statement mz-schedctl
expect_eq "$(burst_reason)" "burst: steady replica r1 is hydrated: no burst replica needed" \
  "mz-schedctl's own slow statements are no latency"
slow_statement psql
expect_eq "$(burst_reason)" "burst: activity latency 3000ms is above scale_up_threshold_ms 500" "slow statements ask for a burst replica"
run plan --postgres-url "$URL" --cluster analytics
expect_out '  CREATE CLUSTER REPLICA "analytics"."burst_1" (SIZE = '"'800cc'"');  -- burst: adds burst_1 (800cc)' \
  "the burst replica is planned"
sql "DELETE FROM mz_cluster_strategies WHERE strategy_type = 'burst'"
sql "DELETE FROM mz_internal.mz_recent_activity_log WHERE sql = 'SELECT 1' AND began_at < finished_at"

# Bad inputs: one line each, exit 2.
sql "INSERT INTO mz_cluster_strategies VALUES ('u1', 'burts', '{}', now())"
run plan --postgres-url "$URL"
expect_code 2 "unknown strategy type"
expect_err "error: cluster 'analytics' (u1): unknown strategy 'burts' (known strategies: target_size, burst, idle_suspend)" \
  "unknown strategy type message"
sql "DELETE FROM mz_cluster_strategies WHERE strategy_type = 'burts'"

sql "INSERT INTO mz_cluster_strategies VALUES ('u2', 'idle_suspend', '{\"idle_after\": 600, \"cooldown_s\": 60}', now())"
run plan --postgres-url "$URL"
expect_code 2 "bad config"
expect_err "error: cluster 'reporting' (u2), strategy idle_suspend: unknown key 'idle_after' in idle_suspend config (known keys: idle_after_s, cooldown_s, stabilization_s, min_replicas, max_replicas)" \
  "bad config message"
run plan --postgres-url "$URL" --cluster analytics
expect_code 0 "a bad config of an unselected cluster is not read"
sql "DELETE FROM mz_cluster_strategies WHERE config ? 'idle_after'"

run plan --postgres-url "$URL" --cluster 'analytics('
expect_code 2 "bad --cluster regex"
if [[ "$ERR" == "error: invalid --cluster regex 'analytics(': "* ]] && [ "$(wc -l <<<"$ERR")" -eq 1 ]; then ok; else
  fail "bad regex message: $ERR"; fi

run plan --postgres-url "postgresql://alice:s3cret-pw@127.0.0.1:1/materialize"
expect_code 2 "unreachable database"
expect_err "error: cannot connect to Postgres at host 127.0.0.1 port 1: connection refused" "unreachable message"
run plan --postgres-url "postgresql://alice:s3cret-pw@127.0.0.1:notaport/materialize"
expect_code 2 "malformed URL"
if grep -q "s3cret-pw" <<<"$OUT$ERR"; then fail "the password is printed: $ERR"; else ok; fi

sql "CREATE ROLE schedctl_reader LOGIN PASSWORD 'reader-pw'"
createdb schedctl_fresh
run plan --postgres-url "postgresql://schedctl_reader:reader-pw@${PGHOST}:${PGPORT}/schedctl_fresh"
expect_code 2 "missing privileges"
expect_err "error: cannot create table mz_cluster_strategy_schema: permission denied for schema public (SQLSTATE 42501)" \
  "missing privileges message"

DB=schedctl_fresh sql "DROP SCHEMA IF EXISTS mz_catalog"
run plan --postgres-url "postgresql://${PGUSER}@${PGHOST}:${PGPORT}/schedctl_fresh"
expect_code 2 "no Materialize catalog"
expect_err "error: cannot read mz_catalog.mz_clusters: relation \"mz_catalog.mz_clusters\" does not exist (SQLSTATE 42P01)" \
  "no catalog message"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
