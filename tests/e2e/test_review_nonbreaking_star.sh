#!/usr/bin/env bash
# A non-breaking change (an added column) upstream of a time-ranged child that selects
# `*` must not leave the child unable to insert its next intervals.
source "$(dirname "$0")/lib.sh"

mkdir -p proj/models
for month in 01 02 03; do
  mkdir -p "proj/data/2024/$month"
  printf 'day,amount\n2024-%s-05,1\n' "$month" > "proj/data/2024/$month/events.csv"
done
write_config proj
write_models() {  # write_models END EXTRA_COLUMN
  cat > models/events.sql <<SQL
MODEL (
  name raw.events,
  kind INCREMENTAL_BY_TIME_RANGE (time_column day, batch_size 1),
  cron '@monthly', start '2024-01-01', end '$1',
);
SELECT CAST(day AS DATE) AS day, amount$2
FROM read_csv('data/*/*/*.csv', header = true)
WHERE CAST(day AS DATE) BETWEEN @start_ds AND @end_ds
SQL
  cat > models/events_copy.sql <<SQL
MODEL (
  name staging.events_copy,
  kind INCREMENTAL_BY_TIME_RANGE (time_column day, batch_size 1),
  cron '@monthly', start '2024-01-01', end '$1',
);
SELECT * FROM raw.events WHERE day BETWEEN @start_ds AND @end_ds
SQL
}
cd proj

write_models 2024-03-01 ""
run_materia plan --auto-apply
expect_code 0 "backfill January and February"

write_models 2024-03-01 ", amount * 2 AS doubled"
run_materia plan --auto-apply
expect_code 0 "the added column applies"

# March becomes due (the end moves on, as time would).
write_models 2024-04-01 ", amount * 2 AS doubled"
run_materia run
expect_code 0 "March runs"
expect_action staging.events_copy ran "the child takes March"
run_materia sql "SELECT count(*) AS n FROM staging.events_copy" --format csv
expect_out "3" "the child has three months"

finish
