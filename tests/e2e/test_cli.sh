#!/usr/bin/env bash
# The command line as a user meets it: --help everywhere, seeds, environment-variable
# overrides of paths, sql output formats and stdin, pipeline names, JSON outputs.
source "$(dirname "$0")/lib.sh"

for command in "" plan apply run check sql "pipeline" "pipeline list" "pipeline check" \
               "pipeline run" "pipeline history" supervise extract export-serving example "example psd" \
               "example serve-psd" audit test create_test validate render dag format info janitor; do
  # shellcheck disable=SC2086
  run_materia $command --help
  expect_code 0 "materia $command --help"
  expect_out "Usage:" "materia $command --help prints usage"
done

run_materia frobnicate
expect_code 2 "unknown command"

mkdir -p proj/models proj/seeds landing/feed
cat > proj/config.yaml <<'YAML'
gateways:
  local:
    connection: {type: duckdb, database: warehouse.duckdb}
default_gateway: local
model_defaults: {start: '2024-01-01', cron: '@daily'}
variables: {landing_dir: nowhere, factor: 3}
YAML
printf 'code,name\nUS,United States\nBR,Brazil\n' > proj/seeds/countries.csv
cat > proj/models/countries.sql <<'SQL'
MODEL (name ref.countries, kind SEED (path '../seeds/countries.csv'), grain code);
SQL
printf 'code,amount\nUS,1\nBR,2\n' > landing/feed/a.csv
cat > proj/models/feed.sql <<'SQL'
MODEL (name raw.feed, kind FULL);
SELECT f.code, c.name, f.amount * @VAR('factor') AS amount, @gateway AS gateway
FROM read_csv(@VAR('landing_dir') || '/feed/*.csv', header = true) AS f
JOIN ref.countries AS c USING (code)
SQL

export LANDING_DIR="$WORK/landing"
export DUCKDB_PATH="elsewhere/wh.duckdb"
run_materia -p proj plan --auto-apply
expect_code 0 "apply with overridden paths"
[ -f elsewhere/wh.duckdb ] && ok || fail "DUCKDB_PATH (relative to the caller) was not used"
[ ! -f proj/warehouse.duckdb ] && ok || fail "config's database used despite DUCKDB_PATH"

run_materia -p proj sql "SELECT code, name, amount, gateway FROM raw.feed ORDER BY code" --format csv
expect_out "BR,Brazil,6,local" "seed joined, @VAR and @gateway rendered, LANDING_DIR read"
expect_out "US,United States,3,local" "second row"

run_materia -p proj sql "SELECT code FROM ref.countries ORDER BY code" --format json
expect_out '"code": "BR"' "json output"

OUT=$(echo "SELECT count(*) AS n FROM raw.feed" | "$MATERIA" -p proj sql --format csv)
expect_out "2" "query from stdin"

run_materia -p proj sql "CREATE TABLE raw.x AS SELECT 1"
expect_code 2 "sql is read-only"

run_materia -p proj sql ""
expect_code 2 "empty query"

# A seed edit is a code change of the seed model.
printf 'code,name\nUS,United States\nBR,Brasil\n' > proj/seeds/countries.csv
run_materia -p proj check --format json
expect_code 0 "seed edit makes work"
expect_out '"code changed (breaking)"' "the seed model's content is part of its version"

run_materia -p proj pipeline list --format json
expect_out '"name":"transform"' "pipeline list"
run_materia -p proj pipeline check nope
expect_code 2 "unknown pipeline"
expect_err "error: unknown pipeline 'nope' (known: extract, transform, export_serving)" "unknown pipeline message"
run_materia -p proj pipeline run transform --format json
expect_code 0 "pipeline run transform"
expect_out '"failed": 0' "json summary"
run_materia -p proj sql "SELECT name FROM raw.feed WHERE code = 'BR'" --format csv
expect_out "Brasil" "seed change applied downstream"
run_materia -p proj pipeline check transform --format json
expect_code 1 "pipeline check: nothing to do"
expect_out '"has_work":false' "json says no work"

run_materia check --project proj --format json
expect_code 1 "--project may follow the command"

run_materia example psd --out x --months 0
expect_code 2 "bad generator options"
finish
