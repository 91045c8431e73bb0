#!/usr/bin/env bash
# A source that gains a column changes the shape of `SELECT *` models. The run that
# rebuilds them must leave every environment view working: a VIEW model over such a
# model, and the views of models that ran while an unrelated model failed.
source "$(dirname "$0")/lib.sh"

# 1. A VIEW model over a model whose source gained a column.
mkdir -p view/models view/a
write_config view
printf 'id,v\n1,10\n' > view/a/part.csv
cat > view/models/a.sql <<'SQL'
MODEL (name raw.a, kind FULL);
SELECT * FROM read_csv('a/*.csv', header = true)
SQL
cat > view/models/a_view.sql <<'SQL'
MODEL (name serving.a_view, kind VIEW);
SELECT * FROM raw.a
SQL
cd "$WORK/view"
run_materia plan --auto-apply
expect_code 0 "first apply"
sleep 0.01
printf 'id,v,extra\n1,10,x\n' > a/part.csv
run_materia run
expect_code 0 "run after a source gained a column"
run_materia sql "SELECT extra FROM raw.a" --format csv
expect_out "x" "raw.a serves the new column"
run_materia sql "SELECT extra FROM serving.a_view" --format csv
expect_out "x" "the VIEW model serves the new column"
run_materia run
expect_code 0 "the next run works too"

# 2. A model that ran while an unrelated model failed.
mkdir -p "$WORK/fail/models" "$WORK/fail/b"
write_config "$WORK/fail"
cd "$WORK/fail"
printf 'id,w\n1,100\n' > b/part.csv
cat > models/b.sql <<'SQL'
MODEL (name raw.b, kind FULL);
SELECT id, CAST(w AS INTEGER) AS w FROM read_csv('b/*.csv', header = true, all_varchar = true)
SQL
cat > models/b_copy.sql <<'SQL'
MODEL (name raw.b_copy, kind FULL);
SELECT * FROM read_csv('b/*.csv', header = true)
SQL
run_materia plan --auto-apply
expect_code 0 "first apply"
sleep 0.01
printf 'id,w,note\n1,oops,n\n' > b/part.csv
run_materia run
expect_code 1 "a model failed"
expect_action raw.b failed "raw.b fails on the bad value"
expect_action raw.b_copy ran "raw.b_copy runs"
run_materia sql "SELECT note FROM raw.b_copy" --format csv
expect_code 0 "the view of a model that ran works while another model failed"
expect_out "n" "it serves the new data"

finish
