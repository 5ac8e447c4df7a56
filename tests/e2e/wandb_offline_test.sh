#!/usr/bin/env bash
# The handbook's W&B script run offline (WANDB_MODE=offline), then `wandb sync` of its folder
# to `plinth server`: the MLflow client reads back the same params, every metric point, the
# summary, the table and the model artifact's bytes as for an online run.
source "$(dirname "$0")/wandb_lib.sh"
need_tools
new_repo
trap 'stop_server; rm -rf "$SCRATCH"' EXIT
start_server
wandb_env
WANDB_MODE=offline wandb_step "$TOOLS_PYTHON" handbook "$PLINTH_SOURCE/tests/e2e/wandb_handbook.py" \
  "$SCRATCH/handbook.json" || finish
call GET "$BASE/api/2.0/mlflow/experiments/get-by-name?experiment_name=plinth/fraud-detection"
expect_call 404 "an offline run sends nothing"
run_dir=$(dirname "$(jq -r .files "$SCRATCH/handbook.json")")
expect_contains "$run_dir" offline-run- "the SDK kept the run offline"
out=$(timeout 120 "$TOOLS_BIN/wandb" sync "$run_dir" 2>&1) || fail "wandb sync: $out"
"$TOOLS_PYTHON" "$PLINTH_SOURCE/tests/e2e/wandb_readback.py" check "$BASE" "$SCRATCH/handbook.json" \
  2>"$SCRATCH/check.err" ||
  fail "the MLflow client reads back the synced run: $(grep -v Warning "$SCRATCH/check.err")"
checks=$((checks + 1))
finish
