# The C++ feature API example (examples/features/pipeline.cpp): a three-step pipeline
# run twice; the second run computes only the re-uploaded video's samples.
source "$(dirname "$0")/lib.sh"
: "${FEATURE_PIPELINE_EXAMPLE:?set FEATURE_PIPELINE_EXAMPLE to the example binary}"

cp -r "$MATERIA_SOURCE_DIR/examples/features" video
set +e
OUT=$("$FEATURE_PIPELINE_EXAMPLE" video 2>"$WORK/.stderr")
CODE=$?
set -e
ERR=$(cat "$WORK/.stderr")
expect_code 0 "the example runs"
expected="run 1
  video/raw    5 new, 0 stale -> computed 5
  video/crop   5 new, 0 stale -> computed 5
  video/embed  5 new, 0 stale -> computed 10
  in sync
run 2
  video/raw    0 new, 1 stale -> computed 1
  video/crop   0 new, 1 stale -> computed 1
  video/embed  0 new, 1 stale -> computed 2
  in sync"
if [ "$OUT" = "$expected" ]; then ok; else fail "example output: $OUT"; fi

# What the API wrote is what the command line sees.
run_materia -p video features status --assert-in-sync
expect_code 0 "status agrees with the example's runs"
run_materia -p video features catalog verify
expect_code 0 "the catalog followed the example's writes"

# Run again: its first run restores video 2 as first uploaded, so again only that video is computed.
OUT=$("$FEATURE_PIPELINE_EXAMPLE" video)
if grep -q "video/raw    0 new, 1 stale" <<<"$OUT"; then ok; else fail "third run: $OUT"; fi
finish
