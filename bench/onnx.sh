#!/usr/bin/env bash
# ONNX benchmark (issue 16 item 7): Plinth's ONNX engine against onnxruntime (its Python API)
# and tl2cgen, in one run, on the same model files and the same rows.
#
#   1. trains the fraud models of the oracle test (tests/e2e/onnx_zoo.py on TRAIN_ROWS rows of
#      `plinth demo-data fraud`): scikit-learn's RandomForestClassifier (100 trees, depth 14),
#      GradientBoostingClassifier (100 trees, depth 3), MLPClassifier (6-64-32) and XGBoost's
#      XGBClassifier (100 trees, depth 6, via onnxmltools), each one .onnx file;
#   2. batch scoring of ROWS rows (a float32 matrix, merchant_category as its index) and
#      single-row latency, for the forest, the boosted trees and the MLP:
#        plinth: build/onnx_bench (OnnxModel::run in process, THREADS threads, 8,192 rows per
#                call; single rows: the median of SINGLE calls)
#        onnxruntime: InferenceSession.run on the whole matrix (intra_op_num_threads=THREADS;
#                the faster of all outputs and the label alone); single rows: the median of
#                SINGLE calls
#      alternating, best of RUNS; the probabilities must equal onnxruntime's (1e-5 relative,
#      1e-6 absolute) on every row, the labels on every row;
#   3. the tree engine against tl2cgen 1.0 (treelite 4.8: the same XGBoost model, its
#      model.json, compiled to C with gcc -O3) on the same rows, THREADS threads;
#   4. `plinth score` of the ROWS rows (Parquet in and out, whole process) on the forest (the
#      .onnx imported with `plinth models import --preprocessing`, which names its 6 columns);
#   5. `plinth serve` on that package: wrk -t2 -c16, WARMUP s, then DURATION s, POSTing
#      bench/serving/example.json (the handbook's request) to /predict.
# Targets: trees >= 2x onnxruntime's rows/s and >= 1x tl2cgen's; MLP >= 1x onnxruntime;
# serve >= 30,000 req/s at 16 connections on 2 cores.
#
# Usage: make bench-onnx   (or PLINTH=/abs/plinth bench/onnx.sh)
# Environment: PLINTH [build/plinth], ONNX_BENCH [next to plinth], PLINTH_TOOLS_PYTHON
#   [.venv-test/bin/python], ROWS [1000000], TRAIN_ROWS [20000], THREADS [2], RUNS [3],
#   SINGLE [2000], DURATION [10], WARMUP [2], BENCH_DIR [/tmp], MODELS ["rf_binary gb_binary
#   mlp_binary"] (a subset of tests/e2e/onnx_zoo.py's models with one tensor input).
# Smoke run (~2 min, most of it training): ROWS=20000 RUNS=1 SINGLE=200 DURATION=2 WARMUP=1
set -euo pipefail
die() { echo "bench: error: $*" >&2; exit 1; }
say() { echo "bench: $*" >&2; }
here=$(cd "$(dirname "$0")" && pwd)
PLINTH=${PLINTH:-$here/../build/plinth}
ONNX_BENCH=${ONNX_BENCH:-$(dirname "$PLINTH")/onnx_bench}
PY=${PLINTH_TOOLS_PYTHON:-$here/../.venv-test/bin/python}
ROWS=${ROWS:-1000000}
TRAIN_ROWS=${TRAIN_ROWS:-20000}
THREADS=${THREADS:-2}
RUNS=${RUNS:-3}
SINGLE=${SINGLE:-2000}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
BENCH_DIR=${BENCH_DIR:-/tmp}
for v in ROWS TRAIN_ROWS THREADS RUNS SINGLE DURATION WARMUP; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[ -x "$PLINTH" ] || die "build plinth first (make build) or set PLINTH"
[ -x "$ONNX_BENCH" ] || die "onnx_bench not found at '$ONNX_BENCH' (make build)"
[ -x "$PY" ] || die "no Python with onnxruntime at '$PY': run scripts/setup.sh (or set PLINTH_TOOLS_PYTHON)"
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk, or run scripts/setup.sh)"
PLINTH=$(cd "$(dirname "$PLINTH")" && pwd)/$(basename "$PLINTH")
ONNX_BENCH=$(cd "$(dirname "$ONNX_BENCH")" && pwd)/$(basename "$ONNX_BENCH")
work=$(mktemp -d "$BENCH_DIR/plinth-bench-onnx.XXXXXX")
serve_pid=""
trap '[ -z "$serve_pid" ] || kill "$serve_pid" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
export OMP_WAIT_POLICY=PASSIVE

echo "plinth's ONNX engine vs onnxruntime and tl2cgen: $PLINTH"
echo "machine: $(nproc) cores ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)), $(uname -r), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "peers: $("$PY" -c 'import onnxruntime, tl2cgen, treelite, sklearn, xgboost, numpy, sys; print(f"onnxruntime {onnxruntime.__version__}, tl2cgen {tl2cgen.__version__}, treelite {treelite.__version__}, scikit-learn {sklearn.__version__}, xgboost {xgboost.__version__}, numpy {numpy.__version__}, Python {sys.version.split()[0]}")'), $(gcc --version | head -1)"

# --- 1. data and models -----------------------------------------------------------------
say "generating $TRAIN_ROWS rows to train on, $ROWS to score; training the models"
"$PLINTH" -q demo-data fraud --rows "$TRAIN_ROWS" --seed 1 --out train.csv
"$PLINTH" -q demo-data fraud --rows "$ROWS" --seed 2 --out score.parquet
"$PLINTH" -q demo-data fraud --rows 100 --seed 3 --out few.csv
read -r -a MODELS <<<"${MODELS:-rf_binary gb_binary mlp_binary}"
"$PY" "$here/../tests/e2e/onnx_zoo.py" --train train.csv --rows few.csv --out models \
  --only "$(IFS=,; echo "${MODELS[*]},xgboost_binary")" 2>models.log ||
  { cat models.log >&2; die "training the models failed"; }
"$PY" - "$here/../tests/e2e" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np, pyarrow.parquet as pq, onnx_zoo
onnx_zoo.tensor(pq.read_table("score.parquet").to_pandas()).tofile("rows.f32")
PY

# --- 2. plinth vs onnxruntime, alternating ------------------------------------------------
cat >ort.py <<'PY'
import json, sys, time
import numpy as np, onnxruntime as ort
model, rows, threads, single, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
o = ort.SessionOptions()
o.intra_op_num_threads = threads
o.inter_op_num_threads = 1
s = ort.InferenceSession(model, o, providers=["CPUExecutionProvider"])
x = np.fromfile(rows, dtype=np.float32).reshape(-1, s.get_inputs()[0].shape[1])
names = [v.name for v in s.get_outputs()]
best = 1e300
for outputs in (None, names[:1]):  # all outputs, and the label alone (ZipMap's dicts cost)
    t = time.perf_counter()
    r = s.run(outputs, {"input": x})
    best = min(best, time.perf_counter() - t)
    if outputs is None:
        p = r[-1]
        if isinstance(p, list):  # ZipMap
            keys = sorted(p[0])
            p = np.array([[m[k] for k in keys] for m in p], dtype=np.float32)
        np.asarray(p, dtype=np.float32).reshape(len(x), -1).tofile(out)
lat = []
for i in range(single):
    one = x[i % len(x)][None, :]
    t = time.perf_counter()
    s.run(None, {"input": one})
    lat.append(time.perf_counter() - t)
print(json.dumps({"rows": len(x), "batch_seconds": best, "rows_per_second": len(x) / best,
                  "single_row_us": float(np.median(lat)) * 1e6}))
PY

cat >compare.py <<'PY'
import sys
import numpy as np
a, b = np.fromfile(sys.argv[1], np.float32), np.fromfile(sys.argv[2], np.float32)
rows = int(sys.argv[3])
if a.size != b.size:
    sys.exit(f"plinth wrote {a.size} probabilities, onnxruntime {b.size}")
a, b = a.reshape(rows, -1).astype(np.float64), b.reshape(rows, -1).astype(np.float64)
diff = np.abs(a - b)
bad = ~(diff <= 1e-5 * np.maximum(np.abs(a), np.abs(b)) + 1e-6)
labels = int((a.argmax(1) != b.argmax(1)).sum()) if a.shape[1] > 1 else int(((a > .5) != (b > .5)).sum())
print(f"max_abs_diff={diff.max():.3g} rows_off={int(bad.any(1).sum())} labels_off={labels}")
PY

field() { "$PY" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$2" "$1"; }
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b > a) ? b : a }'; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }
: >results.txt
failed=0
for m in "${MODELS[@]}"; do
  ours='' theirs='' ours_lat='' theirs_lat=''
  for (( i = 1; i <= RUNS; i++ )); do
    j=$("$ONNX_BENCH" "models/$m.onnx" rows.f32 "$THREADS" 1 "$SINGLE" "$m.plinth.f32") ||
      die "onnx_bench failed on $m"
    echo "run $i: $m plinth      $j"
    ours=$(max "$ours" "$(field rows_per_second "$j")")
    ours_lat=$(min "$ours_lat" "$(field single_row_us "$j")")
    j=$("$PY" ort.py "models/$m.onnx" rows.f32 "$THREADS" "$SINGLE" "$m.ort.f32") ||
      die "onnxruntime failed on $m"
    echo "run $i: $m onnxruntime $j"
    theirs=$(max "$theirs" "$(field rows_per_second "$j")")
    theirs_lat=$(min "$theirs_lat" "$(field single_row_us "$j")")
  done
  same=$("$PY" compare.py "$m.plinth.f32" "$m.ort.f32" "$ROWS") || die "$m: $same"
  echo "$m: plinth vs onnxruntime on $ROWS rows: $same"
  case $same in *rows_off=0\ labels_off=0) ;; *) failed=1 ;; esac
  target=2; [ "$m" = mlp_binary ] && target=1
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$m" "$ours" "$theirs" "$target" "$ours_lat" "$theirs_lat" >>results.txt
done

# --- 3. tree engine vs tl2cgen on the XGBoost model --------------------------------------
cat >tl2c.py <<'PY'
import json, os, sys, time
import numpy as np, tl2cgen, treelite
model, rows, threads, runs, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
if not os.path.exists("xgb.so"):  # compiled once, not timed
    tl2cgen.export_lib(treelite.frontend.load_xgboost_model(model), toolchain="gcc",
                       libpath="./xgb.so", params={"parallel_comp": threads}, nthread=threads)
p = tl2cgen.Predictor("./xgb.so", nthread=threads)
x = np.fromfile(rows, dtype=np.float32).reshape(-1, 6)
best = 1e300
for _ in range(runs):
    d = tl2cgen.DMatrix(x, dtype="float32")  # not timed
    t = time.perf_counter()
    r = p.predict(d)
    best = min(best, time.perf_counter() - t)
r = np.asarray(r, dtype=np.float32).reshape(len(x), -1)
np.column_stack([1 - r[:, -1], r[:, -1]]).astype(np.float32).tofile(out)
print(json.dumps({"rows": len(x), "batch_seconds": best, "rows_per_second": len(x) / best}))
PY
ours='' theirs=''
for (( i = 1; i <= RUNS; i++ )); do
  j=$("$ONNX_BENCH" models/xgboost_binary.onnx rows.f32 "$THREADS" 1 1 xgb.plinth.f32) ||
    die "onnx_bench failed on xgboost_binary"
  echo "run $i: xgboost_binary plinth  $j"
  ours=$(max "$ours" "$(field rows_per_second "$j")")
  # treelite's compiler logs to stdout: the JSON is the last line
  j=$("$PY" tl2c.py models/xgboost_binary.json rows.f32 "$THREADS" 1 xgb.tl2cgen.f32 2>>tl2c.log |
    tail -n 1) || die "tl2cgen failed: $(cat tl2c.log)"
  echo "run $i: xgboost_binary tl2cgen $j"
  theirs=$(max "$theirs" "$(field rows_per_second "$j")")
done
same=$("$PY" compare.py xgb.plinth.f32 xgb.tl2cgen.f32 "$ROWS") || die "xgboost: $same"
echo "xgboost_binary: plinth vs tl2cgen on $ROWS rows: $same"
case $same in *rows_off=0\ labels_off=0) ;; *) failed=1 ;; esac

# --- 4. plinth score, whole process ------------------------------------------------------
# The forest takes one [N, 6] tensor: a package names its columns (merchant_category as its
# index, as onnx_zoo.tensor makes it).
cat >columns.yaml <<'YAML'
- {column: amount, kind: numeric}
- {column: merchant_category, kind: ordinal, categories: [grocery, gas, restaurant, online, electronics, travel, entertainment, health]}
- {column: hour_of_day, kind: numeric}
- {column: day_of_week, kind: numeric}
- {column: transaction_velocity, kind: numeric}
- {column: distance_from_home, kind: numeric}
YAML
"$PLINTH" -q models import models/rf_binary.onnx --preprocessing columns.yaml --out rf-package \
  >/dev/null || die "plinth models import refused the forest"
s=$(date +%s.%N)
if "$PLINTH" -q score --model rf-package --input score.parquet --output scored.parquet \
  --threads "$THREADS" 2>score.err; then
  score_s=$(awk -v s="$s" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
  if [ -f rf_binary.ort.f32 ]; then  # plinth score's probabilities against onnxruntime's
    "$PY" -c 'import numpy as np, pyarrow.parquet as pq
p = pq.read_table("scored.parquet", columns=["probability"]).column(0).to_numpy().astype(np.float32)
np.column_stack([1 - p, p]).astype(np.float32).tofile("rf_binary.score.f32")'
    same=$("$PY" compare.py rf_binary.score.f32 rf_binary.ort.f32 "$ROWS") || die "plinth score: $same"
    echo "rf_binary: plinth score vs onnxruntime on $ROWS rows: $same"
    case $same in *rows_off=0\ labels_off=0) ;; *) failed=1 ;; esac
  fi
else
  say "plinth score refused the forest: $(cat score.err)"
  score_s=""
fi

# --- 5. plinth serve on the forest, wrk at 16 connections ---------------------------------
"$PLINTH" serve rf-package --host 127.0.0.1 --port 0 >serve.log 2>&1 &
serve_pid=$!
url=""
for _ in $(seq 1 200); do
  url=$(grep -o 'http://[0-9.]*:[0-9]*' serve.log | head -1) && [ -n "$url" ] && break
  kill -0 "$serve_pid" 2>/dev/null || break
  sleep 0.05
done
rps=""
if [ -n "$url" ]; then
  body=$here/serving/example.json
  curl -sf -X POST -H 'Content-Type: application/json' --data-binary "@$body" "$url/predict" ||
    die "plinth serve did not answer the handbook's request: $(cat serve.log)"
  echo
  BODY_FILE=$body wrk -t2 -c16 -d"${WARMUP}s" -s "$here/serving/post.lua" "$url/predict" >/dev/null
  BODY_FILE=$body wrk -t2 -c16 -d"${DURATION}s" --latency -s "$here/serving/post.lua" \
    "$url/predict" >wrk.txt
  grep -q '^BENCH non200 0$' wrk.txt || { cat wrk.txt >&2; die "plinth serve answered with errors"; }
  rps=$(awk '/^BENCH requests/ { r = $3 } /^BENCH duration_us/ { d = $3 } END { printf "%.0f", r / (d / 1e6) }' wrk.txt)
  p99=$(awk '/^BENCH p99_us/ { printf "%.2f", $3 / 1000 }' wrk.txt)
else
  say "plinth serve did not start on the forest: $(cat serve.log)"
fi
kill "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null || true; serve_pid=""

# --- summary -----------------------------------------------------------------------------
echo
echo "data: $ROWS rows x 6 columns (float32), $THREADS threads, best of $RUNS"
while IFS=$'\t' read -r m o t target ol tl; do
  awk -v m="$m" -v o="$o" -v t="$t" -v g="$target" -v ol="$ol" -v tl="$tl" 'BEGIN {
    r = o / t
    printf "%-12s plinth %10.0f rows/s  onnxruntime %10.0f rows/s  ratio %5.2fx  target >= %dx %s" \
      "   single row: plinth %7.1f us  onnxruntime %7.1f us\n", m, o, t, r, g, (r >= g ? "MET" : "MISSED"), ol, tl }'
done <results.txt
awk -v o="$ours" -v t="$theirs" 'BEGIN { r = o / t
  printf "%-12s plinth %10.0f rows/s  tl2cgen     %10.0f rows/s  ratio %5.2fx  target >= 1x %s\n", "xgboost", o, t, r, (r >= 1 ? "MET" : "MISSED") }'
[ -z "$score_s" ] || echo "plinth score, $ROWS rows Parquet -> Parquet, rf_binary.onnx, whole process: ${score_s} s"
[ -z "$rps" ] || awk -v r="$rps" -v p="$p99" 'BEGIN {
  printf "plinth serve rf_binary.onnx, 16 connections: %.0f req/s, p99 %s ms, target >= 30000 %s\n", r, p, (r >= 30000 ? "MET" : "MISSED") }'
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$failed" = 0 ] || die "plinth's answers differ from the peer's (see above)"
