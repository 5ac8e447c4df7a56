#!/usr/bin/env bash
# `plinth server` under bad input and load: each predictable failure gets MLflow's status and
# error_code (never a 5xx, which the client would retry for minutes), artifact paths cannot
# escape their root, and 16 clients logging batches at once lose nothing.
source "$(dirname "$0")/tracking_lib.sh"
new_repo
trap 'stop_server; rm -rf "$SCRATCH"' EXIT
start_server
now=$(date +%s000)
call POST "$API/runs/create" '{"experiment_id":"0"}'
R=$(field .run.info.run_id)

# Malformed JSON, missing Content-Type, missing fields, wrong types, unknown fields.
call POST "$API/experiments/create" '{"name": '
expect_error_call 400 INVALID_PARAMETER_VALUE "Malformed JSON" "malformed JSON"
resp=$(curl -s -w ' %{http_code}' -X POST -d '{"name":"x"}' -H 'Content-Type: text/plain' "$API/experiments/create")
expect_eq "$resp" '{"error_code":"INVALID_PARAMETER_VALUE","message":"Bad Request. Content-Type must be one of ['"'"'application/json'"'"']."} 400' "wrong Content-Type"
call POST "$API/experiments/create" '{"name":""}'
expect_error_call 400 INVALID_PARAMETER_VALUE "Missing value for required parameter 'name'" "empty string counts as missing"
call POST "$API/runs/log-metric" "{\"run_id\":\"$R\",\"key\":\"m\",\"value\":\"abc\",\"timestamp\":1}"
expect_error_call 400 INVALID_PARAMETER_VALUE "parameter 'value'" "metric value of the wrong type"
call POST "$API/runs/log-metric" "{\"run_id\":\"$R\",\"key\":\"m\",\"value\":1}"
expect_error_call 400 INVALID_PARAMETER_VALUE "Missing value for required parameter 'timestamp'" "metric without timestamp"
call POST "$API/runs/search" '{"experiment_ids":["0"],"max_results":"many"}'
expect_error_call 400 INVALID_PARAMETER_VALUE "parameter 'max_results'" "max_results of the wrong type"
call POST "$API/runs/log-batch" "{\"run_id\":\"$R\",\"tags\":\"t\"}"
expect_error_call 400 INVALID_PARAMETER_VALUE "parameter 'tags'" "tags not a list"
call POST "$API/runs/log-parameter" "{\"run_id\":\"$R\",\"key\":\"a\",\"value\":\"1\",\"unknown_field\":true}"
expect_eq "$CODE $OUT" "200 {}" "unknown fields are ignored"
call POST "$API/runs/log-metric" "{\"run_id\":\"$R\",\"key\":\"nan\",\"value\":\"NaN\",\"timestamp\":1}"
call GET "$API/runs/get?run_id=$R"
expect_eq "$(field '.run.data.metrics[0].value')" "NaN" "NaN round-trips as a string"

# A param re-logged with another value; bad names.
call POST "$API/runs/log-parameter" "{\"run_id\":\"$R\",\"key\":\"a\",\"value\":\"2\"}"
expect_error_call 400 INVALID_PARAMETER_VALUE "Changing param values is not allowed. Param with key='a' was already logged with value='1'" "param re-logged"
call POST "$API/runs/set-tag" "{\"run_id\":\"$R\",\"key\":\"bad name!\",\"value\":\"x\"}"
expect_error_call 400 INVALID_PARAMETER_VALUE 'Invalid value "bad name!" for parameter' "bad tag name"

# Unknown run, experiment, model, version.
call GET "$API/runs/get?run_id=0123456789abcdef0123456789abcdef"
expect_error_call 404 RESOURCE_DOES_NOT_EXIST "Run with id=0123456789abcdef0123456789abcdef not found" "unknown run"
call POST "$API/runs/log-batch" '{"run_id":"nope","params":[{"key":"a","value":"1"}]}'
expect_error_call 404 RESOURCE_DOES_NOT_EXIST "Run with id=nope not found" "log to an unknown run"
call GET "$API/experiments/get?experiment_id=42"
expect_error_call 404 RESOURCE_DOES_NOT_EXIST "No Experiment with id=42 exists" "unknown experiment"
call POST "$API/runs/create" '{"experiment_id":"42"}'
expect_call 404 "run in an unknown experiment"
call GET "$API/registered-models/get?name=ghost"
expect_error_call 404 RESOURCE_DOES_NOT_EXIST "Registered Model with name=ghost not found" "unknown model"
call POST "$API/model-versions/create" '{"name":"ghost","source":"runs:/x/model"}'
expect_call 404 "version of an unknown model"
call POST "$API/registered-models/create" '{"name":"m"}'
call GET "$API/model-versions/get?name=m&version=7"
expect_error_call 404 RESOURCE_DOES_NOT_EXIST "Model Version (name=m, version=7) not found" "unknown version"
call POST "$API/model-versions/create" '{"name":"m","source":"runs:/x/../../etc"}'
expect_error_call 400 INVALID_PARAMETER_VALUE "'..'" "version source with '..'"

# log-batch over its limits, and a deleted run.
batch() {  # N_METRICS N_PARAMS
  "$PYTHON" - "$R" "$1" "$2" <<'PY'
import json, sys
run, m, p = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
print(json.dumps({"run_id": run,
                  "metrics": [{"key": "m", "value": i, "timestamp": 1, "step": i} for i in range(m)],
                  "params": [{"key": "p%d" % i, "value": "v"} for i in range(p)]}))
PY
}
call POST "$API/runs/log-batch" "$(batch 1001 0)"
expect_error_call 400 INVALID_PARAMETER_VALUE "at most 1000 metrics. Got 1001 metrics." "1001 metrics"
call POST "$API/runs/log-batch" "$(batch 0 101)"
expect_error_call 400 INVALID_PARAMETER_VALUE "A batch logging request can contain at most 100 params. Got 101 params. Please split up params across multiple requests and try again." "101 params"
call POST "$API/runs/log-batch" "$(batch 950 60)"
expect_error_call 400 INVALID_PARAMETER_VALUE "at most 1000 total entities" "1010 entities"
call POST "$API/runs/log-batch" "{\"run_id\":\"$R\",\"params\":[{\"key\":\"d\",\"value\":\"1\"},{\"key\":\"d\",\"value\":\"2\"}]}"
expect_error_call 400 INVALID_PARAMETER_VALUE "Duplicate parameter keys" "duplicate params in one batch"
call POST "$API/runs/create" '{"experiment_id":"0"}'
D=$(field .run.info.run_id)
call POST "$API/runs/delete" "{\"run_id\":\"$D\"}"
call POST "$API/runs/log-parameter" "{\"run_id\":\"$D\",\"key\":\"a\",\"value\":\"1\"}"
expect_error_call 400 INVALID_PARAMETER_VALUE "must be in the 'active' state" "write to a deleted run"
call POST "$API/experiments/update" '{"experiment_id":"0","new_name":"x"}'
expect_call 200 "rename the default experiment"

# Artifact paths that escape the root: '..', absolute, encoded variants.
mkdir -p "$SCRATCH/outside"
for path in "../outside/x" "a/../../outside/x" "%2e%2e/outside/x" "%2E%2E%2Foutside%2Fx" "a/%252e%252e/x" "%2Fetc%2Fpasswd" "a%5c..%5cx"; do
  resp=$(curl -s -o /dev/null -w '%{http_code}' --path-as-is -X PUT --data-binary x "$BASE/api/2.0/mlflow-artifacts/artifacts/$path")
  expect_eq "$resp" "400" "PUT artifacts/$path is refused"
  resp=$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$BASE/api/2.0/mlflow-artifacts/artifacts/$path")
  expect_eq "$resp" "400" "GET artifacts/$path is refused"
done
resp=$(curl -s -o /dev/null -w '%{http_code}' --path-as-is -X PUT --data-binary x "$BASE/api/2.0/mlflow-artifacts/artifacts//etc/x")
expect_eq "$resp" "400" "absolute artifact path is refused"
for q in "path=..%2Foutside" "path=%2Fetc" "path=a%2F..%2F..%2Foutside"; do
  call GET "$BASE/api/2.0/mlflow-artifacts/artifacts?$q"
  expect_error_call 400 INVALID_PARAMETER_VALUE "Invalid artifact path" "listing with $q"
done
expect_eq "$(ls "$SCRATCH/outside" | wc -l)" "0" "nothing written outside the artifact root"
call POST "$BASE/api/2.0/mlflow-artifacts/mpu/create/0/$R/artifacts/big.bin" '{}'
expect_error_call 501 NOT_IMPLEMENTED "Multipart upload is not supported for the current artifact repository" "multipart upload falls back"

# 16 clients, 10 batches of 100 metrics each, all at once, into one run: nothing lost.
"$PYTHON" - "$API" "$R" <<'PY' || fail "concurrent log-batch requests failed"
import json, sys, threading, urllib.request
api, run = sys.argv[1], sys.argv[2]
errors = []
def client(c):
    for b in range(10):
        body = json.dumps({"run_id": run, "metrics": [
            {"key": "c%d" % c, "value": i, "timestamp": 1000 + b, "step": b * 100 + i}
            for i in range(100)]}).encode()
        req = urllib.request.Request(api + "/runs/log-batch", body, {"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(req, timeout=60).read()
        except Exception as e:
            errors.append(str(e))
threads = [threading.Thread(target=client, args=(c,)) for c in range(16)]
for t in threads: t.start()
for t in threads: t.join()
sys.exit(1 if errors else 0)
PY
for c in 0 7 15; do
  call GET "$API/metrics/get-history?run_id=$R&metric_key=c$c&max_results=25000"
  expect_eq "$(field '.metrics | length')" "1000" "client $c: 1000 points"
done
call GET "$API/runs/get?run_id=$R"
expect_eq "$(field '[.run.data.metrics[] | select(.key | startswith("c"))] | length')" "16" "16 latest values"
expect_eq "$(field '.run.data.metrics[] | select(.key == "c3") | .step')" "999" "latest is the highest step"

expect_eq "$(grep -ci 'error' "$SCRATCH/server.log" || true)" "0" "no internal errors in the server log"
finish
