#!/usr/bin/env bash
# Bearer tokens (issue 20, item 5) on `plinth serve` and `plinth features serve`, both over TLS:
# without a token, with a wrong one or a malformed Authorization header, prediction and push
# endpoints answer 401 with `WWW-Authenticate: Bearer`; each token in the file is let in (curl
# and Python requests verifying against the test CA; another CA fails); /health and /metrics stay
# open unless protected; SIGHUP re-reads the token file (a broken one is refused, the old tokens
# stay); bad token files stop the start naming the file and line; no token reaches the logs.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
need_tools
new_repo
trap 'stop_bg; rm -rf "$SCRATCH"' EXIT
P=$SCRATCH/pki
make_pki "$P"
T1=$(openssl rand -hex 32)
T2=tok_$(openssl rand -base64 24 | tr -d '\n')
T3=$(openssl rand -hex 24)
printf '# tokens for the fraud model\n%s\n\n  %s  \n' "$T1" "$T2" >"$SCRATCH/tokens"
chmod 600 "$SCRATCH/tokens"
TLS=(--tls-cert "$P/server.pem" --tls-key "$P/server.key")

# Token files that cannot be used stop the start before the model loads, naming file and line.
printf '%s\nshort-token\n' "$T1" >"$SCRATCH/short"
expect_error 2 "--auth-token-file $SCRATCH/short line 2: the token is shorter than 16 characters" \
  "$PLINTH" serve no-model --auth-token-file "$SCRATCH/short"
checks=$((checks + 1))
! grep -qF -- "$T1" "$SCRATCH/err" || fail "an error message shows a token"
printf '# nothing\n\n' >"$SCRATCH/empty"
expect_error 2 "--auth-token-file $SCRATCH/empty holds no token" \
  "$PLINTH" serve no-model --auth-token-file "$SCRATCH/empty"
printf 'tok\xe9n-with-a-bad-character\n' >"$SCRATCH/bad"
expect_error 2 "$SCRATCH/bad line 1: a token may hold only" \
  "$PLINTH" features serve --auth-token-file "$SCRATCH/bad"
checks=$((checks + 1))
! grep -q "with-a-bad-character" "$SCRATCH/err" || fail "the error shows the refused token"
expect_error 3 "--auth-token-file $SCRATCH/none: cannot read it" \
  "$PLINTH" serve no-model --auth-token-file "$SCRATCH/none"
expect_error 2 "need --auth-token-file" "$PLINTH" serve no-model --auth-protect-health

"$PLINTH" -q demo-data fraud --rows 1500 --seed 1 --out train.csv
"$PLINTH" -q train --data train.csv --target is_fraud --threads 1 --out model >/dev/null
# -vv: the most the server ever logs, so the grep for tokens below means something.
start_bg "$SCRATCH/serve.log" "$PLINTH" -vv serve model --port 0 --threads 2 "${TLS[@]}" \
  --auth-token-file "$SCRATCH/tokens"
serve_pid=$LAST_PID
SERVE=$URL
REQ='{"user_id": "u1", "amount": 250.0, "merchant_category": "online", "hour_of_day": 3, "day_of_week": 5, "transaction_velocity": 8, "distance_from_home": 120.5}'
# call URL [CURL ARGS...]: prints the status, then the WWW-Authenticate header if any.
call() {
  local url=$1
  shift
  curl -s --cacert "$P/ca.pem" -o "$SCRATCH/body" -D "$SCRATCH/headers" -w '%{http_code}' "$@" "$url"
  grep -i '^www-authenticate:' "$SCRATCH/headers" | tr -d '\r' | sed 's/^/ /' || true
}
predict() { call "$SERVE/predict" -H 'Content-Type: application/json' -d "$REQ" "$@"; }

expect_eq "$(call "$SERVE/health")" 200 "/health is open by default"
expect_eq "$(call "$SERVE/ready")" 200 "/ready is open by default"
expect_eq "$(call "$SERVE/metrics")" 200 "/metrics is open by default"
expect_eq "$(predict)" '401 WWW-Authenticate: Bearer realm="plinth"' "/predict without a token"
expect_contains "$(cat "$SCRATCH/body")" "needs a bearer token" "the 401 says what to send"
invalid='401 WWW-Authenticate: Bearer realm="plinth", error="invalid_token"'
b64=$(printf 'user:%s' "$T1" | base64 -w0)
for header in "Authorization: Bearer" "Authorization: Bearer " "Authorization: Bearer wrong-token-0123456789abcdef" \
  "Authorization: Bearer ${T1}0" "Authorization: Bearer ${T1:0:32}" "Authorization: Bearer $T1 $T1" \
  "Authorization: $T1" "Authorization: Basic $b64" "Authorization: Token $T1" \
  "Authorization: Bearer ${T2:4}"; do
  expect_eq "$(predict -H "$header")" "$invalid" "/predict with '${header:0:32}...'"
done
expect_eq "$(predict -H "Authorization: Bearer $T1")" 200 "the first token"
expect_contains "$(cat "$SCRATCH/body")" "is_fraud" "a prediction with the token"
expect_eq "$(predict -H "Authorization: Bearer $T2")" 200 "the second token (spaces around it in the file)"
expect_eq "$(predict -H "authorization: bearer $T1")" 200 "the scheme in any case (RFC 7235)"
for path in /invocations /v2/models/model/infer /monitoring/drift /openapi.json /docs; do
  expect_eq "$(call "$SERVE$path" -X POST -d '{}' | cut -c1-3)" 401 "$path needs a token"
done

# Python requests, verifying against the CA; another CA fails.
"$TOOLS_PYTHON" - "$SERVE" "$P/ca.pem" "$P/wrong-ca.pem" "$T1" "$REQ" >"$SCRATCH/py.out" 2>&1 <<'PY' ||
import json, sys, requests
url, ca, wrong, token, req = sys.argv[1:]
r = requests.post(url + "/predict", data=req, verify=ca,
                  headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
assert r.status_code == 200 and "is_fraud" in r.json(), (r.status_code, r.text)
r = requests.post(url + "/predict", data=req, verify=ca)
assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer"), r.status_code
try:
    requests.get(url + "/health", verify=wrong)
    raise SystemExit("a certificate from another CA was accepted")
except requests.exceptions.SSLError as e:
    assert "CERTIFICATE_VERIFY_FAILED" in str(e), e
print("ok")
PY
  fail "Python requests against plinth serve: $(tail -5 "$SCRATCH/py.out")"
expect_eq "$(tail -1 "$SCRATCH/py.out")" ok "Python requests against plinth serve"

# SIGHUP re-reads the token file: the old tokens stop working, the new one works; a broken file
# is refused, naming it, and the tokens in force stay.
printf '%s\n' "$T3" >"$SCRATCH/tokens"
kill -HUP "$serve_pid"
for _ in $(seq 1 50); do grep -q "bearer token(s) now accepted" "$SCRATCH/serve.log" && break; sleep 0.1; done
expect_eq "$(predict -H "Authorization: Bearer $T1" | cut -c1-3)" 401 "a removed token after SIGHUP"
expect_eq "$(predict -H "Authorization: Bearer $T3")" 200 "a new token after SIGHUP"
printf 'short\n' >"$SCRATCH/tokens"
kill -HUP "$serve_pid"
for _ in $(seq 1 50); do grep -q "tokens read before stay" "$SCRATCH/serve.log" && break; sleep 0.1; done
expect_contains "$(cat "$SCRATCH/serve.log")" "$SCRATCH/tokens line 1: the token is shorter" "a broken token file is refused, named"
expect_eq "$(predict -H "Authorization: Bearer $T3")" 200 "the tokens in force stay"
printf '%s\n%s\n' "$T1" "$T2" >"$SCRATCH/tokens"

# The feature server: /get-online-features and /push need a token; /health protected on request,
# /metrics left open.
fraud_feature_repo fs train.csv
start_bg "$SCRATCH/features.log" "$PLINTH" -vv features serve -c fs -p 0 "${TLS[@]}" \
  --auth-token-file "$SCRATCH/tokens" --auth-protect-health
FS=$URL
user=$(cut -d, -f2 train.csv | sed -n 2p)
GET="{\"features\": [\"user_behaviour:transaction_velocity\"], \"entities\": {\"user_id\": [\"$user\"]}}"
fget() { call "$FS/get-online-features" -H 'Content-Type: application/json' -d "$GET" "$@"; }
expect_eq "$(fget)" '401 WWW-Authenticate: Bearer realm="plinth"' "/get-online-features without a token"
expect_eq "$(fget -H "Authorization: Bearer wrong-token-0123456789abcdef")" "$invalid" "/get-online-features, wrong token"
expect_eq "$(fget -H "Authorization: Bearer $T2")" 200 "/get-online-features with a token"
expect_contains "$(cat "$SCRATCH/body")" "transaction_velocity" "features come back"
expect_eq "$(call "$FS/push" -d '{}' | cut -c1-3)" 401 "/push without a token"
expect_eq "$(call "$FS/health" | cut -c1-3)" 401 "--auth-protect-health protects /health"
expect_eq "$(call "$FS/health" -H "Authorization: Bearer $T1")" 200 "/health with a token"
expect_eq "$(call "$FS/metrics")" 200 "/metrics stays open"

stop_bg
for t in "$T1" "$T2" "$T3" "${T1:0:32}"; do
  checks=$((checks + 1))
  ! grep -qF -- "$t" "$SCRATCH/serve.log" "$SCRATCH/features.log" || fail "a token appears in a server log"
done
finish
