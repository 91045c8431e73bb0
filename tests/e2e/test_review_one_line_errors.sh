#!/usr/bin/env bash
# Errors are one line and name the model file: a source glob DuckDB cannot expand, and
# a model file that is not UTF-8.
source "$(dirname "$0")/lib.sh"

mkdir -p proj/models
cat > proj/config.yaml <<'YAML'
gateways:
  local:
    connection: {type: duckdb, database: warehouse.duckdb}
default_gateway: local
YAML
printf "MODEL (name raw.a, kind FULL);\nSELECT 1 AS x\n" > proj/models/a.sql
cd proj
run_materia plan --auto-apply
expect_code 0 "first apply"

printf "MODEL (name raw.remote, kind FULL);\nSELECT * FROM read_csv('s3://bucket/x/*.csv')\n" > models/remote.sql
run_materia plan --auto-apply
expect_code 1 "the model fails"
line=$(model_line raw.remote)
if grep -q "models/remote.sql" <<<"$line"; then ok; else fail "the failure names the file: ${line:-<missing>}"; fi
if grep -qE "^(LOAD|INSTALL|LINE|Please|Alternatively|SET) " <<<"$OUT"; then
  fail "the failure spans several lines: $OUT"
else
  ok
fi
run_materia check
expect_code 2 "check cannot version the source"
if [[ "$ERR" == "error: models/remote.sql"* ]]; then ok; else fail "check's error names the file: $ERR"; fi
rm models/remote.sql

printf "MODEL (name raw.latin, kind FULL);\nSELECT 'caf\xe9' AS name\n" > models/latin.sql
run_materia check
expect_code 2 "a file that is not UTF-8 is an error"
if [ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] && grep -qi "utf-8" <<<"$ERR"; then
  ok
else
  fail "the error says the file is not UTF-8: $ERR"
fi

finish
