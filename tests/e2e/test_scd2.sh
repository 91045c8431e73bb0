#!/usr/bin/env bash
# SCD_TYPE_2_BY_TIME and SCD_TYPE_2_BY_COLUMN: the query gives the source as it is now;
# each run closes changed rows (valid_to) and opens new ones (valid_from), closes keys
# gone from the source, and keeps the history across code changes (forward-only).
source "$(dirname "$0")/lib.sh"

mkdir -p proj/models proj/data
write_config proj
cat > proj/data/menu.csv <<'CSV'
id,name,price,updated_at
1,Chicken Sandwich,10.99,2020-01-01 00:00:00
2,Cheeseburger,8.99,2020-01-01 00:00:00
3,French Fries,4.99,2020-01-01 00:00:00
CSV
cat > proj/models/menu.sql <<'SQL'
MODEL (
  name core.menu,
  kind SCD_TYPE_2_BY_TIME (unique_key id),
  grain (id, valid_from)  -- a column the table adds to the query's
);
SELECT id, name, price, CAST(updated_at AS TIMESTAMP) AS updated_at
FROM read_csv('data/menu.csv', header = true)
SQL
cat > proj/models/menu_by_column.sql <<'SQL'
MODEL (
  name core.menu_by_column,
  kind SCD_TYPE_2_BY_COLUMN (unique_key id, columns [name, price], valid_from_name since, valid_to_name until),
  audits (not_null(columns := (since)))
);
SELECT id, name, price FROM read_csv('data/menu.csv', header = true)
SQL
cd proj

history() {  # history MODEL FROM TO: every row as id:name:price:from:to (execution times as 'run')
  run_materia sql "SELECT string_agg(id || ':' || name || ':' || price || ':' ||
      CASE WHEN $2 > TIMESTAMP '2025-01-01' THEN 'run' ELSE strftime($2, '%Y-%m-%d') END || ':' ||
      CASE WHEN $3 IS NULL THEN 'open' WHEN $3 > TIMESTAMP '2025-01-01' THEN 'run' ELSE strftime($3, '%Y-%m-%d') END,
      ' ' ORDER BY id, $2) AS h FROM $1" --format csv
}

run_materia plan --auto-apply
expect_code 0 "first load"
history core.menu valid_from valid_to
expect_out "1:Chicken Sandwich:10.99:1970-01-01:open 2:Cheeseburger:8.99:1970-01-01:open 3:French Fries:4.99:1970-01-01:open" \
  "the first load starts every row at 1970-01-01"
history core.menu_by_column since until
expect_out "1:Chicken Sandwich:10.99:1970-01-01:open 2:Cheeseburger:8.99:1970-01-01:open" \
  "BY_COLUMN names its history columns as told"

# A price change, a deleted row, a new row.
cat > data/menu.csv <<'CSV'
id,name,price,updated_at
1,Chicken Sandwich,12.99,2020-01-02 00:00:00
3,French Fries,4.99,2020-01-01 00:00:00
4,Milkshake,3.99,2020-01-02 00:00:00
CSV
run_materia run
expect_code 0 "second run"
expect_out "source data changed: data/menu.csv" "the run says why"
history core.menu valid_from valid_to
expect_out "1:Chicken Sandwich:10.99:1970-01-01:2020-01-02 1:Chicken Sandwich:12.99:2020-01-02:open 2:Cheeseburger:8.99:1970-01-01:run 3:French Fries:4.99:1970-01-01:open 4:Milkshake:3.99:2020-01-02:open" \
  "BY_TIME: changed rows close at updated_at, deleted ones at the run, new ones start at updated_at"
history core.menu_by_column since until
expect_out "1:Chicken Sandwich:10.99:1970-01-01:run 1:Chicken Sandwich:12.99:run:open 2:Cheeseburger:8.99:1970-01-01:run 3:French Fries:4.99:1970-01-01:open 4:Milkshake:3.99:run:open" \
  "BY_COLUMN: changes and new rows are dated by the run"

# The deleted row comes back, another is renamed; an unchanged source changes nothing.
cat > data/menu.csv <<'CSV'
id,name,price,updated_at
1,Chicken Sandwich,12.99,2020-01-02 00:00:00
2,Cheeseburger,8.99,2020-01-03 00:00:00
3,French Fries,4.99,2020-01-01 00:00:00
4,Chocolate Milkshake,3.99,2020-01-03 00:00:00
CSV
run_materia run
expect_code 0 "third run"
history core.menu valid_from valid_to
# Back after a delete: it starts at its updated_at, but not before it was closed (here
# the run that saw it gone).
expect_out "2:Cheeseburger:8.99:1970-01-01:run 2:Cheeseburger:8.99:run:open" \
  "a row back after a delete starts no earlier than its deletion"
expect_out "4:Milkshake:3.99:2020-01-02:2020-01-03 4:Chocolate Milkshake:3.99:2020-01-03:open" "a rename closes the old row"
run_materia sql "SELECT count(*) FILTER (WHERE until IS NULL) || '/' || count(*) FROM core.menu_by_column" --format csv
expect_out "4/7" "BY_COLUMN: one open row per key, seven in all"
run_materia run
expect_out "0 ran" "nothing changed, nothing runs"
run_materia check
expect_code 1 "check agrees"

# A code change keeps the history (SCD kinds are forward-only): the new column is added.
sed -i 's/SELECT id, name, price, CAST/SELECT id, name, price, upper(name) AS shout, CAST/' models/menu.sql
run_materia plan --auto-apply
expect_code 0 "a code change applies"
expect_out "forward-only" "the change is forward-only"
run_materia sql "SELECT count(*) || ':' || count(shout) FROM core.menu" --format csv
expect_out "7:0" "history kept, new column added empty"

# Restatement would lose history: refused by default.
run_materia plan --restate-model core.menu --auto-apply
expect_code 2 "restating an SCD model is refused by default"
expect_err "error: models/menu.sql:1:1: core.menu is SCD_TYPE_2_BY_TIME: restating it would lose its history (write disable_restatement false in its kind to allow it)" \
  "the refusal says why and how to allow it"
run_materia sql "SELECT count(*) FROM core.menu" --format csv
expect_out "7" "history intact"

# Mistakes are one line with file:line:col.
cat > models/bad.sql <<'SQL'
MODEL (name core.bad, kind SCD_TYPE_2_BY_COLUMN (unique_key id));
SELECT 1 AS id
SQL
run_materia plan
expect_code 2 "a kind without columns is refused"
expect_err "error: models/bad.sql:1:28: kind SCD_TYPE_2_BY_COLUMN needs the columns to compare, e.g. columns [name, price] or columns *" \
  "the message says what is missing"
rm models/bad.sql

# A key twice in the source is an error; nothing is written.
echo "3,Curly Fries,5.49,2020-01-04 00:00:00" >> data/menu.csv
run_materia run
expect_code 1 "a duplicated key fails the run"
expect_out "the query returned 2 rows with unique_key (id) = (3)" "the duplicate is named"
run_materia sql "SELECT count(*) FROM core.menu" --format csv
expect_out "7" "nothing half-written"

finish
