#!/usr/bin/env bash
# Live drift in plinth serve: traffic like the training data keeps every gauge below its
# threshold; traffic with amounts 4x larger (plinth demo-data fraud --shift amount=4) drives
# model_feature_drift_score{feature="amount"} over it, at /metrics and /monitoring/drift, with
# the same scores `plinth drift` computes against the package's profile for those rows.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
export OMP_WAIT_POLICY=PASSIVE
new_repo
trap 'stop_servers; rm -rf "$SCRATCH"' EXIT
train_fraud_model
"$PLINTH" -q demo-data fraud --rows 600 --seed 5 --out same.csv
"$PLINTH" -q demo-data fraud --rows 600 --seed 6 --shift amount=4 --out shifted.csv
start_server serve.log model --drift-window 600 --drift-min-rows 100

# send FILE: posts the file's rows to /invocations as CSV, 100 at a time.
send() {
  "$PYTHON" - "$URL" "$1" <<'PY'
import sys, urllib.request
url, path = sys.argv[1], sys.argv[2]
lines = open(path).read().splitlines()
for i in range(1, len(lines), 100):
    body = "\n".join([lines[0]] + lines[i:i + 100]).encode()
    req = urllib.request.Request(url + "/invocations", data=body, headers={"Content-Type": "text/csv"})
    with urllib.request.urlopen(req) as r:
        assert r.status == 200
PY
}

# Before the window holds min_rows values there is no verdict yet.
expect_contains "$(curl -s "$URL/monitoring/drift")" '"number_of_columns":0' "no verdict on an empty window"

send same.csv
curl -s "$URL/monitoring/drift" >same.json
"$PYTHON" - same.json <<'PY' || fail "traffic like the training data does not drift: $(cat same.json)"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["dataset_drift"] is False, d
assert d["window"]["amount"]["rows"] == 600, d["window"]
assert not d["columns"]["amount"]["drifted"], d["columns"]["amount"]
assert d["number_of_columns"] == 7, d  # six inputs and the prediction
PY
metrics=$(curl -s "$URL/metrics")
expect_contains "$metrics" 'model_feature_drift_detected{feature="amount",stattest=' "a drift gauge per feature"
expect_contains "$metrics" 'model_dataset_drift_share{model="model"} 0' "no drift share yet"

send shifted.csv
curl -s "$URL/monitoring/drift" >shifted.json
curl -s "$URL/metrics" >metrics.txt
"$PLINTH" drift --reference model --current shifted.csv --json cli.json >/dev/null ||
  fail "plinth drift on shifted.csv (exits 0 without --fail-on-drift)"
"$PYTHON" - shifted.json metrics.txt cli.json <<'PY' || fail "shifted traffic crosses the thresholds: $(cat shifted.json)"
import json, sys
live = json.load(open(sys.argv[1]))
amount = live["columns"]["amount"]
assert amount["drifted"] and amount["score"] != amount["threshold"], amount
# The Prometheus gauges say the same.
samples = {}
for line in open(sys.argv[2]):
    if not line.startswith("#") and line.strip():
        k, v = line.rsplit(" ", 1)
        samples[k] = float(v)
key = 'feature="amount",stattest="%s",model="model"' % amount["stattest"]
assert samples["model_feature_drift_detected{%s}" % key] == 1, samples
assert abs(samples["model_feature_drift_score{%s}" % key] - amount["score"]) <= 1e-12 * max(1, abs(amount["score"]))
assert samples['model_dataset_drift_share{model="model"}'] == live["share_of_drifted_columns"]
mean = samples['model_feature_mean{feature="amount",model="model"}']
ref = samples['model_feature_reference_mean{feature="amount",model="model"}']
assert mean > 3 * ref, (mean, ref)  # the handbook's alert: mean amount 20% off training
# The window now holds exactly shifted.csv: the batch command agrees on every column.
cli = json.load(open(sys.argv[3]))
for name, c in cli["columns"].items():
    l = live["columns"][name]
    assert l["stattest"] == c["stattest"] and l["drifted"] == c["drifted"], (name, l, c)
    assert abs(l["score"] - c["score"]) <= 1e-9 * max(1, abs(c["score"])), (name, l, c)
PY

# A model without profile.json (as mlflow.onnx logs one) has no live drift, unless served with
# --reference-data: then its window is judged against that data as `plinth drift` judges the
# same rows against the file.
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
cp -r model bare && rm bare/profile.json
start_server bare.log bare --drift-window 600 --drift-min-rows 100
expect_eq "$(curl -s "$URL/metrics" | grep -c '^model_feature_drift' || true)" 0 "no profile, no drift gauges"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
expect_error 2 "--reference-data" "$PLINTH" serve bare --port 0 --reference-data missing.csv
start_server bare.log bare --drift-window 600 --drift-min-rows 100 --reference-data train.csv
send shifted.csv
curl -s "$URL/monitoring/drift" >bare.json
"$PLINTH" drift --reference train.csv --current shifted.csv --json table.json >/dev/null ||
  fail "plinth drift train.csv shifted.csv"
"$PYTHON" - bare.json table.json <<'PY' || fail "--reference-data: live drift against the file: $(cat bare.json)"
import json, sys
live, table = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert live["columns"]["amount"]["drifted"], live["columns"]["amount"]
for name, l in live["columns"].items():
    if name in table["columns"]:
        assert l["drifted"] == table["columns"][name]["drifted"], (name, l, table["columns"][name])
PY
finish
