#!/usr/bin/env bash
# `plinth drift` against the real Evidently (the pinned legacy Report + DataDriftPreset): the
# same test per column, the same scores (1e-9 relative), thresholds, verdicts and dataset
# verdict, over numerical and categorical columns, small and large samples, NaNs, unseen
# categories, constant columns and every stattest both offer (tests/monitor/evidently_oracle.py).
source "$(dirname "$0")/lib.sh"
need_tools
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/plinth-e2e.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
PLINTH_SOURCE=${PLINTH_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
"$TOOLS_PYTHON" "$PLINTH_SOURCE/tests/monitor/evidently_oracle.py" "$PLINTH" "$SCRATCH" ||
  fail "plinth drift differs from Evidently (lines starting DIFF above)"
finish
