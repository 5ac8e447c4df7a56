#!/usr/bin/env bash
# Serving benchmark (issue 8 item 8): `plinth serve` against the handbook's FastAPI + uvicorn
# server on the same model and against nginx answering a fixed JSON body (this machine's HTTP
# ceiling), all in one run, on loopback, one server at a time.
#
#   1. trains a TREES-tree depth-8 fraud package (`plinth demo-data fraud`, `plinth train`);
#   2. checks every server scores like `plinth score` on the same rows (bench/serving/check.py):
#      the FastAPI code unrounded to 1e-5, every HTTP answer to its 4 decimals;
#   3. for each server and each of CONNECTIONS: wrk -t2 --latency, WARMUP s discarded, then
#      DURATION s measured, POSTing bench/serving/example.json to /predict
#      (bench/serving/post.lua counts the answers that are not 200: any fails the benchmark);
#   4. prints req/s, p50 and p99 per server and connection count, and the ratios against the
#      targets: plinth/FastAPI req/s >= 50x, plinth p99 at 16 connections <= 5 ms,
#      plinth/nginx req/s >= 40%.
#
# FastAPI runs as the handbook runs it, uvicorn with 1 worker; the ratio is taken against it.
# A second FastAPI row builds the features from a one-row pandas DataFrame per request, as
# handbook-style servers do (FEATURES=pandas in fastapi_server.py). FASTAPI_WORKERS="1 2"
# adds a 2-worker row, off by default: with Debian's uvicorn 0.17 and Python 3.11 each answer
# of a multi-worker uvicorn waits ~40 ms (one request at a time: 44 ms against 1.3 ms with 1
# worker, the signature of Nagle's algorithm meeting delayed ACKs), so that row measures the
# stall, not a second core.
#
# plinth serve runs twice: as it starts by default, and with micro-batching (the issue asks
# whether batching pays); the target ratios use the default row. Until `plinth serve` exists
# its rows are skipped with a message and the ratios are reported as pending.
#
# Usage:  bench/serving.sh [--json FILE]     (or: make bench-serving)
# Environment: PLINTH [build/plinth], DURATION [10] and WARMUP [2] seconds per measurement,
#   CONNECTIONS ["16 64"], FASTAPI_WORKERS ["1"], FASTAPI_PANDAS [1] (0: no pandas row),
#   TRAIN_ROWS [100000], TREES [300], THREADS [2] (training), PLINTH_SERVE_ARGS [""] (extra
#   `plinth serve` options for both of its rows, e.g. "--threads 4"), PLINTH_BATCH_ARGS
#   ["--max-batch 16 --batch-wait-us 200"] (the micro-batching row; "" leaves it out),
#   BENCH_DIR [/tmp].
# Quick smoke run: DURATION=2 WARMUP=1 TRAIN_ROWS=5000 TREES=20 FASTAPI_PANDAS=0 PLINTH_BATCH_ARGS=.
set -euo pipefail

die() { echo "bench: error: $*" >&2; exit 1; }
say() { echo "bench: $*" >&2; }

HERE=$(cd "$(dirname "$0")" && pwd)
SERVING=$HERE/serving
JSON_OUT=""
while [ $# -gt 0 ]; do
  case $1 in
    --json) [ $# -ge 2 ] || die "--json needs a file"; JSON_OUT=$2; shift 2 ;;
    --json=*) JSON_OUT=${1#--json=}; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (usage: bench/serving.sh [--json FILE])" ;;
  esac
done
if [ -n "$JSON_OUT" ]; then
  case $JSON_OUT in /*) ;; *) JSON_OUT=$PWD/$JSON_OUT ;; esac
fi

PLINTH=${PLINTH:-$HERE/../build/plinth}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-16 64}
FASTAPI_WORKERS=${FASTAPI_WORKERS:-1}
FASTAPI_PANDAS=${FASTAPI_PANDAS:-1}
TRAIN_ROWS=${TRAIN_ROWS:-100000}
TREES=${TREES:-300}
THREADS=${THREADS:-2}
PLINTH_SERVE_ARGS=${PLINTH_SERVE_ARGS:-}
PLINTH_BATCH_ARGS=${PLINTH_BATCH_ARGS---max-batch 16 --batch-wait-us 200}
BENCH_DIR=${BENCH_DIR:-/tmp}
for v in DURATION WARMUP TRAIN_ROWS TREES THREADS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
for c in $CONNECTIONS; do
  [[ $c =~ ^[1-9][0-9]*$ ]] || die "CONNECTIONS must be positive integers (got '$CONNECTIONS')"
  [ "$c" -ge 2 ] || die "CONNECTIONS must be at least 2 (wrk runs 2 threads)"
done
[[ $FASTAPI_PANDAS =~ ^[01]$ ]] || die "FASTAPI_PANDAS must be 0 or 1 (got '$FASTAPI_PANDAS')"
for w in $FASTAPI_WORKERS; do
  [[ $w =~ ^[1-9][0-9]*$ ]] || die "FASTAPI_WORKERS must be positive integers (got '$FASTAPI_WORKERS')"
done
[ -x "$PLINTH" ] || die "plinth binary not found at '$PLINTH' (build it, or set PLINTH)"
PLINTH=$(cd "$(dirname "$PLINTH")" && pwd)/$(basename "$PLINTH")
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk, or run scripts/setup.sh)"
command -v curl >/dev/null || die "curl not found (apt-get install curl)"
NGINX=$(command -v nginx || true)
[ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; } ||
  die "nginx not found (apt-get install nginx, or run scripts/setup.sh)"
# Debian's own python3: a pyenv python3 first on PATH cannot see Debian's packages.
PYTHON=""
for p in $(which -a python3) /usr/bin/python3; do
  if "$p" -c 'import fastapi, uvicorn, xgboost, yaml, pandas' 2>/dev/null; then PYTHON=$p; break; fi
done
[ -n "$PYTHON" ] || die "no python3 with fastapi, uvicorn, xgboost, yaml and pandas (apt-get install" \
  "python3-fastapi python3-uvicorn python3-xgboost python3-yaml python3-pandas)"
export OMP_WAIT_POLICY=PASSIVE
export PYTHONDONTWRITEBYTECODE=1  # check.py and uvicorn import bench/serving/*.py: no __pycache__

SCRATCH=$(mktemp -d "$BENCH_DIR/plinth-bench-serving.XXXXXX")
SERVER_PID=""
stop_server() {
  # Every server runs in its own process group (setsid), so this ends its workers too.
  local pid=$SERVER_PID
  [ -n "$pid" ] || return 0
  SERVER_PID=""
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  stop_server
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cd "$SCRATCH"

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server NAME LOG URL CMD...: starts CMD in its own process group and waits until a
# POST of the example body to URL answers 200.
start_server() {
  local name=$1 log=$2 url=$3
  shift 3
  setsid "$@" >"$log" 2>&1 </dev/null &
  SERVER_PID=$!
  local code=""
  for _ in $(seq 300); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      tail -n 20 "$log" >&2 || true
      SERVER_PID=""
      die "$name exited during start (log above)"
    fi
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
      --data-binary "@$SERVING/example.json" "$url" 2>/dev/null || true)
    [ "$code" = 200 ] && return 0
    sleep 0.1
  done
  tail -n 20 "$log" >&2 || true
  die "$name did not answer 200 at $url within 30 s (last HTTP code '$code')"
}

# group_cpu PGID: CPU seconds (user + system) used so far by the processes of a group, i.e.
# a server with all its workers.
group_cpu() {
  "$PYTHON" - "$1" <<'PY'
import os, sys
g, t = int(sys.argv[1]), 0
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            s = open("/proc/%s/stat" % p).read()
        except OSError:
            continue
        f = s[s.rindex(")") + 2:].split()
        if int(f[2]) == g:
            t += int(f[11]) + int(f[12])
print(t / os.sysconf("SC_CLK_TCK"))
PY
}

# measure NAME URL: warm-up, then one measured wrk run per connection count; appends a line
# per run to results.tsv: the numbers wrk's done() printed, and the CPU time the server's
# process group used during the measured run (so a server's cost per request shows even
# when other work shares the cores).
measure() {
  local name=$1 url=$2 c out cpu0 cpu1 line
  for c in $CONNECTIONS; do
    BODY_FILE=$SERVING/example.json wrk -t2 -c"$c" -d"${WARMUP}s" -s "$SERVING/post.lua" \
      "$url" >/dev/null
    out=$SCRATCH/wrk-$(echo "$name" | tr -c 'A-Za-z0-9\n' '_')-$c.txt
    cpu0=$(group_cpu "$SERVER_PID")
    BODY_FILE=$SERVING/example.json wrk -t2 -c"$c" -d"${DURATION}s" --latency \
      -s "$SERVING/post.lua" "$url" >"$out"
    cpu1=$(group_cpu "$SERVER_PID")
    local -A m=()
    local k v
    while read -r _ k v; do m[$k]=$v; done < <(grep '^BENCH ' "$out")
    [ -n "${m[requests]:-}" ] || { cat "$out" >&2; die "$name: no numbers from wrk"; }
    [ "${m[requests]}" -gt 0 ] || die "$name answered no requests at $c connections"
    line=$(awk -v n="$name" -v c="$c" -v r="${m[requests]}" -v d="${m[duration_us]}" \
      -v p50="${m[p50_us]}" -v p99="${m[p99_us]}" -v bad="${m[non200]}" \
      -v se="${m[socket_errors]}" -v to="${m[timeouts]}" -v cpu="$(awk -v a="$cpu0" \
      -v b="$cpu1" 'BEGIN { print b - a }')" 'BEGIN {
        printf "%s\t%d\t%.1f\t%.3f\t%.3f\t%d\t%d\t%d\t%d\t%.1f\t%.2f\n", n, c,
          r / (d / 1e6), p50 / 1000, p99 / 1000, r, bad, se, to, cpu * 1e6 / r, cpu / (d / 1e6) }')
    printf '%s\n' "$line" >>"$SCRATCH/results.tsv"
    awk -F '\t' '{ printf "  %-28s %3d connections: %9.0f req/s  p50 %7.3f ms  p99 %8.3f ms" \
      "  server CPU %6.1f us/req (%.2f cores)  non-200 %d\n", $1, $2, $3, $4, $5, $10, $11, $7 }' \
      <<<"$line" >&2
    if [ "${m[non200]}" -ne 0 ] || [ "${m[socket_errors]}" -ne 0 ]; then
      grep -v '^BENCH ' "$out" >&2 || true
      die "$name answered ${m[non200]} requests with a status other than 200 and had" \
        "${m[socket_errors]} socket errors at $c connections (first: ${m[first_bad]:-none})"
    fi
  done
}

# --- 1. the model -------------------------------------------------------------------------
say "training a $TREES-tree depth-8 fraud model on $TRAIN_ROWS rows"
"$PLINTH" -q demo-data fraud --rows "$TRAIN_ROWS" --seed 1 --out train.parquet
printf 'serving:\n  n_estimators: %s\n  max_depth: 8\n  learning_rate: 0.05\n  subsample: 0.8\n' \
  "$TREES" >params.yaml
"$PLINTH" -q train --data train.parquet --target is_fraud --params params.yaml:serving \
  --threads "$THREADS" --out pkg
for f in MLmodel model.json profile.json input_example.json; do
  [ -f "pkg/$f" ] || die "the package has no $f"
done
"$PYTHON" -c 'import sys, xgboost as xgb
b = xgb.Booster(model_file=sys.argv[1]); n = b.num_boosted_rounds()
sys.exit(0 if n == int(sys.argv[2]) else "bench: error: model has %d trees, not %s" % (n, sys.argv[2]))' \
  pkg/model.json "$TREES"

# --- 2. the rows every server must score like `plinth score` -------------------------------
"$PYTHON" "$SERVING/check.py" rows pkg "$SERVING/example.json" rows.json rows.csv >/dev/null
"$PLINTH" -q score --model pkg --input rows.csv --output scored.csv --threads 1 2>/dev/null
"$PYTHON" "$SERVING/check.py" model pkg rows.json scored.csv >&2

date -u +%Y-%m-%dT%H:%M:%SZ >started
cut -d' ' -f1-3 /proc/loadavg >load_start
: >results.tsv
SKIPPED=""

# --- 3. servers, one at a time ------------------------------------------------------------
fastapi_runs=()
for w in $FASTAPI_WORKERS; do fastapi_runs+=("$w numpy"); done
[ "$FASTAPI_PANDAS" = 0 ] || fastapi_runs+=("1 pandas")
for run in "${fastapi_runs[@]}"; do
  read -r w features <<<"$run"
  name="fastapi+uvicorn ${w}w"
  [ "$features" = numpy ] || name="$name $features"
  port=$(free_port)
  url=http://127.0.0.1:$port/predict
  say "$name on port $port (uvicorn --workers $w, features via $features, no access log)"
  start_server "$name" "fastapi-$w-$features.log" "$url" env PLINTH_MODEL="$SCRATCH/pkg" \
    FEATURES="$features" MODEL_VERSION=fraud-detector/bench "$PYTHON" -m uvicorn fastapi_server:app \
    --app-dir "$SERVING" --host 127.0.0.1 --port "$port" --workers "$w" \
    --log-level warning --no-access-log
  "$PYTHON" "$SERVING/check.py" http "$url" rows.json scored.csv pkg >&2
  measure "$name" "$url"
  stop_server
done

port=$(free_port)
mkdir -p nginx/logs nginx/tmp
body=$(tr -d '\n' <"$SERVING/nginx_body.json")
cat >nginx/nginx.conf <<EOF
# Generated by bench/serving.sh: a fixed JSON answer, the HTTP ceiling of this machine.
worker_processes 2;
daemon off;
master_process on;
pid $SCRATCH/nginx/nginx.pid;
error_log $SCRATCH/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $SCRATCH/nginx/tmp/body;
  proxy_temp_path $SCRATCH/nginx/tmp/proxy;
  fastcgi_temp_path $SCRATCH/nginx/tmp/fastcgi;
  uwsgi_temp_path $SCRATCH/nginx/tmp/uwsgi;
  scgi_temp_path $SCRATCH/nginx/tmp/scgi;
  keepalive_requests 10000000;
  server {
    listen 127.0.0.1:$port;
    location = /predict {
      default_type application/json;
      return 200 '$body';
    }
  }
}
EOF
say "nginx on port $port (2 workers, fixed body)"
start_server "nginx" nginx.log "http://127.0.0.1:$port/predict" \
  "$NGINX" -p "$SCRATCH/nginx" -c "$SCRATCH/nginx/nginx.conf" -e "$SCRATCH/nginx/logs/error.log"
measure "nginx fixed body" "http://127.0.0.1:$port/predict"
stop_server

# run_plinth NAME OPTIONS: one plinth serve row, with extra options (a list, split on spaces).
run_plinth() {
  local name=$1 opts port url
  opts=$(echo "$2" | xargs)  # trimmed
  port=$(free_port)
  url=http://127.0.0.1:$port/predict
  say "$name on port $port${opts:+ ($opts)}"
  # shellcheck disable=SC2086  # opts is a list of options
  start_server "$name" "plinth-$(echo "$name" | tr -c 'A-Za-z0-9\n' '_').log" "$url" \
    "$PLINTH" serve "$SCRATCH/pkg" --host 127.0.0.1 --port "$port" $opts
  "$PYTHON" "$SERVING/check.py" http "$url" rows.json scored.csv pkg >&2
  measure "$name" "$url"
  stop_server
}
if "$PLINTH" serve --help 2>&1 | grep -q 'Usage: plinth serve'; then
  run_plinth "plinth serve" "$PLINTH_SERVE_ARGS"
  if [ -n "$PLINTH_BATCH_ARGS" ]; then
    if "$PLINTH" serve --help 2>&1 | grep -q -- '--max-batch'; then
      run_plinth "plinth serve batched" "$PLINTH_SERVE_ARGS $PLINTH_BATCH_ARGS"
    else
      say "skipping plinth serve batched: this plinth serve has no --max-batch"
    fi
  fi
else
  SKIPPED="plinth serve"
  say "skipping plinth serve: '$PLINTH serve --help' does not show the command (not built" \
    "into this binary yet); its rows and the ratios are pending"
fi
cut -d' ' -f1-3 /proc/loadavg >load_end

# --- 4. report ------------------------------------------------------------------------------
"$PYTHON" "$SERVING/report.py" results.tsv "${JSON_OUT:-}" \
  "started=$(cat started)" "load_start=$(cat load_start)" "load_end=$(cat load_end)" \
  "duration_s=$DURATION" "warmup_s=$WARMUP" "trees=$TREES" "train_rows=$TRAIN_ROWS" \
  "plinth_serve_args=$PLINTH_SERVE_ARGS" "skipped=$SKIPPED" \
  "plinth_commit=$(git -C "$HERE" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  "nproc=$(nproc)" "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
  "wrk=$(wrk --version 2>&1 | head -n 1 | cut -d' ' -f1-2)" \
  "nginx=$("$NGINX" -v 2>&1 | sed 's/.*nginx\///')" \
  "python=$("$PYTHON" -c 'import sys, fastapi, uvicorn, pydantic, xgboost
print("python %d.%d, fastapi %s, uvicorn %s, pydantic %s, xgboost %s" % (sys.version_info[0],
      sys.version_info[1], fastapi.__version__, uvicorn.__version__, pydantic.VERSION,
      xgboost.__version__))')"
