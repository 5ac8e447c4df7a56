#!/usr/bin/env bash
# get-history-bulk-interval samples a history as MLflow's own code does, and the UI's
# downsampled history keeps each bucket's extremes (metric_sampling.py holds the checks).
source "$(dirname "$0")/tracking_lib.sh"
need_tools
new_repo
trap 'stop_server; rm -rf "$SCRATCH"' EXIT
start_server
out=$("$TOOLS_PYTHON" "$PLINTH_SOURCE/tests/e2e/metric_sampling.py" "$BASE" 2>&1) || fail "metric sampling: $out"
finish
