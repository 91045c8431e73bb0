#!/usr/bin/env bash
# DuckDB reads a file named in FROM directly (`FROM 'data/a.csv'`, a replacement
# scan). Such a file is a source like read_csv's: changing it makes the model stale.
source "$(dirname "$0")/lib.sh"

mkdir -p proj/models proj/data
printf 'id,v\n1,10\n' > proj/data/a.csv
write_config proj
cat > proj/models/src.sql <<'SQL'
MODEL (name raw.src, kind FULL);
SELECT id, v FROM 'data/a.csv'
SQL
cd proj

run_materia plan --auto-apply
expect_code 0 "first apply"
sleep 0.01
printf 'id,v\n1,10\n2,20\n' > data/a.csv
run_materia check
expect_code 0 "a changed file read by FROM makes work"
expect_out "raw.src" "check lists raw.src"
run_materia run
expect_action raw.src ran "raw.src re-runs"
run_materia sql "SELECT count(*) AS n FROM raw.src" --format csv
expect_out "2" "the new row is served"

finish
