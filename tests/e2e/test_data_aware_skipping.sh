#!/usr/bin/env bash
# A FULL model whose code and inputs did not change is skipped, with the reason; touching
# one source file re-runs exactly the models downstream of it; reformatting changes
# nothing; an added column is non-breaking and a changed filter is breaking.
source "$(dirname "$0")/lib.sh"

mkdir -p proj/models proj/data/a proj/data/b
write_config proj
printf 'id,v\n1,10\n2,20\n' > proj/data/a/part1.csv
printf 'id,w\n1,100\n' > proj/data/b/part1.csv
cat > proj/models/src_a.sql <<'SQL'
MODEL (name raw.src_a, kind FULL, tags [heavy]);
SELECT id, v FROM read_csv('data/a/*.csv', header = true)
SQL
cat > proj/models/src_b.sql <<'SQL'
MODEL (name raw.src_b, kind FULL);
SELECT id, w FROM read_csv('data/b/*.csv', header = true)
SQL
cat > proj/models/a_summary.sql <<'SQL'
MODEL (name serving.a_summary, kind FULL, grain id);
SELECT id, v * 2 AS doubled FROM raw.src_a WHERE v > 0
SQL
cat > proj/models/a_view.sql <<'SQL'
MODEL (name serving.a_view, kind VIEW);
SELECT id, doubled FROM serving.a_summary
SQL
cd proj

run_materia check --format json
expect_code 0 "check before the first plan has work"
expect_out '"has_work": true' "check json says work"

run_materia plan --auto-apply
expect_code 0 "first plan applies"
expect_out "+ raw.src_a" "plan lists added models"
expect_action raw.src_a ran "first run builds raw.src_a"
expect_action serving.a_view ran "first run builds the view"

run_materia sql "SELECT sum(doubled) AS total FROM serving.a_view" --format csv
expect_out "60" "the view serves data"

run_materia check
expect_code 1 "nothing to do after apply"
expect_out "Nothing to do: 4 models up to date in 'prod'." "check says nothing to do"

run_materia run
expect_code 0 "run with nothing to do"
expect_action raw.src_a skipped "unchanged model is skipped"
expect_out "0 ran, 4 skipped, 0 failed" "summary counts skips"

# Touch one source file: only its downstream models need work.
sleep 0.01
touch data/b/part1.csv
run_materia check --format json
expect_code 0 "touched file makes work"
expect_out '"name": "raw.src_b"' "raw.src_b needs work"
expect_no_out '"name": "raw.src_a"' "raw.src_a does not"
expect_out 'source data changed: data/b/*.csv' "the reason names the source"
run_materia run
expect_action raw.src_b ran "raw.src_b re-runs"
expect_action raw.src_a skipped "raw.src_a is skipped"
expect_action serving.a_summary skipped "serving.a_summary is skipped"

# A new file under source a re-runs a and its downstream FULL model.
printf 'id,v\n3,30\n' > data/a/part2.csv
run_materia check
expect_code 0 "new file makes work"
expect_out "raw.src_a" "raw.src_a listed"
expect_out "upstream needs work: raw.src_a" "downstream says why"
expect_out "tags: heavy" "check reports the tags"
run_materia run
expect_action raw.src_a ran "raw.src_a re-runs after a new file"
expect_action serving.a_summary ran "downstream re-runs: upstream data changed"
expect_action raw.src_b skipped "raw.src_b untouched"
run_materia sql "SELECT sum(doubled) FROM serving.a_view" --format csv
expect_out "120" "new data served"

# Reformatting and comments change nothing.
cat > models/a_summary.sql <<'SQL'
-- doubled values
MODEL (
  name serving.a_summary,
  kind FULL,
  grain id,
);
select   id,
         v * 2 as doubled   -- the doubled value
from raw.src_a
where v > 0
SQL
run_materia plan
expect_out "No changes" "reformatting is no change"
run_materia check
expect_code 1 "reformatting leaves nothing to do"

# Adding a column is non-breaking: the model rebuilds, its children do not.
cat > models/a_summary.sql <<'SQL'
MODEL (name serving.a_summary, kind FULL, grain id);
SELECT id, v * 2 AS doubled, v * 3 AS tripled FROM raw.src_a WHERE v > 0
SQL
run_materia plan
expect_out "serving.a_summary                        directly modified, non-breaking" "added column is non-breaking"
run_materia apply
expect_code 0 "apply non-breaking"
expect_action serving.a_summary ran "modified model rebuilds"
expect_action serving.a_view skipped "child of a non-breaking change is not rebuilt"

# Changing the filter is breaking: the child rebuilds too.
cat > models/a_summary.sql <<'SQL'
MODEL (name serving.a_summary, kind FULL, grain id);
SELECT id, v * 2 AS doubled, v * 3 AS tripled FROM raw.src_a WHERE v > 10
SQL
run_materia run
expect_code 2 "run refuses unapplied changes"
expect_err "error: the project has changes not applied to 'prod' (2 models): run \`materia plan prod\`" "run says to plan"
run_materia plan
expect_out "serving.a_summary                        directly modified, breaking" "changed filter is breaking"
expect_out "serving.a_view                           indirectly modified, breaking" "child is indirectly modified"
run_materia apply
expect_action serving.a_view ran "child of a breaking change rebuilds"
run_materia sql "SELECT count(*) AS n FROM serving.a_view" --format csv
expect_out "2" "new filter applied"

# A dev environment built from the same versions moves no data.
run_materia plan dev --auto-apply
expect_code 0 "dev plan applies"
expect_out "0 ran, 4 skipped" "dev reuses prod's tables"
run_materia sql "SELECT count(*) FROM serving__dev.a_view" --format csv
expect_out "2" "dev views serve the same data"

finish
