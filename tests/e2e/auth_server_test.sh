#!/usr/bin/env bash
# `plinth server --auth` (issue 20): the real MLflow client logs and registers with
# credentials and fails clearly without; a second user is kept out of another's experiment by
# id, search, artifact path (also with encoded '..') and registry calls; the real MLflow auth
# client manages users and permissions; malformed Authorization headers are 401, never 5xx;
# no password appears in the server's log; the server refuses to start without an admin.
source "$(dirname "$0")/tracking_lib.sh"
need_tools
new_repo
HERE=$PLINTH_SOURCE/tests/e2e
trap 'stop_server; rm -rf "$SCRATCH"' EXIT
export MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false PYTHONWARNINGS=ignore MLFLOW_DISABLE_TELEMETRY=true \
  MLFLOW_HTTP_REQUEST_MAX_RETRIES=0 MLFLOW_HTTP_REQUEST_TIMEOUT=60
ADMIN_PW=adm1n-Secret-Pw-93
backend=${PLINTH_TEST_POSTGRES_URI:-sqlite:///$SCRATCH/mlruns.db}

# No admin, no server: --auth, and any address beyond loopback without --insecure-no-auth.
expect_error 2 "PLINTH_ADMIN_USERNAME and PLINTH_ADMIN_PASSWORD" \
  "$PLINTH" server --auth --port 0 --backend-store-uri "$backend"
expect_error 2 "--insecure-no-auth" \
  "$PLINTH" server --host 0.0.0.0 --port 0 --backend-store-uri "$backend"
expect_error 2 "not a permission" env PLINTH_ADMIN_USERNAME=admin PLINTH_ADMIN_PASSWORD=x \
  "$PLINTH" server --auth --default-permission WRITE --port 0 --backend-store-uri "$backend"

PORT=$(free_port)
PLINTH_ADMIN_USERNAME=admin PLINTH_ADMIN_PASSWORD=$ADMIN_PW "$PLINTH" server --auth \
  --backend-store-uri "$backend" --artifacts-destination "$SCRATCH/mlartifacts" --port "$PORT" \
  >"$SCRATCH/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
BASE="http://127.0.0.1:$PORT"
API="$BASE/api/2.0/mlflow"

# Missing, wrong and malformed credentials: 401 with MLflow's challenge, never 5xx.
for header in "" "Authorization: Basic" "Authorization: Basic !!!notbase64" \
  "Authorization: Basic $(printf 'nocolon' | base64)" "Authorization: Bearer" \
  "Authorization: Bearer plinth_0000" "Authorization: Digest abc" \
  "Authorization: Basic $(printf 'admin:wrong' | base64)"; do
  out=$(curl -s -D - -o /dev/null ${header:+-H "$header"} "$API/experiments/search?max_results=1")
  expect_contains "$out" "HTTP/1.1 401" "'$header' is 401"
  expect_contains "$out" 'WWW-Authenticate: Basic realm="mlflow"' "'$header' gets the challenge"
done
call GET "$BASE/health"
expect_call 200 "/health needs no login"

# A bearer token for CI (MLFLOW_TRACKING_TOKEN).
token=$(curl -s -u "admin:$ADMIN_PW" -X POST -H 'Content-Type: application/json' -d '{}' \
  "$BASE/api/2.0/plinth/tokens/create" | jq -r .token)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$API/experiments/search?max_results=1")
expect_eq "$code" 200 "the bearer token signs in"
out=$(MLFLOW_TRACKING_TOKEN=$token "$TOOLS_PYTHON" -c \
  "import mlflow,sys; print(mlflow.MlflowClient(sys.argv[1]).get_experiment('0').name)" "$BASE" 2>&1)
expect_eq "$out" "Default" "the MLflow client signs in with MLFLOW_TRACKING_TOKEN"

"$TOOLS_PYTHON" "$HERE/auth_client.py" "$BASE" admin "$ADMIN_PW" >"$SCRATCH/client.log" 2>&1 ||
  { fail "the MLflow client checks failed (its log below)"; tail -25 "$SCRATCH/client.log" >&2; }
checks=$((checks + 1))

# Repeated failed logins are slowed: the 6th wrong password in a row waits (429, Retry-After),
# even if it is right, and other names are not held up.
for i in 1 2 3 4 5; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -u "mallory:guess$i" "$API/experiments/search?max_results=1")
  expect_eq "$code" 401 "failed login $i is 401"
done
out=$(curl -s -D - -o /dev/null -u "mallory:guess6" "$API/experiments/search?max_results=1")
expect_contains "$out" "HTTP/1.1 429" "the 6th failed login in a row is 429"
expect_contains "$out" "Retry-After: " "429 says when to retry"
code=$(curl -s -o /dev/null -w '%{http_code}' -u "admin:$ADMIN_PW" "$API/experiments/search?max_results=1")
expect_eq "$code" 200 "another name still signs in"

stop_server
# Credentials never reach the log.
for secret in "$ADMIN_PW" alice-Pa55word-42 bob-Pa55word-17 "$token"; do
  checks=$((checks + 1))
  ! grep -qF -- "$secret" "$SCRATCH/server.log" || fail "a credential appears in the server log"
done
finish
