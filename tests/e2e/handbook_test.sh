#!/usr/bin/env bash
# `make demo`'s flow, non-interactively: scripts/demo.sh with HANDBOOK_CHECK=1 walks the
# handbook's modules on the example project (examples/fraud-detection) on ephemeral ports and
# asserts each step's result itself (version, push, tracked repro, compare, promote, serve with
# features by user_id, batch score, drift verdict, roll back to model-v1's bytes).
source "$(dirname "$0")/lib.sh"
need_tools
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/plinth-e2e.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
if HANDBOOK_CHECK=1 HANDBOOK_ROWS=6000 TMPDIR=$SCRATCH PLINTH_TOOLS_PYTHON=$TOOLS_PYTHON \
  "$PLINTH_SOURCE/scripts/demo.sh" </dev/null >"$SCRATCH/demo.log" 2>&1; then
  checks=$((checks + 1))
else
  cat "$SCRATCH/demo.log" >&2
  fail "scripts/demo.sh (HANDBOOK_CHECK=1) failed"
fi
oks=$(grep -c '^  ok: ' "$SCRATCH/demo.log" || true)
expect_eq "$oks" 13 "every asserted step of the walkthrough passed"
for module in 1 2 3 4 5 6 7; do
  expect_contains "$(cat "$SCRATCH/demo.log")" "== Module $module:" "module $module ran"
done
expect_eq "$(ls "$SCRATCH")" "demo.log" "the walkthrough removed its temporary folder"
finish
