#!/usr/bin/env bash
# Tracking server benchmark: log-batch ingestion (1,000 metrics per request, 8 concurrent
# clients) and runs/search latency over 10,000 runs, on SQLite and on PostgreSQL (throwaway
# server, skipped when PostgreSQL is not installed). See docs/benchmarks.md.
#   bench/tracking.sh                      uses build/plinth and build/bench/tracking_bench
#   CLIENTS=8 REQUESTS=40 RUNS=10000       (defaults)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PLINTH=${PLINTH:-$HERE/../build/plinth}
BENCH=${TRACKING_BENCH:-$(dirname "$PLINTH")/bench/tracking_bench}
CLIENTS=${CLIENTS:-8} REQUESTS=${REQUESTS:-40} RUNS=${RUNS:-10000}
PYTHON=$(command -v /usr/bin/python3 || command -v python3)
SCRATCH=$(mktemp -d "${BENCH_DIR:-/tmp}/plinth-bench-tracking.XXXXXX")
pid=""
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$SCRATCH"; }
trap cleanup EXIT

run_against() {  # LABEL BACKEND_URI [extra bench args]
  local label=$1 backend=$2
  shift 2
  local port
  port=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$PLINTH" server --backend-store-uri "$backend" --artifacts-destination "$SCRATCH/art" \
    --port "$port" >"$SCRATCH/server-$label.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done
  echo "== $label"
  "$BENCH" "http://127.0.0.1:$port" --clients "$CLIENTS" --requests "$REQUESTS" --runs "$RUNS" "$@"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
}

if [ "${1:-}" != "--postgres-only" ]; then
  run_against sqlite "sqlite:///$SCRATCH/mlruns.db" --inprocess-db "$SCRATCH/peer.db"
  bash "$HERE/../tests/tracking/with_postgres.sh" "$0" --postgres-only || echo "PostgreSQL run skipped"
else
  run_against postgresql "$PLINTH_TEST_POSTGRES_URI"
fi
