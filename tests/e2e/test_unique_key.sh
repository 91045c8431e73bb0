#!/usr/bin/env bash
# INCREMENTAL_BY_UNIQUE_KEY: each interval's rows are upserted on the key (matched rows
# updated by column name, new ones inserted); a key twice in one batch is an error;
# when_matched and merge_filter shape the MERGE; mistakes in the kind are one line.
source "$(dirname "$0")/lib.sh"

mkdir -p proj/models proj/data
write_config proj
cat > proj/data/updates.csv <<'CSV'
updated_at,id,name,tier
2024-01-01,1,ann,free
2024-01-01,2,bob,free
2024-01-02,2,bobby,paid
2024-01-02,3,cy,free
2024-01-03,1,anne,paid
CSV
cat > proj/models/customers.sql <<'SQL'
MODEL (
  name core.customers,
  kind INCREMENTAL_BY_UNIQUE_KEY (unique_key id, batch_size 1),
  cron '@daily',
  start '2024-01-01',
  end '2024-01-04',
  audits (unique_values(columns := (id)))
);
-- Columns in another order than the table's: the upsert goes by name.
SELECT tier, name, id, CAST(updated_at AS DATE) AS updated_at
FROM read_csv('data/updates.csv', header = true)
WHERE CAST(updated_at AS DATE) BETWEEN @start_ds AND @end_ds
SQL
cd proj

run_materia plan
expect_out "core.customers" "plan lists the model"
expect_out "[2024-01-01, 2024-01-04)" "plan shows the intervals"
run_materia apply
expect_code 0 "apply upserts day by day"
run_materia sql "SELECT string_agg(id || ':' || name || ':' || tier, ' ' ORDER BY id) AS rows FROM core.customers" --format csv
expect_out "1:anne:paid 2:bobby:paid 3:cy:free" "latest row per key, matched by name"
run_materia check
expect_code 1 "nothing left to do"

# A batch with the same key twice fails clearly and commits nothing.
cat >> data/updates.csv <<'CSV'
2024-01-03,3,cyril,paid
2024-01-03,3,cy2,free
CSV
run_materia run
expect_code 1 "a duplicated key fails the run"
expect_out "the query returned 2 rows with unique_key (id) = (3): each key must appear once per batch" \
  "the duplicate is named"
run_materia sql "SELECT name FROM core.customers WHERE id = 3" --format csv
expect_out "cy" "the failed batch changed nothing"

# when_matched: only the name is updated; merge_filter: rows of tier 'paid' are never touched.
cat > data/updates.csv <<'CSV'
updated_at,id,name,tier
2024-01-01,1,ann,free
2024-01-01,2,bob,paid
2024-01-02,1,ANN,gold
2024-01-02,2,BOB,gold
CSV
cat > models/customers.sql <<'SQL'
MODEL (
  name core.customers,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key (id),
    when_matched (WHEN MATCHED THEN UPDATE SET name = source.name),
    merge_filter (target.tier <> 'paid'),
    batch_size 1
  ),
  cron '@daily',
  start '2024-01-01',
  end '2024-01-03'
);
SELECT id, name, tier FROM read_csv('data/updates.csv', header = true)
WHERE CAST(updated_at AS DATE) BETWEEN @start_ds AND @end_ds
SQL
run_materia plan --auto-apply
expect_code 0 "a new version with when_matched applies"
run_materia sql "SELECT string_agg(id || ':' || name || ':' || tier, ' ' ORDER BY id) AS rows FROM core.customers" --format csv
expect_out "1:ANN:free 2:bob:paid 2:BOB:gold" "name updated, tier kept; the paid row was not matched, so it was inserted"

# Composite keys are compared as columns (a text containing the separator is no
# duplicate), and a quoted key column may contain a quote.
cat > models/pairs.sql <<'SQL'
MODEL (name core.pairs, kind INCREMENTAL_BY_UNIQUE_KEY (unique_key (a, "b's")), start '2024-01-01', end '2024-01-02');
SELECT 'x, y' AS a, 'z' AS "b's", 1 AS v UNION ALL SELECT 'x', 'y, z', 2 UNION ALL SELECT NULL, 'NULL', 3
UNION ALL SELECT 'NULL', NULL, 4
SQL
run_materia plan --auto-apply
expect_code 0 "keys that only print alike are not duplicates"
run_materia sql "SELECT count(*) FROM core.pairs" --format csv
expect_out "4" "all four rows upserted"
rm models/pairs.sql

# Restating a unique-key model rebuilds it whole: rows that are gone from the source go.
printf 'updated_at,id,name,tier\n2024-01-01,1,ann,free\n' > data/updates.csv
run_materia plan --restate-model core.customers --auto-apply
expect_code 0 "a unique-key model is restated"
expect_out "rebuilt whole" "the reason says it is rebuilt whole"
run_materia sql "SELECT string_agg(id || ':' || name, ' ' ORDER BY id) AS rows FROM core.customers" --format csv
expect_out "1:ann" "only the rows the source still has"
run_materia sql "SELECT count(*) FROM core.customers" --format csv
expect_out "1" "stale rows are gone"

# Mistakes in the kind.
cat > models/customers.sql <<'SQL'
MODEL (name core.customers, kind INCREMENTAL_BY_UNIQUE_KEY (batch_size 1));
SELECT 1 AS id
SQL
run_materia plan
expect_code 2 "a unique-key model without a key"
expect_err "error: models/customers.sql:1:34: kind INCREMENTAL_BY_UNIQUE_KEY needs a unique_key, e.g. kind INCREMENTAL_BY_UNIQUE_KEY (unique_key (id))" \
  "missing key message"
cat > models/customers.sql <<'SQL'
MODEL (name core.customers, kind INCREMENTAL_BY_UNIQUE_KEY (unique_key id, when_matched (UPDATE x)));
SELECT 1 AS id
SQL
run_materia plan
expect_code 2 "when_matched that is not a MERGE clause"
expect_err "error: models/customers.sql:1:89: when_matched takes MERGE clauses, e.g. when_matched (WHEN MATCHED THEN UPDATE SET v = source.v)" \
  "when_matched message"
cat > models/customers.sql <<'SQL'
MODEL (name core.customers, kind INCREMENTAL_BY_UNIQUE_KEY (unique_key id, time_column ds));
SELECT 1 AS id
SQL
run_materia plan
expect_code 2 "a time-range property on a unique-key model"
expect_err "error: models/customers.sql:1:76: property 'time_column' does not belong to kind INCREMENTAL_BY_UNIQUE_KEY" \
  "property message"

finish
