#!/usr/bin/env bash
# Removing a model that another model reads changes that model's input (it now reads
# a table that is gone): the plan must not call it non-breaking and keep serving data
# computed from the removed model.
source "$(dirname "$0")/lib.sh"

mkdir -p proj/models proj/data
printf 'id,v\n1,10\n2,20\n' > proj/data/a.csv
write_config proj
cat > proj/models/a.sql <<'SQL'
MODEL (name raw.a, kind FULL);
SELECT id, v FROM read_csv('data/*.csv', header = true)
SQL
cat > proj/models/c.sql <<'SQL'
MODEL (name serving.c, kind FULL);
SELECT sum(v) AS total FROM raw.a
SQL
cd proj

run_materia plan --auto-apply
expect_code 0 "first apply"
rm models/a.sql
# serving.c still reads raw.a, which is no longer a model: the plan refuses, naming
# both, rather than let serving.c read a view that the plan would drop.
run_materia plan
expect_code 2 "removing a model that is still read is refused"
expect_err "error: models/c.sql:1:1: serving.c reads raw.a, which is no longer a model of the project" "the refusal names the reader and the removed model"
run_materia sql "SELECT count(*) AS n FROM raw.a" --format csv
expect_code 0 "prod is unchanged by the refused plan"

finish
