#!/usr/bin/env bash
# A FULL model whose query uses time macros (@end_ts, @execution_ds, ...) reads a
# window that moves with its cron: when a new cron tick has passed it must run again,
# even though its code and input files did not change.
source "$(dirname "$0")/lib.sh"

mkdir -p proj/models
write_config proj
cat > proj/models/as_of.sql <<'SQL'
MODEL (name serving.as_of, kind FULL, cron '* * * * *');
SELECT @end_ts AS as_of
SQL
cd proj

run_materia plan --auto-apply
expect_code 0 "first apply"
run_materia sql "SELECT as_of FROM serving.as_of" --format csv
before=$OUT

# Wait for the next minute: a new tick of the model's cron.
sleep $((61 - 10#$(date +%S)))
run_materia check
expect_code 0 "a new tick makes work for a model that uses time macros"
run_materia run
expect_action serving.as_of ran "the model runs for the new tick"
run_materia sql "SELECT as_of FROM serving.as_of" --format csv
if [ "$OUT" != "$before" ]; then ok; else fail "as_of did not move on: $OUT"; fi

finish
