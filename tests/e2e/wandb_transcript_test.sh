#!/usr/bin/env bash
# The requests each pinned W&B SDK sent for the handbook script and a use_artifact run
# (tests/e2e/wandb_transcript_<version>.jsonl, recorded by wandb_transcript_record.sh), replayed
# against a fresh `plinth server` without the SDK: every answer has the recorded status and
# shape, and downloads return the recorded bytes.
source "$(dirname "$0")/tracking_lib.sh"
need_tools
new_repo
trap 'stop_server; rm -rf "$SCRATCH"' EXIT
for transcript in "$PLINTH_SOURCE"/tests/e2e/wandb_transcript_*.jsonl; do
  rm -rf "$SCRATCH"/mlruns.db "$SCRATCH"/mlartifacts
  start_server
  out=$("$TOOLS_PYTHON" "$PLINTH_SOURCE/tests/e2e/wandb_transcript.py" replay "$BASE" "$transcript" 2>&1) ||
    fail "$(basename "$transcript") replays with the recorded answers: $out"
  checks=$((checks + 1))
  stop_server
done
finish
