#!/usr/bin/env bash
# Model scoring benchmarks, Plinth and its peer measured in the same run on the same files.
#
#   (a) scoring ROWS fraud rows (CSV in, CSV out) with a TREES-tree depth-8 gbt package:
#       `plinth score` end to end  vs  a Python script doing pandas.read_csv + the same
#       features + xgboost predict + DataFrame.to_csv on the same model.json  target: >= 5x
#   (b) the compiled tree engine  vs  XGBoost's predict on the same feature matrix (DMatrix
#       built beforehand, not timed), same thread count                       target: >= 2x
#
# (a) is wall-clock of whole processes (interpreter start and imports included for Python,
# process start for plinth), best of RUNS, alternating. Both use THREADS threads (XGBoost's
# nthread too). The page cache is warm. Training the model is not timed.
#
# Usage:  bench/models.sh   (or: make bench-models)
# Environment: PLINTH [build/plinth], MODEL_ENGINE_BENCH [build/model_engine_bench],
#   ROWS [1000000], TRAIN_ROWS [100000], TREES [300], THREADS [2], RUNS [3], BENCH_DIR [/tmp].
# Quick smoke run: ROWS=20000 TRAIN_ROWS=5000 TREES=20 RUNS=1.
set -euo pipefail

die() { echo "bench: error: $*" >&2; exit 1; }

HERE=$(cd "$(dirname "$0")" && pwd)
PLINTH=${PLINTH:-$HERE/../build/plinth}
MODEL_ENGINE_BENCH=${MODEL_ENGINE_BENCH:-$(dirname "$PLINTH")/model_engine_bench}
ROWS=${ROWS:-1000000}
TRAIN_ROWS=${TRAIN_ROWS:-100000}
TREES=${TREES:-300}
THREADS=${THREADS:-2}
RUNS=${RUNS:-3}
BENCH_DIR=${BENCH_DIR:-/tmp}
for v in ROWS TRAIN_ROWS TREES THREADS RUNS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[ -x "$PLINTH" ] || die "plinth binary not found at '$PLINTH' (build it, or set PLINTH)"
[ -x "$MODEL_ENGINE_BENCH" ] || die "model_engine_bench not found at '$MODEL_ENGINE_BENCH'"
PYTHON=""
for p in $(which -a python3) /usr/bin/python3; do
  if "$p" -c 'import pandas, xgboost' 2>/dev/null; then PYTHON=$p; break; fi
done
[ -n "$PYTHON" ] || die "no python3 with pandas and xgboost (apt-get install python3-xgboost)"
export OMP_WAIT_POLICY=PASSIVE

SCRATCH=$(mktemp -d "$BENCH_DIR/plinth-bench-models.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH"

echo "Generating $ROWS rows to score and $TRAIN_ROWS to train on; training $TREES trees..."
"$PLINTH" -q demo-data fraud --rows "$ROWS" --seed 2 --out score.csv
"$PLINTH" -q demo-data fraud --rows "$TRAIN_ROWS" --seed 1 --out train.parquet
printf 'm:\n  n_estimators: %s\n  max_depth: 8\n  learning_rate: 0.05\n  subsample: 0.8\n' \
  "$TREES" >params.yaml
"$PLINTH" -q train --data train.parquet --target is_fraud --params params.yaml:m \
  --threads "$THREADS" --out pkg
cat score.csv >/dev/null

cat >peer.py <<'PY'
import sys
import numpy as np, pandas as pd, xgboost as xgb, yaml
pkg, src, dst, threads = sys.argv[1:]
pl = yaml.safe_load(open(pkg + "/MLmodel"))["flavors"]["plinth"]
df = pd.read_csv(src)
cols = []
for f in pl["preprocessing"]:
    if f["kind"] == "one_hot":
        cols += [(df[f["column"]] == c).astype(np.float32).values for c in f["categories"]]
    else:
        cols.append(df[f["column"]].astype(np.float32).values)
booster = xgb.Booster(params={"nthread": int(threads)})
booster.load_model(pkg + "/model.json")
p = booster.predict(xgb.DMatrix(np.column_stack(cols), missing=np.nan, nthread=int(threads)))
df = df.drop(columns=[pl["outputs"]["label"]])
df[pl["outputs"]["label"]] = (p >= pl["outputs"]["threshold"]).astype(int)
df[pl["outputs"]["probability"]] = p
df.to_csv(dst, index=False)
PY

now() { date +%s%N; }
best_plinth=0 best_python=0
for _ in $(seq "$RUNS"); do
  t0=$(now)
  "$PLINTH" -q score --model pkg --input score.csv --output plinth.csv --threads "$THREADS" 2>/dev/null
  t1=$(now)
  "$PYTHON" peer.py pkg score.csv python.csv "$THREADS"
  t2=$(now)
  p=$((t1 - t0)) q=$((t2 - t1))
  { [ $best_plinth -eq 0 ] || [ $p -lt $best_plinth ]; } && best_plinth=$p
  { [ $best_python -eq 0 ] || [ $q -lt $best_python ]; } && best_python=$q
done
# Same predictions from both (to the float32 rounding the Python peer prints with).
"$PYTHON" - <<'PY' || die "plinth and the Python peer disagree"
import pandas as pd
a, b = pd.read_csv("plinth.csv"), pd.read_csv("python.csv")
assert len(a) == len(b) and (a.fraud_probability - b.fraud_probability).abs().max() < 1e-6
PY
engine=$("$MODEL_ENGINE_BENCH" pkg score.csv "$THREADS" "$RUNS")

awk -v p="$best_plinth" -v q="$best_python" -v rows="$ROWS" -v trees="$TREES" -v e="$engine" 'BEGIN {
  printf "(a) score %d rows, %d trees, CSV to CSV: plinth %.2f s, python %.2f s, ratio %.1fx (target >= 5x)\n",
    rows, trees, p / 1e9, q / 1e9, q / p
  match(e, /"compiled_rows_per_s": [0-9]+/); c = substr(e, RSTART + 23, RLENGTH - 23)
  match(e, /"xgboost_rows_per_s": [0-9]+/); x = substr(e, RSTART + 22, RLENGTH - 22)
  printf "(b) engine on the same matrix: compiled %.0f rows/s, xgboost %.0f rows/s, ratio %.1fx (target >= 2x)\n",
    c, x, c / x
  print "    " e
}'
