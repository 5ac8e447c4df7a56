# Helpers for tests of `plinth server`: start one on a free loopback port (SQLite, or the
# PostgreSQL database in $PLINTH_TEST_POSTGRES_URI when set), and call its REST API with curl.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# start_server [BACKEND_URI [ARTIFACTS_DESTINATION]]: defaults to a SQLite database in $SCRATCH
# (or $PLINTH_TEST_POSTGRES_URI, a fresh database per script from with_postgres.sh) and
# $SCRATCH/mlartifacts. Sets BASE and API.
server_pid=""
start_server() {
  local backend=${1:-${PLINTH_TEST_POSTGRES_URI:-sqlite:///$SCRATCH/mlruns.db}}
  local destination=${2:-$SCRATCH/mlartifacts}
  PORT=$(free_port)
  "$PLINTH" server --backend-store-uri "$backend" --artifacts-destination "$destination" \
    --port "$PORT" >"$SCRATCH/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null || { cat "$SCRATCH/server.log" >&2; exit 1; }
  BASE="http://127.0.0.1:$PORT"
  API="$BASE/api/2.0/mlflow"
}
stop_server() { [ -z "$server_pid" ] || { kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null || true; server_pid=""; }; }

# call METHOD URL [JSON]: sets CODE (HTTP status) and OUT (body).
call() {
  local method=$1 url=$2 data=${3-} resp
  if [ $# -ge 3 ]; then
    resp=$(curl -s -w '\n%{http_code}' -X "$method" -H 'Content-Type: application/json' --data-binary "$data" "$url")
  else
    resp=$(curl -s -w '\n%{http_code}' -X "$method" "$url")
  fi
  CODE=${resp##*$'\n'}
  OUT=${resp%$'\n'*}
}

# field JQ_FILTER: the filter applied to OUT (raw strings).
field() { jq -r "$1" <<<"$OUT"; }

# expect_call STATUS DESCRIPTION: the last call answered STATUS.
expect_call() {
  [ "$CODE" = "$1" ] || fail "$2: HTTP $CODE, expected $1; body: $OUT"
}

# expect_error_call STATUS ERROR_CODE NEEDLE DESCRIPTION
expect_error_call() {
  expect_call "$1" "$4"
  expect_eq "$(field .error_code)" "$2" "$4: error_code"
  expect_contains "$(field .message)" "$3" "$4: message"
}
