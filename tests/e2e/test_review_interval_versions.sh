#!/usr/bin/env bash
# Re-running only part of a multi-interval batch must not forget the data versions of
# the rest of that batch: after a change to an undated input re-runs the last interval,
# a revised file dated in an earlier interval of the same batch still re-runs it.
source "$(dirname "$0")/lib.sh"

mkdir -p proj/models proj/lookup
for month in 01 02 03 04; do
  mkdir -p "proj/data/2024/$month"
  printf 'day,amount\n2024-%s-05,1\n' "$month" > "proj/data/2024/$month/events.csv"
done
printf 'k,factor\n1,1\n' > proj/lookup/factor.csv
write_config proj
cat > proj/models/events.sql <<'SQL'
MODEL (
  name raw.events,
  kind INCREMENTAL_BY_TIME_RANGE (time_column day, batch_size 2),
  cron '@monthly',
  start '2024-01-01',
  end '2024-05-01',
);
SELECT CAST(e.day AS DATE) AS day, e.amount * f.factor AS amount
FROM read_csv('data/*/*/*.csv', header = true) AS e
CROSS JOIN read_csv('lookup/*.csv', header = true) AS f
WHERE CAST(e.day AS DATE) BETWEEN @start_ds AND @end_ds
SQL
cd proj

run_materia plan --auto-apply
expect_code 0 "backfill in two batches: [Jan, Mar) and [Mar, May)"

# The undated lookup changes: the last interval (April) re-runs.
sleep 0.01
touch lookup/factor.csv
run_materia run
expect_code 0 "run after the lookup changed"
expect_action raw.events ran "the lookup change re-runs the last interval"

# March's file is revised: March is stale.
sleep 0.01
printf 'day,amount\n2024-03-05,100\n' > data/2024/03/events.csv
run_materia check
expect_code 0 "a revised March file makes work"
expect_out "source data changed in [2024-03-01" "check names March"
run_materia run
expect_code 0 "run re-runs March"
run_materia sql "SELECT amount FROM raw.events WHERE day = DATE '2024-03-05'" --format csv
expect_out "100" "March holds the revised figure"

finish
