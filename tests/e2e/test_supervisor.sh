#!/usr/bin/env bash
# The pipeline registry and the supervisor: `pipeline list|check|run|history`, worker
# sizes from tags, one supervisor per project, a failing pipeline retried with back-off
# then given up without stopping the loop, a pipeline stopped at its timeout, SIGTERM
# stopping cleanly (exit 0), and a kill -9 followed by a restart that converges.
source "$(dirname "$0")/lib.sh"

mkdir -p proj/models
write_config proj
cat >> proj/config.yaml <<'YAML'
workers:
  sizes: {huge: {threads: 2, memory_limit: 1GB}}
  tags: {heavy: huge}
pipelines:
  transform: {attempts: 2, backoff: 1s}
  export_serving: {attempts: 1}
YAML
cat > proj/models/totals.sql <<'SQL'
MODEL (name serving.totals, kind FULL, tags (heavy));
SELECT 42 AS answer
SQL
cd proj

run_materia pipeline list --format json
expect_out '"name":"transform","description":"plan and run the prod environment of the project'"'"'s models","priority":2,"timeout_s":7200,"attempts":2,"backoff_s":1' \
  "list shows the configured retry policy"
run_materia pipeline check transform --format json
expect_code 0 "transform has work"
expect_out '"tags":["heavy"],"worker":{"size":"huge","threads":2,"memory_limit":"1GB"}' "tags size the worker"
run_materia pipeline check extract
expect_code 1 "no extract sources, no work"
expect_out "extract: nothing to do." "check says so"
run_materia pipeline check nope
expect_code 2 "unknown pipeline"
expect_err "error: unknown pipeline 'nope' (known: extract, transform, export_serving)" "the message lists the pipelines"
run_materia pipeline run transform --worker tiny
expect_code 2 "unknown worker size"
expect_err "error: unknown worker size 'tiny' (known: huge, large, medium, small)" "the message lists the sizes"

# One cycle runs what has work, in priority order, and records every run.
run_materia supervise --once --log-format json
expect_code 0 "one cycle"
if grep -q '"event":"run_finished".*"pipeline":"transform".*"status":"success"' <<<"$ERR" &&
   grep -q '"event":"run_finished".*"pipeline":"export_serving".*"status":"success"' <<<"$ERR"; then ok; else
  fail "transform then export ran: $ERR"; fi
[ -f serving.duckdb ] && ok || fail "the serving file was written"
run_materia pipeline history --format json
expect_out '"pipeline":"transform","status":"success","attempt":1' "the transform run is recorded"
expect_out '"worker_size":"huge","trigger":"supervisor"' "with its worker size and trigger"
run_materia supervise --once
expect_code 0 "a second cycle"
if grep -q 'event=cycle_finished cycle=1 ran=0' <<<"$ERR"; then ok; else fail "nothing left to run: $ERR"; fi

# A failing pipeline is retried with back-off, then given up; the loop goes on.
cat > models/broken.sql <<'SQL'
MODEL (name serving.broken, kind FULL);
SELECT error('the source is not there yet') AS x
SQL
run_materia supervise --once
expect_code 0 "a failing pipeline does not stop the supervisor"
if grep -q 'event=retry_scheduled cycle=1 pipeline=transform attempt=2' <<<"$ERR" &&
   grep -q 'event=gave_up cycle=1 pipeline=transform attempts=2' <<<"$ERR" &&
   grep -q 'event=checked cycle=1 pipeline=export_serving' <<<"$ERR"; then ok; else
  fail "retried, gave up, went on: $ERR"; fi
if grep -q 'error="models/broken.sql: .*the source is not there yet' <<<"$ERR"; then ok; else
  fail "the log carries the model's error: $ERR"; fi
run_materia pipeline history transform --limit 2 --format json
expect_out '"status":"failed","attempt":2' "the second attempt is recorded as failed"
rm models/broken.sql

# A pipeline past its timeout is stopped and recorded as such.
cat > models/slow.sql <<'SQL'
MODEL (name serving.slow, kind FULL);
SELECT sum(a.range * b.range) AS s FROM range(200000) AS a, range(200000) AS b
SQL
sed -i 's/transform: {attempts: 2, backoff: 1s}/transform: {attempts: 1, timeout: 1s}/' config.yaml
run_materia supervise --once
if grep -q 'event=run_finished cycle=1 pipeline=transform .*status=timeout' <<<"$ERR"; then ok; else
  fail "the slow transform is stopped at its timeout: $ERR"; fi
run_materia pipeline history transform --limit 1 --format json
expect_out '"status":"timeout"' "recorded as timeout"

# One supervisor per project; SIGTERM stops it cleanly while a step runs (the slow
# step's timeout raised, so that the SIGTERM, not the timeout, ends it on a slow machine).
sed -i 's/transform: {attempts: 1, timeout: 1s}/transform: {attempts: 1, timeout: 10m}/' config.yaml
"$MATERIA" supervise --interval 1h 2>supervisor.log &
pid=$!
for _ in $(seq 1 100); do grep -q 'event=run_started' supervisor.log 2>/dev/null && break; sleep 0.1; done
run_materia supervise --once
expect_code 2 "a second supervisor refuses to start"
expect_err "error: another supervisor is running for this project (pid $pid)" "it names the running one"
kill -TERM "$pid"
set +e; wait "$pid"; code=$?; set -e
[ "$code" -eq 0 ] && ok || fail "SIGTERM exits 0, got $code: $(cat supervisor.log)"
if grep -q 'status=cancelled' supervisor.log && grep -q 'event=supervisor_stopped' supervisor.log; then ok; else
  fail "the step is cancelled and the stop logged: $(cat supervisor.log)"; fi

# kill -9 mid-run, then a restart: the lock is free again and the next cycle converges.
rm models/slow.sql
sed -i 's/transform: {attempts: 1, timeout: 10m}/transform: {attempts: 1}/' config.yaml
echo "MODEL (name serving.more, kind FULL); SELECT 7 AS seven" > models/more.sql
"$MATERIA" supervise --interval 1h 2>supervisor.log &
pid=$!
for _ in $(seq 1 100); do grep -q 'event=run_started' supervisor.log 2>/dev/null && break; sleep 0.05; done
kill -KILL "$pid"
set +e; wait "$pid" 2>/dev/null; set -e
sleep 0.5
run_materia supervise --once
expect_code 0 "a restart after kill -9 takes the lock"
run_materia check
expect_code 1 "the restart converged: nothing left to do"
run_materia pipeline check export_serving
expect_code 1 "the serving file is current"

finish
