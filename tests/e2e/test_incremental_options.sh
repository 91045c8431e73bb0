#!/usr/bin/env bash
# Time-ranged models: lookback re-runs the intervals before the due ones, batch_size cuts
# the work, and a model reading its own table (@this_model) declares its columns.
source "$(dirname "$0")/lib.sh"

mkdir -p proj/models
cat > proj/config.yaml <<'YAML'
gateways:
  local:
    connection: {type: duckdb, database: warehouse.duckdb}
default_gateway: local
model_defaults: {start: '2024-01-01', cron: '@monthly'}
YAML
cat > proj/models/counted.sql <<'SQL'
MODEL (
  name raw.counted,
  kind INCREMENTAL_BY_TIME_RANGE (time_column month, batch_size 1, lookback 1),
  end '2024-03-01',
  columns (month DATE, earlier INTEGER),
);
SELECT @start_date AS month,
       (SELECT count(*) FROM @this_model WHERE month < @start_date)::INTEGER AS earlier
SQL
cd proj
run_materia plan --auto-apply --format json
expect_code 0 "apply a self-reading model with declared columns"
run_materia sql "SELECT strftime(month, '%m') AS m, earlier FROM raw.counted ORDER BY 1" --format csv
expect_out "01,0" "January saw nothing before it"
expect_out "02,1" "February ran after January, one batch at a time"

# Moving the end forward makes March due; lookback 1 re-runs February with it.
sed -i "s/end '2024-03-01'/end '2024-04-01'/" models/counted.sql
run_materia run --format json
expect_code 0 "run the newly due month"
expect_out '"start": "2024-02-01T00:00:00Z"' "lookback starts the work one interval early"
expect_out '"end": "2024-04-01T00:00:00Z"' "and ends with the due month"
run_materia sql "SELECT count(*) FROM raw.counted" --format csv
expect_out "3" "re-running February replaced its rows"

# Without declared columns, a self-reading model says what to do.
cat > models/self.sql <<'SQL'
MODEL (name raw.self, kind INCREMENTAL_BY_TIME_RANGE (time_column month), end '2024-02-01');
SELECT @start_date AS month, (SELECT count(*) FROM @this_model) AS n
SQL
run_materia plan --auto-apply
expect_code 1 "the self-reading model fails"
expect_out "models/self.sql: the model reads its own table (@this_model): declare its columns in the MODEL header" "the failure says what to do"
finish
