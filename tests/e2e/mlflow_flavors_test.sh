#!/usr/bin/env bash
# Models a team logs with the real MLflow client (mlflow.xgboost in JSON and UBJSON, and
# mlflow.lightgbm's LGBMClassifier) and registers in `plinth server` serve and score straight from
# models:/NAME/Production, with no conversion step, and score like the libraries' own
# predict_proba; an mlflow.sklearn model is refused with how to log it instead.
source "$(dirname "$0")/tracking_lib.sh"
need_tools
export OMP_WAIT_POLICY=PASSIVE
new_repo
serve_pid=""
trap 'stop_server; [ -z "$serve_pid" ] || kill "$serve_pid" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
"$PLINTH" -q demo-data fraud --rows 3000 --seed 1 --out train.csv
"$PLINTH" -q demo-data fraud --rows 400 --seed 9 --out new.csv
start_server
export MLFLOW_TRACKING_URI=$BASE MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false MLFLOW_DISABLE_TELEMETRY=true \
  PYTHONWARNINGS=ignore MLFLOW_HTTP_REQUEST_MAX_RETRIES=0
if ! "$TOOLS_PYTHON" "$PLINTH_SOURCE/tests/e2e/mlflow_flavors.py" "$BASE" train.csv new.csv . \
    >client.log 2>&1; then
  tail -30 client.log >&2
  fail "the MLflow client logged and registered the models"
  finish
fi

# plinth score on the registry URI equals the library's predict_proba on the same rows.
close() {  # EXPECTED_FILE SCORED_CSV DESCRIPTION
  "$PYTHON" - "$1" "$2" <<'PY' || fail "$3"
import csv, sys
want = [float(x) for x in open(sys.argv[1])]
got = [float(r["probability"]) for r in csv.DictReader(open(sys.argv[2]))]
assert len(got) == len(want) == 400, (len(got), len(want))
worst = max(abs(a - b) for a, b in zip(got, want))
assert worst <= 1e-6, f"largest difference {worst}"
labels = [r["prediction"] for r in csv.DictReader(open(sys.argv[2]))]
assert all(l == ("1" if p >= 0.5 else "0") for l, p in zip(labels, got)), labels[:5]
PY
}
for name in fraud-xgb-json fraud-xgb-ubj fraud-lgb; do
  uri=models:/$name/Production
  out=$("$PLINTH" score --model "$uri" --input new.csv --output "$name.csv" 2>&1) ||
    fail "$uri scores: $out"
  expect_contains "$out" "compiled engine" "$uri scores on the compiled engine"
  case $name in fraud-lgb) want=lgb.txt ;; *) want=xgb.txt ;; esac
  close "$want" "$name.csv" "$uri scores like the library's predict_proba"
done
"$PLINTH" -q score --model models:/fraud-lgb@champion --input new.csv --output alias.csv
expect_eq "$(md5sum <alias.csv)" "$(md5sum <fraud-lgb.csv)" "the alias names the same model"

# plinth serve on the registry URI answers the handbook's request like `plinth score` does.
request='{"amount": 250.0, "merchant_category": "online", "hour_of_day": 3, "day_of_week": 5,
          "transaction_velocity": 8, "distance_from_home": 120.5}'
printf '%s\n' amount,merchant_category,hour_of_day,day_of_week,transaction_velocity,distance_from_home \
  250.0,online,3,5,8,120.5 >one.csv
for name in fraud-xgb-ubj fraud-lgb; do
  "$PLINTH" serve "models:/$name/Production" --port 0 >"serve-$name.log" 2>&1 &
  serve_pid=$!
  url=""
  for _ in $(seq 1 300); do
    url=$(grep -o 'http://[0-9.]*:[0-9]*' "serve-$name.log" | head -1) && [ -n "$url" ] && break
    kill -0 "$serve_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$url" ] || { cat "serve-$name.log" >&2; fail "$name: plinth serve started"; continue; }
  expect_contains "$(cat "serve-$name.log")" "$name/1 (compiled)" "$name serves version 1, compiled"
  answer=$(curl -s -X POST "$url/predict" -H 'Content-Type: application/json' -d "$request")
  "$PLINTH" -q score --model "models:/$name/Production" --input one.csv --output one-out.csv
  "$PYTHON" - "$answer" one-out.csv "$name" <<'PY' || fail "$name: /predict answers the handbook's request as plinth score does"
import csv, json, sys
a = json.loads(sys.argv[1])
row = next(csv.DictReader(open(sys.argv[2])))
assert set(a) == {"prediction", "probability", "model_version"}, a
assert abs(a["probability"] - float(row["probability"])) < 1e-12, (a, row)
assert a["prediction"] == int(row["prediction"]) and a["model_version"] == sys.argv[3] + "/1", a
PY
  kill "$serve_pid" 2>/dev/null
  wait "$serve_pid" 2>/dev/null || true
  serve_pid=""
done

# The scikit-learn model is refused, saying how to log it.
for cmd in serve score; do
  case $cmd in
    serve) args=(serve models:/fraud-sklearn/Production --port 0) ;;
    score) args=(score --model models:/fraud-sklearn/Production --input new.csv --output sk.csv) ;;
  esac
  out=$("$PLINTH" "${args[@]}" 2>&1) && fail "plinth $cmd refuses the scikit-learn model"
  expect_contains "$out" "a scikit-learn model (mlflow.sklearn, model.skops)" "$cmd names what it is"
  expect_contains "$out" "mlflow.onnx.log_model(skl2onnx.to_onnx(model, X[:1])" "$cmd says how to log it"
  [ ! -e sk.csv ] || fail "nothing written for a refused model"
done
finish
