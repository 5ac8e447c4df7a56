#!/usr/bin/env bash
# `make demo`: the handbook's fraud detector, module by module, on Plinth alone
# (examples/fraud-detection). In a temporary copy of the example: version the data and share it
# through a remote; run the four-stage pipeline, tracked by `plinth server` (which also serves
# the UI); compare two runs; register and promote; serve the Production model with the user's
# features from the feature store; score a batch; replay drifted traffic and read the verdict;
# tag model-v1, retrain as v2, and roll back with git and `plinth checkout`. Then it prints the
# URLs and keeps the servers up until Ctrl-C.
#
# (Module 2 also queues two experiments, runs them two at a time and runs a small sweep.)
# HANDBOOK_CHECK=1 runs the same flow for `make test` (tests/e2e/handbook_test.sh): ephemeral
# ports, every step's result asserted, no waiting at the end.
set -euo pipefail

SOURCE=$(cd "$(dirname "$0")/.." && pwd)
PLINTH=${PLINTH:-$SOURCE/build/plinth}
TOOLS_PYTHON=${PLINTH_TOOLS_PYTHON:-$SOURCE/.venv-test/bin/python}
CHECK=${HANDBOOK_CHECK:-0}
ROWS=${HANDBOOK_ROWS:-20000}
DEMO=$(mktemp -d "${TMPDIR:-/tmp}/plinth-handbook.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  chmod -R u+w "$DEMO" 2>/dev/null
  rm -rf "$DEMO"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export GIT_AUTHOR_NAME=demo GIT_AUTHOR_EMAIL=demo@example.invalid
export GIT_COMMITTER_NAME=demo GIT_COMMITTER_EMAIL=demo@example.invalid
export OMP_WAIT_POLICY=PASSIVE

module() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
# quiet CMD...: show the command, keep its output in a log (printed if it fails).
quiet() {
  printf '$ %s\n' "$*"
  "$@" >"$DEMO/last.log" 2>&1 || { cat "$DEMO/last.log" >&2; echo "demo: '$*' failed" >&2; exit 1; }
}
expect() { # CONDITION-TEXT DESCRIPTION: a step's result, checked in both modes
  if ! eval "$1"; then echo "demo: FAILED: $2 ($1)" >&2; exit 1; fi
  [ "$CHECK" = 1 ] && echo "  ok: $2"
  return 0
}
free_port() {
  "$TOOLS_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_http() { # URL LOG
  for _ in $(seq 1 200); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  cat "$2" >&2
  echo "demo: $1 did not answer" >&2
  exit 1
}
[ -x "$TOOLS_PYTHON" ] || { echo "demo: $TOOLS_PYTHON is missing: run scripts/setup.sh" >&2; exit 1; }
# The stages run `plinth` and `python` (the handbook's scripts): put both first on PATH, the
# pinned environment's bin folder as its activation script would (a link to its python alone
# would not see the environment's packages).
mkdir -p "$DEMO/bin" && ln -s "$PLINTH" "$DEMO/bin/plinth"
export PATH="$DEMO/bin:$(dirname "$TOOLS_PYTHON"):$PATH"
project=$DEMO/fraud-detection
cp -r "$SOURCE/examples/fraud-detection" "$project"
cd "$project"

module "Module 1: version the data next to git, share it through a remote"
git init -q
run plinth init
quiet plinth demo-data fraud --rows "$ROWS" --seed 7 --end now --out data/transactions.csv
run plinth add data/transactions.csv
run plinth remote add -d storage "$DEMO/remote"
run plinth push
git add -A && git commit -qm "The fraud detector: code, params and the data's pointer"
expect '[ "$(plinth status --cloud --json)" = "{}" ]' "the remote holds the data"

module "Module 2: the pipeline, tracked by plinth server (MLflow's API and the UI)"
port=$(free_port)
plinth server --backend-store-uri "sqlite:///$DEMO/mlruns.db" --artifacts-destination \
  "$DEMO/mlartifacts" --port "$port" >"$DEMO/server.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$port/health" "$DEMO/server.log"
export MLFLOW_TRACKING_URI=http://127.0.0.1:$port
echo "MLFLOW_TRACKING_URI=$MLFLOW_TRACKING_URI  (the MLflow client logs here; the UI is at /)"
run plinth dag
quiet plinth repro -e fraud-detection
grep -E '^(data_prep|train|evaluate):' "$DEMO/last.log"
run plinth metrics show
git add -A && git commit -qm "Train the first model"
expect 'plinth status | grep -q "up to date"' "the pipeline is up to date after repro"
first_auc=$("$TOOLS_PYTHON" -c 'import json; print(json.load(open("metrics.json"))["roc_auc"])')
expect '"$TOOLS_PYTHON" -c "import sys; sys.exit(not float(sys.argv[1]) > 0.75)" "$first_auc"' \
  "the first model separates fraud (ROC AUC $first_auc > 0.75)"

module "Module 2: compare runs: a slower learning rate with more trees"
run sed -i 's/learning_rate: 0.1/learning_rate: 0.05/; s/n_estimators: 100/n_estimators: 200/' params.yaml
run plinth status
quiet plinth repro -e fraud-detection
grep -E '^(train|evaluate):' "$DEMO/last.log"
expect '! grep -q "Running stage .data_prep" "$DEMO/last.log"' "only train and evaluate reran"
run plinth params diff
run plinth metrics diff
run plinth runs list -e fraud-detection
git add -A && git commit -qm "learning_rate 0.05, 200 trees"

module "Module 2: experiments two at a time, then a small sweep"
run plinth exp run --queue -S train.max_depth=2 -n shallow
run plinth exp run --queue -S train.max_depth=5 -n deep
quiet plinth exp run --run-all -j 2 -e fraud-detection
run plinth exp show --sort-by roc_auc --sort-order desc
expect '[ "$(git for-each-ref refs/exps | grep -c -e /shallow -e /deep)" = 2 ]' \
  "both experiments are stored under refs/exps/, as DVC stores them"
run cat sweep.yaml
run plinth sweep sweep.yaml -j 2 --count 2 --seed 1 -e fraud-detection
expect '[ "$(git for-each-ref refs/exps | wc -l)" -ge 4 ]' "each sweep trial is an experiment too"

module "Module 3: the registry: promote the better model to Production"
run plinth models show fraud-detector
best=$("$TOOLS_PYTHON" - <<'PY'
from mlflow import MlflowClient
c = MlflowClient()
auc = {v.version: c.get_run(v.run_id).data.metrics.get("roc_auc", 0)
       for v in c.search_model_versions("name='fraud-detector'")}
print(max(auc, key=lambda v: (auc[v], int(v))))
PY
)
run plinth models transition fraud-detector "$best" Production
run plinth models alias fraud-detector champion "$best"
expect '[ "$(plinth models show fraud-detector --json | "$TOOLS_PYTHON" -c "import json,sys; print([v[\"version\"] for v in json.load(sys.stdin)[\"versions\"] if v[\"current_stage\"] == \"Production\"])")" = "['"'"'$best'"'"']" ]' \
  "version $best is in Production"

module "Module 4: serve it behind the handbook's API, features looked up by user_id"
run plinth features materialize 2000-01-01T00:00:00 now -c features
serve_port=$(free_port)
plinth serve models:/fraud-detector/Production --port "$serve_port" --reload-interval 1 \
  --feature-repo features --feature-service user_features --entity-key user_id \
  --reference-data data/features/train.csv --drift-window 1000 >"$DEMO/serve.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$serve_port/health" "$DEMO/serve.log"
user=$(awk -F, 'NR == 2 { print $1 }' data/prepared/test.csv)
request="{\"user_id\": \"$user\", \"amount\": 250.0, \"merchant_category\": \"online\", \"hour_of_day\": 3, \"day_of_week\": 5, \"transaction_velocity\": 8, \"distance_from_home\": 120.5}"
printf '$ curl -X POST localhost:%s/predict -d %s\n' "$serve_port" "$request"
answer=$(curl -s -X POST "http://127.0.0.1:$serve_port/predict" -H 'Content-Type: application/json' -d "$request")
echo "$answer"
expect '[[ "$answer" == *"\"model_version\":\"fraud-detector/$best\""* && "$answer" == *probability* ]]' \
  "the Production version answers the handbook's request"
run plinth features describe user_stats -c features

module "Module 5: batch scoring with the same model, from the command line and on Spark"
run plinth score --model models:/fraud-detector/Production --input data/features/test.csv \
  --output "$DEMO/scored.parquet"
run plinth table head "$DEMO/scored.parquet" -n 3 --columns user_id,amount,is_fraud,label,probability
expect '[ "$(plinth table schema "$DEMO/scored.parquet" --json | "$TOOLS_PYTHON" -c "import json,sys; print(json.load(sys.stdin)[\"rows\"])")" = "$(($(wc -l <data/features/test.csv) - 1))" ]' \
  "every test transaction was scored"
# The handbook's nightly job: Spark, with plinth.load_model inside instead of mlflow.pyfunc.
export PYSPARK_PYTHON=$TOOLS_PYTHON PYSPARK_DRIVER_PYTHON=$TOOLS_PYTHON SPARK_LOCAL_IP=127.0.0.1
export PYTHONPATH=${PLINTH_PYTHONPATH:-$(dirname "$PLINTH")/python}
quiet python src/batch_score.py models:/fraud-detector/Production data/features/test.csv \
  "$DEMO/scored-spark"
same=$("$TOOLS_PYTHON" - "$DEMO/scored-spark" "$DEMO/scored.parquet" <<'PY'
import sys, pyarrow.dataset as ds, pyarrow.parquet as pq
keys = [(k, "ascending") for k in ("user_id", "amount", "hour_of_day", "distance_from_home")]
spark = ds.dataset(sys.argv[1], format="parquet").to_table().sort_by(keys)
cli = pq.read_table(sys.argv[2]).sort_by(keys)
print(spark.num_rows, "rows scored on Spark;",
      "the same probabilities as plinth score" if spark["probability"].equals(cli["probability"])
      else "DIFFERENT probabilities from plinth score")
PY
)
echo "$same"
expect '[[ "$same" == *"the same probabilities"* ]]' "Spark with plinth.load_model scores as plinth score does"

module "Module 6: monitoring: drifted traffic reaches the server"
quiet plinth demo-data fraud --rows 1000 --seed 11 --end now --shift amount=2.5 \
  --category-mix online=0.5 --out "$DEMO/drifted.csv"
"$TOOLS_PYTHON" - "$DEMO/drifted.csv" "http://127.0.0.1:$serve_port/predict" <<'PY'
import csv, json, sys, urllib.request
numbers = {"amount", "transaction_velocity", "distance_from_home"}
rows = [{k: float(v) if k in numbers else int(v) if k in ("hour_of_day", "day_of_week") else v
         for k, v in r.items() if k not in ("transaction_id", "event_timestamp", "is_fraud")}
        for r in csv.DictReader(open(sys.argv[1]))]
req = urllib.request.Request(sys.argv[2], json.dumps(rows).encode(),
                             {"Content-Type": "application/json"})
print(f"sent {len(rows)} transactions with 2.5x amounts, half of them online:",
      urllib.request.urlopen(req).status)
PY
verdict=$(curl -s "http://127.0.0.1:$serve_port/monitoring/drift")
"$TOOLS_PYTHON" - "$verdict" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
drifted = ", ".join(n for n, c in d["columns"].items() if c["drifted"])
print(f"dataset drift: {d['dataset_drift']} ({d['share_of_drifted_columns']:.0%} of columns: {drifted})")
PY
curl -s "http://127.0.0.1:$serve_port/metrics" | grep -E '^model_dataset_drift_share' || true
expect '[[ "$verdict" == *"\"dataset_drift\":true"* ]]' "the drifted traffic is flagged"
run plinth drift --reference data/features/train.csv --current "$DEMO/drifted.csv" \
  --columns amount,merchant_category,hour_of_day --html "$DEMO/drift.html"

module "Module 7: roll back: tag model-v1, retrain as v2, check out v1 again"
run git tag model-v1
v1=$(md5sum <model/model.onnx | cut -c1-32)
echo "model-v1: model/model.onnx md5 $v1"
run sed -i 's/max_depth: 3/max_depth: 5/' params.yaml
quiet plinth repro -e fraud-detection
git add -A && git commit -qm "Retrain: deeper trees (v2)"
run git tag model-v2
v2=$(md5sum <model/model.onnx | cut -c1-32)
echo "model-v2: model/model.onnx md5 $v2"
expect '[ "$v1" != "$v2" ]' "v2 is another model"
run git checkout -q model-v1
run plinth checkout
back=$(md5sum <model/model.onnx | cut -c1-32)
echo "after the rollback: model/model.onnx md5 $back"
expect '[ "$back" = "$v1" ]' "the rollback brings back model-v1's bytes"
git checkout -q main 2>/dev/null || git checkout -q master
plinth -q checkout

module "Done"
echo "The UI (runs, compare, the registry, drift):  http://127.0.0.1:$port/"
echo "The model server (handbook API, /docs):        http://127.0.0.1:$serve_port/docs"
echo "Prometheus metrics:                            http://127.0.0.1:$serve_port/metrics"
echo "The drift report:                              $DEMO/drift.html"
echo "The project:                                   $project"
if [ "$CHECK" != 1 ] && [ -t 0 ]; then
  echo "Servers stay up until Ctrl-C (everything above is removed then)."
  while true; do sleep 3600; done
fi
