#!/usr/bin/env bash
# plinth server against the reference `mlflow server` (SQLite backend, its default workers),
# in the same run, alternating, each server on a fresh SQLite database of its own:
#
#   (a) runs/log-batch ingestion: CLIENTS concurrent clients each post REQUESTS batches of
#       1,000 metrics (build/bench/tracking_bench --ingest-only), points/s, best of ROUNDS.
#       Target: plinth >= 50x mlflow's points/s.
#   (b) the MLflow client's own loop (bench/mlflow_client_loop.py): LOOP_RUNS runs through
#       mlflow.start_run / log_params (5) / log_metrics (5), best wall time of LOOP_ROUNDS.
#       Target: against plinth the loop's wall time is at most 1.2x the client's own CPU time
#       (the server adds <= 20% to what the client costs anyway).
#
# Usage: make bench-mlflow   (or bench/mlflow.sh)
# Environment: PLINTH [build/plinth], TRACKING_BENCH [build/bench/tracking_bench],
#   PLINTH_TOOLS_PYTHON [.venv-test/bin/python, from scripts/setup.sh], CLIENTS [8],
#   REQUESTS [10], ROUNDS [3], LOOP_RUNS [1000], LOOP_ROUNDS [2], MLFLOW_WORKERS [mlflow's
#   default, 4], BENCH_DIR [/tmp].
# Smoke run (~1 min, most of it mlflow's start): CLIENTS=2 REQUESTS=1 ROUNDS=1 LOOP_RUNS=20 LOOP_ROUNDS=1
set -euo pipefail

die() { echo "bench: error: $*" >&2; exit 1; }

HERE=$(cd "$(dirname "$0")" && pwd)
PLINTH=${PLINTH:-$HERE/../build/plinth}
TRACKING_BENCH=${TRACKING_BENCH:-$(dirname "$PLINTH")/bench/tracking_bench}
PY=${PLINTH_TOOLS_PYTHON:-$HERE/../.venv-test/bin/python}
CLIENTS=${CLIENTS:-8} REQUESTS=${REQUESTS:-10} ROUNDS=${ROUNDS:-3}
LOOP_RUNS=${LOOP_RUNS:-1000} LOOP_ROUNDS=${LOOP_ROUNDS:-2}
for v in CLIENTS REQUESTS ROUNDS LOOP_RUNS LOOP_ROUNDS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[ -x "$PLINTH" ] || die "plinth not found at '$PLINTH' (make build, or set PLINTH)"
[ -x "$TRACKING_BENCH" ] || die "tracking_bench not found at '$TRACKING_BENCH' (make build)"
[ -x "$PY" ] || die "no Python with mlflow at '$PY': run scripts/setup.sh (or set PLINTH_TOOLS_PYTHON)"
MLFLOW=$(dirname "$PY")/mlflow
[ -x "$MLFLOW" ] || die "no mlflow command next to $PY: run scripts/setup.sh"
# No telemetry thread in either client or server (this machine has no route out anyway).
export MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true

SCRATCH=$(mktemp -d "${BENCH_DIR:-/tmp}/plinth-bench-mlflow.XXXXXX")
pgids=()
cleanup() {
  local g
  for g in "${pgids[@]}"; do kill -- "-$g" 2>/dev/null || true; done
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# start NAME CMD...: runs CMD in a process group of its own (so every worker can be measured
# and stopped); sets START_PGID.
start() {
  local name=$1
  shift
  setsid "$@" >"$SCRATCH/$name.log" 2>&1 &
  START_PGID=$!
  pgids+=("$START_PGID")
}
wait_healthy() {  # NAME URL SECONDS
  local i
  for (( i = 0; i < $3 * 5; i++ )); do
    curl -sf "$2/health" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  tail -20 "$SCRATCH/$1.log" >&2
  die "$1 did not answer $2/health within $3 s"
}
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

echo "plinth server vs mlflow server: $PLINTH"
echo "machine: $(nproc) cores, $(uname -r), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "peer: mlflow $("$PY" -c 'import mlflow; print(mlflow.__version__)'), $("$PY" --version), SQLAlchemy $("$PY" -c 'import sqlalchemy; print(sqlalchemy.__version__)'), workers: ${MLFLOW_WORKERS:-default (4)}"

plinth_port=$(free_port)
start plinth "$PLINTH" server --backend-store-uri "sqlite:///$SCRATCH/plinth.db" \
  --artifacts-destination "$SCRATCH/plinth-art" --port "$plinth_port"
plinth_pgid=$START_PGID
mlflow_port=$(free_port)
start mlflow "$MLFLOW" server --backend-store-uri "sqlite:///$SCRATCH/mlflow.db" \
  --artifacts-destination "$SCRATCH/mlflow-art" --host 127.0.0.1 --port "$mlflow_port" \
  ${MLFLOW_WORKERS:+--workers "$MLFLOW_WORKERS"}
mlflow_pgid=$START_PGID
plinth_url=http://127.0.0.1:$plinth_port mlflow_url=http://127.0.0.1:$mlflow_port
wait_healthy plinth "$plinth_url" 30
wait_healthy mlflow "$mlflow_url" 300

# (a) ingestion, alternating; the best points/s of each.
plinth_rate=0 mlflow_rate=0
ingest() {  # URL -> points/s
  local out
  out=$("$TRACKING_BENCH" "$1" --ingest-only --clients "$CLIENTS" --requests "$REQUESTS") ||
    die "tracking_bench against $1 failed"
  sed -n 's/.* = \([0-9]*\) points\/s$/\1/p' <<<"$out"
}
for (( r = 1; r <= ROUNDS; r++ )); do
  p=$(ingest "$plinth_url")
  m=$(ingest "$mlflow_url")
  echo "ingest round $r: plinth $p points/s, mlflow $m points/s"
  plinth_rate=$(( p > plinth_rate ? p : plinth_rate )) mlflow_rate=$(( m > mlflow_rate ? m : mlflow_rate ))
done

# (b) the client loop, alternating; the run with the best wall time of each.
loop() {  # URL PGID -> "wall=... cpu=... server_cpu=... runs=..."
  "$PY" "$HERE/mlflow_client_loop.py" "$1" "$LOOP_RUNS" "$2" 2>"$SCRATCH/loop.err" |
    grep '^wall=' || { cat "$SCRATCH/loop.err" >&2; die "the MLflow client loop against $1 failed"; }
}
best_plinth='' best_mlflow=''
# no_better BEST NEW: true when NEW is not faster than BEST (which may be empty).
no_better() { [ -n "$1" ] && awk -v n="$(field wall "$2")" -v b="$(field wall "$1")" 'BEGIN { exit !(n >= b) }'; }
for (( r = 1; r <= LOOP_ROUNDS; r++ )); do
  p=$(loop "$plinth_url" "$plinth_pgid")
  m=$(loop "$mlflow_url" "$mlflow_pgid")
  echo "client loop round $r: plinth $p; mlflow $m"
  no_better "$best_plinth" "$p" || best_plinth=$p
  no_better "$best_mlflow" "$m" || best_mlflow=$m
done

pw=$(field wall "$best_plinth") pc=$(field cpu "$best_plinth") ps=$(field server_cpu "$best_plinth")
mw=$(field wall "$best_mlflow") mc=$(field cpu "$best_mlflow") ms=$(field server_cpu "$best_mlflow")
met() { if awk "BEGIN { exit !($1) }"; then echo MET; else echo MISSED; fi; }
ingest_ratio=$(calc %.1f "$plinth_rate / $mlflow_rate")
added=$(calc %.0f "100 * ($pw - $pc) / $pc")
echo
echo "(a) log-batch ingestion, $CLIENTS clients x $REQUESTS requests x 1,000 metrics, best of $ROUNDS:"
echo "    plinth $plinth_rate points/s, mlflow $mlflow_rate points/s, ratio ${ingest_ratio}x (target >= 50x: $(met "$ingest_ratio >= 50"))"
echo "(b) MLflow client loop, $LOOP_RUNS runs x (5 params + 5 metrics), best of $LOOP_ROUNDS:"
echo "    against plinth: wall ${pw} s, client CPU ${pc} s, server CPU ${ps} s ($(calc %.2f "1000 * $ps / $LOOP_RUNS") ms per run)"
echo "    against mlflow: wall ${mw} s, client CPU ${mc} s, server CPU ${ms} s ($(calc %.2f "1000 * $ms / $LOOP_RUNS") ms per run)"
echo "    wall ratio mlflow/plinth $(calc %.1fx "$mw / $pw"); with plinth the loop takes ${added}% more than the client's CPU time (target <= 20%: $(met "$added <= 20"))"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
