#!/usr/bin/env bash
# Every benchmark program (build/bench/*, build/*_bench) answers --help with its usage on
# stdout and exit 0, and a wrong command line with the usage on stderr and exit 2 (not an
# uncaught exception).
source "$(dirname "$0")/lib.sh"
new_repo
build=$(dirname "$PLINTH")
tools=()
for f in "$build"/bench/* "$build"/*_bench; do
  [ -f "$f" ] && [ -x "$f" ] && tools+=("$f")
done
[ "${#tools[@]}" -ge 3 ] || fail "expected at least 3 benchmark programs in $build, found: ${tools[*]:-none}"
for tool in "${tools[@]}"; do
  name=$(basename "$tool")
  rc=0
  "$tool" --help >"$SCRATCH/out" 2>"$SCRATCH/err" || rc=$?
  expect_eq "$rc" 0 "$name --help exits 0"
  expect_contains "$(cat "$SCRATCH/out")" "usage: $name" "$name --help prints its usage on stdout"
  expect_eq "$(cat "$SCRATCH/err")" "" "$name --help writes nothing to stderr"
  rc=0
  "$tool" >"$SCRATCH/out" 2>"$SCRATCH/err" || rc=$?
  expect_eq "$rc" 2 "$name without arguments exits 2"
  expect_contains "$(cat "$SCRATCH/err")" "usage: $name" "$name without arguments prints its usage on stderr"
done
echo "checked ${#tools[@]} benchmark programs: ${tools[*]##*/}"
[ "$failures" -eq 0 ]
