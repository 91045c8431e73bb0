#!/usr/bin/env bash
# Every bad input a user can produce gets one clear line, file:line:col where it comes
# from a file, and exit code 2 or more; nothing committed is lost.
source "$(dirname "$0")/lib.sh"

new_project() {
  rm -rf proj && mkdir -p proj/models
  write_config proj
  cat > proj/models/good.sql <<'SQL'
MODEL (name s.good, kind FULL);
SELECT 1 AS x
SQL
}

expect_error() {  # expect_error MESSAGE DESCRIPTION (runs `materia -p proj plan`)
  run_materia -p proj plan
  if [ "$CODE" -ge 2 ]; then ok; else fail "$2: exit $CODE"; fi
  expect_err "$1" "$2"
}

new_project
printf 'MODEL (name s.a, kind FUL);\nSELECT 1\n' > proj/models/a.sql
expect_error "error: models/a.sql:1:23: unknown kind 'FUL'" "unknown kind"

new_project
printf 'MODEL (name s.a, kind FULL, nmae x);\nSELECT 1\n' > proj/models/a.sql
expect_error "error: models/a.sql:1:29: unknown property 'nmae'" "unknown property"

new_project
printf 'MODEL (kind FULL);\nSELECT 1\n' > proj/models/a.sql
expect_error "error: models/a.sql:1:1: MODEL has no name" "missing name"

new_project
printf 'MODEL (name s.a, kind FULL;\nSELECT 1\n' > proj/models/a.sql
run_materia -p proj plan
expect_code 2 "malformed header"
if grep -qE '^error: models/a\.sql:[0-9]+:[0-9]+: ' <<<"$ERR"; then ok; else fail "malformed header message: $ERR"; fi

new_project
printf "MODEL (name s.a, kind INCREMENTAL_BY_TIME_RANGE (time_column ds), cron '61 * * * *');\nSELECT DATE '2024-01-01' AS ds\n" > proj/models/a.sql
expect_error "error: models/a.sql:1:72: invalid cron '61 * * * *': minute field: 61 is out of range 0-59" "bad cron"

new_project
printf 'MODEL (name s.a, kind FULL);\nSELECT @nope AS x\n' > proj/models/a.sql
expect_error "error: models/a.sql:2:8: unknown macro @nope" "unknown macro"

new_project
printf 'MODEL (name s.a, kind FULL);\n\nSELECT x\nFORM t\n' > proj/models/a.sql
run_materia -p proj plan
expect_code 2 "syntax error"
if grep -qxF 'error: models/a.sql:4:6: syntax error at or near "t"' <<<"$ERR"; then ok; else fail "syntax error message: $ERR"; fi

new_project
printf 'MODEL (name s.a, kind FULL);\nSELECT * FROM s.b\n' > proj/models/a.sql
printf 'MODEL (name s.b, kind FULL);\nSELECT * FROM s.a\n' > proj/models/b.sql
expect_error "error: models/a.sql:1:1: cycle: s.a -> s.b -> s.a" "cycle"

new_project
printf "MODEL (name s.a, kind SEED (path '../seeds/missing.csv'));\n" > proj/models/a.sql
expect_error "error: models/a.sql:1:1: seed file seeds/missing.csv does not exist" "missing seed"

new_project
printf 'gateways: [unclosed\n' > proj/config.yaml
run_materia -p proj plan
expect_code 2 "bad yaml"
if grep -qE '^error: config\.yaml:[0-9]+:[0-9]+: ' <<<"$ERR"; then ok; else fail "bad yaml message: $ERR"; fi

new_project
printf 'modle_defaults: {}\n' >> proj/config.yaml
expect_error "error: config.yaml:6:1: unknown key 'modle_defaults'" "unknown config key"

new_project
run_materia -p nowhere plan
expect_code 2 "missing project"
expect_err "error: project directory nowhere does not exist" "missing project message"

new_project
rm proj/config.yaml
run_materia -p proj check
expect_code 2 "check exits 2 on error"

new_project
run_materia -p proj run
expect_code 2 "run before any plan"
expect_err "error: environment 'prod' does not exist: run \`materia plan prod --auto-apply\` first" "run before plan"

new_project
run_materia -p proj plan Bad-Env
expect_code 2 "bad environment name"
expect_err "error: invalid environment name 'Bad-Env': use lower-case letters, digits and _ (at most 48)" "bad env message"

# An unwritable warehouse path: one line, nothing created.
new_project
sed -i 's#warehouse.duckdb#/proc/materia/warehouse.duckdb#' proj/config.yaml
run_materia -p proj plan --auto-apply
expect_code 2 "unwritable warehouse"
if grep -qE '^error: cannot open DuckDB database /proc/materia/warehouse.duckdb' <<<"$ERR"; then ok; else fail "unwritable message: $ERR"; fi

# Files too large to be models or seeds: one line naming the file.
new_project
{ printf 'MODEL (name s.a, kind FULL);\nSELECT 1 AS x\n-- '; head -c 68000000 /dev/zero | tr '\0' 'x'; } > proj/models/a.sql
expect_error "error: models/a.sql is larger than 67108864 bytes, the limit for a model or seed file" "model file too large"

new_project
mkdir -p proj/seeds
head -c 68000000 /dev/zero | tr '\0' 'x' > proj/seeds/big.csv
printf "MODEL (name s.a, kind SEED (path '../seeds/big.csv'));\n" > proj/models/a.sql
expect_error "error: models/a.sql:1:1: seeds/big.csv is larger than 67108864 bytes, the limit for a model or seed file" "seed file too large"

# An unwritable state store path: one line naming it.
new_project
touch proj/.materia
run_materia -p proj plan
expect_code 2 "unwritable state directory"
expect_err "error: cannot create directory .materia: Not a directory" "unwritable state message"

# A failing model keeps what was committed: prod stays as it was.
new_project
run_materia -p proj plan --auto-apply
expect_code 0 "good project applies"
printf 'MODEL (name s.good, kind FULL);\nSELECT no_such_column FROM range(3)\n' > proj/models/good.sql
run_materia -p proj plan --auto-apply
expect_code 1 "failing model exits 1"
expect_out "models/good.sql: Binder Error" "failure names the model file"
run_materia -p proj sql "SELECT x FROM s.good" --format csv
expect_out "1" "prod still serves the last good data"

finish
