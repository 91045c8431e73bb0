#!/usr/bin/env bash
# Audits of a time-ranged model see only the batch just written: a bad month fails its
# own batch (rolled back, not recorded), the months before it stay done, and fixing the
# data re-runs only what is missing.
source "$(dirname "$0")/lib.sh"

mkdir -p proj/models
for month in 01 02 03; do
  mkdir -p "proj/data/2024/$month"
  printf 'day,amount\n2024-%s-05,1\n2024-%s-20,2\n' "$month" "$month" > "proj/data/2024/$month/events.csv"
done
printf 'day,amount\n2024-02-05,1\n2024-02-20,\n' > proj/data/2024/02/events.csv  # a missing amount
write_config proj
cat > proj/models/events.sql <<'SQL'
MODEL (
  name raw.events,
  kind INCREMENTAL_BY_TIME_RANGE (time_column day, batch_size 1),
  cron '@monthly',
  start '2024-01-01',
  end '2024-04-01',
  audits (not_null(columns := (amount)), number_of_rows(threshold := 1))
);
SELECT CAST(day AS DATE) AS day, amount
FROM read_csv('data/*/*/*.csv', header = true)
WHERE CAST(day AS DATE) BETWEEN @start_ds AND @end_ds
SQL
cd proj

run_materia plan --auto-apply
expect_code 1 "the February batch fails its audit"
expect_out "audit not_null(columns := (amount)) failed on raw.events: 1 row" "the failure names the audit"

# The January batch was written and recorded before February failed: the next attempt
# (after the fix) evaluates February and March only.
printf 'day,amount\n2024-02-05,1\n2024-02-20,2\n' > data/2024/02/events.csv
run_materia plan --auto-apply
expect_code 0 "fixed data applies"
expect_out "[2024-02-01, 2024-04-01)" "only February and March were left to run"
run_materia sql "SELECT count(*) AS n, count(amount) AS with_amount FROM raw.events" --format csv
expect_out "6,6" "all three months are there, each once"

finish
