#!/usr/bin/env bash
# Records mlflow_client_reference.json: what mlflow_client.py sees from MLflow's own server (the
# pinned `mlflow server`, SQLite store, proxied artifacts in a folder). Run it again after
# changing the script or the pinned mlflow version:
#   PLINTH=build/plinth bash tests/e2e/mlflow_client_record.sh
source "$(dirname "$0")/tracking_lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
need_tools
new_repo
PORT=$(free_port)
"$TOOLS_BIN/mlflow" server --backend-store-uri "sqlite:///$SCRATCH/mlflow.db" \
  --artifacts-destination "$SCRATCH/mlartifacts" --host 127.0.0.1 --port "$PORT" --workers 1 \
  >"$SCRATCH/mlflow.log" 2>&1 &
mlflow_pid=$!
trap 'kill $mlflow_pid 2>/dev/null; wait $mlflow_pid 2>/dev/null || true; rm -rf "$SCRATCH"' EXIT
for _ in $(seq 1 1200); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done

"$PLINTH" demo-data fraud --rows 2000 --out "$SCRATCH/fraud.csv" >/dev/null
export MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false PYTHONWARNINGS=ignore::UserWarning MLFLOW_DISABLE_TELEMETRY=true \
  MLFLOW_HTTP_REQUEST_MAX_RETRIES=0 MLFLOW_HTTP_REQUEST_TIMEOUT=60
mkdir "$SCRATCH/work"
(cd "$SCRATCH/work" && "$TOOLS_PYTHON" "$HERE/mlflow_client.py" "http://127.0.0.1:$PORT" \
   "$SCRATCH/fraud.csv" "$SCRATCH/work" observed.json)
cp "$SCRATCH/work/observed.json" "$HERE/mlflow_client_reference.json"
echo "recorded $HERE/mlflow_client_reference.json with mlflow $("$TOOLS_BIN/mlflow" --version)"
