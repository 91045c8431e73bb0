#!/usr/bin/env bash
# A time-ranged model whose first interval is not due yet (its start is ahead) has an
# empty table, not none: its children build, and the plan applies.
source "$(dirname "$0")/lib.sh"

mkdir -p proj/models
write_config proj
cat > proj/models/future.sql <<'SQL'
MODEL (
  name raw.future,
  kind INCREMENTAL_BY_TIME_RANGE (time_column day),
  cron '@monthly', start '2099-01-01',
);
SELECT DATE '2099-01-05' AS day, 1 AS amount
SQL
cat > proj/models/summary.sql <<'SQL'
MODEL (name serving.summary, kind FULL);
SELECT count(*) AS n FROM raw.future
SQL
cd proj

run_materia plan --auto-apply
expect_code 0 "the plan applies"
run_materia sql "SELECT n FROM serving.summary" --format csv
expect_out "0" "the child counts no rows yet"
run_materia check
expect_code 1 "nothing to do until 2099"
run_materia run
expect_code 0 "run"
expect_out "0 ran" "nothing runs again and again"

finish
