#!/usr/bin/env bash
# materia extract against `materia example serve-psd` on 127.0.0.1: the archives land
# as {landing}/psd/{year}/{month}/{etag}.csv.gz, a second run downloads nothing, injected
# 500s and truncated bodies are retried, and a server that always fails, a damaged zip,
# a wrong CSV header or a server that is down each give one clear line per file, exit 1
# and no landing or temporary file. Bad config and flags are exit 2 with one line.
source "$(dirname "$0")/lib.sh"

SERVER_PIDS=""
trap 'for pid in $SERVER_PIDS; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT

# start_server NAME ARGS...: serve-psd of the releases 2026/07 and 2026/08 in the
# background, with ARGS added; sets SERVER_PID and PORT.
start_server() {
  local name=$1
  shift
  "$MATERIA" example serve-psd --port 0 --months 2 --end-year 2026 --end-month 8 --scale 0.01 "$@" \
    >"$WORK/$name.out" 2>"$WORK/$name.log" &
  SERVER_PID=$!
  SERVER_PIDS="$SERVER_PIDS $SERVER_PID"
  for _ in $(seq 1 100); do
    grep -q '^listening on ' "$WORK/$name.out" && break
    sleep 0.1
  done
  PORT=$(sed -n 's|^listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$|\1|p' "$WORK/$name.out")
  if [ -z "$PORT" ]; then
    echo "serve-psd $name did not start: $(cat "$WORK/$name.log")" >&2
    exit 1
  fi
}

stop_server() {  # stop_server: SIGTERM ends the server with exit 0
  kill -TERM "$SERVER_PID"
  set +e
  wait "$SERVER_PID"
  local code=$?
  set -e
  if [ "$code" -eq 0 ]; then ok; else fail "serve-psd exits $code on SIGTERM, expected 0"; fi
}

# write_project DIR PORT [RETRIES [LINES]]: a project whose psd source asks for
# 2026/07..2026/09, retrying RETRIES times (default 3).
write_project() {
  mkdir -p "$1"
  cat >"$1/config.yaml" <<YAML
gateways:
  local:
    connection: {type: duckdb, database: warehouse.duckdb}
variables: {landing_dir: lake}
extract:
  psd:
    base_url: http://127.0.0.1:$2
    archives_from: 2026-07
    archives_to: 2026-09
    retries: ${3:-3}
    retry_backoff_ms: 10
    retry_backoff_max_ms: 40
    timeout_total_ms: 10000
${4:-}
YAML
}

expect_json() {  # expect_json DESCRIPTION PYTHON_ASSERTIONS (on `report`)
  if JSON="$OUT" python3 -c "import json, os; report = json.loads(os.environ['JSON']); $2"; then
    ok
  else
    fail "$1: $OUT"
  fi
}

landing_files() {  # landing_files DIR: every file under DIR, temporary ones included
  if [ -d "$1" ]; then (cd "$1" && find . -type f | sed 's|^\./||' | sort); fi
}

landing_entries() {  # landing_entries DIR: every file and directory under DIR
  if [ -d "$1" ]; then (cd "$1" && find . -mindepth 1 | sed 's|^\./||' | sort); fi
}

HEADER="Commodity_Code,Commodity_Description,Country_Code,Country_Name,Market_Year,Calendar_Year,Month,Attribute_ID,Attribute_Description,Unit_ID,Unit_Description,Value"

# --- The archives land, each under its month, named by its ETag ---------------------
start_server plain
URL="http://127.0.0.1:$PORT"
write_project proj "$PORT"
run_materia -p proj extract
expect_code 0 "extract downloads the archives"
"$MATERIA" example psd --out generated --months 2 --end-year 2026 --end-month 8 --scale 0.01 >/dev/null
JULY=$(cd generated && ls psd/2026/07/*.csv.gz)
AUGUST=$(cd generated && ls psd/2026/08/*.csv.gz)
CURRENT="psd/2026/09/$(basename "$AUGUST")"
expect_out "  downloaded     $JULY  " "July is downloaded, named as example psd names it"
expect_out "  downloaded     $AUGUST  " "August is downloaded"
expect_out "  not_published  $URL/archives/2026/09/psd_alldata_csv.zip" "September is not published yet"
expect_out "  downloaded     $CURRENT  " "the current file lands under archives_to's month"
expect_out "Extract: 3 downloaded, 0 not modified, 1 not published, 0 failed;" "the totals"
EXPECTED_FILES=$(printf '%s\n' "$JULY" "$AUGUST" "$CURRENT" | sort)
if [ "$(landing_files proj/lake)" = "$EXPECTED_FILES" ]; then ok; else
  fail "landing files: $(landing_files proj/lake)"; fi
if cmp -s <(zcat "proj/lake/$JULY") <(zcat "generated/$JULY"); then ok; else
  fail "the landed July CSV differs from the generated one"; fi
if [ "$(zcat "proj/lake/$AUGUST" | head -1)" = "$HEADER" ]; then ok; else
  fail "the landed CSV's header: $(zcat "proj/lake/$AUGUST" | head -1)"; fi
if gzip -t "proj/lake/$CURRENT"; then ok; else fail "the current file is not valid gzip"; fi

# --- A second run downloads nothing ---------------------------------------------------
run_materia -p proj extract --format json
expect_code 0 "a second extract succeeds"
expect_json "second run: all not_modified, nothing downloaded" "
assert [f['status'] for f in report['files']] == ['not_modified', 'not_modified', 'not_published', 'not_modified'], report
assert report['bytes_downloaded'] == 0 and report['not_modified'] == 3 and report['downloaded'] == 0
assert all(f['bytes_downloaded'] == 0 for f in report['files'])
assert report['files'][0]['path'].endswith('/proj/lake/$JULY')
assert report['files'][0]['url'] == '$URL/archives/2026/07/psd_alldata_csv.zip'
assert report['files'][0]['etag'] == '\"' + '$(basename "$JULY" .csv.gz)' + '\"'"
if grep -q "GET /archives/2026/07/psd_alldata_csv.zip 304" "$WORK/plain.log"; then ok; else
  fail "the server did not answer 304: $(cat "$WORK/plain.log")"; fi

# --- --landing-dir (relative to where the user is) and LANDING_DIR -------------------
run_materia -p proj extract --landing-dir elsewhere
expect_code 0 "extract into --landing-dir"
if [ "$(landing_files elsewhere)" = "$EXPECTED_FILES" ]; then ok; else
  fail "--landing-dir files: $(landing_files elsewhere)"; fi
LANDING_DIR=from_env run_materia -p proj extract psd
expect_code 0 "extract into \$LANDING_DIR"
if [ "$(landing_files from_env)" = "$EXPECTED_FILES" ]; then ok; else
  fail "LANDING_DIR files: $(landing_files from_env)"; fi
stop_server

# --- Injected 500s and truncated bodies are retried -----------------------------------
start_server faults --fail-rate 0.4 --truncate-rate 0.4 --seed 3
write_project faults "$PORT" 8
run_materia -p faults extract --format json
expect_code 0 "extract retries 500s and truncated bodies"
expect_json "every file landed after retries" "
assert report['downloaded'] == 3 and report['failed'] == 0, report
assert sum(f['attempts'] for f in report['files']) > 4, report"
if grep -q ' 500 (injected)$' "$WORK/faults.log" && grep -q ' 200 (truncated)$' "$WORK/faults.log"; then ok; else
  fail "the server injected no faults: $(cat "$WORK/faults.log")"; fi
if [ "$(landing_files faults/lake | grep -c '^psd/2026/0[789]/[0-9a-f]\{16\}\.csv\.gz$')" = 3 ] &&
  [ "$(landing_files faults/lake | wc -l)" = 3 ]; then ok; else
  fail "files after retries: $(landing_files faults/lake)"; fi
stop_server

# --- A server that always fails: one line per file, exit 1, no file -------------------
start_server failing --fail-rate 1
URL="http://127.0.0.1:$PORT"
write_project failing "$PORT" 2
run_materia -p failing extract
expect_code 1 "a file that cannot be downloaded fails the extract"
expect_err "error: $URL/archives/2026/07/psd_alldata_csv.zip: HTTP 500 (after 3 attempts)
error: $URL/archives/2026/08/psd_alldata_csv.zip: HTTP 500 (after 3 attempts)
error: $URL/archives/2026/09/psd_alldata_csv.zip: HTTP 500 (after 3 attempts)
error: $URL/psd_alldata_csv.zip: HTTP 500 (after 3 attempts)" "each failed URL is named once"
expect_out "  failed         $URL/archives/2026/07/psd_alldata_csv.zip" "the failure is listed"
expect_out "Extract: 0 downloaded, 0 not modified, 0 not published, 4 failed;" "the totals"
if [ -z "$(landing_entries failing/lake)" ]; then ok; else fail "left behind: $(landing_entries failing/lake)"; fi
stop_server

# --- A damaged zip: a clear line, not retried, no file ---------------------------------
start_server corrupt --corrupt-rate 1
URL="http://127.0.0.1:$PORT"
write_project corrupt "$PORT"
run_materia -p corrupt extract
expect_code 1 "a damaged zip fails"
expect_err "error: $URL/archives/2026/07/psd_alldata_csv.zip: damaged zip archive: ZIP decompression failed (-3)
error: $URL/archives/2026/08/psd_alldata_csv.zip: damaged zip archive: ZIP decompression failed (-3)
error: $URL/psd_alldata_csv.zip: damaged zip archive: ZIP decompression failed (-3)" "a damaged zip is named"
if [ -z "$(landing_entries corrupt/lake)" ]; then ok; else fail "left behind: $(landing_entries corrupt/lake)"; fi
stop_server

# --- A CSV whose header is not PSD's: a clear line, no file ----------------------------
start_server header --wrong-header
URL="http://127.0.0.1:$PORT"
write_project header "$PORT"
run_materia -p header extract
expect_code 1 "a wrong header fails"
expect_err "error: $URL/archives/2026/07/psd_alldata_csv.zip: unexpected CSV header: column 12 is 'Amount', expected 'Value'
error: $URL/archives/2026/08/psd_alldata_csv.zip: unexpected CSV header: column 12 is 'Amount', expected 'Value'
error: $URL/psd_alldata_csv.zip: unexpected CSV header: column 12 is 'Amount', expected 'Value'" \
  "the differing column is named"
if [ -z "$(landing_entries header/lake)" ]; then ok; else fail "left behind: $(landing_entries header/lake)"; fi
stop_server

# --- A server that is down: one line, the source stops --------------------------------
start_server down
URL="http://127.0.0.1:$PORT"
stop_server
write_project down "$PORT" 1
run_materia -p down extract
expect_code 1 "an unreachable server fails the extract"
expect_err "error: $URL/archives/2026/07/psd_alldata_csv.zip: cannot connect to the server (Connection refused) (after 2 attempts)" \
  "the unreachable server is named once"
if [ -z "$(landing_entries down/lake)" ]; then ok; else fail "left behind: $(landing_entries down/lake)"; fi

# --- Bad input is exit 2 with one line ---------------------------------------------------
write_config plain_project
run_materia -p plain_project extract
expect_code 2 "no extract section"
expect_err "error: config.yaml has no extract: section; add one such as 'extract: {psd: {archives_from: 2024-01}}'" \
  "a missing extract section is explained"
write_project badmonth 1
sed -i 's|archives_to: .*|archives_to: 2026-13|' badmonth/config.yaml
run_materia -p badmonth extract
expect_code 2 "a bad month"
expect_err "error: config.yaml:9:18: invalid archives_to '2026-13': expected a month as YYYY-MM" \
  "the bad month is named with its position"
write_project badkey 1 3 "    retires: 3"
run_materia -p badkey extract
expect_code 2 "an unknown key"
expect_err "error: config.yaml:14:5: unknown key 'retires' in extract source 'psd'" "the unknown key is named"
write_project badurl 1
sed -i 's|base_url: .*|base_url: ftp://example.com|' badurl/config.yaml
run_materia -p badurl extract
expect_code 2 "a bad URL"
expect_err "error: config.yaml:7:15: invalid base_url 'ftp://example.com': expected an http:// or https:// URL" \
  "the bad URL is named"
run_materia -p proj extract cotton
expect_code 2 "an unknown source"
expect_err "error: unknown extract source 'cotton' (sources in config.yaml: psd)" "the unknown source is named"
run_materia example serve-psd --fail-rate 2
expect_code 2 "a bad fault rate"
expect_err "error: --fail-rate must be from 0 to 1, got 2" "the bad rate is named"
run_materia example serve-psd --months 0
expect_code 2 "a bad month count"
expect_err "error: --months must be from 1 to 240, got 0" "the bad month count is named"

finish
