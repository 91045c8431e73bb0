#!/usr/bin/env bash
# `materia export-serving`: the serving schema of prod copied into its own DuckDB file
# by write-then-rename; skipped when nothing changed; a failed export (full disk, a
# warehouse locked by a running transform) keeps the old file and leaves no new one.
source "$(dirname "$0")/lib.sh"

write_config proj
mkdir -p proj/models proj/data
printf 'n\n1\n2\n3\n4\n' > proj/data/numbers.csv
cat > proj/models/numbers.sql <<'SQL'
MODEL (name raw.numbers, kind FULL);
SELECT n FROM read_csv('data/numbers.csv')
SQL
cat > proj/models/evens.sql <<'SQL'
MODEL (name serving.evens, kind VIEW);
SELECT n FROM raw.numbers WHERE n % 2 = 0
SQL
# About 6 MB in DuckDB: big enough to overflow the size limits below.
cat > proj/models/wide.sql <<'SQL'
MODEL (name serving.wide, kind FULL);
SELECT range AS id, md5(range::VARCHAR) AS h FROM range(300000)
SQL
cd proj
SERVING="$WORK/proj/serving.duckdb"

# expect_unchanged COPY DESCRIPTION: the serving file is byte-identical to COPY and no
# new file or write-ahead log is left beside it.
expect_unchanged() {
  if cmp -s "$SERVING" "$1"; then ok; else fail "$2: the serving file changed"; fi
  local leftovers
  leftovers=$(ls "$(dirname "$SERVING")" | grep -E 'serving_new|\.wal$' || true)
  if [ -z "$leftovers" ]; then ok; else fail "$2: left behind: $leftovers"; fi
}

# --- bad input before anything exists
run_materia export-serving
expect_code 2 "no prod yet"
expect_err "error: there is no prod environment to export (run \`materia plan --auto-apply\` first)" "no prod message"

run_materia plan --auto-apply
expect_code 0 "apply"

# --- the first export, then a skip, then --force
run_materia export-serving
expect_code 0 "first export"
expect_out "  serving.evens                                       2 rows" "evens line"
expect_out "  serving.wide                                   300000 rows" "wide line"
expect_out "Exported 2 tables, 300002 rows, " "summary"
expect_out "to $SERVING in " "summary names the file"
expect_out "; never exported" "reason"
[ -f "$SERVING" ] && ok || fail "no serving file"
# `materia sql` reads the warehouse: point it at the serving file to look inside.
DUCKDB_PATH="$SERVING" run_materia sql --format csv \
  "SELECT table_schema || '.' || table_name || ':' || table_type FROM information_schema.tables ORDER BY 1"
expect_code 0 "read the serving file"
expect_out "serving.evens:BASE TABLE" "evens is a table in the serving file"
expect_out "serving.wide:BASE TABLE" "wide is a table in the serving file"
expect_no_out "materia__" "the serving file stands on its own"
# Opened as a database, serving.duckdb is catalog `serving` too: "serving.evens" would be
# ambiguous, so the tables are named in full.
DUCKDB_PATH="$SERVING" run_materia sql --format csv \
  "SELECT (SELECT count(*) FROM serving.serving.evens) || '/' || (SELECT count(*) FROM serving.serving.wide) AS counts"
expect_out "2/300000" "rows in the serving file"

run_materia export-serving
expect_code 0 "second export"
if [[ "$OUT" =~ ^skipped:\ the\ serving\ layer\ is\ unchanged\ since\ the\ export\ of\ [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$ ]]; then
  ok
else
  fail "skip line: $OUT"
fi

run_materia export-serving --format json
expect_code 0 "skip as json"
expect_out '"skipped": true' "json skipped"
expect_out '"reason": "the serving layer is unchanged since the export of ' "json skip reason"

run_materia export-serving --force --format json
expect_code 0 "forced export"
expect_out '"skipped": false' "json exported"
expect_out '"reason": "forced"' "json forced"
expect_out '"rows": 300002' "json rows"
expect_out '"name": "serving.wide"' "json tables"
expect_out "\"path\": \"$SERVING\"" "json path"
expect_out '"mb_per_second": ' "json rate"
expect_out '"seconds": ' "json seconds"
expect_out '"bytes": ' "json bytes"

# --- a changed serving model re-exports; new source data re-exports the view over it
cat > models/wide.sql <<'SQL'
MODEL (name serving.wide, kind FULL);
SELECT range AS id, md5(range::VARCHAR) AS h, range % 7 AS bucket FROM range(300000)
SQL
run_materia plan --auto-apply
expect_code 0 "apply a change"
run_materia export-serving --format json
expect_code 0 "export after a change"
expect_out '"reason": "serving data changed: serving.wide"' "only the changed model is named"

printf 'n\n1\n2\n3\n4\n6\n' > data/numbers.csv
run_materia run
expect_code 0 "run with new data"
run_materia export-serving --format json
expect_code 0 "export after new data"
expect_out '"reason": "serving data changed: serving.evens"' "the view over new data"
expect_out '"rows": 300003' "the view has the new row"

cp "$SERVING" "$WORK/before.duckdb"

# --- a full disk: writes beyond 2 MB fail (SIGXFSZ ignored, so write() says EFBIG)
set +e
OUT=$(trap '' XFSZ; ulimit -f 2048; exec "$MATERIA" export-serving --force 2>"$WORK/.stderr")
CODE=$?
set -e
ERR=$(cat "$WORK/.stderr")
expect_code 1 "export over the size limit"
expect_err "error: export to $SERVING failed (the serving file is unchanged): IO Error: Could not write file \"$WORK/proj/serving_new.duckdb\": File too large" "size limit message"
expect_unchanged "$WORK/before.duckdb" "size limit"

# --- a really full file system, where mounting is allowed (root, not in a container)
SMALL="$WORK/small"
mkdir -p "$SMALL"
if mount -t tmpfs -o size=9m tmpfs "$SMALL" 2>/dev/null; then
  SERVING_DUCKDB_PATH="$SMALL/serving.duckdb" run_materia export-serving
  expect_code 0 "export to the small file system"
  cp "$SMALL/serving.duckdb" "$WORK/small_before.duckdb"
  SERVING_DUCKDB_PATH="$SMALL/serving.duckdb" run_materia export-serving --force
  expect_code 1 "no room for a second copy"
  expect_err "error: export to $SMALL/serving.duckdb failed (the serving file is unchanged): IO Error: Could not write file \"$SMALL/serving_new.duckdb\": No space left on device" "disk full message"
  SERVING=$SMALL/serving.duckdb expect_unchanged "$WORK/small_before.duckdb" "disk full"
  umount "$SMALL"
else
  echo "note: cannot mount a tmpfs here; the full-disk case ran under a file size limit only"
fi

# --- the warehouse locked by a running transform
cat > models/slow.sql <<'SQL'
MODEL (name raw.slow, kind FULL);
SELECT sum(a.range * b.range) AS total FROM range(60000) a, range(20000) b
SQL
"$MATERIA" plan --auto-apply --threads 1 >"$WORK/slow.out" 2>&1 &
slow=$!
# The apply records its run as running in state after it opened the warehouse.
for _ in $(seq 1 200); do
  running=$(sqlite3 .materia/state.db "SELECT count(*) FROM runs WHERE status = 'running'" 2>/dev/null || true)
  if [ "${running:-0}" -gt 0 ]; then break; fi
  sleep 0.05
done
run_materia export-serving --force
if kill -0 "$slow" 2>/dev/null; then ok; else fail "the slow apply ended before the export tried: the test proved nothing"; fi
expect_code 2 "locked warehouse"
expect_err "error: warehouse warehouse.duckdb is locked by another process (a run in progress?)" "lock message"
expect_unchanged "$WORK/before.duckdb" "locked warehouse"
wait "$slow" || fail "the slow apply failed: $(cat "$WORK/slow.out")"
rm models/slow.sql
run_materia plan --auto-apply
expect_code 0 "apply without the slow model"

# --- where the file goes: config.yaml serving.database (other keys ignored), then
# SERVING_DUCKDB_PATH relative to where the user is
cat >> config.yaml <<'YAML'
serving: {database: served/web.duckdb}
YAML
run_materia export-serving
expect_code 0 "export to the configured file"
expect_out "to $WORK/proj/served/web.duckdb in " "configured path"
[ -f served/web.duckdb ] && ok || fail "no served/web.duckdb"
cd "$WORK"
mkdir -p elsewhere
SERVING_DUCKDB_PATH=elsewhere/s.duckdb run_materia --project proj export-serving
expect_code 0 "export to SERVING_DUCKDB_PATH"
expect_out "to $WORK/elsewhere/s.duckdb in " "environment path, relative to the user's directory"
cd proj

# --- bad settings and a project without serving models
sed -i 's/^serving: .*/serving: served.duckdb/' config.yaml
run_materia export-serving
expect_code 2 "serving is not a mapping"
expect_err "error: config.yaml:6:10: serving must be a mapping, e.g. {database: serving.duckdb}" "bad serving message"
sed -i 's/^serving: .*/serving: {database: [a, b]}/' config.yaml
run_materia export-serving
expect_code 2 "database is not a path"
expect_err "error: config.yaml:6:21: serving database must be a file path" "bad database message"
sed -i '/^serving: /d' config.yaml
rm models/evens.sql models/wide.sql
run_materia plan --auto-apply
expect_code 0 "apply without serving models"
run_materia export-serving
expect_code 2 "no serving models"
expect_err "error: the prod environment has no models in schema serving: nothing to export" "no serving models message"
finish
