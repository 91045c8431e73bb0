#!/usr/bin/env bash
# A model that only adds a column is non-breaking on its own, but when its parent
# changed in a breaking way its data changes too: its children must get new tables.
# Otherwise applying the plan to dev rebuilds a child table that prod still serves.
source "$(dirname "$0")/lib.sh"

mkdir -p proj/models proj/data
printf 'id,v\n1,10\n2,20\n' > proj/data/a.csv
write_config proj
cat > proj/models/a.sql <<'SQL'
MODEL (name raw.a, kind FULL);
SELECT id, v FROM read_csv('data/*.csv', header = true)
SQL
cat > proj/models/b.sql <<'SQL'
MODEL (name staging.b, kind FULL);
SELECT id, v FROM raw.a
SQL
cat > proj/models/c.sql <<'SQL'
MODEL (name serving.c, kind FULL);
SELECT sum(v) AS total FROM staging.b
SQL
cd proj

run_materia plan --auto-apply
expect_code 0 "prod applies"
run_materia plan dev --auto-apply
expect_code 0 "dev starts as a copy of prod"

# In dev: a breaking filter on raw.a, and an added column on staging.b.
cat > models/a.sql <<'SQL'
MODEL (name raw.a, kind FULL);
SELECT id, v FROM read_csv('data/*.csv', header = true) WHERE v > 15
SQL
cat > models/b.sql <<'SQL'
MODEL (name staging.b, kind FULL);
SELECT id, v, v * 2 AS doubled FROM raw.a
SQL
run_materia plan dev
expect_out "$(printf '  ~ %-40s indirectly modified, breaking' serving.c)" "serving.c is breaking: its upstream data changed"
run_materia plan dev --auto-apply
expect_code 0 "dev applies"
run_materia sql "SELECT total FROM serving__dev.c" --format csv
expect_out "20" "dev sees the filter"
run_materia sql "SELECT total FROM serving.c" --format csv
expect_out "30" "prod still serves its own figure"

finish
