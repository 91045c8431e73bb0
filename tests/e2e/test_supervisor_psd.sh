#!/usr/bin/env bash
# The supervisor on the PSD reference project against the local PSD server: one cycle
# extracts, transforms and exports; a kill -9 of the supervisor and its running child
# in the middle of a slow download leaves only complete landing files, and the restart
# converges (nothing left to do, no temporary file left behind, the serving file whole).
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

# kill -9 of the supervisor and its child while the first download is under way.
"$MATERIA" supervise --interval 1h 2>supervisor.log &
pid=$!
for _ in $(seq 1 200); do grep -q 'event=run_started.*pipeline=extract' supervisor.log 2>/dev/null && break; sleep 0.05; done
sleep 0.3
pkill -KILL -P "$pid" || true
kill -KILL "$pid"
set +e; wait "$pid" 2>/dev/null; set -e
for file in $(find data/landing -name '*.csv.gz' 2>/dev/null); do
  if gzip -t "$file" && zcat "$file" | head -1 | grep -q '^"Commodity_Code"'; then ok; else
    fail "a visible landing file is incomplete after kill -9: $file"; fi
done

# The restart converges in one cycle.
run_materia supervise --once
expect_code 0 "the restart runs a cycle"
for pipeline in extract transform export_serving; do
  if grep -q "event=run_finished cycle=1 pipeline=$pipeline .*status=success" <<<"$ERR"; then ok; else
    fail "$pipeline ran to success after the restart: $ERR"; fi
done
[ "$(find data/landing -name '*.csv.gz' | wc -l)" -eq 2 ] && ok || fail "two releases landed: $(find data/landing)"
[ -z "$(find data/landing -name '*.tmp')" ] && ok || fail "no temporary file is left: $(find data/landing -name '*.tmp')"
[ -f serving.duckdb ] && [ ! -e serving_new.duckdb ] && ok || fail "the serving file is in place, alone: $(ls)"
run_materia supervise --once
if grep -q 'event=cycle_finished cycle=1 ran=0' <<<"$ERR"; then ok; else fail "nothing is left to do: $ERR"; fi
run_materia sql "SELECT count(*) > 0 FROM serving.obt_commodity_metrics" --format csv
expect_out "true" "the serving layer has rows"
run_materia pipeline history --format json
expect_out '"pipeline":"export_serving","status":"success"' "the history shows the export"

finish
