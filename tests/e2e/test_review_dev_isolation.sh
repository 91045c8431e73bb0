#!/usr/bin/env bash
# Work done in a dev environment never changes what prod serves. Here a non-breaking
# change in dev leaves a child `SELECT *` sharing prod's table; running dev after new
# source data must not rewrite that table with dev's columns (which also breaks
# prod's view of it).
source "$(dirname "$0")/lib.sh"

mkdir -p proj/models proj/data
printf 'id,v\n1,10\n' > proj/data/a.csv
write_config proj
cat > proj/models/src.sql <<'SQL'
MODEL (name raw.src, kind FULL);
SELECT id, v FROM read_csv('data/*.csv', header = true)
SQL
cat > proj/models/s.sql <<'SQL'
MODEL (name staging.s, kind FULL);
SELECT id, v FROM raw.src
SQL
cat > proj/models/x.sql <<'SQL'
MODEL (name serving.x, kind FULL);
SELECT * FROM staging.s
SQL
cd proj

run_materia plan --auto-apply
expect_code 0 "prod applies"
run_materia plan dev --auto-apply
expect_code 0 "dev applies"

cat > models/s.sql <<'SQL'
MODEL (name staging.s, kind FULL);
SELECT id, v, 'dev only' AS note FROM raw.src
SQL
run_materia plan dev --auto-apply
expect_code 0 "dev takes the added column"

sleep 0.01
printf 'id,v\n1,10\n2,20\n' > data/a.csv
run_materia run dev
expect_code 0 "dev runs after new data"

run_materia sql "SELECT * FROM serving.x ORDER BY id" --format csv
expect_code 0 "prod's view still works"
expect_out "id,v" "prod's columns"
expect_no_out "dev only" "prod does not serve dev's column"
run_materia sql "SELECT count(*) AS n FROM serving__dev.x" --format csv
expect_out "2" "dev has the new data"

finish
