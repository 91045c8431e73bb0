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

# An audit that fails at run time (a cast) aborts the batch's transaction: even a
# non-blocking one then fails the model, nothing is recorded, and the audits after it
# are not blamed.
mkdir -p audits
cat > audits/conv.sql <<'SQL'
AUDIT (name amounts_are_numbers);
SELECT * FROM @this_model WHERE CAST(CAST(amount AS VARCHAR) || 'x' AS INTEGER) > 0;
SQL
sed -i 's/audits (not_null(columns := (amount)), number_of_rows(threshold := 1))/audits (amounts_are_numbers_non_blocking, not_null(columns := (amount)))/' models/events.sql
sed -i "s/  end '2024-04-01',/  end '2024-05-01',/" models/events.sql
mkdir -p data/2024/04
printf 'day,amount\n2024-04-05,1\n' > data/2024/04/events.csv
run_materia plan --auto-apply
expect_code 1 "an audit that cannot run fails the model"
expect_out "audit amounts_are_numbers_non_blocking cannot run on raw.events: Conversion Error" \
  "the real error is named"
expect_no_out "not_null(columns := (amount)) failed" "the audit after it is not blamed"
run_materia sql "SELECT count(*) FROM raw.events" --format csv
expect_out "6" "prod still has its three months"
run_materia check --format json
expect_out '"has_work": true' "the failed batches are still to do"

finish
