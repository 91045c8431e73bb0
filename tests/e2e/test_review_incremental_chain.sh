#!/usr/bin/env bash
# A revised file re-runs its interval in the time-ranged model that reads it; a
# time-ranged model downstream of that one must get the revised interval too, not just
# its own last interval.
source "$(dirname "$0")/lib.sh"

mkdir -p proj/models
for month in 01 02 03; do
  mkdir -p "proj/data/2024/$month"
  printf 'day,amount\n2024-%s-05,1\n' "$month" > "proj/data/2024/$month/events.csv"
done
write_config proj
cat > proj/models/events.sql <<'SQL'
MODEL (
  name raw.events,
  kind INCREMENTAL_BY_TIME_RANGE (time_column day, batch_size 1),
  cron '@monthly', start '2024-01-01', end '2024-04-01',
);
SELECT CAST(day AS DATE) AS day, amount
FROM read_csv('data/*/*/*.csv', header = true)
WHERE CAST(day AS DATE) BETWEEN @start_ds AND @end_ds
SQL
cat > proj/models/events_clean.sql <<'SQL'
MODEL (
  name staging.events_clean,
  kind INCREMENTAL_BY_TIME_RANGE (time_column day, batch_size 1),
  cron '@monthly', start '2024-01-01', end '2024-04-01',
);
SELECT day, amount * 10 AS amount FROM raw.events
WHERE day BETWEEN @start_ds AND @end_ds
SQL
cd proj

run_materia plan --auto-apply
expect_code 0 "backfill both models"

sleep 0.01
printf 'day,amount\n2024-02-05,7\n' > data/2024/02/events.csv
run_materia run
expect_code 0 "run after February was revised"
run_materia sql "SELECT amount FROM raw.events WHERE day = DATE '2024-02-05'" --format csv
expect_out "7" "the parent has the revised February"
run_materia sql "SELECT amount FROM staging.events_clean WHERE day = DATE '2024-02-05'" --format csv
expect_out "70" "the child has the revised February too"
run_materia check
expect_code 1 "converged"

finish
