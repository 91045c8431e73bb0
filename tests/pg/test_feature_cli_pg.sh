# The feature commands on a Postgres store and a Postgres catalog, driven as a user
# drives them: one round of resolve and write through the example's video pipeline,
# status and catalog verify, a change upstream, a copy from a DuckDB store, and the
# one-line error of an unreachable store. Runs under pg_virtualenv (ctest -R
# pg.feature_cli), which sets PGHOST, PGPORT, PGUSER and PGPASSWORD.
source "$MATERIA_SOURCE_DIR/tests/e2e/lib.sh"

: "${PGHOST:?PGHOST is not set: run this under pg_virtualenv (ctest -R pg.feature_cli)}"
: "${PGPASSWORD:?PGPASSWORD is not set: run this under pg_virtualenv}"

# done_rows IN OUT COLUMN: what a user's step does: the resolve file's new and stale rows
# (their ids and provenance) plus a computed column.
done_rows() {
  python3 - "$@" <<'EOF'
import csv, sys
source, target, column = sys.argv[1:4]
rows = [r for r in csv.DictReader(open(source)) if r['materia_status'] in ('new', 'stale')]
keep = [k for k in (rows[0].keys() if rows else []) if k not in ('materia_status', 'materia_stale_fields')]
with open(target, 'w', newline='') as out:
    w = csv.writer(out)
    w.writerow(keep + [column])
    for r in rows:
        w.writerow([r[k] for k in keep] + ['computed-' + r['video_id']])
EOF
}

# features_config URL: the example's config.yaml with a Postgres store `team` (written),
# a DuckDB store `local`, and a Postgres catalog.
features_config() {
  python3 - video/config.yaml "$1" <<'EOF'
import re, sys
path, url = sys.argv[1:3]
text = open(path).read()
text = re.sub(r'features:.*', '''features:
  version_length: 16
  store: team
  stores:
    team: {type: postgres, url: "%s", schema: cli_features}
    local: {type: duckdb, path: .materia/features.duckdb}
  catalog: {type: postgres, url: "postgresql://${PGUSER}@${PGHOST}:${PGPORT}/postgres", schema: cli_catalog}''' % url,
              text, flags=re.S)
open(path, 'w').write(text)
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
  if [ "$got" = "$3" ]; then ok; else fail "$4: $1 $2 is $got, expected $3 ($ERR)"; fi
}

pg_count() {  # pg_count SQL: one value from the test server
  psql -XAtc "$1" postgres
}

cp -r "$MATERIA_SOURCE_DIR/examples/features" video
# ${VAR} is expanded by materia from the environment; the password stays in PGPASSWORD.
features_config 'postgresql://${PGUSER}@${PGHOST}:${PGPORT}/postgres'
cat >video/raw.csv <<'EOF'
video_id,frames,audio,duration_seconds,materia_sample_version
1,f1.bin,a1.wav,10,sha-1
2,f2.bin,a2.wav,0,sha-2
3,f3.bin,a3.wav,30,sha-3
EOF

# Nothing in Postgres yet: a read-only command sees an empty store and catalog.
run_materia -p video features resolve video/raw --samples raw.csv --out raw-todo.csv
expect_code 0 "resolve root on an empty database"
expect_out "video/raw: 3 new, 0 stale, 0 orphaned" "resolve root counts"
run_materia -p video features write video/raw --in raw-todo.csv
expect_code 0 "write root"
expect_out "video/raw: wrote 3 samples to store team" "write root message"
if [ "$(pg_count 'SELECT count(*) FROM cli_features."video/raw"')" = 3 ]; then ok; else
  fail "rows in Postgres: $(pg_count 'SELECT count(*) FROM cli_features."video/raw"')"; fi
run_materia -p video features resolve video/raw --samples raw.csv
expect_out "video/raw: 0 new, 0 stale, 0 orphaned" "root in sync after writing"

# crop (filtered on duration > 0) and embed (an expansion) computed and written back.
run_materia -p video features resolve video/crop --out crop-todo.csv
expect_out "video/crop: 2 new, 0 stale, 0 orphaned" "crop new"
done_rows video/crop-todo.csv video/crop-done.csv face_box
run_materia -p video features write video/crop --in crop-done.csv
expect_out "video/crop: wrote 2 samples to store team" "write crop"
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
expect_out "video/embed: wrote 4 samples to store team" "write embed chunks"
run_materia -p video features status --assert-in-sync
expect_code 0 "in sync after the first round"
expect_out "In sync." "status says in sync"
run_materia -p video features catalog verify
expect_code 0 "catalog verify after the first round"
expect_out "The catalog agrees with the stores." "verify message"
run_materia -p video features catalog list --format json
if JSON="$OUT" python3 -c "
import json, os, sys
doc = json.loads(os.environ['JSON'])
port = os.environ['PGPORT']  # named unless it is Postgres's default
want = 'postgres:%s%s/postgres/cli_features' % (os.environ['PGHOST'], '' if port == '5432' else ':' + port)
sys.exit(0 if sorted(e['feature'] for e in doc) == ['video/crop', 'video/embed', 'video/raw']
         and all(e['container'] == want for e in doc) else 1)"; then ok; else fail "catalog entries: $OUT"; fi

# One upstream sample changes: exactly its downstream sample is stale.
sed -i 's/^1,f1.bin,a1.wav,10,sha-1$/1,f1.bin,a1.wav,10,sha-1b/' video/raw.csv
run_materia -p video features resolve video/raw --samples raw.csv --out raw-todo.csv
expect_out "video/raw: 0 new, 1 stale, 0 orphaned" "changed root sample"
run_materia -p video features write video/raw --in raw-todo.csv
expect_out "video/raw: wrote 1 sample to store team" "rewrite one root sample"
run_materia -p video features status --assert-in-sync
expect_code 1 "out of sync after an upstream change"
expect_status video/crop stale 1 "one crop sample stale"
run_materia -p video features resolve video/crop --out crop-todo.csv
expect_out "video/crop: 0 new, 1 stale, 0 orphaned" "crop stale"
done_rows video/crop-todo.csv video/crop-done.csv face_box
run_materia -p video features write video/crop --in crop-done.csv
expect_out "video/crop: wrote 1 sample to store team" "rewrite crop"
expect_status video/embed stale 1 "embed stale once crop's data changed"
run_materia -p video features read video/crop --out crop-now.csv
expect_out "video/crop: 2 samples -> crop-now.csv" "read crop"

# Copy from the DuckDB store into the Postgres one.
run_materia -p video features resolve video/raw --samples raw.csv --store local --out local-todo.csv
expect_out "video/raw: 3 new, 0 stale, 0 orphaned" "local store starts empty"
run_materia -p video features write video/raw --in local-todo.csv --store local
expect_out "video/raw: wrote 3 samples to store local" "write to the DuckDB store"
run_materia -p video features copy --from local --to team video/raw
expect_code 0 "copy duckdb -> postgres"
expect_out "video/raw: copied 3 samples from local to team" "copy message"
expect_status video/raw samples 3 "raw after the copy"
expect_status video/crop stale 0 "the copy carries the same provenance: crop stays fresh"
run_materia -p video features catalog verify
expect_code 0 "catalog verify after the copy"
expect_out "The catalog agrees with the stores." "verify after copy"

# An unreachable store: one line, exit code 2, never the password.
features_config 'postgresql://${PGUSER}:${PGPASSWORD}@127.0.0.1:1/postgres'
run_materia -p video features status
expect_code 2 "unreachable store"
if [ "$(wc -l <<<"$ERR")" -eq 1 ] && [[ "$ERR" == "error: store team: cannot connect to Postgres at "* ]]; then ok; else
  fail "unreachable store message: $ERR"; fi
if grep -qF -- "$PGPASSWORD" <<<"$ERR$OUT"; then fail "the password is printed: $ERR"; else ok; fi

finish
