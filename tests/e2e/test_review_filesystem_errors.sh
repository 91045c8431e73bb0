#!/usr/bin/env bash
# A path that cannot be examined (here a symlink loop) gives a one-line error and exit
# 2, never an abort.
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

one_line_error() {  # one_line_error DESCRIPTION
  if [ "$CODE" -eq 2 ] && [ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] && [[ "$ERR" == error:* ]]; then
    ok
  else
    fail "$1: exit $CODE, stderr: $ERR"
  fi
}

ln -s loop.sql models/loop.sql
run_materia check
one_line_error "a model file that is a symlink loop"
rm models/loop.sql

mkdir -p .materia
ln -s state.db .materia/state.db
run_materia check
one_line_error "a state file that is a symlink loop"
rm .materia/state.db

ln -s loop.duckdb loop.duckdb
sed -i 's/warehouse.duckdb/loop.duckdb/' config.yaml
run_materia sql "SELECT 1"
one_line_error "a warehouse that is a symlink loop"

finish
