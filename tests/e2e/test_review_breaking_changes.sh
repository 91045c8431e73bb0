#!/usr/bin/env bash
# Adding a column is non-breaking only when it cannot change the rows the model
# produces. Adding a column under DISTINCT or GROUP BY ALL, adding a set-returning
# unnest(), or changing a post-statement alongside the new column all change the rows,
# so the children must be rebuilt (breaking), not left serving figures that no longer
# match their parent.
source "$(dirname "$0")/lib.sh"

mkdir -p proj/models proj/data
printf 'id,v\n1,10\n1,20\n2,30\n' > proj/data/a.csv
write_config proj
cat > proj/models/src.sql <<'SQL'
MODEL (name raw.src, kind FULL);
SELECT id, v FROM read_csv('data/*.csv', header = true)
SQL
cat > proj/models/distinct_ids.sql <<'SQL'
MODEL (name staging.distinct_ids, kind FULL);
SELECT DISTINCT id FROM raw.src
SQL
cat > proj/models/distinct_count.sql <<'SQL'
MODEL (name serving.distinct_count, kind FULL);
SELECT count(*) AS n FROM staging.distinct_ids
SQL
cat > proj/models/grouped.sql <<'SQL'
MODEL (name staging.grouped, kind FULL);
SELECT id, sum(v) AS total FROM raw.src GROUP BY ALL
SQL
cat > proj/models/grouped_count.sql <<'SQL'
MODEL (name serving.grouped_count, kind FULL);
SELECT count(*) AS n FROM staging.grouped
SQL
cat > proj/models/exploded.sql <<'SQL'
MODEL (name staging.exploded, kind FULL);
SELECT id FROM raw.src
SQL
cat > proj/models/exploded_count.sql <<'SQL'
MODEL (name serving.exploded_count, kind FULL);
SELECT count(*) AS n FROM staging.exploded
SQL
cat > proj/models/filtered.sql <<'SQL'
MODEL (name staging.filtered, kind FULL);
SELECT id, v FROM raw.src
SQL
cat > proj/models/filtered_total.sql <<'SQL'
MODEL (name serving.filtered_total, kind FULL);
SELECT sum(v) AS total FROM staging.filtered
SQL
cd proj

run_materia plan --auto-apply
expect_code 0 "first apply"

cat > models/distinct_ids.sql <<'SQL'
MODEL (name staging.distinct_ids, kind FULL);
SELECT DISTINCT id, v FROM raw.src
SQL
cat > models/grouped.sql <<'SQL'
MODEL (name staging.grouped, kind FULL);
SELECT id, v, sum(v) AS total FROM raw.src GROUP BY ALL
SQL
cat > models/exploded.sql <<'SQL'
MODEL (name staging.exploded, kind FULL);
SELECT id, unnest([1, 2]) AS copy FROM raw.src
SQL
cat > models/filtered.sql <<'SQL'
MODEL (name staging.filtered, kind FULL);
SELECT id, v, v * 2 AS doubled FROM raw.src;
DELETE FROM @this_model WHERE v > 15;
SQL
run_materia plan
expect_code 0 "plan"
for model in staging.distinct_ids staging.grouped staging.exploded staging.filtered; do
  expect_out "$(printf '  ~ %-40s directly modified, breaking' "$model")" "$model: a column that changes the rows is breaking"
done
expect_no_out "non-breaking" "no change here is non-breaking"

run_materia apply
expect_code 0 "apply"
run_materia sql "SELECT (SELECT count(*) FROM staging.distinct_ids) = (SELECT n FROM serving.distinct_count) AS same" --format csv
expect_out "true" "DISTINCT: the child counts the rows its parent has"
run_materia sql "SELECT (SELECT count(*) FROM staging.grouped) = (SELECT n FROM serving.grouped_count) AS same" --format csv
expect_out "true" "GROUP BY ALL: the child counts the rows its parent has"
run_materia sql "SELECT (SELECT count(*) FROM staging.exploded) = (SELECT n FROM serving.exploded_count) AS same" --format csv
expect_out "true" "unnest: the child counts the rows its parent has"
run_materia sql "SELECT (SELECT sum(v) FROM staging.filtered) = (SELECT total FROM serving.filtered_total) AS same" --format csv
expect_out "true" "post-statement: the child sums the rows its parent kept"

finish
