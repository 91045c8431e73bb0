#!/usr/bin/env bash
# Audits: built-ins and custom audits run after each evaluation; a blocking failure in
# a plan leaves prod as it was, in a run it stops the models downstream and keeps the
# table's old data; non-blocking failures warn; grain gets a uniqueness audit;
# `materia audit` runs them on demand; bad audit calls are one-line errors.
source "$(dirname "$0")/lib.sh"

mkdir -p proj/models proj/audits proj/data
write_config proj
printf 'id,status,price\n1,new,10\n2,done,20\n3,done,30\n' > proj/data/orders.csv
cat > proj/audits/positive.sql <<'SQL'
-- Rows whose column is below a threshold (0 unless the model says otherwise).
AUDIT (name assert_positive, defaults (threshold = 0));
SELECT * FROM @this_model WHERE @column < @threshold;
SQL
cat > proj/models/orders.sql <<'SQL'
MODEL (
  name raw.orders,
  kind FULL,
  grain id,
  audits (
    not_null(columns := (id, status)),
    accepted_values(column := status, is_in := ('new', 'done')),
    accepted_range(column := price, min_v := 0, max_v := 1000),
    number_of_rows(threshold := 1),
    assert_positive(column := price),
    not_constant_non_blocking(column := status)
  )
);
SELECT id, status, price FROM read_csv('data/orders.csv', header = true)
SQL
cat > proj/models/totals.sql <<'SQL'
MODEL (name serving.totals, kind FULL);
SELECT status, sum(price) AS total FROM raw.orders GROUP BY status
SQL
cd proj

run_materia plan --auto-apply
expect_code 0 "a project whose audits pass applies"
expect_action raw.orders ran "orders ran"
expect_no_out "failed on" "no audit failure is reported"

run_materia audit
expect_code 0 "materia audit passes"
expect_out "ok      raw.orders                               not_null(columns := (id, status))" \
  "audit lists each passing audit"
expect_out "ok      raw.orders                               unique grain (id)" "grain audit is listed"
expect_out "7 audits on 'prod': 7 passed, 0 failed (0 blocking)" "audit summary"

# A NULL status and a duplicate id arrive: the run re-evaluates raw.orders, blocking
# audits fail, the table keeps its old rows and the child does not run.
printf 'id,status,price\n1,new,10\n2,,20\n2,done,30\n' > proj_new.csv
cp proj_new.csv data/orders.csv
run_materia run
expect_code 1 "a blocking audit failure fails the run"
expect_action raw.orders failed "orders failed"
expect_action serving.totals "upstream failed" "the child does not run"
expect_out "audit not_null(columns := (id, status)) failed on raw.orders: 1 row" "not_null failure line"
expect_out "audit unique grain (id) failed on raw.orders: 1 row" "grain failure line"
expect_out "id  duplicates" "the grain failure shows the duplicated key"
run_materia sql "SELECT count(*) AS n, count(status) AS with_status FROM raw.orders" --format csv
expect_out "3,3" "the table kept its old rows (the failed evaluation rolled back)"
run_materia run --format json
expect_code 1 "still failing on the next run: nothing was recorded as done"
expect_out '"failing_rows": 1' "json carries the failing row count"
expect_out '"blocking": true' "json says the audit blocks"

run_materia audit --model raw.orders
expect_code 0 "on demand, the audits read the environment's table, which still holds good data"

# Fixed data: the run converges.
printf 'id,status,price\n1,new,10\n2,done,20\n3,new,5\n' > data/orders.csv
run_materia run
expect_code 0 "fixed data runs"
expect_action serving.totals ran "the child runs again"

# A plan whose new version fails a blocking audit does not promote: prod keeps serving.
# (Audits alone do not change what a model's data is; the query changes here too.)
cat > models/orders.sql <<'SQL'
MODEL (name raw.orders, kind FULL, grain id, audits (assert_positive(column := price, threshold := 8)));
SELECT id, status, price FROM read_csv('data/orders.csv', header = true) WHERE id > 0
SQL
run_materia plan --auto-apply
expect_code 1 "a plan whose audit fails exits 1"
expect_out "audit assert_positive(column := price, threshold := 8) failed on raw.orders: 1 row" \
  "custom audit with an argument overriding its default"
expect_out "price" "the failing row's columns are shown"
run_materia sql "SELECT count(*) FROM raw.orders" --format csv
expect_out "3" "prod still serves the last good version"
run_materia check --format json
expect_out '"has_work": true' "the unapplied change is still work"

# Non-blocking failures warn and let everything run.
cat > models/orders.sql <<'SQL'
MODEL (name raw.orders, kind FULL, audits (assert_positive_non_blocking(column := price, threshold := 8),
                                           number_of_rows_non_blocking(threshold := 100)));
SELECT id, status, price FROM read_csv('data/orders.csv', header = true) WHERE id > 1
SQL
run_materia plan --auto-apply
expect_code 0 "non-blocking failures do not fail the plan"
expect_out "non-blocking audit assert_positive_non_blocking(column := price, threshold := 8) failed on raw.orders: 1 row" \
  "custom audit's non-blocking variant"
expect_out "non-blocking audit number_of_rows_non_blocking(threshold := 100) failed on raw.orders: 1 row" \
  "built-in non-blocking variant"
expect_action serving.totals ran "the child ran"
run_materia sql "SELECT count(*) FROM raw.orders" --format csv
expect_out "2" "the new version is promoted"
run_materia audit --format json
expect_code 0 "on demand, non-blocking failures exit 0"
expect_out '"blocking_failed": 0' "json counts no blocking failure"

# Errors: one line each, exit 2, nothing applied.
bad_model() {  # bad_model AUDITS: writes raw.orders with the given audits property
  cat > models/orders.sql <<SQL
MODEL (name raw.orders, kind FULL, audits ($1));
SELECT id, status, price FROM read_csv('data/orders.csv', header = true)
SQL
}
bad_model "not_nul(columns := (id))"
run_materia plan
expect_code 2 "unknown audit"
expect_err "error: models/orders.sql:1:44: unknown audit 'not_nul' (built-ins: accepted_range, accepted_values, at_least_one, forall, not_accepted_values, not_constant, not_empty_string, not_null, number_of_rows, sequential_values, unique_combination_of_columns, unique_values; custom audits come from audits/*.sql)" \
  "unknown audit message"
bad_model "not_null(cols := (id))"
run_materia plan
expect_code 2 "unknown argument"
expect_err "error: models/orders.sql:1:53: audit not_null takes no argument 'cols' (it takes columns, condition)" \
  "unknown argument message"
bad_model "accepted_values(column := status)"
run_materia plan
expect_code 2 "missing argument"
expect_err "error: models/orders.sql:1:44: audit accepted_values needs argument 'is_in', e.g. accepted_values(column := status, is_in := ('new', 'done'))" \
  "missing argument message"
bad_model "at_least_one(column := (id, status))"
run_materia plan
expect_code 2 "a list where one column is expected"
expect_err "error: models/orders.sql:1:57: argument 'column' of audit at_least_one takes one value, not a list" \
  "list argument message"
bad_model "not_null"
cat > audits/broken.sql <<'SQL'
AUDIT (name positive_again, blockng false);
SELECT 1;
SQL
run_materia plan
expect_code 2 "unknown audit property"
expect_err "error: audits/broken.sql:1:29: unknown audit property 'blockng' (known: name, blocking, defaults, description, dialect, skip)" \
  "unknown audit property message"
cat > audits/broken.sql <<'SQL'
AUDIT (blocking false);
SELECT 1;
SQL
run_materia plan
expect_code 2 "audit without a name"
expect_err "error: audits/broken.sql:1:1: AUDIT has no name" "missing audit name message"
cat > audits/broken.sql <<'SQL'
AUDIT (name assert_positive);
SELECT 1;
SQL
run_materia plan
expect_code 2 "an audit defined twice"
expect_err "error: audits/positive.sql:2:1: audit assert_positive is also defined in audits/broken.sql" \
  "duplicate audit message"
cat > audits/broken.sql <<'SQL'
AUDIT (name lonely);
SQL
run_materia plan
expect_code 2 "an audit without a query"
expect_err "error: audits/broken.sql:2:1: audit lonely has no query after its header" "missing query message"
rm audits/broken.sql
bad_model "not_null(columns := (id))"

run_materia audit --model raw.nope
expect_code 2 "audit of an unknown model"
expect_err "error: unknown model 'raw.nope'" "unknown model message"

# model_defaults audits run on every model, before its own.
sed -i "s/model_defaults: {dialect: duckdb, start: '2024-01-01', cron: '@daily'}/model_defaults: {dialect: duckdb, start: '2024-01-01', cron: '@daily', audits: ['number_of_rows(threshold := 5)']}/" config.yaml
run_materia audit --model serving.totals
expect_code 1 "a default audit fails on a model that has none of its own"
expect_out "number_of_rows" "the default audit is named"
sed -i "s/'number_of_rows(threshold := 5)'/'number_of_rows(threshold := 1)'/" config.yaml
run_materia audit --model serving.totals
expect_code 0 "the default audit passes"
sed -i "s/'number_of_rows(threshold := 1)'/'no_such_audit'/" config.yaml
run_materia audit
expect_code 2 "an unknown default audit"
expect_err "error: config.yaml:5:82: unknown audit 'no_such_audit' (built-ins: accepted_range, accepted_values, at_least_one, forall, not_accepted_values, not_constant, not_empty_string, not_null, number_of_rows, sequential_values, unique_combination_of_columns, unique_values; custom audits come from audits/*.sql)" \
  "the message points into config.yaml"

finish
