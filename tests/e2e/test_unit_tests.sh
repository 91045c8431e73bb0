#!/usr/bin/env bash
# Unit tests in SQLMesh's format: `materia test` runs tests/test*.yaml against fixture
# rows and shows what differs; `materia create_test` writes a test from the warehouse's
# data. Exit 0 all passed, 1 a test failed, 2 bad input (one line naming file:line:col).
source "$(dirname "$0")/lib.sh"

new_project() {
  rm -rf proj && mkdir -p proj/models proj/tests proj/seeds
  write_config proj
  cat > proj/seeds/items.csv <<'CSV'
item_id,name
1,apple
2,pear
CSV
  cat > proj/models/items.sql <<'SQL'
MODEL (name s.items, kind SEED (path '../seeds/items.csv'));
SQL
  cat > proj/models/orders.sql <<'SQL'
MODEL (name s.orders, kind FULL);
SELECT * FROM (VALUES (1, 1, DATE '2024-01-01'), (2, 1, DATE '2024-01-02'), (3, 2, DATE '2024-01-02'))
  AS t(id, item_id, ds)
SQL
  cat > proj/models/per_item.sql <<'SQL'
MODEL (name s.per_item, kind FULL);
WITH recent AS (
  SELECT * FROM s.orders WHERE ds BETWEEN @start_date AND @end_date
)
SELECT i.name, count(*) AS orders, max(o.ds) AS last_ds
FROM recent AS o JOIN s.items AS i USING (item_id)
GROUP BY i.name
SQL
}

write_test() {  # write_test FILE: the test file from stdin
  cat > "proj/tests/$1"
}

# --- A passing suite ----------------------------------------------------------------------
new_project
write_test test_per_item.yaml <<'YAML'
test_per_item:
  model: s.per_item
  description: counts the orders of each item in the interval
  inputs:
    s.orders:
      rows:
        - {id: 1, item_id: 1, ds: 2024-01-01}
        - {id: 2, item_id: 1, ds: '2024-01-02'}
        - {id: 3, item_id: 2, ds: 2024-02-01}
  outputs:
    query:
      rows:
        - {name: apple, orders: 2, last_ds: '2024-01-02'}
    ctes:
      recent:
        partial: true
        rows: [{id: 1}, {id: 2}]
  vars: {start: 2024-01-01, end: 2024-01-31}
YAML
run_materia -p proj test
expect_code 0 "passing suite"
expect_out "ok      test_per_item  tests/test_per_item.yaml:1:1" "passing line"
expect_out "1 test: 1 passed, 0 failed, 0 errors in " "passing summary"

run_materia -p proj test --format json
expect_code 0 "json report"
expect_out '"status": "passed"' "json status"

# --- A failing test shows the rows that differ ------------------------------------------
write_test test_wrong.yaml <<'YAML'
test_wrong:
  model: s.per_item
  inputs:
    s.orders:
      - {id: 1, item_id: 1, ds: '2024-01-01'}
      - {id: 2, item_id: 2, ds: '2024-01-01'}
  outputs:
    query:
      - {name: apple, orders: 3, last_ds: '2024-01-01'}
      - {name: fig, orders: 1, last_ds: '2024-01-01'}
  vars: {start: 2024-01-01, end: 2024-01-01}
YAML
run_materia -p proj test
expect_code 1 "failing suite"
expect_out "FAILED  test_wrong     tests/test_wrong.yaml:1:1" "failed line"
expect_out "  the query output of s.per_item differs (2 rows differ):" "diff headline"
expect_out "      exp  apple   3 *     2024-01-01" "expected cell marked"
expect_out "      act  apple   1 *     2024-01-01" "actual cell marked"
expect_out "      exp  fig *   1       2024-01-01" "differing name marked"
expect_out "2 tests: 1 passed, 1 failed, 0 errors in " "failing summary"

# Selecting: a file, file::test, a test name (from another directory, -p after the command).
run_materia -p proj test tests/test_per_item.yaml
expect_code 0 "select a file"
expect_no_out "test_wrong" "other file not run"
run_materia test proj/tests/test_wrong.yaml::test_wrong -p proj
expect_code 1 "select file::test relative to the user"
expect_out "FAILED  test_wrong" "selected test ran"
run_materia -p proj test test_per_item
expect_code 0 "select by name"
run_materia -p proj test test_nope
expect_code 2 "unknown selector"
expect_err "error: no test matches 'test_nope'" "unknown selector message"
rm proj/tests/test_wrong.yaml

# --- Bad input: one line, file:line:col, exit 2 --------------------------------------
expect_test_error() {  # expect_test_error MESSAGE DESCRIPTION (file tests/test_bad.yaml from stdin)
  write_test test_bad.yaml
  run_materia -p proj test
  expect_code 2 "$2"
  expect_err "$1" "$2"
}

printf 'test_a:\n  model: [s.per_item\n' |
  expect_test_error "error: tests/test_bad.yaml:3:1: end of sequence flow not found" "yaml syntax error"
printf 'test_a:\n  outputs:\n    query: []\n' |
  expect_test_error "error: tests/test_bad.yaml:1:1: test 'test_a' has no model" "missing model"
printf 'test_a:\n  model: s.per_item\n  inputs: {s.orders: []}\n' |
  expect_test_error "error: tests/test_bad.yaml:1:1: test 'test_a' has no outputs" "missing outputs"
printf 'test_a:\n  model: s.nope\n  outputs:\n    query: []\n' |
  expect_test_error "error: tests/test_bad.yaml:2:10: test 'test_a' names unknown model 's.nope'" "unknown model"
printf 'test_a:\n  model: s.per_item\n  inputs:\n    s.orders: []\n    s.custmers: []\n  outputs:\n    query: []\n' |
  expect_test_error "error: tests/test_bad.yaml:5:5: input s.custmers is not an upstream of s.per_item (it reads s.items, s.orders)" "unknown input"
printf 'test_a:\n  model: s.per_item\n  inputs:\n    s.orders:\n      format: xlsx\n      rows: []\n  outputs:\n    query: []\n' |
  expect_test_error "error: tests/test_bad.yaml:5:15: unsupported format 'xlsx' for s.orders (use yaml or csv)" "bad format"
printf 'test_a:\n  model: s.per_item\n  inputs:\n    s.orders:\n      format: csv\n      path: tests/data/orders.csv\n  outputs:\n    query: []\n' |
  expect_test_error "error: tests/test_bad.yaml:6:13: file tests/data/orders.csv does not exist" "csv path missing"

# A column that is not the upstream's: that test is an error, the others still run.
write_test test_bad.yaml <<'YAML'
test_a:
  model: s.per_item
  inputs:
    s.orders:
      - {id: 1, itm_id: 1}
  outputs:
    query: []
YAML
run_materia -p proj test
expect_code 2 "column mismatch"
expect_out "ERROR   test_a         tests/test_bad.yaml:1:1" "column mismatch line"
expect_out "  tests/test_bad.yaml:5:17: column 'itm_id' is not a column of s.orders (its columns: id, item_id, ds)" "column mismatch message"
expect_out "ok      test_per_item" "other tests still run"
rm proj/tests/test_bad.yaml

# The CSV path exists: rows come from the file.
mkdir -p proj/tests/data
printf 'id,item_id,ds\n1,2,2024-01-05\n' > proj/tests/data/orders.csv
write_test test_csv.yaml <<'YAML'
test_csv:
  model: s.per_item
  inputs:
    s.orders: {format: csv, path: tests/data/orders.csv}
  outputs:
    query: [{name: pear, orders: 1, last_ds: 2024-01-05}]
  vars: {start: 2024-01-01, end: 2024-01-31}
YAML
run_materia -p proj test test_csv
expect_code 0 "csv fixture from a file"

# --- create_test: a test from the warehouse's data -----------------------------------
run_materia -p proj plan --auto-apply
expect_code 0 "apply"
# The default file holds a test of the default name already: refused, nothing written.
cp proj/tests/test_per_item.yaml before.yaml
run_materia -p proj create_test s.per_item --query s.orders "SELECT * FROM s.orders WHERE id <= 2" \
  --var start 2024-01-01 --var end 2024-01-31
expect_code 2 "create_test refuses an existing name"
expect_err "error: tests/test_per_item.yaml:1:1: a test named 'test_per_item' exists already (choose another with --name)" "existing name message"
if cmp -s before.yaml proj/tests/test_per_item.yaml; then ok; else fail "a refused create_test changed the file"; fi

# Another name: appended to the file, and both tests pass.
run_materia -p proj create_test s.per_item --query s.orders "SELECT * FROM s.orders WHERE id <= 2" \
  --var start 2024-01-01 --var end 2024-01-31 --name test_from_data
expect_code 0 "create_test appends"
expect_out "Wrote test 'test_from_data' to tests/test_per_item.yaml: 2 input rows, 1 expected row" "create_test says what it wrote"
run_materia -p proj test tests/test_per_item.yaml
expect_code 0 "appended test passes"
expect_out "ok      test_from_data" "appended test ran"
expect_out "2 tests: 2 passed" "both tests in the file ran"

# Another file: SQLMesh's layout, with the warehouse's types as `columns`.
run_materia -p proj create_test s.per_item --query s.orders "SELECT * FROM s.orders WHERE id <= 2" \
  --var start 2024-01-01 --var end 2024-01-31 --path tests/test_generated.yaml
expect_code 0 "create_test to a new file"
if grep -qxF "        item_id: INTEGER" proj/tests/test_generated.yaml &&
   grep -qxF "          ds: '2024-01-02'" proj/tests/test_generated.yaml &&
   grep -qxF "        - name: 'apple'" proj/tests/test_generated.yaml; then
  ok
else
  fail "generated test content: $(cat proj/tests/test_generated.yaml)"
fi
run_materia -p proj test tests/test_generated.yaml
expect_code 0 "generated test passes"

run_materia -p proj create_test s.per_item --query s.customers "SELECT 1"
expect_code 2 "create_test unknown input"
expect_err "error: --query s.customers: s.customers is not an upstream of s.per_item (it reads s.items, s.orders)" "create_test unknown input message"
run_materia -p proj create_test s.nope --query s.orders "SELECT 1"
expect_code 2 "create_test unknown model"
expect_err "error: unknown model 's.nope'" "create_test unknown model message"

run_materia test --help
expect_code 0 "test --help"
expect_out "tests/test*.yaml" "test help text"
run_materia create_test --help
expect_code 0 "create_test --help"
expect_out "--query" "create_test help text"

finish
