#!/usr/bin/env bash
# Columns qualified by schema and table (raw.orders.id) still bind after a run points
# the references at physical tables, also when two schemas have a table of that name.
source "$(dirname "$0")/lib.sh"

mkdir -p proj/models
write_config proj
cat > proj/models/raw_orders.sql <<'SQL'
MODEL (name raw.orders, kind FULL);
SELECT 1 AS id, 10 AS amount UNION ALL SELECT 2, 20
SQL
cat > proj/models/stg_orders.sql <<'SQL'
MODEL (name stg.orders, kind FULL);
SELECT raw.orders.id, 'ok' AS status FROM raw.orders WHERE raw.orders.amount > 15
SQL
cat > proj/models/mart_orders.sql <<'SQL'
MODEL (name mart.orders, kind VIEW);
SELECT raw.orders.id, raw.orders.amount, stg.orders.status
FROM raw.orders JOIN stg.orders ON raw.orders.id = stg.orders.id
SQL
cd proj

run_materia plan --auto-apply
expect_code 0 "schema-qualified columns run"
run_materia sql "SELECT id || ':' || amount || ':' || status FROM mart.orders" --format csv
expect_out "2:20:ok" "the join of two tables named orders"
run_materia render mart.orders
expect_out 'AS "raw__orders"' "each gets an alias of its own"

finish
