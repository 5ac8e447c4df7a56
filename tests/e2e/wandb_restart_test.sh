#!/usr/bin/env bash
# `plinth server` restarts in the middle of a W&B run that streams every second: the SDK
# resends what was not acknowledged, and the MLflow client reads back every step once, the
# summary-only value and FINISHED.
source "$(dirname "$0")/tracking_lib.sh"
need_tools
new_repo
trap 'stop_server; [ -z "${client_pid:-}" ] || kill "$client_pid" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
start_server
export WANDB_BASE_URL=$BASE WANDB_API_KEY=plinth-0123456789abcdefghij0123456789ABCDEFGHIJ \
  WANDB_SILENT=true WANDB_DIR=$SCRATCH WANDB_CONFIG_DIR=$SCRATCH/wandb-config \
  WANDB_CACHE_DIR=$SCRATCH/wandb-cache WANDB_DISABLE_CODE=true WANDB_DISABLE_GIT=true \
  PYTHONWARNINGS=ignore MLFLOW_HTTP_REQUEST_MAX_RETRIES=0
timeout 120 "$TOOLS_PYTHON" "$PLINTH_SOURCE/tests/e2e/wandb_restart.py" "$SCRATCH/ready" \
  >"$SCRATCH/client.log" 2>&1 &
client_pid=$!
for _ in $(seq 1 600); do grep -q phase1 "$SCRATCH/client.log" && break; sleep 0.1; done
grep -q phase1 "$SCRATCH/client.log" || { cat "$SCRATCH/client.log" >&2; fail "the W&B run started"; finish; }
stop_server
# The same port again, so the client's retries reach the new server.
"$PLINTH" server --backend-store-uri "sqlite:///$SCRATCH/mlruns.db" \
  --artifacts-destination "$SCRATCH/mlartifacts" --port "$PORT" >>"$SCRATCH/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -sf "$BASE/health" >/dev/null 2>&1 && break; sleep 0.1; done
touch "$SCRATCH/ready"
wait "$client_pid" || fail "the W&B run finished after the restart: $(tail -5 "$SCRATCH/client.log")"
client_pid=""
out=$("$TOOLS_PYTHON" - "$BASE" <<'PY' 2>"$SCRATCH/check.err"
import sys
from mlflow.tracking import MlflowClient
c = MlflowClient(sys.argv[1])
e = c.get_experiment_by_name("plinth/restart")
r = c.search_runs([e.experiment_id])[0]
print(r.info.status, sorted((m.step, m.value) for m in c.get_metric_history(r.info.run_id, "x")),
      r.data.metrics["best"])
PY
) || fail "read the run back: $(cat "$SCRATCH/check.err")"
want="FINISHED $("$PYTHON" -c 'print([(i, i * 1.5) for i in range(10)])') 42.0"
expect_eq "$out" "$want" "every step once, the summary and FINISHED after a restart"
finish
