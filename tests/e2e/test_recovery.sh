#!/usr/bin/env bash
# A warehouse that lost its tables (deleted file) is rebuilt by the next run, whatever
# state says; a closed stdout pipe does not stop a run half-way.
source "$(dirname "$0")/lib.sh"

mkdir -p proj/models proj/data/2024/01 proj/data/2024/02
printf 'day,amount\n2024-01-05,1\n' > proj/data/2024/01/e.csv
printf 'day,amount\n2024-02-05,2\n' > proj/data/2024/02/e.csv
cat > proj/config.yaml <<'YAML'
gateways:
  local:
    connection: {type: duckdb, database: warehouse.duckdb}
default_gateway: local
model_defaults: {start: '2024-01-01', cron: '@monthly'}
YAML
cat > proj/models/events.sql <<'SQL'
MODEL (name raw.events, kind INCREMENTAL_BY_TIME_RANGE (time_column day), end '2024-03-01');
SELECT CAST(day AS DATE) AS day, amount FROM read_csv('data/*/*/*.csv', header = true)
WHERE CAST(day AS DATE) BETWEEN @start_ds AND @end_ds
SQL
cat > proj/models/total.sql <<'SQL'
MODEL (name serving.total, kind FULL);
SELECT sum(amount) AS total FROM raw.events
SQL
cat > proj/models/total_view.sql <<'SQL'
MODEL (name serving.total_view, kind VIEW);
SELECT total * 10 AS total10 FROM serving.total
SQL
cd proj
run_materia plan --auto-apply
expect_code 0 "first apply"

rm -f warehouse.duckdb warehouse.duckdb.wal
run_materia run
expect_code 0 "run after the warehouse was deleted"
expect_out "table missing from the warehouse" "the reason says what happened"
expect_action raw.events ran "incremental model rebuilt"
expect_action serving.total_view ran "view rebuilt"
run_materia sql "SELECT total10 FROM serving.total_view" --format csv
expect_out "30" "environment views restored with the data"

touch data/2024/02/e.csv
set +e
"$MATERIA" run | head -c 1 >/dev/null
set -e
run_materia check
expect_code 1 "a run whose stdout closed early still finished its work"
finish
