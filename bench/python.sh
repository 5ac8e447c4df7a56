#!/usr/bin/env bash
# The Python package (issue 22 item 5): plinth.Model.predict against XGBoost's own Python
# predict and against mlflow.pyfunc on the same model and rows, and the handbook's Spark job
# with Plinth inside (mapInArrow) against its pandas_udf with mlflow.pyfunc, same local Spark,
# same Parquet data. Contenders alternate within each round; the best round of each counts.
#
#   1. `plinth demo-data fraud`: TRAIN_ROWS to train on, PREDICT_ROWS to predict, SPARK_ROWS in
#      SPARK_FILES Parquet files for Spark;
#   2. an XGBoost binary:logistic Booster (TREES trees, depth DEPTH, the five numeric fraud columns) saved with
#      mlflow.xgboost: every contender scores that one MLflow model folder;
#   3. predict: ROUNDS rounds of Model.predict(DataFrame), Model.predict(numpy),
#      Booster.predict(DMatrix), mlflow.pyfunc predict; targets plinth/xgboost >= 2x,
#      plinth/mlflow >= 5x;
#   4. spark: SPARK_ROUNDS rounds of both jobs on local[*]; target >= 5x rows/s.
#
# Usage:  bench/python.sh             (or: make bench-python)
# Environment: PLINTH [build/plinth], PYTHON [.venv-test/bin/python], PLINTH_PYTHONPATH
#   [build/python: the in-tree module; empty to use an installed plinth], TRAIN_ROWS [200000],
#   PREDICT_ROWS [1000000], SPARK_ROWS [10000000], SPARK_FILES [10], TREES [300], DEPTH [6],
#   THREADS [2], ROUNDS [3], SPARK_ROUNDS [2], SKIP_PREDICT [0], SKIP_SPARK [0],
#   BENCH_DIR [/tmp].
set -euo pipefail
die() { echo "bench: error: $*" >&2; exit 1; }
say() { echo "bench: $*" >&2; }
case ${1:-} in
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) die "unknown argument '$1' (usage: bench/python.sh)" ;;
esac
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PLINTH=${PLINTH:-$ROOT/build/plinth}
PYTHON=${PYTHON:-$ROOT/.venv-test/bin/python}
export PYTHONPATH=${PLINTH_PYTHONPATH-$(dirname "$PLINTH")/python}
export THREADS=${THREADS:-2} TREES=${TREES:-300} DEPTH=${DEPTH:-6}
export OMP_WAIT_POLICY=PASSIVE PYSPARK_PYTHON=$PYTHON PYSPARK_DRIVER_PYTHON=$PYTHON
export SPARK_LOCAL_IP=127.0.0.1
TRAIN_ROWS=${TRAIN_ROWS:-200000} PREDICT_ROWS=${PREDICT_ROWS:-1000000}
SPARK_ROWS=${SPARK_ROWS:-10000000} SPARK_FILES=${SPARK_FILES:-10}
ROUNDS=${ROUNDS:-3} SPARK_ROUNDS=${SPARK_ROUNDS:-2}
[ -x "$PLINTH" ] || die "$PLINTH not found: build first (make build)"
[ -x "$PYTHON" ] || die "$PYTHON not found: run scripts/setup.sh"
"$PYTHON" -c "import plinth" 2>/dev/null || die "cannot import plinth with PYTHONPATH=$PYTHONPATH"
WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/plinth-bench-python.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

say "data: $TRAIN_ROWS training rows, $PREDICT_ROWS to predict"
"$PLINTH" -q demo-data fraud --rows "$TRAIN_ROWS" --seed 1 --out train.parquet
"$PLINTH" -q demo-data fraud --rows "$PREDICT_ROWS" --seed 2 --out predict.parquet
say "model: XGBoost, $TREES trees of depth $DEPTH, saved with mlflow.xgboost"
"$PYTHON" "$HERE/python_bench.py" model train.parquet model
if [ "${SKIP_PREDICT:-0}" != 1 ]; then
  say "predict: $ROUNDS rounds"
  "$PYTHON" "$HERE/python_bench.py" predict model predict.parquet "$ROUNDS" | tee predict.jsonl
fi
if [ "${SKIP_SPARK:-0}" != 1 ]; then
  say "spark data: $SPARK_ROWS rows in $SPARK_FILES files"
  mkdir lake
  per_file=$((SPARK_ROWS / SPARK_FILES))
  for i in $(seq 1 "$SPARK_FILES"); do
    "$PLINTH" -q demo-data fraud --rows "$per_file" --seed $((100 + i)) --out part.parquet
    # Spark reads no nanosecond timestamps (PARQUET_TYPE_ILLEGAL): micros, as Spark writes them.
    "$PYTHON" -c 'import sys, pyarrow.parquet as pq
pq.write_table(pq.read_table(sys.argv[1]), sys.argv[2], coerce_timestamps="us")' \
      part.parquet "lake/part-$i.parquet"
  done
  say "plinth score of the same lake (the output the Spark job must equal)"
  "$PLINTH" -q score --model model --input lake --output lake_scored.parquet
  say "spark: $SPARK_ROUNDS rounds"
  "$PYTHON" "$HERE/python_bench.py" spark model lake out "$SPARK_ROUNDS" lake_scored.parquet 2>spark.log |
    tee spark.jsonl || { tail -50 spark.log >&2; die "the Spark benchmark failed"; }
fi

"$PYTHON" - $(ls predict.jsonl spark.jsonl 2>/dev/null) <<'PY'
import json, sys
best, cpu = {}, {}
for path in sys.argv[1:]:
    for line in open(path):
        r = json.loads(line)
        if "bench" in r:
            key = (r["bench"], r["contender"])
            best[key] = max(best.get(key, 0), r["rows_per_s"])
            if "cpu_seconds" in r:
                cpu[key] = min(cpu.get(key, 1e18), r["cpu_seconds"])
        else:
            print(f"check: {r}")
def ratio(bench, a, b, target):
    if (bench, a) in best and (bench, b) in best:
        x = best[(bench, a)] / best[(bench, b)]
        print(f"{bench}: {a} {best[(bench, a)]:,.0f} rows/s vs {b} {best[(bench, b)]:,.0f} rows/s"
              f" = {x:.1f}x (target >= {target}x: {'yes' if x >= target else 'NO'})")
for (bench, name), v in sorted(best.items()):
    used = f", {cpu[(bench, name)]:.2f} CPU s" if (bench, name) in cpu else ""
    print(f"{bench:8s} {name:20s} {v:14,.0f} rows/s (best round{used})")
for name in ("xgboost", "mlflow_pyfunc"):
    if ("predict", name) in cpu and ("predict", "plinth") in cpu:
        print(f"predict: CPU seconds {name}/plinth = "
              f"{cpu[('predict', name)] / cpu[('predict', 'plinth')]:.1f}x")
ratio("predict", "plinth", "xgboost", 2)
ratio("predict", "plinth", "mlflow_pyfunc", 5)
ratio("predict", "plinth_numpy", "xgboost", 2)
ratio("spark", "plinth_mapInArrow", "mlflow_pandas_udf", 5)
if ("spark", "spark_without_scoring") in best and ("spark", "mlflow_pandas_udf") in best:
    print("spark: the most any scorer's job could gain on pyfunc's (Spark alone / pyfunc's job)"
          f" = {best[('spark', 'spark_without_scoring')] / best[('spark', 'mlflow_pandas_udf')]:.1f}x")
if ("spark", "spark_python_round_trip") in best and ("spark", "mlflow_pandas_udf") in best:
    print("spark: the most any Python scorer's job could gain (batches through Python and back"
          f" unchanged / pyfunc's job) = {best[('spark', 'spark_python_round_trip')] / best[('spark', 'mlflow_pandas_udf')]:.1f}x")
PY
