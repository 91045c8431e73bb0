#!/usr/bin/env bash
# The developer commands as a user meets them: validate (every problem at its
# file:line:col), render (the SQL a run executes), dag (selections and formats),
# format (canonical files, same fingerprints: plan sees no change) and info.
source "$(dirname "$0")/lib.sh"

for command in validate render dag format info; do
  run_materia "$command" --help
  expect_code 0 "materia $command --help"
  expect_out "Usage:" "materia $command --help prints usage"
done

new_project() {
  rm -rf proj && mkdir -p proj/models proj/data
  write_config proj
  printf 'ds,id,amount\n2024-01-01,1,2.5\n2024-01-02,2,3.5\n' > proj/data/events.csv
  cat > proj/models/events.sql <<'SQL'
-- the events as landed
model (name raw.events, kind full, tags (raw));
select * from read_csv('data/events.csv')
SQL
  cat > proj/models/daily.sql <<'SQL'
MODEL (name stg.daily, kind INCREMENTAL_BY_TIME_RANGE (time_column ds), tags (daily));
select ds, sum(amount) as amount   -- per day
from raw.events
where ds between @start_ds and @end_ds group by ds
SQL
  cat > proj/models/report.sql <<'SQL'
MODEL (name serving.report, kind VIEW, tags (daily));
SELECT ds, amount FROM stg.daily
SQL
}

# ---- info before anything was built
new_project
run_materia -p proj info
expect_code 0 "info on a new project"
expect_out "state store   .materia/state.db (not created yet)" "info: no state yet"
expect_out "models        3 (1 FULL, 1 INCREMENTAL_BY_TIME_RANGE, 1 VIEW)" "info: models by kind"
expect_out "last run      none" "info: no run yet"
[ ! -e proj/.materia/state.db ] && ok || fail "info created the state store"
run_materia -p proj info --format json
expect_out '"state_store":{"path":".materia/state.db","exists":false' "info json: no state"
expect_out '"last_run":null' "info json: no run"

# ---- validate
run_materia -p proj validate
expect_code 0 "validate a clean project"
expect_out "Valid: 3 models, 3 compiled." "validate summary"
[ ! -e proj/warehouse.duckdb ] && ok || fail "validate created the warehouse"

cat > proj/models/bad.sql <<'SQL'
MODEL (name stg.bad, kind FULL);
SELECT ds,
  amount * rate AS converted
FROM raw.events
SQL
cat > proj/models/lost.sql <<'SQL'
MODEL (name raw.lost, kind FULL);
SELECT * FROM read_csv('data/missing/*.csv')
SQL
cat > proj/models/after_lost.sql <<'SQL'
MODEL (name stg.after_lost, kind VIEW);
SELECT * FROM raw.lost
SQL
run_materia -p proj validate
expect_code 2 "validate with problems"
expect_out 'models/bad.sql:3:12: Binder Error: Referenced column "rate" not found in FROM clause!; Candidate bindings: "amount"' "binder error at its position"
expect_out "models/lost.sql:2:24: source 'data/missing/*.csv' matches no file" "missing source at its path"
expect_out "2 problems in 6 models, 3 compiled, 1 not compiled (a parent has problems)." "validate counts"
run_materia -p proj validate --format json
expect_code 2 "validate json with problems"
expect_out '"ok":false' "validate json: not ok"
expect_out '"location":"models/bad.sql:3:12"' "validate json: location"
expect_out '"skipped":["stg.after_lost"]' "validate json: skipped"
rm proj/models/bad.sql proj/models/lost.sql proj/models/after_lost.sql

# An audit's query is compiled against the model's table: a fault in an audits file
# is found here, at its line, not when the audit first runs after a build.
mkdir -p proj/audits
printf 'MODEL (name s.audited, kind FULL, audits (positive_id));\nSELECT 1 AS id\n' > proj/models/audited.sql
printf 'AUDIT (name positive_id);\nSELECT *\nFROM @this_model\nWHER id < 0\n' > proj/audits/positive_id.sql
run_materia -p proj validate
expect_code 2 "validate an audit with a syntax error"
expect_out 'audits/positive_id.sql:4:6: audit positive_id: Parser Error: syntax error at or near "id"' "audit fault at its file and line"
printf 'AUDIT (name positive_id);\nSELECT * FROM @this_model WHERE missing < 0\n' > proj/audits/positive_id.sql
printf 'MODEL (name s.after_audited, kind VIEW);\nSELECT id, nope FROM s.audited\n' > proj/models/after_audited.sql
run_materia -p proj validate
expect_code 2 "validate an audit naming a missing column"
expect_out 'audit positive_id: Binder Error: Referenced column "missing" not found' "binder error of the audit"
expect_out 'models/after_audited.sql:2:12: Binder Error: Referenced column "nope" not found' "a child of a model whose audit is faulty is still compiled"
rm -r proj/models/audited.sql proj/models/after_audited.sql proj/audits

printf 'MODEL (name s.a, kind FUL);\nSELECT 1\n' > proj/models/a.sql
run_materia -p proj validate
expect_code 2 "validate a project that does not load"
expect_out "models/a.sql:1:23: unknown kind 'FUL'" "load error as a problem line"
rm proj/models/a.sql

# ---- render (no state yet: new versions, nothing created)
run_materia -p proj render stg.daily --start 2024-01-01 --end 2024-01-03
expect_code 0 "render a time-ranged model"
expect_out "where ds between '2024-01-01' and '2024-01-02' group by ds" "macros rendered for the interval (end excluded)"
expect_out 'from "materia__raw"."raw__events__' "parent pointed at its physical table"
[ ! -e proj/.materia/state.db ] && ok || fail "render created the state store"
run_materia -p proj render nope.model
expect_code 2 "render an unknown model"
expect_err "error: unknown model 'nope.model'" "unknown model message"
run_materia -p proj render stg.dayly
expect_err "error: unknown model 'stg.dayly' (did you mean stg.daily?)" "render suggests the closest model"
run_materia -p proj render stg.daily --start someday
expect_code 2 "render with a bad date"
if grep -q "^error: --start: invalid date or time 'someday'" <<<"$ERR"; then ok; else fail "bad date message: $ERR"; fi
run_materia -p proj render stg.daily --start 2024-02-01 --end 2024-01-01
expect_err "error: --end 2024-01-01T00:00:00Z is before --start 2024-02-01T00:00:00Z" "end before start"
run_materia -p proj render stg.daily -e Dev
expect_code 2 "render in a bad environment"

run_materia -p proj plan --auto-apply
expect_code 0 "apply"
version=$("$MATERIA" -p proj sql "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'materia__stg'" --format csv | grep stg__daily)
run_materia -p proj render daily
expect_code 0 "render by table name alone"
expect_out 'from "materia__raw"."raw__events__' "render daily finds stg.daily"
run_materia -p proj render serving.report
expect_out "SELECT ds, amount FROM \"materia__stg\".\"$version\" AS daily" "render names the table the plan built"

# ---- dag
run_materia -p proj dag
expect_code 0 "dag"
expect_out "stg.daily       INCREMENTAL_BY_TIME_RANGE  <- raw.events" "dag text lists parents"
expect_out "3 models" "dag text count"
run_materia -p proj dag --format dot --select +serving.report
expect_out '"raw.events" -> "stg.daily";' "dot edge"
expect_out 'digraph materia {' "dot header"
run_materia -p proj dag --format mermaid -s raw.events+
expect_out "graph LR" "mermaid header"
expect_out "m0 --> m1" "mermaid edge"
run_materia -p proj dag --format json --select tag:daily
expect_out '"edges":[{"from":"stg.daily","to":"serving.report"}]' "json: edges within the selection only"
expect_no_out '"name":"raw.events"' "json: unselected model left out"
run_materia -p proj dag -s +serving.reprt
expect_code 2 "dag with an unknown model"
expect_err "error: unknown model 'serving.reprt' in selector '+serving.reprt' (did you mean serving.report?)" "unknown model in a selector"
run_materia -p proj dag -s tag:weekly
expect_err "error: no model has tag 'weekly' (selector 'tag:weekly'; tags in the project: daily, raw)" "unknown tag"

# ---- format: canonical files, unchanged fingerprints
cp proj/models/daily.sql daily.before
run_materia -p proj format --check
expect_code 1 "format --check with files to change"
expect_out "would reformat models/daily.sql" "check lists the file"
expect_out "3 files would be reformatted, 0 already formatted." "check summary"
cmp -s daily.before proj/models/daily.sql && ok || fail "format --check changed a file"
run_materia -p proj format
expect_code 0 "format"
expect_out "formatted models/events.sql" "format lists the file"
expected_daily=$(cat <<'SQL'
MODEL (
  name stg.daily,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column ds
  ),
  tags (daily)
);

SELECT ds, sum(amount) AS amount -- per day
FROM raw.events
WHERE ds BETWEEN @start_ds AND @end_ds GROUP BY ds
SQL
)
[ "$(cat proj/models/daily.sql)" = "$expected_daily" ] && ok || fail "canonical daily.sql: $(cat proj/models/daily.sql)"
head -1 proj/models/events.sql | grep -qx -- "-- the events as landed" && ok || fail "comment before the header lost"
ls proj/models/.*materia-format* >/dev/null 2>&1 && fail "temporary file left behind" || ok
run_materia -p proj plan
expect_out "No changes: environment 'prod' matches the project." "formatting changed no fingerprint"
run_materia -p proj format --check
expect_code 0 "format --check after format"
expect_out "0 files would be reformatted, 3 already formatted." "nothing left to format"

# Files named on the command line are relative to where the user is.
printf 'MODEL (name s.x, kind VIEW);\nselect   1 as x\n' > proj/models/x.sql
(cd proj/models && "$MATERIA" -p .. format x.sql > ../../format.out)
grep -qx "formatted models/x.sql" format.out && ok || fail "format of a file named from elsewhere: $(cat format.out)"
grep -qx "SELECT 1 AS x" proj/models/x.sql && ok || fail "x.sql not formatted"

printf 'MODEL (name s.y, kind FUL);\nSELECT 1\n' > proj/models/y.sql
run_materia -p proj format
expect_code 2 "format with a file that does not parse"
expect_err "error: models/y.sql:1:23: unknown kind 'FUL'" "parse error named"
expect_out "0 files formatted, 4 already formatted, 1 could not be formatted." "others still checked"
rm proj/models/y.sql
run_materia -p proj format proj/models/none.sql
expect_code 2 "format a missing file"
expect_err "error: models/none.sql does not exist" "missing file named"

# ---- info after a run
run_materia -p proj info
expect_out "snapshots     3" "info: snapshots"
expect_out "environments  prod" "info: environments"
if grep -qE "^last run      apply [0-9TZ-]+.* on 'prod': success, started " <<<"$OUT"; then ok; else fail "info last run: $OUT"; fi
run_materia -p proj info --format json
expect_out '"environments":["prod"]' "info json environments"
expect_out '"status":"success"' "info json last run"

# A state store that cannot be read: the rest is still shown, and the error said.
new_project
mkdir -p proj/.materia && echo garbage > proj/.materia/state.db
run_materia -p proj info
expect_code 2 "info with an unreadable state store"
expect_out "models        3 (1 FULL, 1 INCREMENTAL_BY_TIME_RANGE, 1 VIEW)" "info still shows the models"
expect_err "error: .materia/state.db: file is not a database" "unreadable state store named"

finish
