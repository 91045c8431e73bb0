#!/usr/bin/env bash
# `materia serve` on the PSD reference project: every route and page answers, /metrics
# passes promtool, the token and the static folder hold, and a load of /api/metrics
# while `export-serving --force` replaces the serving file in a loop sees no error.
source "$(dirname "$0")/lib.sh"

mkdir proj
cp -r "$MATERIA_SOURCE_DIR/examples/psd/models" "$MATERIA_SOURCE_DIR/examples/psd/tests" \
  "$MATERIA_SOURCE_DIR/examples/psd/config.yaml" proj/
cd proj
mkdir -p static/vendor
echo 'body { margin: 0 }' > static/app.css
echo 'secret' > ../secret.txt

run_materia example psd --out data/landing --months 2 --scale 0.01
expect_code 0 "generate PSD data"
run_materia plan --auto-apply
expect_code 0 "apply"
run_materia pipeline run export_serving
expect_code 0 "export through the pipeline (recorded as a pipeline run)"

server=""
stop_server() { if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; server=""; fi; }
trap 'stop_server; rm -rf "$WORK"' EXIT

# start_server ARGS...: starts `materia serve --port 0 ARGS` and sets $url.
start_server() {
  "$MATERIA" serve --port 0 --static-dir static "$@" > serve.out 2>&1 &
  server=$!
  for _ in $(seq 1 100); do grep -q "^Serving " serve.out 2>/dev/null && break; sleep 0.1; done
  url=$(grep -o 'http://127.0.0.1:[0-9]*' serve.out | head -1)
  if [ -n "$url" ]; then ok; else fail "serve prints where it listens: $(cat serve.out)"; fi
}

# expect_get PATH STATUS [TEXT]: GET $url PATH answers STATUS, and its body has TEXT.
expect_get() {
  local status
  status=$(curl -s --path-as-is -o body.out -w '%{http_code}' "$url$1")
  if [ "$status" = "$2" ]; then ok; else fail "GET $1: $status, expected $2: $(head -c 300 body.out)"; fi
  if [ -n "${3:-}" ]; then
    if grep -qF -- "$3" body.out; then ok; else fail "GET $1 lacks '$3': $(head -c 300 body.out)"; fi
  fi
}

start_server
grep -q "(serving file $WORK/proj/serving.duckdb)" serve.out && ok || fail "serve names the serving file: $(cat serve.out)"
expect_get /health 200 '"tables":["serving.dim_commodity","serving.dim_country","serving.fct_supply_demand","serving.obt_commodity_metrics"]'
expect_get /api/commodities 200 '"commodity_code":"0410000"'
expect_get /api/countries 200 '"country_code":"US"'
expect_get "/api/metrics?commodity=0410000&country=US,CH&from=2000&to=2100" 200 '"country":"United States"'
expect_get "/api/metrics?commodity=0410000&from=abc" 400 '{"error":"from must be a market year from 1900 to 2100, got '"'"'abc'"'"'"}'
expect_get "/api/metrics" 400 '{"error":"commodity is required"}'
expect_get /api/runs 200 '"pipeline":"export_serving","run_id":"export_serving-'
expect_get /api/models 200 '"name":"serving.obt_commodity_metrics"'
expect_get /api/models/serving.dim_country 200 '"kind":"VIEW"'
expect_get /api/models/serving.nothing 404 '{"error":"no model named serving.nothing"}'
expect_get / 200 '<canvas class="chart" data-chart='
expect_get "/explorer?commodity=0440000&country=US" 200 '<option value="0440000" selected>'
expect_get /pipelines 200 'export_serving'
expect_get /catalog 200 '<svg class="dag"'
expect_get /catalog/serving.obt_commodity_metrics 200 'serving.fct_supply_demand'
expect_get /workers 200 '<table class="data">'
expect_get /static/app.css 200 'margin'
expect_get /static/../../secret.txt 400
expect_get /static/%2e%2e/%2e%2e/secret.txt 400
expect_get /nothing 404

# /metrics in the Prometheus text format.
expect_get /metrics 200 'materia_pipeline_runs_total{pipeline="export_serving",status="success"} 1'
grep -q 'materia_model_rows{model="serving.obt_commodity_metrics"}' body.out && ok || fail "model rows: $(cat body.out)"
grep -q 'materia_http_requests_total{route="/api/models/{name}",code="404"} 1' body.out && ok || fail "route patterns: $(cat body.out)"
if command -v promtool >/dev/null 2>&1; then
  if promtool check metrics < body.out > promtool.out 2>&1; then ok; else fail "promtool: $(cat promtool.out)"; fi
else
  echo "note: promtool is missing (apt-get install prometheus): the format check is skipped"
fi

# Swap under load: wrk on /api/metrics while export-serving --force renames new files in.
if command -v wrk >/dev/null 2>&1; then
  ( for _ in 1 2 3 4 5 6; do "$MATERIA" export-serving --force > /dev/null 2>>export.err || echo "export failed" >> export.err; done ) &
  exporter=$!
  wrk -t2 -c8 -d6s "$url/api/metrics?commodity=0410000&country=US,CH" > wrk.out 2>&1 || true
  cat wrk.out
  wait "$exporter"
  [ ! -s export.err ] && ok || fail "exports under load: $(cat export.err)"
  grep -q "Requests/sec" wrk.out && ok || fail "wrk ran: $(cat wrk.out)"
  if grep -q "Non-2xx or 3xx responses" wrk.out; then fail "errors under swaps: $(cat wrk.out)"; else ok; fi
  if grep -qE "Socket errors" wrk.out; then fail "socket errors under swaps: $(cat wrk.out)"; else ok; fi
  expect_get /health 200 '"status":"ok"'
else
  echo "note: wrk is missing (apt-get install wrk): the swap-under-load check is skipped"
fi
stop_server

# A token: required everywhere but /health, as a bearer header or ?token=.
start_server --token s3cret
expect_get /health 200
expect_get /api/commodities 401 '{"error":"a valid token is required"}'
expect_get "/api/commodities?token=s3cret" 200
status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer s3cret' "$url/pipelines")
[ "$status" = 200 ] && ok || fail "bearer token: $status"
port=${url##*:}
run_materia serve --port "$port"
expect_code 2 "a port already in use"
expect_err "error: cannot listen on 127.0.0.1:$port: Address already in use" "the reason is named"
kill -TERM "$server"
set +e; wait "$server"; code=$?; set -e
server=""
[ "$code" -eq 0 ] && ok || fail "serve exits 0 on SIGTERM, got $code"

run_materia serve --bind 0.0.0.0 --port 0
expect_code 2 "another address without a token"
expect_err "error: binding 0.0.0.0 requires a token (--token or MATERIA_SERVE_TOKEN)" "token message"

finish
