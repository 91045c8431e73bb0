#!/usr/bin/env bash
# plan --restate-model re-runs a model and everything downstream (the given intervals of
# incremental ones); disable_restatement refuses it; `enabled false` leaves a model out;
# a plan runs the unit tests first unless --skip-tests.
source "$(dirname "$0")/lib.sh"

mkdir -p proj/models proj/tests
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
SELECT CAST(day AS DATE) AS day, amount
FROM read_csv('data/*/*/*.csv', header = true)
WHERE CAST(day AS DATE) BETWEEN @start_ds AND @end_ds
SQL
cat > proj/models/monthly.sql <<'SQL'
MODEL (name serving.monthly, kind FULL);
SELECT date_trunc('month', day) AS month, sum(amount) AS total FROM raw.events GROUP BY 1
SQL
cat > proj/models/draft.sql <<'SQL'
MODEL (name serving.draft, kind FULL, enabled false);
SELECT * FROM raw.events
SQL
cd proj

run_materia plan --auto-apply
expect_code 0 "first apply"
expect_no_out "serving.draft" "a disabled model is left out of the plan"
run_materia sql "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE '%draft%'" --format csv
expect_out "0" "and out of the warehouse"

run_materia plan --restate-model raw.events --start 2024-02-01 --end 2024-03-01
expect_code 0 "a restatement preview"
expect_out "Restating [2024-02-01, 2024-03-01) of:" "the preview says what is restated"
expect_out "  serving.monthly" "downstream models are restated too"
expect_out "Apply with \`materia plan prod --restate-model raw.events --start 2024-02-01 --end 2024-03-01 --auto-apply\`" \
  "the preview says how to apply the restatement"
run_materia check
expect_code 1 "a preview changes nothing"

run_materia plan --restate-model raw.events --start 2024-02-01 --end 2024-03-01 --auto-apply
expect_code 0 "restatement applies"
expect_action raw.events ran "the incremental model re-runs"
expect_out "[2024-02-01, 2024-03-01)" "only February"
expect_action serving.monthly ran "its child re-runs"
expect_out "restated [2024-02-01, 2024-03-01)" "the reason says restated"
run_materia sql "SELECT count(*) FROM raw.events" --format csv
expect_out "6" "no month is duplicated or lost"

run_materia plan --restate-model serving.monthly --auto-apply
expect_code 0 "a FULL model restated"
expect_action serving.monthly ran "the FULL model is rebuilt"
expect_action raw.events skipped "its parent is not"
expect_out "restated" "reason for a whole restatement"

run_materia plan --restate-model raw.nope
expect_code 2 "unknown model"
expect_err "error: --restate-model: unknown model 'raw.nope'" "unknown model message"
run_materia plan --start 2024-01-01
expect_code 2 "a range without a model"
expect_err "error: --start and --end need --restate-model" "range message"
run_materia plan --restate-model raw.events --start 2024-03-01 --end 2024-02-01
expect_code 2 "an empty range"
expect_err "error: --start must be before --end" "empty range message"

sed -i 's/kind INCREMENTAL_BY_TIME_RANGE (time_column day, batch_size 1)/kind INCREMENTAL_BY_TIME_RANGE (time_column day, batch_size 1, disable_restatement true)/' models/events.sql
run_materia plan --restate-model raw.events --skip-tests
expect_code 2 "disable_restatement refuses"
expect_err "error: models/events.sql:1:1: raw.events has disable_restatement true: its data cannot be restated" \
  "disable_restatement message"

# Unit tests run first.
cat > tests/test_monthly.yaml <<'YAML'
test_monthly_sums:
  model: serving.monthly
  inputs:
    raw.events:
      rows:
        - {day: 2024-01-05, amount: 1}
        - {day: 2024-01-20, amount: 2}
  outputs:
    query:
      rows:
        - {month: 2024-01-01, total: 4}
YAML
run_materia plan
expect_code 1 "a failing unit test stops the plan"
expect_out "FAILED" "the failing test is shown"
expect_err "error: unit tests failed; fix them or plan with --skip-tests" "the plan says why it stopped"
run_materia plan --skip-tests
expect_code 0 "--skip-tests plans anyway"
sed -i 's/total: 4/total: 3/' tests/test_monthly.yaml
run_materia plan
expect_code 0 "passing tests let the plan go on"
expect_out "Unit tests: 1 passed" "the plan reports the tests"

finish
