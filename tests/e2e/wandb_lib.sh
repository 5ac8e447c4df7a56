# Helpers for the tests of the real `wandb` SDK against `plinth server` (docs/wandb.md).
source "$(dirname "${BASH_SOURCE[0]}")/tracking_lib.sh"

WANDB_TEST_KEY=plinth-0123456789abcdefghij0123456789ABCDEFGHIJ
# The oldest pinned SDK (wandb 0.19.11), in a venv of its own; need_old_wandb fails the test
# when it is missing.
WANDB_OLD_PYTHON=${PLINTH_WANDB_OLD_PYTHON:-$PLINTH_SOURCE/.venv-wandb-0.19/bin/python}
need_old_wandb() {
  [ -x "$WANDB_OLD_PYTHON" ] && return 0
  echo "FAIL: $WANDB_OLD_PYTHON not found: create the wandb 0.19.11 venv (scripts/setup.sh)" >&2
  exit 1
}

# wandb_env: the SDK's settings for a test: $BASE, a key, every folder (and the netrc `wandb
# login` writes) under $SCRATCH, quiet.
wandb_env() {
  export WANDB_BASE_URL=$BASE WANDB_API_KEY=${WANDB_API_KEY:-$WANDB_TEST_KEY} \
    WANDB_SILENT=true WANDB_DIR=$SCRATCH WANDB_CONFIG_DIR=$SCRATCH/wandb-config \
    WANDB_CACHE_DIR=$SCRATCH/wandb-cache WANDB_DATA_DIR=$SCRATCH/wandb-data \
    WANDB_ARTIFACT_DIR=$SCRATCH/wandb-artifacts WANDB_DISABLE_CODE=true WANDB_DISABLE_GIT=true \
    NETRC=$SCRATCH/netrc \
    PYTHONWARNINGS=ignore MLFLOW_HTTP_REQUEST_MAX_RETRIES=0 \
    MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false
}

# wandb_step PYTHON NAME SCRIPT ARGS...: runs a W&B script (120 s at most); on failure shows
# its output's tail and fails the test with NAME.
wandb_step() {
  local python=$1 name=$2
  shift 2
  if ! timeout 120 "$python" "$@" >"$SCRATCH/$name.log" 2>&1; then
    tail -20 "$SCRATCH/$name.log" >&2
    fail "$name ran against plinth server"
    return 1
  fi
}

# handbook_roundtrip PYTHON: the handbook script, a run using its model artifact (fresh cache),
# a run logging it again (same bytes, then changed), and the MLflow client reading it all back.
handbook_roundtrip() {
  local python=$1 e2e=$PLINTH_SOURCE/tests/e2e
  wandb_step "$python" handbook "$e2e/wandb_handbook.py" "$SCRATCH/handbook.json" || return 1
  WANDB_CACHE_DIR=$SCRATCH/wandb-cache2 \
    wandb_step "$python" use "$e2e/wandb_readback.py" use "$SCRATCH/use.json" || return 1
  wandb_step "$python" relog "$e2e/wandb_readback.py" relog \
    "$(jq -r .model_path "$SCRATCH/handbook.json")" "$SCRATCH/relog.json" || return 1
  "$TOOLS_PYTHON" "$e2e/wandb_readback.py" check "$BASE" "$SCRATCH/handbook.json" \
    "$SCRATCH/use.json" "$SCRATCH/relog.json" 2>"$SCRATCH/check.err" ||
    fail "the MLflow client reads back what the W&B SDK logged: $(grep -v Warning "$SCRATCH/check.err")"
  checks=$((checks + 1))
}
