# Helpers for the plinth serve tests (sourced after lib.sh).

# A free TCP port on loopback.
free_port() {
  "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server LOG ARGS...: starts `plinth serve ARGS --port 0` in the background and waits
# until it listens; sets SERVER_PID and URL. Servers still running are killed on exit.
SERVER_PIDS=()
start_server() {
  local log=$1
  shift
  "$PLINTH" serve "$@" --port 0 >"$log" 2>&1 &
  SERVER_PID=$!
  SERVER_PIDS+=("$SERVER_PID")
  for _ in $(seq 1 200); do
    if grep -q " on http://" "$log"; then
      URL=$(grep -o 'http://[0-9.]*:[0-9]*' "$log" | head -1)
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "plinth serve did not start:" >&2
  cat "$log" >&2
  return 1
}

stop_servers() {
  for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}

# A fraud model with the handbook's constraints, trained on 4,000 rows: $WORK/model.
train_fraud_model() {
  "$PLINTH" -q demo-data fraud --rows 4000 --seed 1 --out train.csv
  cat >params.yaml <<'YAML'
train:
  n_estimators: 40
  max_depth: 5
  constraints:
    amount: {gt: 0}
    hour_of_day: {ge: 0, le: 23}
    day_of_week: {ge: 0, le: 6}
    transaction_velocity: {ge: 0}
    distance_from_home: {ge: 0}
YAML
  "$PLINTH" -q train --data train.csv --target is_fraud --threads 1 --params params.yaml:train \
    --out "${1:-model}" >/dev/null
}

# post PATH BODY [CONTENT_TYPE]: prints the status code, a newline, then the body.
post() {
  curl -s -o "$SCRATCH/body" -w '%{http_code}\n' -X POST -H "Content-Type: ${3:-application/json}" \
    --data-binary "$2" "$URL$1"
  cat "$SCRATCH/body"
}
