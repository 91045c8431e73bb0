#!/usr/bin/env bash
# `check` reads state and files only: it answers while a run holds the warehouse's
# write lock, and `run` in a second process gets a clear error instead of waiting.
source "$(dirname "$0")/lib.sh"

mkdir -p proj/models
cat > proj/config.yaml <<'YAML'
gateways:
  local:
    connection: {type: duckdb, database: warehouse.duckdb}
default_gateway: local
YAML
cat > proj/models/quick.sql <<'SQL'
MODEL (name s.quick, kind FULL);
SELECT 1 AS x
SQL
cd proj
run_materia plan --auto-apply
expect_code 0 "first apply"

# A slow model keeps the warehouse locked for a few seconds.
cat > models/slow.sql <<'SQL'
MODEL (name s.slow, kind FULL);
SELECT sum(a.range * b.range) AS total FROM range(60000) a, range(20000) b
SQL
"$MATERIA" plan --auto-apply --threads 1 >"$WORK/slow.out" 2>&1 &
slow=$!
# Wait until the apply holds the warehouse: it records its run as running in state
# after opening the warehouse (at most 10 s). Polling the warehouse itself would race
# with the apply for the file lock.
for _ in $(seq 1 200); do
  running=$(sqlite3 .materia/state.db "SELECT count(*) FROM runs WHERE status = 'running'" 2>/dev/null || true)
  if [ "${running:-0}" -gt 0 ]; then break; fi
  sleep 0.05
done

start=$(date +%s%N)
run_materia check --format json
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_code 0 "check answers during a run"
expect_out '"name": "s.slow"' "check lists the model being built"
if kill -0 "$slow" 2>/dev/null; then ok; else fail "the slow run ended before check finished (${elapsed_ms} ms): the test proved nothing"; fi

run_materia run
expect_code 2 "a second writer is refused"
expect_err "error: warehouse warehouse.duckdb is locked by another process (a run in progress?)" "lock message"

wait "$slow" || fail "the slow apply failed: $(cat "$WORK/slow.out")"
run_materia check
expect_code 1 "nothing left after the slow apply"
finish
