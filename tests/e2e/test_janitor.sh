#!/usr/bin/env bash
# `materia janitor` removes dev environments not promoted within environment_ttl (never
# prod), snapshots no environment uses that are older than snapshot_ttl with their
# tables, and tables state knows nothing of; --dry-run changes nothing.
source "$(dirname "$0")/lib.sh"

# write_ttls ENVIRONMENT_TTL SNAPSHOT_TTL: the usual config.yaml with the two TTLs.
write_ttls() {
  write_config .
  printf 'environment_ttl: %s\nsnapshot_ttl: %s\n' "$1" "$2" >> config.yaml
}

# physical_tables: the tables of materia__s, one a line, sorted.
physical_tables() {
  "$MATERIA" sql "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'materia__s' ORDER BY 1" \
    --format csv | tail -n +2
}

# check_json DESCRIPTION ARGS...: runs the Python checks on stdin against $OUT as JSON.
check_json() {
  if JSON="$OUT" python3 - "${@:2}"; then ok; else fail "$1: $OUT"; fi
}

mkdir -p proj/models
cd proj

# Before any plan there is no state: nothing to remove, nothing created.
write_config .
run_materia janitor
expect_code 0 "janitor on a fresh project"
expect_out "Nothing to remove (environment_ttl 1 week, snapshot_ttl 1 week)." "fresh project: nothing"
if [ -e warehouse.duckdb ]; then fail "janitor created a warehouse"; else ok; fi

cat > models/a.sql <<'SQL'
MODEL (name s.a, kind FULL);
SELECT 1 AS id
SQL
cat > models/b.sql <<'SQL'
MODEL (name s.b, kind FULL);
SELECT id, 'prod' AS note FROM s.a
SQL
run_materia plan --auto-apply
expect_code 0 "prod applies"
prod_tables=$(physical_tables)

# A breaking change of s.b in dev gets its own table; s.a stays shared with prod.
cat > models/b.sql <<'SQL'
MODEL (name s.b, kind FULL);
SELECT id + 1 AS id, 'dev' AS note FROM s.a
SQL
run_materia plan dev --auto-apply
expect_code 0 "dev applies"
all_tables=$(physical_tables)
dev_table=$(comm -13 <(echo "$prod_tables") <(echo "$all_tables"))
if [ -n "$dev_table" ] && [ "$(wc -l <<<"$dev_table")" -eq 1 ]; then ok; else fail "dev has one table of its own: '$dev_table'"; fi

# With the default TTLs (1 week) everything is young.
run_materia janitor
expect_code 0 "janitor with young environments"
expect_out "Nothing to remove (environment_ttl 1 week, snapshot_ttl 1 week)." "nothing young is removed"

# Bad TTLs are refused with their position.
write_ttls soon "1 week"
run_materia janitor
expect_code 2 "a bad environment_ttl"
expect_err "error: config.yaml:6:18: invalid environment_ttl 'soon': expected a count and a unit, such as 'in 1 week', '3 days' or '12 hours'" "bad environment_ttl message"
write_ttls "1 week" "3 fortnights"
run_materia janitor --dry-run
expect_code 2 "a bad snapshot_ttl"
expect_err "error: config.yaml:7:15: invalid snapshot_ttl '3 fortnights': unknown unit 'fortnights' (expected seconds, minutes, hours, days, weeks, months or years)" "bad snapshot_ttl message"
write_ttls "[1 week]" "1 week"
run_materia janitor
expect_code 2 "a list as environment_ttl"
expect_err "error: config.yaml:6:18: environment_ttl must be a single value" "list TTL message"

# SQLMesh's own spelling is accepted.
write_ttls "in 1 week" "in 30 days"
run_materia janitor
expect_code 0 "SQLMesh's 'in 1 week'"
expect_out "Nothing to remove (environment_ttl 1 week, snapshot_ttl 30 days)." "TTLs shown as read"

# Let dev expire.
write_ttls "1 second" "1 second"
sleep 2

run_materia janitor --dry-run
expect_code 0 "dry run"
expect_out "  environment  dev " "dry run lists dev"
expect_out "  snapshot     s.b " "dry run lists dev's snapshot of s.b"
expect_out "  table        materia__s.$dev_table " "dry run lists dev's table"
expect_out "snapshot of s.b no longer used" "dry run says why the table goes"
expect_out "Dry run: would remove 1 environment, 1 snapshot, 1 table or view, 0 schemas (environment_ttl 1 second, snapshot_ttl 1 second); nothing was changed." "dry run summary"
expect_no_out "  environment  prod" "prod never expires"
run_materia sql "SELECT note FROM s__dev.b" --format csv
expect_code 0 "dev still serves after the dry run"
expect_out "dev" "dev's data after the dry run"
if [ "$(physical_tables)" = "$all_tables" ]; then ok; else fail "the dry run dropped tables: $(physical_tables)"; fi
run_materia info --format json
expect_out '"environments":["dev","prod"]' "the dry run keeps dev in state"

run_materia janitor --dry-run --format json
expect_code 0 "dry run as JSON"
check_json "dry-run JSON" "$dev_table" <<'PY'
import json, os, sys
report = json.loads(os.environ["JSON"])
assert report["dry_run"] is True, report
assert report["environment_ttl"] == "1 second" and report["snapshot_ttl"] == "1 second", report
assert [e["name"] for e in report["environments"]] == ["dev"], report
assert report["environments"][0]["views"] == ["s__dev.a", "s__dev.b"], report
assert report["environments"][0]["schemas"] == ["s__dev"], report
assert [s["name"] for s in report["snapshots"]] == ["s.b"], report
assert [(t["schema"], t["name"], t["type"]) for t in report["tables"]] == [("materia__s", sys.argv[1], "table")], report
assert report["schemas"] == [], report
PY

run_materia janitor
expect_code 0 "janitor"
expect_out "  environment  dev " "dev removed"
expect_out "Removed 1 environment, 1 snapshot, 1 table or view, " "summary"
run_materia sql "SELECT * FROM s__dev.b"
expect_code 2 "dev's views are gone"
run_materia sql "SELECT count(*) AS n FROM duckdb_schemas() WHERE schema_name = 's__dev'" --format csv
expect_out "0" "dev's schema is gone"
run_materia sql "SELECT id, note FROM s.b" --format csv
expect_code 0 "prod still serves"
expect_out "1,prod" "prod's data is untouched"
if [ "$(physical_tables)" = "$prod_tables" ]; then ok; else fail "after the janitor: $(physical_tables), expected prod's: $prod_tables"; fi
run_materia info --format json
expect_out '"environments":["prod"]' "dev is deleted from state, prod stays"

# Running it again finds nothing.
run_materia janitor
expect_code 0 "second janitor"
expect_out "Nothing to remove (environment_ttl 1 second, snapshot_ttl 1 second)." "second run removes nothing"

# A breaking change applied to prod leaves the old table of s.b unused; here its
# snapshot row is lost too (as after a crash), so state knows nothing of the table.
old_b=$(grep '^s__b__' <<<"$prod_tables")
run_materia plan --auto-apply
expect_code 0 "prod takes the change"
sqlite3 .materia/state.db "DELETE FROM snapshots WHERE name = 's.b' AND version = '${old_b##*__}'"
run_materia janitor --format json
expect_code 0 "janitor as JSON"
check_json "janitor JSON" "$old_b" <<'PY'
import json, os, sys
report = json.loads(os.environ["JSON"])
assert report["dry_run"] is False, report
assert report["environments"] == [] and report["snapshots"] == [], report
assert report["tables"] == [{"schema": "materia__s", "name": sys.argv[1], "type": "table",
                             "reason": "unknown to state"}], report
PY
if grep -qx "$old_b" <(physical_tables); then fail "the old table of s.b is still there"; else ok; fi
run_materia sql "SELECT id, note FROM s.b" --format csv
expect_out "2,dev" "prod serves the change"
run_materia run
expect_code 0 "prod runs after the janitor"
expect_out "0 ran, 2 skipped, 0 failed" "nothing prod uses was dropped"

# A missing warehouse next to existing state is an error, not a new empty warehouse.
mv warehouse.duckdb moved.duckdb
run_materia janitor
expect_code 2 "janitor without its warehouse"
expect_err "error: warehouse warehouse.duckdb does not exist (run \`materia plan --auto-apply\` first)" "missing warehouse message"
if [ -e warehouse.duckdb ]; then fail "janitor created an empty warehouse"; else ok; fi
mv moved.duckdb warehouse.duckdb

# A writer holds the warehouse: the janitor is refused, its dry run too.
cat > models/slow.sql <<'SQL'
MODEL (name t.slow, kind FULL);
SELECT sum(a.range * b.range) AS total FROM range(60000) a, range(20000) b
SQL
runs_before=$(sqlite3 .materia/state.db "SELECT coalesce(max(rowid), 0) FROM runs")
"$MATERIA" plan --auto-apply --threads 1 >"$WORK/slow.out" 2>&1 &
slow=$!
# Wait until the apply holds the warehouse: it records its run as running in state once
# the warehouse is open. (Probing the warehouse itself could take the lock first.)
for _ in $(seq 1 400); do
  running=$(sqlite3 .materia/state.db "SELECT count(*) FROM runs WHERE status = 'running' AND rowid > $runs_before" 2>/dev/null || true)
  if [ "${running:-0}" -gt 0 ]; then break; fi
  sleep 0.05
done
run_materia janitor
expect_code 2 "janitor while a run holds the warehouse"
expect_err "error: warehouse warehouse.duckdb is locked by another process (a run in progress?)" "lock message"
run_materia janitor --dry-run
expect_code 2 "dry run while a run holds the warehouse"
expect_err "error: warehouse warehouse.duckdb is locked by another process (a run in progress?)" "dry-run lock message"
if kill -0 "$slow" 2>/dev/null; then ok; else fail "the slow apply ended before the janitor ran: the lock test proved nothing"; fi
wait "$slow" || fail "the slow apply failed: $(cat "$WORK/slow.out")"

finish
