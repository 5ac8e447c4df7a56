#!/usr/bin/env bash
# `plinth server --auth` (issue 20): the real MLflow client logs and registers with
# credentials and fails clearly without; a second user is kept out of another's experiment by
# id, search, artifact path (also with encoded '..') and registry calls; the real MLflow auth
# client manages users and permissions; malformed Authorization headers are 401, never 5xx;
# no password appears in the server's log; the server refuses to start without an admin.
# The admin comes from MLflow's basic_auth.ini (--auth-config), refused while world-readable.
# The audit log shows who promoted each Production version (plinth audit, from a server signed
# in with MLflow's variables); Plinth's CLI names the variable to set on 401/403; MLflow 2's
# experiments/permissions and registered-models/permissions endpoints; failed logins are
# slowed per client address as well as per name.
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

# MLflow's basic_auth.ini holding the admin's password: refused while others may read it.
printf '[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///basic_auth.db\nadmin_username = admin\nadmin_password = %s\nauthorization_function = mlflow.server.auth:authenticate_request_basic_auth\n' \
  "$ADMIN_PW" >"$SCRATCH/basic_auth.ini"
chmod 644 "$SCRATCH/basic_auth.ini"
expect_error 7 "chmod 600" "$PLINTH" server --auth-config "$SCRATCH/basic_auth.ini" --port 0 \
  --backend-store-uri "$backend"
checks=$((checks + 1))
! grep -qF -- "$ADMIN_PW" "$SCRATCH/err" || fail "the refusal shows the password"
chmod 600 "$SCRATCH/basic_auth.ini"

PORT=$(free_port)
"$PLINTH" server --auth-config "$SCRATCH/basic_auth.ini" \
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

# The audit log shows who promoted each Production version. carol promotes v1 through the REST
# API, dave promotes v2 (archiving v1) with plinth's CLI, signed in with MLflow's variables;
# each has EDIT on the model through MLflow 2's registered-models/permissions.
old_perm() {  # METHOD RPC JSON: an RPC as admin (sets CODE and OUT)
  resp=$(curl -s -w '\n%{http_code}' -u "admin:$ADMIN_PW" -X "$1" -H 'Content-Type: application/json' \
    --data-binary "$3" "$API/$2")
  CODE=${resp##*$'\n'}; OUT=${resp%$'\n'*}
}
for u in carol dave erin; do
  old_perm POST users/create "{\"username\":\"$u\",\"password\":\"$u-Pa55word-7\"}"
  expect_call 200 "the admin creates $u"
done
as_admin=(env MLFLOW_TRACKING_USERNAME=admin "MLFLOW_TRACKING_PASSWORD=$ADMIN_PW")
"${as_admin[@]}" "$PLINTH" models register fraud "s3://bucket/fraud/1" --tracking-uri "$BASE" >/dev/null &&
  "${as_admin[@]}" "$PLINTH" models register fraud "s3://bucket/fraud/2" --tracking-uri "$BASE" >/dev/null ||
  fail "plinth models register signed in as admin"
for u in carol dave; do
  old_perm POST registered-models/permissions/create "{\"name\":\"fraud\",\"username\":\"$u\",\"permission\":\"READ\"}"
  expect_call 200 "registered-models/permissions/create for $u"
  expect_eq "$(field .registered_model_permission.permission)/$(field .registered_model_permission.name)" \
    "READ/fraud" "the 2.0 create answers the permission"
  old_perm PATCH registered-models/permissions/update "{\"name\":\"fraud\",\"username\":\"$u\",\"permission\":\"EDIT\"}"
  expect_call 200 "registered-models/permissions/update for $u"
done
old_perm GET "registered-models/permissions/get?name=fraud&username=carol" ""
expect_eq "$(field .registered_model_permission.permission)" EDIT "the 2.0 get reads carol's EDIT"
old_perm POST registered-models/permissions/create '{"name":"fraud","username":"carol","permission":"READ"}'
expect_eq "$(field .error_code)" RESOURCE_ALREADY_EXISTS "a second 2.0 create is refused"
old_perm POST experiments/permissions/create '{"experiment_id":"0","username":"erin","permission":"MANAGE"}'
expect_eq "$(field .experiment_permission.permission)/$(field .experiment_permission.experiment_id)" \
  "MANAGE/0" "experiments/permissions/create"
old_perm DELETE experiments/permissions/delete '{"experiment_id":"0","username":"erin"}'
expect_call 200 "experiments/permissions/delete"
old_perm GET "experiments/permissions/get?experiment_id=0&username=erin" ""
expect_eq "$(field .error_code)" RESOURCE_DOES_NOT_EXIST "a deleted 2.0 permission is gone"
old_perm POST experiments/permissions/create '{"experiment_id":"0","username":"erin","permission":"WRITE"}'
expect_eq "$(field .error_code)" INVALID_PARAMETER_VALUE "a 2.0 create with a bad permission"
out=$(curl -s -o /dev/null -w '%{http_code}' -u "erin:erin-Pa55word-7" -X PATCH -H 'Content-Type: application/json' \
  -d '{"name":"fraud","username":"erin","permission":"MANAGE"}' "$API/registered-models/permissions/update")
expect_eq "$out" 403 "erin (READ) cannot raise her own permission through the 2.0 endpoint"

code=$(curl -s -o /dev/null -w '%{http_code}' -u carol:carol-Pa55word-7 -X POST -H 'Content-Type: application/json' \
  -d '{"name":"fraud","version":"1","stage":"Production","archive_existing_versions":false}' \
  "$API/model-versions/transition-stage")
expect_eq "$code" 200 "carol promotes v1 (the MLflow client's transition-stage call)"
MLFLOW_TRACKING_USERNAME=dave MLFLOW_TRACKING_PASSWORD=dave-Pa55word-7 \
  "$PLINTH" models transition fraud 2 Production --archive-existing --tracking-uri "$BASE" >/dev/null ||
  fail "dave promotes v2 with plinth models transition"
# erin may read fraud but not promote it: plinth's CLI says so and names who it signed in as.
expect_error 7 "permission denied (HTTP 403) for the user of MLFLOW_TRACKING_USERNAME=erin" \
  env MLFLOW_TRACKING_USERNAME=erin MLFLOW_TRACKING_PASSWORD=erin-Pa55word-7 \
  "$PLINTH" models transition fraud 1 Production --tracking-uri "$BASE"

"${as_admin[@]}" "$PLINTH" audit --model fraud --json --tracking-uri "$BASE" >"$SCRATCH/audit.json" ||
  fail "plinth audit --json as admin"
promoted=$(jq -r '[.[] | select(.action == "transition_stage" and .after.current_stage == "Production")
  | "\(.object) \(.user) \(.before.current_stage)"] | join(", ")' "$SCRATCH/audit.json")
expect_eq "$promoted" "fraud/1 carol None, fraud/2 dave None" "the audit log names who promoted each Production version"
archived=$(jq -r '[.[] | select(.after.current_stage == "Archived") | "\(.object) \(.user) \(.after.archived_by_version)"] | join(", ")' "$SCRATCH/audit.json")
expect_eq "$archived" "fraud/1 dave 2" "v1's archiving is dave's, by v2's promotion"
expect_eq "$(jq -r '[.[] | select(.action == "create_version") | .user] | join(",")' "$SCRATCH/audit.json")" \
  "admin,admin" "the versions' registrations are the admin's"
expect_eq "$(jq -r '[.[] | select(.action == "grant_permission") | "\(.after.username):\(.after.permission)"] | join(",")' "$SCRATCH/audit.json")" \
  "admin:MANAGE,carol:READ,carol:EDIT,dave:READ,dave:EDIT" "permission changes on fraud are in its history"
table=$("${as_admin[@]}" "$PLINTH" audit --model fraud --tracking-uri "$BASE")
expect_contains "$table" "TIME (UTC)" "plinth audit prints a table"
expect_contains "$(grep ' fraud/2 ' <<<"$table" | grep transition_stage)" "current_stage: None -> Production" \
  "the table shows the promotion's change"
expect_contains "$(grep ' fraud/2 ' <<<"$table" | grep transition_stage)" " dave " "the table shows who promoted"
# A reader may read the model's history, not the whole log.
out=$(MLFLOW_TRACKING_USERNAME=erin MLFLOW_TRACKING_PASSWORD=erin-Pa55word-7 \
  "$PLINTH" audit --model fraud --json --tracking-uri "$BASE" | jq length)
expect_eq "$out" "$(jq length "$SCRATCH/audit.json")" "erin (READ) reads fraud's history"
expect_error 7 "HTTP 403" env MLFLOW_TRACKING_USERNAME=erin MLFLOW_TRACKING_PASSWORD=erin-Pa55word-7 \
  "$PLINTH" audit --tracking-uri "$BASE"
expect_error 2 "--since 'yesterday'" "$PLINTH" audit --since yesterday --tracking-uri "$BASE"
expect_eq "$("${as_admin[@]}" "$PLINTH" audit --since 1d --user dave --json --tracking-uri "$BASE" | jq -r '[.[].action] | unique | join(",")')" \
  "transition_stage" "--user and --since filter"
# The user changes are in the log without their passwords.
"${as_admin[@]}" "$PLINTH" audit --json --tracking-uri "$BASE" >"$SCRATCH/all.json"
expect_eq "$(jq -r '[.[] | select(.action == "create_user") | .object] | join(",")' "$SCRATCH/all.json")" \
  "admin,alice,bob,carol,dave,erin" "user creations are logged"
checks=$((checks + 1))
! grep -qF -e carol-Pa55word-7 -e "$ADMIN_PW" -e alice-Pa55word-42 "$SCRATCH/all.json" || fail "a password is in the audit log"

# Plinth's CLI against the --auth server: no credentials, wrong ones, half of them, a token.
expect_error 7 "set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN" \
  env -u MLFLOW_TRACKING_USERNAME "$PLINTH" models list --tracking-uri "$BASE"
expect_error 7 "refused the credentials in MLFLOW_TRACKING_USERNAME=carol and MLFLOW_TRACKING_PASSWORD" \
  env MLFLOW_TRACKING_USERNAME=carol MLFLOW_TRACKING_PASSWORD=Wrong-guess-1 "$PLINTH" models list --tracking-uri "$BASE"
checks=$((checks + 1))
! grep -qF Wrong-guess-1 "$SCRATCH/err" || fail "the CLI's error shows the password"
expect_error 2 "MLFLOW_TRACKING_PASSWORD is not" env MLFLOW_TRACKING_USERNAME=carol \
  "$PLINTH" models list --tracking-uri "$BASE"
out=$(MLFLOW_TRACKING_TOKEN=$token "$PLINTH" models list --tracking-uri "$BASE") || fail "plinth with a token"
expect_contains "$out" fraud "plinth models list signs in with MLFLOW_TRACKING_TOKEN"

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
# ... and per client address: after 20 failures from one address (the 9 wrong logins above and
# new names here), every password login from it waits, whatever the name; tokens still work.
codes=""
for i in $(seq 1 12); do
  codes+=" $(curl -s -o /dev/null -w '%{http_code}' -u "guess$i:pw$i" "$API/experiments/search?max_results=1")"
done
expect_eq "$codes" "$(printf ' 401%.0s' $(seq 1 11)) 429" "the 21st failed login from one address is 429, under a new name"
out=$(curl -s -D - -o /dev/null -u "admin:$ADMIN_PW" "$API/experiments/search?max_results=1")
expect_contains "$out" "HTTP/1.1 429" "the address is slowed after 20 failures, for every name"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$API/experiments/search?max_results=1")
expect_eq "$code" 200 "a bearer token is not held up"

stop_server
# Credentials never reach the log.
expect_contains "$(cat "$SCRATCH/server.log")" "ignoring database_uri" "the server says which ini keys it ignores"
for secret in "$ADMIN_PW" alice-Pa55word-42 bob-Pa55word-17 carol-Pa55word-7 Wrong-guess-1 "$token"; do
  checks=$((checks + 1))
  ! grep -qF -- "$secret" "$SCRATCH/server.log" || fail "a credential appears in the server log"
done
finish
