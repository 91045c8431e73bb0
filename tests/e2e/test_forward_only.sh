#!/usr/bin/env bash
# forward_only: a change of code keeps the table and its intervals in prod (no backfill);
# the table takes the new query's columns as on_additive_change / on_destructive_change
# allow; restated or new intervals use the new code. In dev the change is computed on a
# preview table of its own, so prod's table is never touched. allow_partials also runs
# the interval that has not ended yet, without recording it as done.
source "$(dirname "$0")/lib.sh"

mkdir -p proj/models
write_config proj
cat > proj/models/events.sql <<'SQL'
MODEL (
  name core.events,
  kind INCREMENTAL_BY_TIME_RANGE (time_column day, forward_only true, batch_size 1),
  start '2024-01-01'
);
SELECT CAST(d AS DATE) AS day, 1 AS n
FROM range(DATE '2024-01-01', DATE '2024-01-11', INTERVAL 1 DAY) AS t(d)
WHERE d BETWEEN @start_ds AND @end_ds
SQL
cat > proj/models/totals.sql <<'SQL'
MODEL (name core.totals, kind FULL);
SELECT count(*) AS days, sum(n) AS total FROM core.events
SQL
cd proj

run_materia plan --auto-apply
expect_code 0 "first apply"
run_materia sql "SELECT days || ':' || total FROM core.totals" --format csv
expect_out "10:10" "first build"

# A change in dev: prod's table is left alone; dev computes the new code from scratch.
sed -i 's/1 AS n/2 AS n, 7 AS extra/' models/events.sql
run_materia plan dev --auto-apply
expect_code 0 "dev applies"
run_materia sql "SELECT sum(n) || ':' || sum(extra) FROM core__dev.events" --format csv
expect_out "20:70" "dev computes the new code on every interval"
run_materia sql "SELECT sum(n) FROM core.events" --format csv
expect_out "10" "prod's table is untouched by dev"
run_materia sql "SELECT total FROM core__dev.totals" --format csv
expect_out "20" "dev's children read dev's table"

# In prod: no backfill, the table is kept and gets the new column.
run_materia plan
expect_out "core.events                              directly modified, forward-only" "the plan says forward-only"
run_materia apply
expect_code 0 "prod applies"
expect_out "forward-only change: the table and its intervals are kept" "the run says why nothing ran"
run_materia sql "SELECT sum(n) || ':' || count(extra) FROM core.events" --format csv
expect_out "10:0" "old intervals keep their rows; the new column is there, empty"
run_materia sql "SELECT total FROM core__dev.totals" --format csv
expect_out "20" "prod adopting the change does not touch dev's tables"

# Restated intervals use the new code.
run_materia plan --restate-model core.events --start 2024-01-05 --end 2024-01-07 --auto-apply
expect_code 0 "restatement"
run_materia sql "SELECT string_agg(n || '/' || coalesce(extra, 0), ' ' ORDER BY day) FROM core.events" --format csv
expect_out "1/0 1/0 1/0 1/0 2/7 2/7 1/0 1/0 1/0 1/0" "only the restated intervals hold the new code's rows"

# Dropping a column is destructive: refused by default, in one line; prod unchanged.
sed -i 's/2 AS n, 7 AS extra/2 AS n/' models/events.sql
run_materia apply
expect_code 2 "a destructive forward-only change is refused"
expect_err "error: models/events.sql: forward-only change drops column extra (on_destructive_change is error; set it to allow to change the table, or ignore to leave it)" \
  "the message names the column and the setting"
run_materia sql "SELECT count(extra) FROM core.events" --format csv
expect_out "2" "the column is still there"
sed -i 's/forward_only true,/forward_only true, on_destructive_change warn,/' models/events.sql
run_materia apply
expect_code 0 "allowed with a warning"
expect_out "warning: forward-only change drops column extra" "the warning is shown"
run_materia sql "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'core' AND table_name = 'events'" --format csv
expect_out "2" "the column is gone"

# allow_partials: the interval that has not ended yet runs too, and again next time.
cat > models/today.sql <<'SQL'
MODEL (
  name core.today,
  kind INCREMENTAL_BY_TIME_RANGE (time_column ts),
  cron '@daily',
  start '1 day ago',
  allow_partials true
);
SELECT CAST(@end_ts AS TIMESTAMP) AS ts, 1 AS runs
SQL
run_materia plan --auto-apply
expect_code 0 "a partial model applies"
expect_out "(allow_partials)" "the run says it computes the partial interval"
run_materia sql "SELECT count(*) FROM core.today WHERE ts >= current_date" --format csv
expect_out "1" "the row of today's partial interval is there"

finish
