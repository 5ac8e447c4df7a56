#!/usr/bin/env bash
# plinth serve's protocols on one model: every endpoint scores like python3-xgboost, /predict
# refuses bad input with the same 422 bodies as the handbook's FastAPI server (run here as the
# oracle), and /metrics passes promtool and counts what was sent.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
export OMP_WAIT_POLICY=PASSIVE
ORACLE="$PLINTH_SOURCE/tests/model/model_oracle.py"
new_repo
trap 'stop_servers; rm -rf "$SCRATCH"' EXIT
train_fraud_model
"$PLINTH" -q demo-data fraud --rows 300 --seed 7 --out new.csv
start_server serve.log model

# 1. The same 300 rows through /predict, the four MLflow JSON forms, CSV and KServe v2 give the
#    same probabilities, and they are python3-xgboost's.
"$PYTHON" - "$URL" new.csv <<'PY' || fail "every protocol answers for every row"
import csv, json, sys, urllib.request
url, path = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(path)))
cols = ["amount", "merchant_category", "hour_of_day", "day_of_week", "transaction_velocity",
        "distance_from_home"]
def typed(r):
    return {"amount": float(r["amount"]), "merchant_category": r["merchant_category"],
            "hour_of_day": int(r["hour_of_day"]), "day_of_week": int(r["day_of_week"]),
            "transaction_velocity": float(r["transaction_velocity"]),
            "distance_from_home": float(r["distance_from_home"])}
records = [typed(r) for r in rows]
def post(route, body, ctype="application/json"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url + route, data=data, headers={"Content-Type": ctype})
    with urllib.request.urlopen(req) as r:
        assert r.status == 200, (route, r.status)
        return json.load(r)
answers = {
    "predict": post("/predict", records),
    "split": post("/invocations", {"dataframe_split": {"columns": cols,
                                   "data": [[r[c] for c in cols] for r in records]}})["predictions"],
    "records": post("/invocations", {"dataframe_records": records})["predictions"],
    "instances": post("/invocations", {"instances": records})["predictions"],
    "inputs": post("/invocations", {"inputs": {c: [r[c] for r in records] for c in cols}})["predictions"],
    "csv": post("/invocations", open(path, "rb").read(), "text/csv")["predictions"],
}
dtype = {"amount": "FP64", "merchant_category": "BYTES", "hour_of_day": "INT64",
         "day_of_week": "INT64", "transaction_velocity": "FP64", "distance_from_home": "FP64"}
v2 = post("/v2/models/model/infer", {"id": "batch-1", "inputs": [
    {"name": c, "shape": [len(records)], "datatype": dtype[c], "data": [r[c] for r in records]}
    for c in cols]})
assert v2["id"] == "batch-1" and v2["model_name"] == "model", v2
out = {o["name"]: o for o in v2["outputs"]}
assert out["fraud_probability"]["shape"] == [len(records)], out
answers["kserve"] = [{"fraud_probability": p} for p in out["fraud_probability"]["data"]]
for name, preds in answers.items():
    assert len(preds) == len(rows), (name, len(preds))
    with open(f"scored_{name}.csv", "w") as f:
        f.write("fraud_probability\n" + "".join(f"{p['fraud_probability']!r}\n" for p in preds))
# The label follows the threshold; /predict answers it as a boolean, the others as the target.
for p, q in zip(answers["predict"], answers["split"]):
    assert p["is_fraud"] == (p["fraud_probability"] >= 0.5) and isinstance(p["is_fraud"], bool), p
    assert q["is_fraud"] == int(p["is_fraud"]), (p, q)
PY
expect_eq "$(ls scored_*.csv | wc -l)" 7 "one scored file per protocol"
"$PYTHON" "$ORACLE" predictions model new.csv scored_*.csv >/dev/null ||
  fail "served probabilities differ from python3-xgboost's"

# 2. The handbook's request: one object in, one object out, with the model version.
resp=$(curl -s -D headers.txt -X POST "$URL/predict" -H 'Content-Type: application/json' \
  -d '{"amount": 250.0, "merchant_category": "online", "hour_of_day": 3, "day_of_week": 5, "transaction_velocity": 8, "distance_from_home": 120.5}')
"$PYTHON" - "$resp" <<'PY' || fail "the handbook's response shape: $resp"
import json, sys
r = json.loads(sys.argv[1])
assert set(r) == {"is_fraud", "fraud_probability", "model_version"}, r
assert isinstance(r["is_fraud"], bool) and 0 <= r["fraud_probability"] <= 1, r
assert r["model_version"].startswith("model/"), r
PY
expect_contains "$(cat headers.txt)" "X-Request-ID:" "a request id comes back"
expect_contains "$(curl -s -D - -o /dev/null -X POST "$URL/predict" -H 'X-Request-ID: abc-123' \
  -d '{"amount": 5, "merchant_category": "gas", "hour_of_day": 1, "day_of_week": 1, "transaction_velocity": 1, "distance_from_home": 1}')" \
  "X-Request-ID: abc-123" "the client's request id is kept"

# 3. Bad input: the same status and body as FastAPI + pydantic on the same signature.
oracle_port=$(free_port)
"$PYTHON" "$PLINTH_SOURCE/tests/serving/fastapi_oracle.py" model "$oracle_port" >oracle.log 2>&1 &
SERVER_PIDS+=($!)
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$oracle_port/docs" && break
  sleep 0.1
done
"$PYTHON" - "$URL" "http://127.0.0.1:$oracle_port" <<'PY' || fail "422 bodies equal FastAPI's"
import json, sys, urllib.request, urllib.error
plinth, fastapi = sys.argv[1], sys.argv[2]
good = {"amount": 250.0, "merchant_category": "online", "hour_of_day": 3, "day_of_week": 5,
        "transaction_velocity": 8, "distance_from_home": 120.5}
def but(**changes):
    body = dict(good)
    for k, v in changes.items():
        if v is KeyError:
            del body[k]
        else:
            body[k] = v
    return body
cases = [
    but(hour_of_day=KeyError),                       # missing
    but(amount=KeyError, day_of_week=KeyError),      # two missing, in signature order
    but(amount=None),                                # null
    but(amount="abc"), but(hour_of_day="x"),         # wrong types
    but(amount=[1]), but(merchant_category={"a": 1}),
    but(amount=0), but(amount=-3.5),                 # gt 0
    but(hour_of_day=24), but(hour_of_day=-1),        # ge 0, le 23
    but(day_of_week=7), but(transaction_velocity=-0.1),
    but(amount=-1, hour_of_day=99, distance_from_home="far"),
    but(amount="12.5", hour_of_day="4"),             # numeric strings are accepted by both
    but(merchant_category=7),                        # and numbers as text
    5, "text", None,                                 # not an object
]
def send(base, route, body):
    req = urllib.request.Request(base + route, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, None
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)
checked = 0
for body in cases:
    want = send(fastapi, "/predict", body)
    got = send(plinth, "/predict", body)
    assert got[0] == want[0], (body, got, want)
    if want[0] == 422:
        assert got[1] == want[1], (body, got[1], want[1])
        checked += 1
# Arrays: errors located by index, as FastAPI does for a list body.
for batch in ([good, but(amount=-1)], [but(hour_of_day=KeyError), good, but(day_of_week="x")],
              [good, 3]):
    want, got = send(fastapi, "/predict_batch", batch), send(plinth, "/predict", batch)
    assert got == want, (batch, got, want)
    checked += 1
assert checked >= 18, checked
PY
# Where Plinth is stricter than pydantic 1 (documented in docs/serving.md): a fraction for an
# integer field is refused, not truncated.
out=$(post /predict '{"amount": 1, "merchant_category": "gas", "hour_of_day": 3.5, "day_of_week": 1, "transaction_velocity": 1, "distance_from_home": 1}')
expect_eq "$out" '422
{"detail":[{"loc":["body","hour_of_day"],"msg":"value is not a valid integer","type":"type_error.integer"}]}' "3.5 is not an hour"
out=$(post /predict '{"amount": 1, "merchant_category": ')
expect_contains "$out" "400" "malformed JSON is a 400"
expect_contains "$out" "malformed JSON" "and says so"

# 4. An unknown category is scored and counted, not refused (the second: "7" was one too).
out=$(post /predict '{"amount": 40, "merchant_category": "crypto", "hour_of_day": 2, "day_of_week": 0, "transaction_velocity": 3, "distance_from_home": 9}')
expect_contains "$out" "200" "an unknown category is scored"
metrics=$(curl -s "$URL/metrics")
expect_contains "$metrics" 'model_unknown_category_total{feature="merchant_category"} 2' "and counted"

# 5. MLflow and KServe errors name what is wrong.
out=$(post /invocations '{"dataframe_records": [{"amount": 1}]}')
expect_contains "$out" "400" "a missing column is a 400"
expect_contains "$out" "lacks column 'merchant_category'" "naming the column"
out=$(post /invocations '{"dataframe_split": {"columns": ["amount","merchant_category","hour_of_day","day_of_week","transaction_velocity","distance_from_home"], "data": [[1,"gas",1,1,1,1],[2,"gas","noon",1,1,1]]}}')
expect_contains "$out" "row 2, column 'hour_of_day': value is not a valid integer" "a bad value names row and column"
out=$(post /invocations $'amount,merchant_category,hour_of_day,day_of_week,transaction_velocity,distance_from_home\n5,gas,1,1,1,1\n-5,gas,1,1,1,1\n' text/csv)
expect_contains "$out" "400" "a CSV row outside a constraint is a 400"
expect_contains "$out" "amount" "naming the column"
out=$(post /invocations '{"instances": [], "inputs": []}')
expect_contains "$out" "send exactly one input format" "two formats at once"
out=$(post /invocations 'x' application/xml)
expect_contains "$out" "415" "an unsupported content type"
out=$(post /v2/models/other/infer '{"inputs": []}')
expect_contains "$out" "404" "KServe: an unknown model"
out=$(post /v2/models/model/infer '{"inputs": [{"name": "amount", "shape": [2], "datatype": "FP64", "data": [1]}]}')
expect_contains "$out" "shape [2] and 1 values" "KServe: a shape that does not match its data"
expect_eq "$(curl -s "$URL/v2/health/ready")" '{"ready":true}' "KServe readiness"
meta=$(curl -s "$URL/v2/models/model")
expect_contains "$meta" '{"datatype":"BYTES","name":"merchant_category","shape":[-1]}' "KServe metadata"

# 6. Health, readiness, OpenAPI, unknown routes.
health=$(curl -s "$URL/health")
expect_contains "$health" '"model_loaded":true' "/health"
expect_contains "$health" '"status":"ok"' "/health"
expect_eq "$(curl -s "$URL/ready")" '{"ready":true}' "/ready"
curl -s "$URL/openapi.json" | "$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
s = d["components"]["schemas"]["ModelInput"]
assert s["required"] == ["amount", "merchant_category", "hour_of_day", "day_of_week", "transaction_velocity", "distance_from_home"], s
assert s["properties"]["amount"]["exclusiveMinimum"] == 0 and s["properties"]["hour_of_day"]["maximum"] == 23, s
assert s["properties"]["hour_of_day"]["type"] == "integer"
for p in ("/predict", "/invocations", "/health", "/ready", "/metrics", "/v2/models/{name}/infer"):
    assert p in d["paths"], p
' || fail "/openapi.json describes the signature and every endpoint"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$URL/nope")" "404" "unknown path"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$URL/predict")" "405" "GET /predict"

# 7. /metrics is valid exposition text and counts what happened.
metrics=$(curl -s "$URL/metrics")
printf '%s\n' "$metrics" >metrics.txt
promtool check metrics <metrics.txt >promtool.txt 2>&1 || fail "promtool check metrics: $(cat promtool.txt)"
"$PYTHON" - metrics.txt <<'PY' || fail "metric values match the requests sent"
import re, sys
samples = {}
for line in open(sys.argv[1]):
    if line.startswith("#") or not line.strip():
        continue
    name, value = line.rsplit(" ", 1)
    samples[name] = float(value)
def total(prefix):
    return sum(v for k, v in samples.items() if k.startswith(prefix))
# /predict: 300 rows + handbook + request id + numeric strings + number as category + unknown
# category; the other protocols 6 x 300 rows.
rows = total("model_predictions_total{")
assert rows == 300 * 7 + 5, rows
assert samples["model_prediction_confidence_count"] == rows
assert samples['model_prediction_confidence_bucket{le="+Inf"}'] == rows
assert samples['model_feature_value_count{feature="amount"}'] == rows
assert samples['http_requests_total{path="/predict",code="422"}'] >= 20
assert samples['http_requests_total{path="/predict",code="400"}'] == 1
assert samples['http_requests_total{path="/invocations",code="415"}'] == 1
assert samples['model_info{model="model",version="%s",engine="compiled"}' % re.search(
    r'version="([0-9a-f]+)"', open(sys.argv[1]).read()).group(1)] == 1
assert samples["model_inference_duration_seconds_count"] >= 10
PY

# 8. Micro-batching: 300 concurrent single-row requests are coalesced into fewer predict calls
#    and get the same answers as without batching.
start_server batch.log model --max-batch 16 --batch-wait-us 3000
"$PYTHON" - "$URL" new.csv scored_predict.csv <<'PY' || fail "micro-batched answers equal unbatched ones"
import csv, json, sys, urllib.request
from concurrent.futures import ThreadPoolExecutor
url, path, expected = sys.argv[1], sys.argv[2], sys.argv[3]
rows = list(csv.DictReader(open(path)))
want = [float(l) for l in open(expected).read().split()[1:]]
def one(r):
    body = {"amount": float(r["amount"]), "merchant_category": r["merchant_category"],
            "hour_of_day": int(r["hour_of_day"]), "day_of_week": int(r["day_of_week"]),
            "transaction_velocity": float(r["transaction_velocity"]),
            "distance_from_home": float(r["distance_from_home"])}
    req = urllib.request.Request(url + "/predict", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as resp:
        return json.load(resp)["fraud_probability"]
with ThreadPoolExecutor(16) as pool:
    got = list(pool.map(one, rows))
assert got == want, [(g, w) for g, w in zip(got, want) if g != w][:3]
metrics = urllib.request.urlopen(url + "/metrics").read().decode()
calls = [float(l.split()[-1]) for l in metrics.splitlines()
         if l.startswith("model_batches_total ")][0]
batched = [float(l.split()[-1]) for l in metrics.splitlines()
           if l.startswith("model_batched_rows_total ")][0]
assert batched == 300, batched
rows_scored = sum(float(l.split()[-1]) for l in metrics.splitlines()
                  if l.startswith("model_predictions_total{"))
assert rows_scored == 300, rows_scored
assert calls < 300, f"{calls} predict calls: nothing was batched"
print(f"300 requests in {calls:.0f} predict calls")
PY

# 9. The prediction log: every answered row, with its request id, time, features and outputs,
#    in Parquet files that are complete once the server has stopped.
start_server logged.log model --log-predictions "$WORK/predictions"
curl -s -o /dev/null -X POST "$URL/invocations" -H 'Content-Type: text/csv' -H 'X-Request-ID: batch-7' \
  --data-binary @new.csv
post /predict '{"amount": 40, "merchant_category": "crypto", "hour_of_day": 2, "day_of_week": 0, "transaction_velocity": 3, "distance_from_home": 9}' >/dev/null
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || fail "plinth serve exits 0 on SIGTERM"
ls predictions/*.parquet >/dev/null || fail "prediction log files"
[ -z "$(ls predictions | grep -v '\.parquet$')" ] || fail "no temporary files left: $(ls predictions)"
for f in predictions/*.parquet; do "$PLINTH" -q table convert "$f" "${f%.parquet}.csv"; done
"$PYTHON" - scored_split.csv predictions/*.csv <<'PY' || fail "the log holds every answered row"
import csv, sys
want = [float(l) for l in open(sys.argv[1]).read().split()[1:]]
rows = [r for path in sys.argv[2:] for r in csv.DictReader(open(path))]
assert len(rows) == 301, len(rows)
batch = [r for r in rows if r["request_id"] == "batch-7"]
assert [float(r["fraud_probability"]) for r in batch] == want
single = [r for r in rows if r["request_id"] != "batch-7"][0]
assert single["merchant_category"] == "crypto" and single["timestamp"].startswith("20"), single
assert list(rows[0])[:3] == ["request_id", "timestamp", "amount"], list(rows[0])
PY
finish
