#!/usr/bin/env bash
# `make tour`: every capability one command at a time, on generated fraud-detection data
# (`make demo` walks the handbook's project instead: scripts/demo.sh).
# Today: versioning data next to git, as DVC does (init, add, modify, status, diff, checkout),
# sharing it through a remote (push, pull), tables (the fraud data generator, CSV, Parquet),
# drift reports, models (the baseline ladder, a model package, batch scoring), a pipeline that
# reruns only what a changed param affects, and tracking a run and promoting its model in the
# registry while `plinth server` answers MLflow clients, and serving the Production model with
# validation, Prometheus metrics, live drift and a hot reload on promotion; and a scikit-learn
# model trained in Python, exported to ONNX and served as it is.
set -euo pipefail

SOURCE=$(cd "$(dirname "$0")/.." && pwd)
PLINTH=${PLINTH:-$SOURCE/build/plinth}
DEMO=$(mktemp -d "${TMPDIR:-/tmp}/plinth-demo.XXXXXX")
server_pid=""
serve_pid=""
trap 'for pid in $server_pid $serve_pid; do kill "$pid"; wait "$pid" 2>/dev/null; done; chmod -R u+w "$DEMO"* 2>/dev/null || true; rm -rf "$DEMO" "$DEMO-nas" "$DEMO-teammate" "$DEMO-pipeline"' EXIT
export GIT_AUTHOR_NAME=demo GIT_AUTHOR_EMAIL=demo@example.invalid
export GIT_COMMITTER_NAME=demo GIT_COMMITTER_EMAIL=demo@example.invalid

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

# Card transactions with the handbook's columns; deterministic, about 2% fraud.
generate() {  # FILE ROWS SEED
  "$PLINTH" -q demo-data fraud --rows "$2" --seed "$3" --out "$1"
}

cd "$DEMO"
step "A git repository becomes a Plinth (DVC) repository"
git init -q
run "$PLINTH" init

step "Track a dataset: monthly transaction files in data/"
mkdir data
for month in 01 02 03; do generate "data/transactions-2026-$month.csv" 20000 "$month"; done
run "$PLINTH" add data
run cat data.dvc
run cat .gitignore
git add -A && git commit -qm "Track transactions for Q1"

step "Nothing changed yet"
run "$PLINTH" status

step "April's data arrives and March is corrected"
generate data/transactions-2026-04.csv 20000 4
sed -i '2s/,[0-9.]*,/,9999.99,/' data/transactions-2026-03.csv  # an amount
run "$PLINTH" status
run "$PLINTH" diff

step "Oops: go back to the committed version"
run "$PLINTH" checkout --force
run "$PLINTH" status

step "Make it a new version instead"
generate data/transactions-2026-04.csv 20000 4
run "$PLINTH" add data
git add -A && git commit -qm "Add April transactions"
run "$PLINTH" diff HEAD~1 HEAD --show-hash

step "Travel back in time: the Q1 dataset, exactly"
run git checkout -q HEAD~1 -- data.dvc
run "$PLINTH" checkout
run ls data
run git checkout -q HEAD -- data.dvc
run "$PLINTH" checkout

step "Share it: push to a folder remote (a NAS), pull into a teammate's fresh clone"
run "$PLINTH" remote add -d nas "$DEMO-nas"
git add .dvc/config && git commit -qm "Configure the team's data remote"
run "$PLINTH" push
run "$PLINTH" status --cloud
git clone -q "$DEMO" "$DEMO-teammate"
cd "$DEMO-teammate"
run "$PLINTH" pull
run ls data
cd "$DEMO"

step "What the cache holds, and what gc would free"
run "$PLINTH" ls data
run "$PLINTH" gc --workspace --dry
step "Tables: the transactions as Parquet, and a look inside"
run "$PLINTH" table convert data/transactions-2026-01.csv transactions.parquet
run ls -l data/transactions-2026-01.csv transactions.parquet
run "$PLINTH" table schema transactions.parquet
run "$PLINTH" table head transactions.parquet -n 5
run "$PLINTH" table stats transactions.parquet

step "Drifted transactions for monitoring: bigger amounts, more online shopping"
run "$PLINTH" demo-data fraud --rows 20000 --seed 5 --out drifted.parquet --shift amount=1.8 \
  --category-mix online=0.4
run "$PLINTH" table stats drifted.parquet --columns amount,merchant_category,is_fraud

step "Did the inputs drift? Evidently's tests against January's data, a report, an alert"
features=amount,merchant_category,hour_of_day,day_of_week,transaction_velocity,distance_from_home
run "$PLINTH" drift --reference data/transactions-2026-01.csv --current data/transactions-2026-02.csv \
  --columns "$features"
run "$PLINTH" drift --reference data/transactions-2026-01.csv --current drifted.parquet \
  --columns "$features" --html drift-report.html --drift-share 0.3 --fail-on-drift ||
  echo "(exit $?: the handbook's alert fires: more than 30% of the features drifted)"
run ls -l drift-report.html

step "A pipeline: the handbook's four stages (examples/pipeline)"
cp -r "$SOURCE/examples/pipeline" "$DEMO-pipeline"
cd "$DEMO-pipeline"
git init -q && "$PLINTH" init -q
run cat params.yaml
run "$PLINTH" dag
run "$PLINTH" repro
git add -A && git commit -qm "Run the pipeline"

step "Nothing changed: nothing runs"
run "$PLINTH" repro

step "More trees: only train and evaluate rerun, recorded as a tracked run"
run sed -i 's/n_estimators: 100/n_estimators: 200/' params.yaml
run "$PLINTH" status
run "$PLINTH" repro -e handbook
run "$PLINTH" params diff
run "$PLINTH" metrics diff
run "$PLINTH" runs list -e handbook
run "$PLINTH" plots diff -o "$DEMO-pipeline/plots"

step "Back to 100 trees: the earlier run comes back from the run-cache, nothing runs"
run sed -i 's/n_estimators: 200/n_estimators: 100/' params.yaml
run "$PLINTH" repro
run "$PLINTH" metrics show
cd "$DEMO"

step "Start the tracking server (MLflow's REST API) on the project's store"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$PLINTH" server --backend-store-uri "sqlite:///$DEMO/mlruns.db" --artifacts-destination "$DEMO/mlartifacts" \
  --port "$port" &
server_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done
echo "MLFLOW_TRACKING_URI=http://127.0.0.1:$port points the MLflow Python client at it"
echo "The web UI (experiments, runs, compare, the registry, drift): http://127.0.0.1:$port/"

step "Track a training run: its data (md5s), params, a metric per month, the model"
run_id=$("$PLINTH" runs start -e fraud-detection -n amount-rule)
echo "run $run_id"
for f in data/transactions-2026-*.csv; do run "$PLINTH" log dataset "$f"; done
run "$PLINTH" log param threshold 150
step_no=0
for f in data/transactions-2026-*.csv; do
  step_no=$((step_no + 1))
  recall=$(awk -F, 'NR > 1 && $10 == 1 { n++; if ($4 > 150) hit++ } END { printf "%.4f", hit / n }' "$f")
  run "$PLINTH" log metric recall "$recall" --step "$step_no"
done
mkdir -p model && printf 'flavors:\n  rules: {threshold: 150}\n' >model/MLmodel
run "$PLINTH" artifacts log model
run "$PLINTH" runs end
run "$PLINTH" runs list -e fraud-detection

step "Register the model, promote it to Production, name it champion"
run "$PLINTH" models register fraud-detector "runs:/$run_id/model"
run "$PLINTH" models transition fraud-detector 1 Production
run "$PLINTH" models alias fraud-detector champion 1
run "$PLINTH" models resolve models:/fraud-detector/Production
run "$PLINTH" models resolve models:/fraud-detector@champion

step "What an MLflow client sees: the Production version, over HTTP"
run curl -s -X POST -H 'Content-Type: application/json' \
  -d '{"name":"fraud-detector","stages":["Production"]}' \
  "http://127.0.0.1:$port/api/2.0/mlflow/registered-models/get-latest-versions"
echo

cd "$DEMO"

step "Models: the baseline ladder (a rule, a linear model, boosted trees) on January"
export OMP_WAIT_POLICY=PASSIVE
run "$PLINTH" baseline --data data/transactions-2026-01.csv --target is_fraud --threads 2

step "Train a model package as a tracked run, register it, score the drifted transactions"
run "$PLINTH" train --data data/transactions-2026-01.csv --target is_fraud --out fraud-model --threads 2 \
  --experiment fraud-detection --register fraud-detector
run ls fraud-model
run "$PLINTH" score --model fraud-model --input drifted.parquet --output scored.parquet
run "$PLINTH" table head scored.parquet -n 3
run "$PLINTH" evaluate --model fraud-model --data data/transactions-2026-02.csv --out evaluation

step "Promote the trained model; its registry entry leads back to the run, the data's md5, the params"
run "$PLINTH" models transition fraud-detector 2 Production
run "$PLINTH" models alias fraud-detector champion 2
run "$PLINTH" runs list -e fraud-detection
run "$PLINTH" drift --reference models:/fraud-detector/Production --current drifted.parquet \
  --drift-share 0.3 || true

step "Serve the Production model: the handbook's request, then a bad one (FastAPI's 422)"
serve_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$PLINTH" serve models:/fraud-detector/Production --port "$serve_port" --reload-interval 1 \
  --drift-window 2000 &
serve_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$serve_port/health" >/dev/null 2>&1 && break; sleep 0.1; done
run curl -s -X POST "http://127.0.0.1:$serve_port/predict" -H 'Content-Type: application/json' \
  -d '{"amount": 250.0, "merchant_category": "online", "hour_of_day": 3, "day_of_week": 5, "transaction_velocity": 8, "distance_from_home": 120.5}'
echo
run curl -s -X POST "http://127.0.0.1:$serve_port/predict" -H 'Content-Type: application/json' \
  -d '{"amount": "lots", "merchant_category": "online", "hour_of_day": 3.5, "day_of_week": 5, "transaction_velocity": 8}'
echo

step "Drifted traffic reaches the server: its live drift gauges cross their thresholds"
"$PLINTH" -q table convert drifted.parquet drifted.csv
# Every fifth row, 2,000 in all: spread over the month (awk alone: a pipe into head would end
# awk with SIGPIPE, which pipefail turns into a failure).
awk 'NR == 1 || (NR % 5 == 0 && n++ < 2000)' drifted.csv >traffic.csv
run curl -s -o /dev/null -w '%{http_code} for 2000 rows in one /invocations request\n' \
  -X POST "http://127.0.0.1:$serve_port/invocations" -H 'Content-Type: text/csv' --data-binary @traffic.csv
curl -s "http://127.0.0.1:$serve_port/metrics" |
  grep -E '^model_(feature_drift_score|dataset_drift_share|predictions_total|unknown_category_total)' || true

step "Retrain with more trees and promote: the server swaps to version 3 without a restart"
cat >params.yaml <<'YAML'
train:
  n_estimators: 200
YAML
run "$PLINTH" train --data data/transactions-2026-01.csv --target is_fraud --out fraud-model-v3 --threads 2 \
  --params params.yaml:train --experiment fraud-detection --register fraud-detector --json >/dev/null
run "$PLINTH" models transition fraud-detector 3 Production --archive-existing
for _ in $(seq 1 50); do
  case "$(curl -s "http://127.0.0.1:$serve_port/health")" in *fraud-detector/3*) break ;; esac
  sleep 0.1
done
run curl -s "http://127.0.0.1:$serve_port/health"
echo

step "Bring your own model: a scikit-learn pipeline trained in Python, exported to ONNX, served as it is"
tools_python=$SOURCE/.venv-test/bin/python
if [ -x "$tools_python" ]; then
  kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; serve_pid=""
  cat >train_sklearn.py <<'PY'
import pandas as pd
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType, Int64TensorType, StringTensorType
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

df = pd.read_csv("data/transactions-2026-01.csv")
columns = ["amount", "merchant_category", "hour_of_day", "day_of_week",
           "transaction_velocity", "distance_from_home"]
numbers = [c for c in columns if c != "merchant_category"]
pipe = Pipeline([("pre", ColumnTransformer([
    ("num", StandardScaler(), numbers),
    ("cat", OneHotEncoder(handle_unknown="ignore"), ["merchant_category"])])),
    ("clf", RandomForestClassifier(n_estimators=30, max_depth=10, random_state=1))])
pipe.fit(df[columns], df["is_fraud"])
types = [(c, StringTensorType([None, 1]) if c == "merchant_category" else
             Int64TensorType([None, 1]) if c in ("hour_of_day", "day_of_week") else
             FloatTensorType([None, 1])) for c in columns]
onx = to_onnx(pipe, initial_types=types, target_opset={"": 17, "ai.onnx.ml": 3})
open("fraud-sklearn.onnx", "wb").write(onx.SerializeToString())
PY
  run "$tools_python" train_sklearn.py
  run ls -l fraud-sklearn.onnx
  "$PLINTH" serve fraud-sklearn.onnx --port "$serve_port" &
  serve_pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$serve_port/health" >/dev/null 2>&1 && break; sleep 0.1; done
  run curl -s -X POST "http://127.0.0.1:$serve_port/predict" -H 'Content-Type: application/json' \
    -d '{"amount": 250.0, "merchant_category": "online", "hour_of_day": 3, "day_of_week": 5, "transaction_velocity": 8, "distance_from_home": 120.5}'
  echo
else
  echo "(skipped: $tools_python is missing; scripts/setup.sh installs scikit-learn and skl2onnx there)"
fi

step "Feature store: user features defined once, a point-in-time training set, served by user_id"
[ -z "$serve_pid" ] || { kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; serve_pid=""; }
mkdir -p feature_repo/data
cp data/transactions-2026-01.csv feature_repo/data/transactions.csv
cat >feature_repo/feature_store.yaml <<'YAML'
project: fraud
registry: data/registry.db
online_store: {type: sqlite, path: data/online.db}
YAML
cat >feature_repo/features.yaml <<'YAML'
kind: Entity
name: user
join_keys: [user_id]
value_type: String
---
kind: FileSource
name: transactions
path: data/transactions.csv
timestamp_field: event_timestamp
---
kind: FeatureView
name: user_profile
entities: [user]
source: transactions
ttl: 30d
schema:
  - {name: transaction_velocity, dtype: Float64}
  - {name: distance_from_home, dtype: Float64}
---
kind: FeatureView
name: user_activity
entities: [user]
source: transactions
aggregations:
  - {function: count, window: 1h, name: txn_count_1h}
  - {function: mean, column: amount, window: 24h, name: amount_mean_24h}
---
kind: FeatureService
name: user_features
features: [user_profile]
YAML
run "$PLINTH" features apply -c feature_repo
run "$PLINTH" features list -c feature_repo
awk -F, 'NR == 1 || NR <= 1001 { print $2 "," $3 }' data/transactions-2026-02.csv >entities.csv
run "$PLINTH" features historical -c feature_repo --entities entities.csv --out training-set.csv \
  --features user_profile:transaction_velocity,user_profile:distance_from_home,user_activity:txn_count_1h,user_activity:amount_mean_24h
run head -4 training-set.csv
run "$PLINTH" features materialize 2000-01-01T00:00:00 now -c feature_repo
# The package declares where its user features come from; a request then carries the user id.
cp -r fraud-model fraud-model-by-user
sed -i 's/^  plinth:$/  plinth:\n    features: {service: user_features, entity_key: user_id}/' fraud-model-by-user/MLmodel
"$PLINTH" serve fraud-model-by-user --feature-repo feature_repo --port "$serve_port" &
serve_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$serve_port/health" >/dev/null 2>&1 && break; sleep 0.1; done
user=$(awk -F, 'NR == 2 { print $2 }' data/transactions-2026-01.csv)
run curl -s -X POST "http://127.0.0.1:$serve_port/predict" -H 'Content-Type: application/json' \
  -d "{\"user_id\": \"$user\", \"amount\": 250.0, \"merchant_category\": \"online\", \"hour_of_day\": 3, \"day_of_week\": 5}"
echo

printf '\nDemo finished: the repositories were in %s* (removed now).\n' "$DEMO"
