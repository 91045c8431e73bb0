# Feature metadata end to end, on the example's video pipeline (video/raw -> video/crop
# -> video/embed): resolve says which samples are new, stale or orphaned per field;
# write, delete, migrate, copy between stores, fallback chains, the catalog and its
# verify; and the one-line errors a user sees.
source "$(dirname "$0")/lib.sh"

json_check() {  # json_check DESCRIPTION PYTHON_EXPRESSION (over `doc`, the JSON in $OUT)
  if JSON="$OUT" python3 -c "import json, os, sys; doc = json.loads(os.environ['JSON']); sys.exit(0 if ($2) else 1)"; then
    ok
  else
    fail "$1: $OUT"
  fi
}

# done_rows IN OUT COLUMN: what a user's step does: the resolve file's new and stale rows
# (their ids and provenance) plus a computed column.
done_rows() {
  python3 - "$@" <<'EOF'
import csv, sys
source, target, column = sys.argv[1:4]
rows = [r for r in csv.DictReader(open(source)) if r['materia_status'] in ('new', 'stale')]
keep = [k for k in (rows[0].keys() if rows else []) if k != 'materia_status' and k != 'materia_stale_fields']
with open(target, 'w', newline='') as out:
    w = csv.writer(out)
    w.writerow(keep + [column])
    for r in rows:
        w.writerow([r[k] for k in keep] + ['computed-' + r['video_id']])
EOF
}

status_of() {  # status_of FEATURE FIELD: one value of `features status --format json`
  JSON="$OUT" python3 -c "import json, os, sys; d = json.loads(os.environ['JSON']); \
print([f for f in d['features'] if f['feature'] == sys.argv[1]][0][sys.argv[2]])" "$1" "$2"
}

expect_status() {  # expect_status FEATURE FIELD VALUE DESCRIPTION (runs status first)
  run_materia -p video features status --format json
  local got
  got=$(status_of "$1" "$2")
  if [ "$got" = "$3" ]; then ok; else fail "$4: $1 $2 is $got, expected $3"; fi
}

cp -r "$MATERIA_SOURCE_DIR/examples/features" video
cat >video/raw.csv <<'EOF'
video_id,frames,audio,duration_seconds,materia_sample_version
1,f1.bin,a1.wav,10,sha-1
2,f2.bin,a2.wav,0,sha-2
3,f3.bin,a3.wav,30,sha-3
EOF

# A root feature takes its sample list; before anything is stored it cannot do without.
run_materia -p video features resolve video/raw
expect_code 2 "root without samples"
expect_err "error: video/raw is a root feature with nothing stored: give its samples (--samples FILE)" "root needs samples"
run_materia -p video features status --assert-in-sync
expect_code 0 "nothing stored, nothing to do"

# Everything is new the first time.
run_materia -p video features resolve video/raw --samples raw.csv --out raw-todo.csv
expect_code 0 "resolve root"
expect_out "video/raw: 3 new, 0 stale, 0 orphaned" "resolve root counts"
run_materia -p video features write video/raw --in raw-todo.csv
expect_code 0 "write root"
expect_out "video/raw: wrote 3 samples to store local" "write root message"
run_materia -p video features resolve video/raw --samples raw.csv
expect_out "video/raw: 0 new, 0 stale, 0 orphaned" "root in sync after writing"

# crop reads raw with a filter (duration > 0): two samples to compute.
run_materia -p video features resolve video/crop --out crop-todo.csv
expect_out "video/crop: 2 new, 0 stale, 0 orphaned" "crop new"
if head -1 video/crop-todo.csv | grep -q '^materia_status,video_id,raw_frames,audio,materia_provenance__frames'; then
  ok
else
  fail "crop resolve columns: $(head -1 video/crop-todo.csv)"
fi
done_rows video/crop-todo.csv video/crop-done.csv face_box
run_materia -p video features write video/crop --in crop-done.csv
expect_out "video/crop: wrote 2 samples" "write crop"

# embed is an expansion: one row per video to compute, several chunks written back.
run_materia -p video features resolve video/embed --out embed-todo.csv
expect_out "video/embed: 2 new, 0 stale, 0 orphaned" "embed new parents"
python3 - video/embed-todo.csv video/embed-done.csv <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
prov = [k for k in rows[0] if k.startswith('materia_provenance')]
with open(sys.argv[2], 'w', newline='') as out:
    w = csv.writer(out)
    w.writerow(['video_id', 'chunk', 'vector'] + prov)
    for r in rows:
        for chunk in range(3 if r['video_id'] == '1' else 1):
            w.writerow([r['video_id'], chunk, 'v'] + [r[k] for k in prov])
EOF
run_materia -p video features write video/embed --in embed-done.csv
expect_out "video/embed: wrote 4 samples" "write embed chunks"
run_materia -p video features status --assert-in-sync
expect_code 0 "in sync after the first run"
expect_out "In sync." "status says in sync"

# A changed upstream sample makes exactly its downstream samples stale, per field.
sed -i 's/^1,f1.bin,a1.wav,10,sha-1$/1,f1.bin,a1.wav,10,sha-1b/' video/raw.csv
run_materia -p video features resolve video/raw --samples raw.csv --out raw-todo.csv
expect_out "video/raw: 0 new, 1 stale, 0 orphaned" "changed root sample"
run_materia -p video features write video/raw --in raw-todo.csv
expect_out "video/raw: wrote 1 sample to store local" "rewrite one root sample"
run_materia -p video features status --assert-in-sync
expect_code 1 "out of sync after an upstream change"
expect_status video/crop stale 1 "one crop sample stale"
expect_status video/crop stale_fields "{'audio': 1, 'frames': 1, 'thumbnail': 1}" "stale fields"
expect_status video/embed stale 0 "embed waits for crop's new data"
run_materia -p video features resolve video/crop --out crop-todo.csv
done_rows video/crop-todo.csv video/crop-done.csv face_box
run_materia -p video features write video/crop --in crop-done.csv
expect_status video/embed stale 1 "embed stale once crop's data changed"
run_materia -p video features resolve video/embed --out embed-todo.csv
expect_out "video/embed: 0 new, 1 stale, 0 orphaned" "embed stale parent"

# A user-supplied data version: the same content hash keeps downstream fresh.
python3 - video/crop-done.csv video/crop-same.csv <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
with open(sys.argv[2], 'w', newline='') as out:
    w = csv.DictWriter(out, list(rows[0].keys()) + ['materia_data_version'])
    w.writeheader()
    for r in rows:
        r['materia_data_version'] = 'content-hash-' + r['video_id']
        w.writerow(r)
EOF
run_materia -p video features write video/crop --in crop-same.csv
run_materia -p video features resolve video/embed --out embed-todo.csv
python3 - video/embed-todo.csv video/embed-done.csv <<'EOF'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r['materia_status'] != 'orphaned']
prov = [k for k in rows[0] if k.startswith('materia_provenance')]
with open(sys.argv[2], 'w', newline='') as out:
    w = csv.writer(out)
    w.writerow(['video_id', 'chunk', 'vector'] + prov)
    for r in rows:
        w.writerow([r['video_id'], 0, 'v2'] + [r[k] for k in prov])
EOF
run_materia -p video features write video/embed --in embed-done.csv
cp video/crop-same.csv video/crop-same-again.csv
run_materia -p video features write video/crop --in crop-same-again.csv
run_materia -p video features resolve video/embed
expect_out "video/embed: 0 new, 0 stale, 0 orphaned" "same data version: downstream stays fresh"

# Deletes: a soft delete hides the sample and orphans its children; --hard removes rows.
printf 'video_id\n3\n' >video/gone.csv
run_materia -p video features delete video/raw --ids gone.csv
expect_out "video/raw: deleted 1 sample in store local" "soft delete"
run_materia -p video features resolve video/crop --out crop-todo.csv
expect_out "video/crop: 0 new, 0 stale, 1 orphaned" "orphaned after an upstream delete"
run_materia -p video features delete video/crop --ids gone.csv --hard
expect_out "video/crop: removed 1 sample in store local" "hard delete"
expect_status video/embed orphaned 1 "embed's children of the deleted video are orphaned"
run_materia -p video features delete video/raw
expect_code 2 "delete without --ids or --all"
expect_err "error: features delete needs either --ids FILE or --all" "delete needs a choice"

# read: the latest live rows, filtered in the store's query.
run_materia -p video features read video/raw --out raw-now.jsonl --where "duration_seconds > 5"
expect_out "video/raw: 1 sample -> raw-now.jsonl" "read with a filter"
if grep -q '"video_id":1' video/raw-now.jsonl && ! grep -q '"video_id":3' video/raw-now.jsonl; then ok; else
  fail "read rows: $(cat video/raw-now.jsonl)"; fi

# Parquet in and out: what read writes, write takes back (the same samples again).
run_materia -p video features read video/raw --out raw-now.parquet
expect_out "video/raw: 2 samples -> raw-now.parquet" "read to parquet"
run_materia -p video features write video/raw --in raw-now.parquet
expect_out "video/raw: wrote 2 samples to store local" "write from parquet"
run_materia -p video features resolve video/crop --out crop-now.parquet
expect_out "video/crop: 0 new, 0 stale, 0 orphaned" "rewriting the same raw rows leaves crop fresh"

# migrate: a code_version bump marked metadata-only moves samples without recomputing.
python3 - video/features/crop.yaml <<'EOF'
import sys
path = sys.argv[1]
text = open(path).read().replace('{key: audio, code_version: "1"}', '{key: audio, code_version: "2"}')
open(path, 'w').write(text)
EOF
expect_status video/crop stale 1 "the code bump makes crop stale"
run_materia -p video features migrate video/crop --field audio --to-code-version 3
expect_code 2 "migrate to a code version the definition does not have"
expect_err 'error: features/crop.yaml:12:5: field '"'"'audio'"'"' of video/crop has code_version "2", not "3": change the definition first' "migrate check"
run_materia -p video features migrate video/crop --field audio --to-code-version 2
expect_code 0 "migrate"
expect_out "video/crop: 1 sample moved to the current code version without recomputing; 0 stay stale" "migrate counts"
expect_status video/crop stale 0 "crop fresh after migrate"
expect_status video/embed stale 0 "migrate keeps data versions: embed stays fresh"

# The catalog follows every write; verify finds drift when the two disagree.
run_materia -p video features catalog list --format json
json_check "catalog entries" "sorted(e['feature'] for e in doc) == ['video/crop', 'video/embed', 'video/raw'] \
  and all(e['container'].startswith('duckdb:') for e in doc)"
run_materia -p video features catalog verify
expect_code 0 "verify in sync"
expect_out "The catalog agrees with the stores." "verify message"
cp video/.materia/features-catalog.sqlite video/catalog-before.sqlite
printf 'video_id\n2\n' >video/two.csv
run_materia -p video features delete video/raw --ids two.csv
cp video/catalog-before.sqlite video/.materia/features-catalog.sqlite
rm -f video/.materia/features-catalog.sqlite-wal video/.materia/features-catalog.sqlite-shm
run_materia -p video features catalog verify
expect_code 1 "verify finds drift"
expect_out "count: video/raw " "verify names the drifted feature"
expect_out "1 disagreement(s) between the catalog and the stores." "verify summary"

# Stores: copy from one store to another; a store reads what it lacks from its fallback.
python3 - video/config.yaml <<'EOF'
import sys
path = sys.argv[1]
text = open(path).read().replace('features: {version_length: 16}', '''features:
  version_length: 16
  store: dev
  stores:
    dev: {type: duckdb, path: .materia/dev.duckdb, fallback: [prod]}
    prod: {type: duckdb, path: .materia/features.duckdb}
    lake: {type: parquet, path: .materia/lake, partition_by: [video_id], fallback: [prod]}''')
open(path, 'w').write(text)
EOF
expect_status video/raw store prod "dev reads raw from its fallback"
run_materia -p video features copy --from prod --to dev video/raw
expect_out "video/raw: copied 1 sample from prod to dev" "copy one feature"
expect_status video/raw store dev "raw now read from dev"
expect_status video/crop store prod "crop still from prod, never mixed"

# A Parquet store: one file per write, hive-partitioned, readable by any engine.
run_materia -p video features copy --from prod --to lake
expect_code 0 "copy every feature to the parquet store"
expect_out "video/crop: copied 1 sample from prod to lake" "copy to parquet"
if [ -n "$(find video/.materia/lake/video/crop/@rows -path '*video_id=1*' -name '*.parquet')" ]; then ok; else
  fail "parquet files: $(find video/.materia/lake | head)"; fi
run_materia -p video features status --store lake --assert-in-sync --format json
json_check "status from the parquet store" "all(f['store'] == 'lake' for f in doc['features'])"
run_materia -p video features catalog list --format json
json_check "catalog lists the parquet copy" "any(e['container'].startswith('parquet:') and e['feature'] == 'video/crop' for e in doc)"

# Every command leaves a JSON line in the log and adds to the totals serve shows.
if python3 -c "
import json, sys
events = [json.loads(line) for line in open('video/.materia/logs/features.log')]
kinds = {e['event'] for e in events}
sys.exit(0 if {'resolve', 'write', 'delete', 'copy', 'migrate'} <= kinds and all('time' in e for e in events) else 1)"; then
  ok
else
  fail "features.log: $(tail -3 video/.materia/logs/features.log)"
fi
"$MATERIA" -p video serve --port 0 >video/serve.out 2>&1 &
server=$!
for _ in $(seq 1 100); do grep -q "^Serving " video/serve.out 2>/dev/null && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' video/serve.out | head -1)
metrics=$(curl -s "$url/metrics")
kill -TERM "$server"
wait "$server" || true
if grep -qE '^materia_feature_store_operations_total\{store="dev",op="write"\} [1-9][0-9]*$' <<<"$metrics"; then ok; else
  fail "store metrics: $(grep feature <<<"$metrics")"; fi
if grep -qE '^materia_feature_resolved_samples_total\{feature="video/crop",status="stale"\} [1-9]' <<<"$metrics"; then ok; else
  fail "resolve metrics: $(grep feature <<<"$metrics")"; fi
if command -v promtool >/dev/null; then
  if promtool check metrics <<<"$metrics" >/dev/null 2>&1; then ok; else fail "promtool: $(promtool check metrics <<<"$metrics" 2>&1 | head -3)"; fi
fi

# Errors: one line each.
run_materia -p video features resolve video/crp
expect_code 2 "unknown feature"
expect_err "error: unknown feature 'video/crp' (known: video/crop, video/embed, video/raw)" "unknown feature message"
printf 'id,x\n1,2\n' >video/bad.csv
run_materia -p video features resolve video/raw --samples bad.csv
expect_err "error: id column 'video_id' of video/raw is missing from bad.csv (its columns: id, x)" "missing id column in samples"
run_materia -p video features write video/raw --in bad.csv
expect_err "error: id column 'video_id' of video/raw is missing from bad.csv (its columns: id, x)" "missing id column in write"
printf 'video_id,frames\n5,a\n5,b\n' >video/twice.csv
run_materia -p video features write video/raw --in twice.csv
expect_err "error: twice.csv has more than one row for sample video_id=5 of video/raw" "repeated sample"
printf 'video_id,face_box\n42,x\n' >video/stray.csv
run_materia -p video features write video/crop --in stray.csv
expect_err "error: stray.csv: sample video_id=42 of video/crop matches no upstream sample (resolve first, or check the ids)" "write without upstream"
printf 'video_id,duration_seconds\n9,long\n' >video/typed.csv
run_materia -p video features write video/raw --in typed.csv --store prod
expect_err "error: video/raw: column 'duration_seconds' is BIGINT in store prod, the rows have VARCHAR" "type mismatch"
run_materia -p video features write video/raw --in raw.txt
expect_err "error: cannot read raw.txt: no such file" "missing input"
touch video/raw.txt
run_materia -p video features write video/raw --in raw.txt
expect_err "error: raw.txt: unknown file type '.txt' (use .parquet, .csv or .jsonl)" "unknown file type"
run_materia -p video features status --store nope
expect_err "error: unknown store 'nope' (stores: dev, prod, lake)" "unknown store"
python3 - video/config.yaml <<'EOF'
import sys
path = sys.argv[1]
text = open(path).read().replace('fallback: [prod]', 'fallback: [prd]')
open(path, 'w').write(text)
EOF
run_materia -p video features status
expect_err "error: config.yaml:14:62: store 'dev' falls back to unknown store 'prd'" "unknown fallback"

finish
