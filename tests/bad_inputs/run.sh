#!/usr/bin/env bash
# The bad-input corpus: every folder here is one case, a small project (or a few files)
# plus `cmd` (one shell command line run in a copy of the folder), `expected_stderr` (the
# exact line the user sees) and `expected_code` (the exit code). This script runs the
# cases two at a time and prints one line per failing case, then `N cases, M failed`.
#
#   MATERIA=build/materia MZ_SCHEDCTL=build/mz-schedctl bash tests/bad_inputs/run.sh [CASE ...]
#
# `materia` and `mz-schedctl` in cmd run $MATERIA and $MZ_SCHEDCTL. In stderr the absolute
# path of the case's copy is written `<case>`, so a message naming it stays comparable.
set -euo pipefail

: "${MATERIA:?set MATERIA to the materia binary}"
: "${MZ_SCHEDCTL:?set MZ_SCHEDCTL to the mz-schedctl binary}"
if [ -n "${MATERIA_SOURCE_DIR:-}" ]; then
  CASES_DIR="$MATERIA_SOURCE_DIR/tests/bad_inputs"
else
  CASES_DIR=$(cd "$(dirname "$0")" && pwd)
fi
MATERIA=$(realpath "$MATERIA")
MZ_SCHEDCTL=$(realpath "$MZ_SCHEDCTL")
export MATERIA MZ_SCHEDCTL CASES_DIR

# run_case NAME RESULTS_DIR: runs one case; writes RESULTS_DIR/NAME.ok or NAME.fail.
run_case() {
  local name=$1 results=$2 case_dir="$CASES_DIR/$1"
  local work bin copy code expected_code actual expected line
  if [ ! -f "$case_dir/cmd" ] || [ ! -f "$case_dir/expected_stderr" ] || [ ! -f "$case_dir/expected_code" ]; then
    echo "FAIL $name: the case needs cmd, expected_stderr and expected_code" >"$results/$name.fail"
    return 0
  fi
  work=$(mktemp -d "${TMPDIR:-/tmp}/materia-bad-input.XXXXXX")
  bin="$work/bin"
  copy="$work/case"
  mkdir -p "$bin" "$copy"
  copy=$(cd "$copy" && pwd -P)  # as the program sees it, should the temp folder be a symlink
  ln -s "$MATERIA" "$bin/materia"
  ln -s "$MZ_SCHEDCTL" "$bin/mz-schedctl"
  (cd "$case_dir" && tar --exclude=./cmd --exclude=./expected_stderr --exclude=./expected_code -cf - .) |
    (cd "$copy" && tar -xf -)
  set +e
  (
    cd "$copy"
    # Nothing from the caller's environment reaches the case but PATH and a few basics.
    env -i PATH="$bin:/usr/bin:/bin" HOME="$work" LANG=C.UTF-8 TZ=UTC \
      timeout 60 bash -c "$(cat "$case_dir/cmd")" >"$work/stdout" 2>"$work/stderr" </dev/null
  )
  code=$?
  set -e
  actual=$(sed "s#$copy#<case>#g" "$work/stderr")
  expected=$(cat "$case_dir/expected_stderr")
  expected_code=$(tr -d '[:space:]' <"$case_dir/expected_code")
  if [ "$code" = "$expected_code" ] && [ "$actual" = "$expected" ]; then
    : >"$results/$name.ok"
  else
    line="FAIL $name: exit $code (expected $expected_code)"
    if [ "$actual" != "$expected" ]; then
      line+="; stderr '${actual//$'\n'/\\n}', expected '${expected//$'\n'/\\n}'"
    fi
    echo "$line" >"$results/$name.fail"
  fi
  rm -rf "$work"
}
export -f run_case

if [ $# -gt 0 ]; then
  cases=("$@")
  for name in "${cases[@]}"; do
    if [ ! -d "$CASES_DIR/$name" ]; then echo "no case '$name' in $CASES_DIR" >&2; exit 2; fi
  done
else
  mapfile -t cases < <(cd "$CASES_DIR" && find . -mindepth 2 -maxdepth 2 -name cmd -printf '%h\n' |
    sed 's#^\./##' | sort)
fi

results=$(mktemp -d "${TMPDIR:-/tmp}/materia-bad-inputs.XXXXXX")
trap 'rm -rf "$results"' EXIT
printf '%s\n' "${cases[@]}" | xargs -P 2 -I{} bash -c 'run_case "$1" "$2"' _ {} "$results"

failed=0
for name in "${cases[@]}"; do
  if [ -f "$results/$name.fail" ]; then
    cat "$results/$name.fail"
    failed=$((failed + 1))
  elif [ ! -f "$results/$name.ok" ]; then
    echo "FAIL $name: the case did not run"
    failed=$((failed + 1))
  fi
done
echo "${#cases[@]} cases, $failed failed"
[ "$failed" -eq 0 ]
