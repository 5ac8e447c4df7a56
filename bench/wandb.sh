#!/usr/bin/env bash
# The W&B SDK against plinth server: one run logging STEPS steps x METRICS metrics with
# wandb.log per step, and the same history through the MLflow client on the same server, in the
# same run, alternating (bench/wandb_loop.py):
#   - W&B SDK: wandb.init, wandb.log per step, run.finish()
#   - MLflow, per step: mlflow.log_metrics(row, step=i), what the same loop looks like in MLflow
#   - MLflow, batched: MlflowClient.log_batch with 1,000 metrics per call
# Prints each one's end-to-end time, the server's CPU time and, for W&B, the time from the last
# wandb.log to finish() returning. Target: finish() returns within 1 s of the last log.
# Every run is checked to hold every point before it counts.
#
# Usage: make bench-wandb   (or bench/wandb.sh)
# Environment: PLINTH [build/plinth], PLINTH_TOOLS_PYTHON [.venv-test/bin/python], STEPS
#   [10000], METRICS [20], ROUNDS [2], BENCH_DIR [/tmp].
# Smoke run (~30 s): STEPS=500 ROUNDS=1
set -euo pipefail

die() { echo "bench: error: $*" >&2; exit 1; }

HERE=$(cd "$(dirname "$0")" && pwd)
PLINTH=${PLINTH:-$HERE/../build/plinth}
PY=${PLINTH_TOOLS_PYTHON:-$HERE/../.venv-test/bin/python}
STEPS=${STEPS:-10000} METRICS=${METRICS:-20} ROUNDS=${ROUNDS:-2}
for v in STEPS METRICS ROUNDS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[ -x "$PLINTH" ] || die "plinth not found at '$PLINTH' (make build, or set PLINTH)"
[ -x "$PY" ] || die "no Python with wandb and mlflow at '$PY': run scripts/setup.sh (or set PLINTH_TOOLS_PYTHON)"
export MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true

SCRATCH=$(mktemp -d "${BENCH_DIR:-/tmp}/plinth-bench-wandb.XXXXXX")
pgid=""
cleanup() {
  [ -z "$pgid" ] || kill -- "-$pgid" 2>/dev/null || true
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
setsid "$PLINTH" server --backend-store-uri "sqlite:///$SCRATCH/plinth.db" \
  --artifacts-destination "$SCRATCH/art" --port "$port" >"$SCRATCH/server.log" 2>&1 &
pgid=$!
url=http://127.0.0.1:$port
for _ in $(seq 1 100); do curl -sf "$url/health" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "$url/health" >/dev/null || { cat "$SCRATCH/server.log" >&2; die "plinth server did not start"; }
export WANDB_BASE_URL=$url WANDB_API_KEY=plinth-0123456789abcdefghij0123456789ABCDEFGHIJ \
  WANDB_SILENT=true WANDB_DIR=$SCRATCH WANDB_CONFIG_DIR=$SCRATCH/wandb-config \
  WANDB_CACHE_DIR=$SCRATCH/wandb-cache WANDB_DISABLE_GIT=true WANDB_DISABLE_CODE=true \
  PYTHONWARNINGS=ignore

echo "W&B SDK vs MLflow client against plinth server: $PLINTH"
echo "machine: $(nproc) cores, $(uname -r), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "clients: wandb $("$PY" -c 'import wandb; print(wandb.__version__)'), mlflow $("$PY" -c 'import mlflow; print(mlflow.__version__)'); $STEPS steps x $METRICS metrics, best of $ROUNDS"
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }
declare -A best
for (( r = 1; r <= ROUNDS; r++ )); do
  for mode in wandb mlflow batch; do
    out=$("$PY" "$HERE/wandb_loop.py" "$mode" "$url" "$STEPS" "$METRICS" "$pgid" 2>"$SCRATCH/err") ||
      { tail -20 "$SCRATCH/err" >&2; die "the $mode run failed"; }
    out=$(grep '^wall=' <<<"$out")
    echo "round $r $mode: $out"
    if [ -z "${best[$mode]:-}" ] || awk -v n="$(field wall "$out")" -v b="$(field wall "${best[$mode]}")" 'BEGIN { exit !(n < b) }'; then
      best[$mode]=$out
    fi
  done
done
w=${best[wandb]} m=${best[mlflow]} b=${best[batch]}
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
met() { if awk "BEGIN { exit !($1) }"; then echo MET; else echo MISSED; fi; }
echo
echo "best of $ROUNDS, $STEPS steps x $METRICS metrics ($((STEPS * METRICS)) points):"
for mode in wandb mlflow batch; do
  x=${best[$mode]}
  echo "  $mode: end to end $(field wall "$x") s (start $(field init "$x") s, logging $(field log "$x") s, finish $(field finish "$x") s), server CPU $(field server_cpu "$x") s"
done
echo "  W&B end to end / MLflow per step: $(calc %.2fx "$(field wall "$w") / $(field wall "$m")"); / MLflow batched: $(calc %.2fx "$(field wall "$w") / $(field wall "$b")")"
echo "  W&B finish() returned $(field finish "$w") s after the last wandb.log (target <= 1 s: $(met "$(field finish "$w") <= 1"))"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
