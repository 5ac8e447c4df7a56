#!/usr/bin/env bash
# The handbook's W&B script, the run using its model artifact and the re-log (as in
# wandb_handbook_test.sh) with the oldest pinned SDK, wandb 0.19.11, which still probes the
# server's schema by introspection and reads artifacts through its own queries; the MLflow
# client then reads back the same values.
source "$(dirname "$0")/wandb_lib.sh"
need_tools
need_old_wandb
new_repo
trap 'stop_server; rm -rf "$SCRATCH"' EXIT
start_server
wandb_env
expect_eq "$("$WANDB_OLD_PYTHON" -c 'import wandb; print(wandb.__version__)')" 0.19.11 "the old SDK's version"
handbook_roundtrip "$WANDB_OLD_PYTHON"
finish
