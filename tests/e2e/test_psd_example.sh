#!/usr/bin/env bash
# The reference project end to end at a small scale: generate, plan+run, serve, check.
source "$(dirname "$0")/lib.sh"

cp -r "$MATERIA_SOURCE_DIR/examples/psd" psd
rm -rf psd/data psd/.materia psd/warehouse.duckdb*
cd psd

run_materia example psd --out data/landing --months 2 --scale 0.002
expect_code 0 "generator runs"
expect_out "Wrote 2 releases" "two releases written"
files=$(find data/landing/psd -name '*.csv.gz' | wc -l)
[ "$files" -eq 2 ] && ok || fail "expected 2 landing files, found $files"

run_materia check --format json
expect_code 0 "fresh project has work"

run_materia pipeline run transform
expect_code 0 "transform pipeline runs"
expect_action raw.psd_alldata ran "raw layer built"

run_materia sql "SELECT count(*) AS n FROM serving.obt_commodity_metrics" --format csv
expect_code 0 "serving table readable"
n=$(tail -n 1 <<<"$OUT")
[ "$n" -gt 0 ] && ok || fail "serving.obt_commodity_metrics is empty"

run_materia pipeline check transform
expect_code 1 "nothing to do after the transform"

# A new monthly release arrives: raw and everything downstream of it re-run.
run_materia example psd --out data/landing --months 3 --scale 0.002 --end-month 9
run_materia check --format json
expect_code 0 "new release makes work"
expect_out '"name": "raw.psd_alldata"' "raw model needs work"
run_materia run
expect_code 0 "run after a new release"
expect_action raw.psd_alldata ran "raw re-runs"

run_materia check
expect_code 1 "converged"

run_materia audit
expect_code 0 "the reference project's audits pass on generated data"
expect_out "ok      serving.fct_supply_demand                accepted_range(column := stocks_to_use, min_v := 0)" \
  "the stocks-to-use audit ran"
run_materia test
expect_code 0 "the reference project's unit tests pass"
finish
