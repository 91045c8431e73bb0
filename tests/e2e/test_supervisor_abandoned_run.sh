#!/usr/bin/env bash
# A supervisor killed with kill -9 together with its running child leaves that run
# recorded as "running"; the next supervisor closes it as failed ("abandoned"), so that
# history, the dashboard and /metrics do not show it running for ever, and then runs the
# pipeline again to success. (Found by `make soak`.) A supervisor killed alone takes its
# running child with it.
source "$(dirname "$0")/lib.sh"

"$MATERIA" example serve-psd --port 0 --months 2 --end-year 2026 --end-month 8 --scale 0.01 \
  --delay-ms 400 --quiet > server.out 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do grep -q "listening on" server.out 2>/dev/null && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' server.out | head -1)
[ -n "$url" ] && ok || fail "the server says where it listens: $(cat server.out)"

mkdir proj
cp -r "$MATERIA_SOURCE_DIR/examples/psd/models" "$MATERIA_SOURCE_DIR/examples/psd/tests" proj/
sed -e "s|base_url: http://127.0.0.1:8971|base_url: $url|" -e "s|archives_from: 2026-06|archives_from: 2026-07|" \
  "$MATERIA_SOURCE_DIR/examples/psd/config.yaml" > proj/config.yaml
cd proj

"$MATERIA" supervise --interval 1h 2>supervisor.log &
pid=$!
for _ in $(seq 1 200); do grep -q 'event=run_started.*pipeline=extract' supervisor.log 2>/dev/null && break; sleep 0.05; done
run_id=$(sed -n 's/.*event=run_started .*pipeline=extract run_id=\([^ ]*\) .*/\1/p' supervisor.log | head -1)
[ -n "$run_id" ] && ok || fail "the supervisor started an extract: $(cat supervisor.log)"
sleep 0.3
pkill -KILL -P "$pid" || true
kill -KILL "$pid"
set +e; wait "$pid" 2>/dev/null; set -e

run_materia pipeline history extract --format json
if grep -qF "\"run_id\":\"$run_id\",\"pipeline\":\"extract\",\"status\":\"running\"" <<<"$OUT"; then ok; else
  fail "the killed run is left recorded as running: $OUT"; fi

run_materia supervise --once
expect_code 0 "the next supervisor runs a cycle"
if grep -q "event=run_abandoned pipeline=extract run_id=$run_id status=failed" <<<"$ERR"; then ok; else
  fail "the next supervisor closes the abandoned run: $ERR"; fi
if grep -q "event=run_finished cycle=1 pipeline=extract .*status=success" <<<"$ERR"; then ok; else
  fail "and runs the extract again to success: $ERR"; fi

run_materia pipeline history --format json
if grep -qF '"status":"running"' <<<"$OUT"; then fail "no run is left running: $OUT"; else ok; fi
if grep -qF "\"run_id\":\"$run_id\",\"pipeline\":\"extract\",\"status\":\"failed\"" <<<"$OUT" &&
   grep -qF 'abandoned: the supervisor running it stopped before it finished' <<<"$OUT"; then ok; else
  fail "the killed run is recorded as failed, saying why: $OUT"; fi

# A second supervisor finds nothing to close.
run_materia supervise --once
if grep -q 'event=run_abandoned' <<<"$ERR"; then fail "nothing is abandoned any more: $ERR"; else ok; fi

# The supervisor alone killed: its child ends with it (the kernel's parent-death
# signal) instead of running on, holding the warehouse, while the next supervisor's
# attempts fail on the lock.
# A slow server (10 s an answer) keeps the child's extract running well past the kill.
"$MATERIA" example serve-psd --port 0 --months 2 --end-year 2026 --end-month 8 --scale 0.01 \
  --delay-ms 10000 --quiet > ../slow.out 2>&1 &
slow=$!
trap 'kill "$server" "$slow" 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do grep -q "listening on" ../slow.out 2>/dev/null && break; sleep 0.1; done
slow_url=$(grep -o 'http://127.0.0.1:[0-9]*' ../slow.out | head -1)
sed -i "s|base_url: $url|base_url: $slow_url|" config.yaml
rm -rf data/landing
"$MATERIA" supervise --interval 1h 2>supervisor2.log &
pid=$!
for _ in $(seq 1 200); do grep -q 'event=run_started.*pipeline=extract' supervisor2.log 2>/dev/null && break; sleep 0.05; done
child=$(pgrep -P "$pid" || true)
[ -n "$child" ] && ok || fail "the supervisor has a running child: $(cat supervisor2.log)"
kill -KILL "$pid"
set +e; wait "$pid" 2>/dev/null; set -e
for _ in $(seq 1 100); do kill -0 "$child" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$child" 2>/dev/null; then fail "the child outlived its supervisor by 5 s"; kill -KILL "$child"; else ok; fi
kill "$slow"
sed -i "s|base_url: $slow_url|base_url: $url|" config.yaml
run_materia supervise --once
expect_code 0 "the next supervisor runs a cycle"
if grep -q "event=run_finished" <<<"$ERR" && ! grep "event=run_finished" <<<"$ERR" | grep -qv "attempt=1 status=success"; then ok; else
  fail "its runs succeed at the first attempt (nothing holds the warehouse): $ERR"; fi

finish
