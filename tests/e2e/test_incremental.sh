#!/usr/bin/env bash
# A time-ranged model runs its due intervals; a late or revised file whose path carries
# its date re-runs exactly its interval; intervals are recorded only after commit.
source "$(dirname "$0")/lib.sh"

mkdir -p proj/models
for month in 01 02 03; do
  mkdir -p "proj/data/2024/$month"
  printf 'day,amount\n2024-%s-05,1\n2024-%s-20,2\n' "$month" "$month" > "proj/data/2024/$month/events.csv"
done
write_config proj
cat > proj/models/events.sql <<'SQL'
MODEL (
  name raw.events,
  kind INCREMENTAL_BY_TIME_RANGE (time_column day, batch_size 1),
  cron '@monthly',
  start '2024-01-01',
  end '2024-04-01',
);
SELECT CAST(day AS DATE) AS day, amount, filename
FROM read_csv('data/*/*/*.csv', header = true, filename = true)
WHERE CAST(day AS DATE) BETWEEN @start_ds AND @end_ds
SQL
cat > proj/models/monthly.sql <<'SQL'
MODEL (name serving.monthly, kind FULL);
SELECT date_trunc('month', day) AS month, sum(amount) AS total FROM raw.events GROUP BY 1
SQL
cd proj

run_materia plan
expect_out "raw.events                                 [2024-01-01, 2024-04-01)" "plan shows the intervals to backfill"
run_materia apply
expect_code 0 "apply backfills"
expect_action raw.events ran "incremental model runs"
run_materia sql "SELECT count(*) FROM raw.events" --format csv
expect_out "6" "three monthly batches inserted"

run_materia check
expect_code 1 "nothing left after backfill"

# Revise February's file: only February's interval is stale.
sleep 0.01
printf 'day,amount\n2024-02-05,10\n2024-02-20,20\n2024-02-21,30\n' > data/2024/02/events.csv
run_materia check --format json
expect_code 0 "revised file makes work"
expect_out '"start": "2024-02-01T00:00:00Z"' "the stale interval starts in February"
expect_out '"end": "2024-03-01T00:00:00Z"' "and ends with February"
expect_out "source data changed in [2024-02-01, 2024-03-01)" "the reason names the interval"
run_materia run --format json
expect_code 0 "run re-runs February"
run_materia sql "SELECT strftime(month, '%m') AS m, total FROM serving.monthly ORDER BY 1" --format csv
expect_out "01,3" "January untouched"
expect_out "02,60" "February revised"
expect_out "03,3" "March untouched"
run_materia sql "SELECT count(*) FROM raw.events" --format csv
expect_out "7" "no duplicates after re-running an interval"
run_materia check
expect_code 1 "converged"

finish
