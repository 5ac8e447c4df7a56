#!/usr/bin/env bash
# ONNX models trained in Python go where Plinth's own packages go. A scikit-learn pipeline
# with a random forest (skl2onnx, one input per column, ZipMap), a multiclass one with string
# labels and an MLP (one float tensor, plain probabilities):
# `plinth score` equals onnxruntime on the same rows; `plinth models import` makes packages
# that `plinth serve` answers the handbook's request with (the same fields as a trained
# package), with 422s, /invocations, /v2, metrics and live drift; a model logged with
# mlflow.onnx.log_model by the real MLflow client is served from models:/NAME/Production and
# hot-reloads when another version is promoted. Bad files and unsupported operators are refused
# before the server listens.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
need_tools
MODELS="$PLINTH_SOURCE/tests/e2e/onnx_models.py"
new_repo
tracking_pid=""
trap '[ -z "$tracking_pid" ] || kill "$tracking_pid" 2>/dev/null; stop_servers; rm -rf "$SCRATCH"' EXIT
"$PLINTH" -q demo-data fraud --rows 3000 --seed 1 --out train.csv
"$PLINTH" -q demo-data fraud --rows 400 --seed 7 --out new.csv
"$TOOLS_PYTHON" "$MODELS" build train.csv . 2>/dev/null || fail "building the models"

# 1. plinth score = onnxruntime: the bare pipeline (int64 labels), its multiclass twin (string
#    labels, 8 classes) and the MLP imported with the preprocessing its tensor was made with.
"$PLINTH" models import mlp.onnx --out mlp_pkg --preprocessing mlp_preprocessing.yaml \
  --target is_fraud --reference-data train.csv >import.txt || fail "import the MLP"
expect_contains "$(cat import.txt)" "into one tensor" "the MLP takes one tensor"
for case in "pipeline.onnx - label probability" "multi.onnx - label probability" \
  "regressor.onnx - prediction -" \
  "mlp_pkg mlp_preprocessing.yaml is_fraud fraud_probability"; do
  set -- $case
  stem=$(basename "$1" .onnx)
  "$PLINTH" -q score --model "$1" --input new.csv --output "scored_$stem.csv" ||
    fail "plinth score --model $1"
  model=$1 prep=()
  [ "$2" = - ] || { model=mlp.onnx; prep=("$2"); }
  "$TOOLS_PYTHON" "$MODELS" ort "$model" new.csv "ort_$stem.csv" "${prep[@]}"
  "$TOOLS_PYTHON" "$MODELS" compare "scored_$stem.csv" "ort_$stem.csv" "$3" "$4" ||
    fail "plinth score of $1 differs from onnxruntime"
  checks=$((checks + 1))
done
"$PLINTH" evaluate --model pipeline.onnx --data new.csv --target is_fraud --out eval --json \
  >metrics.json || fail "plinth evaluate on a bare .onnx"
expect_contains "$(cat metrics.json)" '"roc_auc"' "evaluation metrics of the ONNX model"

# 2. The pipeline imported with a reference profile serves the handbook's request like a
#    trained package: is_fraud (a boolean) and fraud_probability, onnxruntime's number.
"$PLINTH" -q models import pipeline.onnx --out fraud_pkg --target is_fraud \
  --reference-data train.csv || fail "import the pipeline"
start_server fraud.log fraud_pkg
expect_contains "$(cat fraud.log)" "(onnx)" "the ONNX engine serves"
REQUEST='{"amount": 250.0, "merchant_category": "online", "hour_of_day": 3, "day_of_week": 5, "transaction_velocity": 8, "distance_from_home": 120.5}'
printf 'amount,merchant_category,hour_of_day,day_of_week,transaction_velocity,distance_from_home\n250.0,online,3,5,8,120.5\n' >one.csv
"$TOOLS_PYTHON" "$MODELS" ort pipeline.onnx one.csv ort_one.csv
"$TOOLS_PYTHON" "$MODELS" ort mlp.onnx one.csv ort_one_mlp.csv mlp_preprocessing.yaml
# check_answer RESPONSE ORT_CSV LABEL PROBABILITY VERSION_PREFIX
check_answer() {
  "$PYTHON" - "$@" <<'PY'
import csv, json, math, sys
r, ort, label, prob, version = json.loads(sys.argv[1]), sys.argv[2], *sys.argv[3:]
want = next(csv.DictReader(open(ort)))
assert set(r) == {label, prob, "model_version"}, r
assert isinstance(r[label], bool) and r[label] == (want["label"] == "1"), (r, want)
assert math.isclose(r[prob], float(want["p_1"]), rel_tol=1e-5, abs_tol=2.5e-7), (r, want)
assert r["model_version"].startswith(version), r
PY
}
resp=$(curl -s -X POST "$URL/predict" -H 'Content-Type: application/json' -d "$REQUEST")
check_answer "$resp" ort_one.csv is_fraud fraud_probability fraud_pkg/ ||
  fail "the handbook's request on the pipeline: $resp"
# The graph's types validate: text for a float input and a fraction for an int64 input are 422s
# naming the fields, in FastAPI's body.
expect_eq "$(post /predict '{"amount": "lots", "merchant_category": "online", "hour_of_day": 3.5, "day_of_week": 5, "transaction_velocity": 8, "distance_from_home": 1}' | tr -d '\n')" \
  '422{"detail":[{"loc":["body","amount"],"msg":"value is not a valid float","type":"type_error.float"},{"loc":["body","hour_of_day"],"msg":"value is not a valid integer","type":"type_error.integer"}]}' \
  "a request whose types do not match the graph"
# /invocations and /v2 give the same numbers.
inv=$(post /invocations "{\"dataframe_records\": [$REQUEST]}")
v2=$(post /v2/models/fraud_pkg/infer '{"inputs": [{"name": "amount", "shape": [1], "datatype": "FP64", "data": [250.0]}, {"name": "merchant_category", "shape": [1], "datatype": "BYTES", "data": ["online"]}, {"name": "hour_of_day", "shape": [1], "datatype": "INT64", "data": [3]}, {"name": "day_of_week", "shape": [1], "datatype": "INT64", "data": [5]}, {"name": "transaction_velocity", "shape": [1], "datatype": "FP64", "data": [8]}, {"name": "distance_from_home", "shape": [1], "datatype": "FP64", "data": [120.5]}]}')
"$PYTHON" - "$resp" "$inv" "$v2" <<'PY' || fail "/invocations and /v2 answer like /predict: $inv $v2"
import json, sys
p = json.loads(sys.argv[1])
code, body = sys.argv[2].split("\n", 1)
assert code == "200", sys.argv[2]
i = json.loads(body)["predictions"][0]
assert i == {"is_fraud": int(p["is_fraud"]), "fraud_probability": p["fraud_probability"]}, i
code, body = sys.argv[3].split("\n", 1)
assert code == "200", sys.argv[3]
out = {o["name"]: o["data"] for o in json.loads(body)["outputs"]}
assert out == {"is_fraud": [int(p["is_fraud"])], "fraud_probability": [p["fraud_probability"]]}, out
PY
# OpenAPI types and example from the graph and the reference data.
"$PYTHON" - "$(curl -s "$URL/openapi.json")" <<'PY' || fail "the OpenAPI document of an ONNX model"
import json, sys
s = json.loads(sys.argv[1])["components"]["schemas"]["ModelInput"]["properties"]
assert s["merchant_category"]["type"] == "string" and s["hour_of_day"]["type"] == "integer", s
assert s["amount"]["type"] == "number" and "example" in s["amount"], s
PY
# Metrics and live drift as for a trained package: 120 far-off requests make amount drift.
for _ in $(seq 120); do echo "$REQUEST"; done | "$PYTHON" -c '
import json, sys, urllib.request
rows = [json.loads(l) for l in sys.stdin]
req = urllib.request.Request(sys.argv[1] + "/predict", json.dumps(rows).encode(),
                             {"Content-Type": "application/json"})
assert urllib.request.urlopen(req).status == 200' "$URL"
metrics=$(curl -s "$URL/metrics")
expect_contains "$metrics" 'model_info{model="fraud_pkg"' "model_info"
expect_contains "$metrics" 'engine="onnx"' "the engine in model_info"
expect_contains "$metrics" 'model_predictions_total{outcome="1"}' "predictions counted"
expect_contains "$metrics" 'model_feature_drift_detected{feature="amount",stattest="jensenshannon",model="fraud_pkg"} 1' \
  "live drift on the imported package"

# 3. The MLP (one tensor) answers the same request with the same fields.
start_server mlp.log mlp_pkg
resp=$(curl -s -X POST "$URL/predict" -d "$REQUEST")
check_answer "$resp" ort_one_mlp.csv is_fraud fraud_probability mlp_pkg/ ||
  fail "the handbook's request on the MLP: $resp"
# A regressor answers with its prediction.
start_server regressor.log regressor.onnx
resp=$(curl -s -X POST "$URL/predict" -d "$REQUEST")
"$PYTHON" - "$resp" <<'PY' || fail "the regressor's answer: $resp"
import json, sys
r = json.loads(sys.argv[1])
assert set(r) == {"prediction", "model_version"} and 0 <= r["prediction"] <= 23, r
PY
# A bare .onnx serves too, with the graph's own names for the outputs.
start_server bare.log pipeline.onnx
resp=$(curl -s -X POST "$URL/predict" -d "$REQUEST")
check_answer "$resp" ort_one.csv label probability pipeline/ ||
  fail "the handbook's request on pipeline.onnx: $resp"
expect_contains "$(curl -s "$URL/openapi.json")" \
  '"hour_of_day":{"type":"integer","title":"Hour Of Day","example":0}' \
  "a bare model's OpenAPI types and example come from the graph"

# 4. Refused at load, before listening, naming the cause.
echo "not a model" >broken.onnx
expect_error 2 "broken.onnx: not a valid ONNX model" "$PLINTH" serve broken.onnx --port 0
"$TOOLS_PYTHON" - <<'PY'
import onnx
from onnx import TensorProto, helper
node = helper.make_node("Einsum", ["x", "x"], ["y"], name="mix", equation="ij,ij->ij")
graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 1])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 1])])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), "einsum.onnx")
PY
expect_error 2 "node 'mix' (Einsum, domain ai.onnx, opset 17)" "$PLINTH" serve einsum.onnx --port 0
expect_error 2 "nothing names its columns" "$PLINTH" score --model mlp.onnx --input new.csv \
  --output x.csv
printf 'amount,merchant_category,hour_of_day,day_of_week,transaction_velocity,distance_from_home\n1,gas,2.5,1,1,1\n' >fraction.csv
expect_error 2 "fraction.csv row 1, column 'hour_of_day': 2.5 is not a whole number" \
  "$PLINTH" score --model pipeline.onnx --input fraction.csv --output x.csv

# 5. Logged by the real MLflow client to `plinth server`, served from models:/NAME/Production;
#    promoting another version swaps it in.
TPORT=$(free_port)
"$PLINTH" server --backend-store-uri "sqlite:///$SCRATCH/mlruns.db" \
  --artifacts-destination "$SCRATCH/mlartifacts" --port "$TPORT" >tracking.log 2>&1 &
tracking_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$TPORT/health" >/dev/null 2>&1 && break; sleep 0.1; done
export PLINTH_TRACKING_URI="http://127.0.0.1:$TPORT"
version=$("$TOOLS_PYTHON" "$MODELS" mlflow pipeline.onnx "$PLINTH_TRACKING_URI" fraud-onnx \
  train.csv 2>mlflow.log | tail -1) || fail "mlflow.onnx.log_model: $(tail -5 mlflow.log)"
expect_eq "$version" 1 "the MLflow client registered version 1"
start_server registry.log models:/fraud-onnx/Production --reload-interval 0.2
resp=$(curl -s -X POST "$URL/predict" -d "$REQUEST")
check_answer "$resp" ort_one.csv label probability fraud-onnx/1 ||
  fail "the MLflow-logged model from models:/fraud-onnx/Production: $resp"
"$PLINTH" -q models register fraud-onnx "$WORK/mlp_pkg" >/dev/null
"$PLINTH" -q models transition fraud-onnx 2 Production >/dev/null
for _ in $(seq 100); do
  resp=$(curl -s -X POST "$URL/predict" -d "$REQUEST")
  case "$resp" in *fraud-onnx/2*) break ;; esac
  sleep 0.1
done
check_answer "$resp" ort_one_mlp.csv is_fraud fraud_probability fraud-onnx/2 ||
  fail "hot reload to version 2: $resp"
expect_contains "$(curl -s "$URL/metrics")" 'model_reloads_total{result="success"} 1' \
  "the reload is counted"
finish
