#!/usr/bin/env bash
# Plinth's web UI against MLflow's own UI (the pinned `mlflow server`), same data, same browser
# script, alternating: the time from navigation until
#   runs     the runs page of an experiment with RUNS (10,000) runs shows its first rows;
#   chart    a run's chart of a LONG (1,000,000)-point metric is drawn;
#   compare  20 runs' histories of CMP (100,000) points each are drawn on one chart.
# Each measurement opens a fresh browser context (nothing cached). Median of ROUNDS.
# Targets: <= 1 s for each on Plinth, >= 10x faster than MLflow's UI where it finishes within
# TIMEOUT_MS (recorded as "timeout" where it does not).
#
# Usage: make bench-ui   (or bench/ui.sh)
# Environment: PLINTH [build/plinth], PLINTH_TOOLS_PYTHON [.venv-test/bin/python], RUNS [10000],
#   LONG [1000000], CMP [100000], ROUNDS [3], TIMEOUT_MS [60000], BENCH_DIR [/tmp].
# Smoke run: RUNS=200 LONG=20000 CMP=2000 ROUNDS=1
set -euo pipefail

die() { echo "bench: error: $*" >&2; exit 1; }

HERE=$(cd "$(dirname "$0")" && pwd)
PLINTH=${PLINTH:-$HERE/../build/plinth}
PY=${PLINTH_TOOLS_PYTHON:-$HERE/../.venv-test/bin/python}
RUNS=${RUNS:-10000} LONG=${LONG:-1000000} CMP=${CMP:-100000} ROUNDS=${ROUNDS:-3}
TIMEOUT_MS=${TIMEOUT_MS:-60000}
for v in RUNS LONG CMP ROUNDS TIMEOUT_MS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[ -x "$PLINTH" ] || die "plinth not found at '$PLINTH' (make build, or set PLINTH)"
[ -x "$PY" ] || die "no Python with mlflow at '$PY': run scripts/setup.sh (or set PLINTH_TOOLS_PYTHON)"
MLFLOW=$(dirname "$PY")/mlflow
export NODE_PATH=$HERE/../node_modules MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true
[ -d "$NODE_PATH/playwright-core" ] || die "playwright-core is missing: run scripts/setup.sh"

SCRATCH=$(mktemp -d "${BENCH_DIR:-/tmp}/plinth-bench-ui.XXXXXX")
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$SCRATCH"' EXIT
port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 1 600); do curl -sf "$1/health" >/dev/null 2>&1 && return; sleep 0.5; done; die "$1 did not start"; }

P=$(port)
"$PLINTH" server --backend-store-uri "sqlite:///$SCRATCH/plinth.db" --artifacts-destination "$SCRATCH/pa" \
  --port "$P" >"$SCRATCH/plinth.log" 2>&1 &
pids+=($!)
M=$(port)
"$MLFLOW" server --backend-store-uri "sqlite:///$SCRATCH/mlflow.db" --default-artifact-root "$SCRATCH/ma" \
  --port "$M" >"$SCRATCH/mlflow.log" 2>&1 &
pids+=($!)
wait_up "http://127.0.0.1:$P"
wait_up "http://127.0.0.1:$M"

echo "Seeding both servers: $RUNS runs, one history of $LONG points, 20 of $CMP ..." >&2
for ui in plinth mlflow; do
  base=http://127.0.0.1:$([ $ui = plinth ] && echo "$P" || echo "$M")
  start=$(date +%s)
  "$PY" "$HERE/ui_seed.py" "$base" "$RUNS" "$LONG" "$CMP" >"$SCRATCH/$ui.json" || die "seeding $ui failed"
  echo "  $ui: $(( $(date +%s) - start )) s" >&2
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : "timeout")}'; }
printf '%-8s %12s %12s %8s\n' view plinth_ms mlflow_ms ratio
for view in runs chart compare; do
  : >"$SCRATCH/plinth.$view" && : >"$SCRATCH/mlflow.$view"
  for _ in $(seq 1 "$ROUNDS"); do
    for ui in plinth mlflow; do
      base=http://127.0.0.1:$([ $ui = plinth ] && echo "$P" || echo "$M")
      node "$HERE/ui_measure.js" "$ui" "$view" "$base" "$SCRATCH/$ui.json" "$TIMEOUT_MS" >>"$SCRATCH/$ui.$view"
    done
  done
  p=$({ grep -v timeout "$SCRATCH/plinth.$view" || true; } | median)
  m=$({ grep -v timeout "$SCRATCH/mlflow.$view" || true; } | median)
  [ "$(grep -c timeout "$SCRATCH/mlflow.$view" || true)" -gt $((ROUNDS / 2)) ] && m=timeout
  [ "$(grep -c timeout "$SCRATCH/plinth.$view" || true)" -gt $((ROUNDS / 2)) ] && p=timeout
  ratio=$(awk -v p="$p" -v m="$m" 'BEGIN { if (m == "timeout" || p == "timeout") print "-"; else printf "%.1fx", m / p }')
  printf '%-8s %12s %12s %8s\n' "$view" "$p" "$m" "$ratio"
done
echo "peers: mlflow $("$PY" -c 'import mlflow; print(mlflow.__version__)'), Chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'); machine: $(nproc) cores"
