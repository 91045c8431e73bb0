#!/usr/bin/env bash
# The real-browser test of `materia serve`: builds a small PSD project in a temporary
# directory (generate two releases, apply the plan, export the serving layer), serves
# it with web/static on a free port of 127.0.0.1, and runs test_pages.mjs in Debian's
# Chromium. Screenshots go to BUILD_DIR/screenshots/<page>.png.
#
# Usage: MATERIA=build/materia MATERIA_SOURCE_DIR=. tests/web/run.sh [BUILD_DIR]
# BUILD_DIR defaults to $MATERIA_BUILD_DIR, else the directory of $MATERIA.
# Exit 0 passed, 1 failed, 77 skipped (no browser, no Node.js, or no `materia serve`).
set -euo pipefail

: "${MATERIA:?set MATERIA to the materia binary}"
: "${MATERIA_SOURCE_DIR:?set MATERIA_SOURCE_DIR to the repository}"
MATERIA=$(cd "$(dirname "$MATERIA")" && pwd)/$(basename "$MATERIA")
source_dir=$(cd "$MATERIA_SOURCE_DIR" && pwd)
build_dir=${1:-${MATERIA_BUILD_DIR:-$(dirname "$MATERIA")}}
mkdir -p "$build_dir"
build_dir=$(cd "$build_dir" && pwd)
screenshots="$build_dir/screenshots"
chromium=${MATERIA_CHROMIUM:-/usr/bin/chromium}
SERVER_START_TIMEOUT_S=20

skip() {
  echo "SKIPPED: $*"
  exit 77
}

[ -x "$MATERIA" ] || { echo "FAIL: no materia binary at $MATERIA"; exit 1; }
[ -x "$chromium" ] || skip "no Chromium at $chromium (scripts/setup installs the Debian package chromium)"
command -v node >/dev/null 2>&1 || skip "Node.js is not installed (scripts/setup installs it)"
# An unknown subcommand's --help prints the top-level help, so look for it there.
if ! "$MATERIA" --help 2>/dev/null | grep -qE '^  serve( |$)'; then
  skip "this materia has no 'serve' command yet"
fi
# The pinned npm packages (playwright-core, chart.js); fast when already installed.
"$source_dir/scripts/fetch-web-assets" >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/materia-web.XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# A small demo project: the example's models, generated data, built and exported.
project="$work/psd"
cp -r "$source_dir/examples/psd" "$project"
rm -rf "$project/data" "$project/.materia" "$project"/*.duckdb "$project"/*.duckdb.wal
cd "$project"
"$MATERIA" example psd --out data/landing --months 2 --scale 0.01 >"$work/example.log" 2>&1 \
  || { cat "$work/example.log"; echo "FAIL: materia example psd"; exit 1; }
"$MATERIA" plan --auto-apply >"$work/plan.log" 2>&1 \
  || { cat "$work/plan.log"; echo "FAIL: materia plan --auto-apply"; exit 1; }
"$MATERIA" export-serving >"$work/export.log" 2>&1 \
  || { cat "$work/export.log"; echo "FAIL: materia export-serving"; exit 1; }

port=$(node -e 'const s = require("net").createServer();
  s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
"$MATERIA" serve --port "$port" --static-dir "$source_dir/web/static" >"$work/serve.log" 2>&1 &
server_pid=$!

# Wait until the port accepts connections (the .mjs then waits for /health).
for _ in $(seq 1 $((SERVER_START_TIMEOUT_S * 10))); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    cat "$work/serve.log"
    echo "FAIL: materia serve exited before answering"
    exit 1
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  sleep 0.1
done

status=0
node "$source_dir/tests/web/test_pages.mjs" \
  --base-url "http://127.0.0.1:$port" \
  --screenshots "$screenshots" \
  --source-dir "$source_dir" \
  --chromium "$chromium" || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- materia serve log (last 40 lines) ---"
  tail -n 40 "$work/serve.log"
fi
exit "$status"
