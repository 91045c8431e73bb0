# Helpers for end-to-end tests: each test drives the real binary ($MATERIA) in a fresh
# temporary directory, as a user would, and checks what a user would see.
set -euo pipefail

: "${MATERIA:?set MATERIA to the materia binary}"
: "${MATERIA_SOURCE_DIR:?set MATERIA_SOURCE_DIR to the repository}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/materia-e2e.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

passed=0
failed=0

fail() {
  echo "FAIL: $*" >&2
  failed=$((failed + 1))
}

ok() {
  passed=$((passed + 1))
}

# run_materia ARGS...: runs materia, capturing stdout in $OUT, stderr in $ERR, exit in $CODE.
run_materia() {
  set +e
  OUT=$("$MATERIA" "$@" 2>"$WORK/.stderr")
  CODE=$?
  set -e
  ERR=$(cat "$WORK/.stderr")
}

expect_code() {  # expect_code N DESCRIPTION
  if [ "$CODE" -eq "$1" ]; then ok; else fail "$2: exit $CODE, expected $1; stdout: $OUT; stderr: $ERR"; fi
}

expect_out() {  # expect_out TEXT DESCRIPTION
  if grep -qF -- "$1" <<<"$OUT"; then ok; else fail "$2: stdout lacks '$1': $OUT"; fi
}

expect_no_out() {  # expect_no_out TEXT DESCRIPTION
  if grep -qF -- "$1" <<<"$OUT"; then fail "$2: stdout has '$1': $OUT"; else ok; fi
}

expect_err() {  # expect_err EXACT_LINE DESCRIPTION
  if [ "$ERR" = "$1" ]; then ok; else fail "$2: stderr is '$ERR', expected '$1'"; fi
}

# model_line NAME: the summary line of a model in $OUT.
model_line() {
  grep -E "^  [a-z ]+ +$1 " <<<"$OUT" || true
}

expect_action() {  # expect_action MODEL ACTION DESCRIPTION
  local line
  line=$(model_line "$1")
  if grep -qE "^  $2 " <<<"$line"; then ok; else fail "$3: $1 is not '$2': ${line:-<missing>}"; fi
}

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

# write_config DIR: the usual config.yaml (one DuckDB gateway, daily cron from 2024).
write_config() {
  mkdir -p "$1"
  cat > "$1/config.yaml" <<'YAML'
gateways:
  local:
    connection: {type: duckdb, database: warehouse.duckdb}
default_gateway: local
model_defaults: {dialect: duckdb, start: '2024-01-01', cron: '@daily'}
YAML
}
