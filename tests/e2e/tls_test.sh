#!/usr/bin/env bash
# TLS (issue 20, item 4), with certificates made here by the openssl CLI. `plinth server
# --tls-cert --tls-key`: the real MLflow client logs a run with MLFLOW_TRACKING_SERVER_CERT_PATH
# naming the CA and fails with another CA; Plinth's own CLI verifies too (right CA: it reads the
# run; no or wrong CA: an error naming the URL and the option to use; MLFLOW_TRACKING_INSECURE_TLS
# as MLflow has it); only TLS 1.2+ with forward-secret AEAD ciphers; plain HTTP to the port gets a
# 400 saying to use https; SIGHUP makes new connections get the new certificate (its serial read
# with openssl s_client) and a broken file is refused, naming it, with the old one kept; missing,
# broken, encrypted or mismatched files stop the start naming the file, before anything is
# written. An S3 remote over https is verified against AWS_CA_BUNDLE.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
need_tools
new_repo
trap 'stop_bg; stop_s3rver; rm -rf "$SCRATCH"' EXIT
unset REQUESTS_CA_BUNDLE CURL_CA_BUNDLE SSL_CERT_FILE AWS_CA_BUNDLE PLINTH_CA_BUNDLE \
  MLFLOW_TRACKING_SERVER_CERT_PATH MLFLOW_TRACKING_INSECURE_TLS
export MLFLOW_HTTP_REQUEST_MAX_RETRIES=0 MLFLOW_HTTP_REQUEST_TIMEOUT=30 PYTHONWARNINGS=ignore \
  MLFLOW_DISABLE_TELEMETRY=true MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false
P=$SCRATCH/pki
make_pki "$P"
cp "$P/server.pem" "$SCRATCH/live.pem"  # the file SIGHUP re-reads

# Files that cannot serve stop the start, naming the file, before the database is made.
db=$SCRATCH/never.db
start_server() { "$PLINTH" server --port 0 --backend-store-uri "sqlite:///$db" "$@"; }
expect_error 3 "--tls-cert $P/missing.pem: cannot read it" \
  start_server --tls-cert "$P/missing.pem" --tls-key "$P/server.key"
expect_error 2 "--tls-key $P/other.key does not belong to the certificate in --tls-cert $P/server.pem" \
  start_server --tls-cert "$P/server.pem" --tls-key "$P/other.key"
expect_error 2 "needs both --tls-cert and --tls-key" start_server --tls-cert "$P/server.pem"
echo "not a certificate" >"$P/garbage.pem"
expect_error 2 "--tls-cert $P/garbage.pem holds no PEM certificate" \
  start_server --tls-cert "$P/garbage.pem" --tls-key "$P/server.key"
expect_error 2 "--tls-key $P/server.pem holds no PEM private key" \
  start_server --tls-cert "$P/server.pem" --tls-key "$P/server.pem"
openssl pkey -in "$P/server.key" -aes256 -passout pass:secret -out "$P/encrypted.key" 2>/dev/null
expect_error 2 "--tls-key $P/encrypted.key is encrypted" \
  start_server --tls-cert "$P/server.pem" --tls-key "$P/encrypted.key" </dev/null
expect_error 2 "--tls-key $P is a folder" start_server --tls-cert "$P/server.pem" --tls-key "$P"
expect_eq "$(ls "$SCRATCH" | grep -c never.db || true)" 0 "a refused start made no database"
expect_error 3 "$P/missing.pem" "$PLINTH" serve nothing-here --tls-cert "$P/missing.pem" \
  --tls-key "$P/server.key"
expect_error 2 "does not belong" "$PLINTH" features serve --tls-cert "$P/server.pem" \
  --tls-key "$P/other.key"

PORT=$(free_port)
start_bg "$SCRATCH/server.log" "$PLINTH" server --port "$PORT" \
  --backend-store-uri "sqlite:///$SCRATCH/mlruns.db" --artifacts-destination "$SCRATCH/art" \
  --tls-cert "$SCRATCH/live.pem" --tls-key "$P/server.key"
server_pid=$LAST_PID
TURI=$URL
for _ in $(seq 1 100); do curl -sf --cacert "$P/ca.pem" "$TURI/health" >/dev/null && break; sleep 0.1; done

# The real MLflow client: the CA given, it logs a run (params, metrics, an artifact through the
# proxy); another CA, it fails on the certificate.
mlflow_log() {
  "$TOOLS_PYTHON" - "$TURI" <<'PY'
import sys, mlflow
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment("tls")
with mlflow.start_run() as run:
    mlflow.log_param("depth", 6)
    mlflow.log_metric("auc", 0.91)
    mlflow.log_text("over https", "note.txt")
print(run.info.run_id)
PY
}
MLFLOW_TRACKING_SERVER_CERT_PATH=$P/ca.pem mlflow_log >"$SCRATCH/mlflow.out" 2>"$SCRATCH/mlflow.err" ||
  fail "the MLflow client with MLFLOW_TRACKING_SERVER_CERT_PATH failed: $(tail -3 "$SCRATCH/mlflow.err")"
checks=$((checks + 1))
run_id=$(tail -1 "$SCRATCH/mlflow.out")
rc=0
MLFLOW_TRACKING_SERVER_CERT_PATH=$P/wrong-ca.pem mlflow_log >/dev/null 2>"$SCRATCH/mlflow.err" || rc=$?
expect_eq "$([ "$rc" != 0 ] && echo failed)" failed "the MLflow client refuses a certificate from another CA"
expect_contains "$(cat "$SCRATCH/mlflow.err")" "CERTIFICATE_VERIFY_FAILED" "the MLflow client's error"

# Plinth's CLI: verifies by default and says what to do.
show() { "$PLINTH" runs show "$run_id" --json --tracking-uri "$TURI" "$@"; }
out=$(MLFLOW_TRACKING_SERVER_CERT_PATH=$P/ca.pem show)
expect_eq "$(echo "$out" | jq -r '.data.metrics[] | select(.key=="auc") | .value')" 0.91 \
  "plinth reads the run with MLFLOW_TRACKING_SERVER_CERT_PATH"
out=$(show --ca-bundle "$P/ca.pem" | jq -r '.data.params[0].value')
expect_eq "$out" 6 "plinth reads the run with --ca-bundle after the command"
out=$("$PLINTH" --ca-bundle "$P/ca.pem" runs show "$run_id" --json --tracking-uri "$TURI" | jq -r .info.run_id)
expect_eq "$out" "$run_id" "plinth reads the run with --ca-bundle before the command"
expect_error 8 "GET $TURI/api/2.0/mlflow/runs/get: the server's certificate is not trusted" show
expect_contains "$(cat "$SCRATCH/err")" "--ca-bundle FILE or MLFLOW_TRACKING_SERVER_CERT_PATH=FILE" \
  "the error says which option gives the CA"
expect_error 8 "trusted were the CAs in $P/wrong-ca.pem (from MLFLOW_TRACKING_SERVER_CERT_PATH)" \
  env MLFLOW_TRACKING_SERVER_CERT_PATH="$P/wrong-ca.pem" "$PLINTH" runs show "$run_id" --tracking-uri "$TURI"
expect_error 8 "not trusted" show --ca-bundle "$P/wrong-ca.pem"
expect_error 3 "--ca-bundle/PLINTH_CA_BUNDLE names the CA bundle $P/none.pem" show --ca-bundle "$P/none.pem"
out=$(MLFLOW_TRACKING_INSECURE_TLS=true show 2>"$SCRATCH/err" | jq -r .info.run_id)
expect_eq "$out" "$run_id" "MLFLOW_TRACKING_INSECURE_TLS=true skips the check"
expect_contains "$(cat "$SCRATCH/err")" "not verified (MLFLOW_TRACKING_INSECURE_TLS)" "and warns"
expect_error 2 "unset one of them" env MLFLOW_TRACKING_INSECURE_TLS=true \
  MLFLOW_TRACKING_SERVER_CERT_PATH="$P/ca.pem" "$PLINTH" runs show "$run_id" --tracking-uri "$TURI"
out=$(REQUESTS_CA_BUNDLE=$P/ca.pem "$PLINTH" artifacts get --run "$run_id" note.txt -o "$SCRATCH/note.txt" \
  --tracking-uri "$TURI" >/dev/null && cat "$SCRATCH/note.txt")
expect_eq "$out" "over https" "an artifact comes back through the proxy (REQUESTS_CA_BUNDLE)"

# Plain HTTP to the TLS port: a 400 in plain HTTP saying what to use; the server carries on.
out=$(curl -s -w ' %{http_code}' "http://127.0.0.1:$PORT/health")
expect_contains "$out" "this port serves HTTPS; use an https:// URL\"} 400" "plain HTTP is told to use https"
# Protocols and ciphers: TLS 1.3 and 1.2 with ECDHE+AEAD; not TLS 1.1, not RSA key exchange/CBC.
tls() { openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$P/ca.pem" "$@" </dev/null 2>&1; }
expect_contains "$(tls -tls1_3)" "New, TLSv1.3" "TLS 1.3 is served"
expect_contains "$(tls -tls1_2)" "New, TLSv1.2, Cipher is ECDHE-ECDSA-AES" "TLS 1.2 with ECDHE and AES-GCM"
expect_contains "$(tls -tls1_1 -cipher 'DEFAULT@SECLEVEL=0')" "Cipher is (NONE)" "TLS 1.1 is refused"
expect_contains "$(tls -tls1_2 -cipher 'AES128-SHA:@SECLEVEL=0')" "Cipher is (NONE)" "CBC without ECDHE is refused"

# SIGHUP: new connections get the new certificate; the listener stays; a broken file is refused
# naming it, and the previous certificate stays.
expect_eq "$(served_serial "$PORT")" "serial=1001" "the first certificate is served"
cp "$P/server2.pem" "$SCRATCH/live.pem"
kill -HUP "$server_pid"
for _ in $(seq 1 50); do grep -q "SIGHUP: new connections get" "$SCRATCH/server.log" && break; sleep 0.1; done
expect_eq "$(served_serial "$PORT")" "serial=1002" "after SIGHUP new connections get the new certificate"
expect_contains "$(cat "$SCRATCH/server.log")" "get the certificate in $SCRATCH/live.pem (subject CN=127.0.0.1, serial 1002" \
  "the reload is reported"
echo "-----BEGIN CERTIFICATE-----" >"$SCRATCH/live.pem"
kill -HUP "$server_pid"
for _ in $(seq 1 50); do grep -q "still serving the previous" "$SCRATCH/server.log" && break; sleep 0.1; done
expect_contains "$(cat "$SCRATCH/server.log")" \
  "error: SIGHUP: --tls-cert $SCRATCH/live.pem holds no PEM certificate" "a broken certificate is refused, named"
expect_eq "$(served_serial "$PORT")" "serial=1002" "the previous certificate stays"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$P/ca.pem" "$TURI/health")
expect_eq "$code" 200 "the server still answers after the refused reload"

# An S3 remote over https: verified against AWS_CA_BUNDLE; without it, an error naming the option.
S3_PORT=$(free_port)
mkdir -p "$SCRATCH/s3"
node --openssl-legacy-provider "$PLINTH_SOURCE/node_modules/s3rver/bin/s3rver.js" -d "$SCRATCH/s3" \
  -a 127.0.0.1 -p "$S3_PORT" --key "$P/server.key" --cert "$P/server.pem" \
  --configure-bucket bucket --silent >"$SCRATCH/s3rver.log" 2>&1 &
s3_pid=$!
for _ in $(seq 1 100); do curl -s --cacert "$P/ca.pem" -o /dev/null "https://127.0.0.1:$S3_PORT/" && break; sleep 0.1; done
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
echo "a,b" >data.csv
"$PLINTH" -q add data.csv
"$PLINTH" -q remote add -d store s3://bucket/cache
"$PLINTH" -q remote modify store endpointurl "https://127.0.0.1:$S3_PORT"
expect_error 8 "the server's certificate is not trusted" "$PLINTH" -q push
expect_contains "$(cat "$SCRATCH/err")" "AWS_CA_BUNDLE=FILE" "the S3 error names AWS_CA_BUNDLE"
AWS_CA_BUNDLE=$P/ca.pem "$PLINTH" -q push || fail "push over https with AWS_CA_BUNDLE"
checks=$((checks + 1))
expect_eq "$(find "$SCRATCH/s3/bucket" -type f -name '*._S3rver_object' | wc -l)" 1 "the object reached S3"
finish
