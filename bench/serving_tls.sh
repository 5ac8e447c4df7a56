#!/usr/bin/env bash
# What TLS and bearer tokens cost `plinth serve` (issue 20 items 4-5), and whether the plain-HTTP
# path kept its speed: one model, one server at a time on loopback, rounds interleaved.
#
# Rows (each `plinth serve MODEL --threads THREADS`, wrk -t2 -cCONNECTIONS, WARMUP s discarded,
# DURATION s measured, POSTing bench/serving/example.json to /predict; any non-200 fails):
#   before  PLINTH_BEFORE over plain HTTP (an earlier build; row left out when unset)
#   http    PLINTH over plain HTTP
#   https   PLINTH with --tls-cert/--tls-key (an EC P-256 certificate made here)
#   token   PLINTH over https with --auth-token-file, wrk sending the token
# Prints the median req/s, p99 and server CPU per request of ROUNDS rounds per row, and the
# ratios http/before, https/http and token/https. wrk keeps its connections open, so the TLS handshake is paid once
# per connection: the https row measures encryption, not handshakes.
#
# Usage: bench/serving_tls.sh
# Environment: PLINTH [build/plinth], PLINTH_BEFORE [""], CONNECTIONS [16], DURATION [5],
#   WARMUP [1], ROUNDS [3], THREADS [2], TRAIN_ROWS [20000], TREES [100], BENCH_DIR [/tmp].
set -euo pipefail
die() { echo "bench: error: $*" >&2; exit 1; }
case ${1:-} in
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) die "unknown argument '$1' (usage: bench/serving_tls.sh; settings are environment variables)" ;;
esac
HERE=$(cd "$(dirname "$0")" && pwd)
PLINTH=${PLINTH:-$HERE/../build/plinth}
PLINTH_BEFORE=${PLINTH_BEFORE:-}
CONNECTIONS=${CONNECTIONS:-16} DURATION=${DURATION:-5} WARMUP=${WARMUP:-1} ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2} TRAIN_ROWS=${TRAIN_ROWS:-20000} TREES=${TREES:-100}
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk, or run scripts/setup.sh)"
[ -x "$PLINTH" ] || die "no plinth binary at $PLINTH (make build)"
W=$(mktemp -d "${BENCH_DIR:-/tmp}/plinth-bench-tls.XXXXXX")
server=""
trap '[ -z "$server" ] || kill "$server" 2>/dev/null; rm -rf "$W"' EXIT

cd "$W"
"$PLINTH" -q demo-data fraud --rows "$TRAIN_ROWS" --seed 7 --out train.csv
printf 'train:\n  n_estimators: %s\n  max_depth: 8\n' "$TREES" >params.yaml
"$PLINTH" -q train --data train.csv --target is_fraud --threads 2 --params params.yaml:train \
  --out model >/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem \
  -out cert.pem -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
openssl rand -hex 32 >tokens && chmod 600 tokens
# The request: the handbook's example, plus user_id when the package was trained with it.
python3 - "$HERE/serving/example.json" <<'PY' >body.json
import json, sys
row = json.load(open(sys.argv[1]))
if "user_id" in open("model/MLmodel").read():
    row["user_id"] = "user_000001"
print(json.dumps(row))
PY

# measure BINARY SCHEME TOKEN ARGS...: one measurement; prints "req/s p99_us".
measure() {
  local binary=$1 scheme=$2 token=$3
  shift 3
  rm -f serve.log  # the background job truncates it later than the grep below may read it
  "$binary" serve model --port 0 --threads "$THREADS" "$@" >serve.log 2>&1 &
  server=$!
  local url=""
  for _ in $(seq 1 200); do
    url=$(grep -o "$scheme://127.0.0.1:[0-9]*" serve.log | head -1 || true)
    [ -n "$url" ] && break
    sleep 0.05
  done
  [ -n "$url" ] || die "plinth serve did not start: $(cat serve.log)"
  export BODY_FILE=$W/body.json AUTH_TOKEN=$token
  wrk -t2 -c"$CONNECTIONS" -d"${WARMUP}s" -s "$HERE/serving/post.lua" "$url/predict" >/dev/null
  local t0 t1
  t0=$(awk '{print $14 + $15}' "/proc/$server/stat")
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$HERE/serving/post.lua" "$url/predict" >wrk.out
  t1=$(awk '{print $14 + $15}' "/proc/$server/stat")
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
  local n us p99 bad
  n=$(awk '/^BENCH requests/{print $3}' wrk.out); us=$(awk '/^BENCH duration_us/{print $3}' wrk.out)
  p99=$(awk '/^BENCH p99_us/{print $3}' wrk.out); bad=$(awk '/^BENCH non200/{print $3}' wrk.out)
  [ "$bad" = 0 ] || die "$bad answers were not 200: $(grep first_bad wrk.out)"
  awk -v n="$n" -v us="$us" -v p="$p99" -v ticks=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" \
    'BEGIN{printf "%.0f %d %.1f\n", n/(us/1e6), p, ticks * 1e6 / hz / n}'
}

rows=(http https token)
[ -z "$PLINTH_BEFORE" ] || rows=(before "${rows[@]}")
declare -A results
for round in $(seq 1 "$ROUNDS"); do
  for row in "${rows[@]}"; do
    case $row in
      before) r=$(measure "$PLINTH_BEFORE" http "") ;;
      http) r=$(measure "$PLINTH" http "") ;;
      https) r=$(measure "$PLINTH" https "" --tls-cert cert.pem --tls-key key.pem) ;;
      token) r=$(measure "$PLINTH" https "$(cat tokens)" --tls-cert cert.pem --tls-key key.pem \
        --auth-token-file tokens) ;;
    esac
    echo "bench: round $round $row: $r (req/s, p99 us, server CPU us per request)" >&2
    results[$row]+="$r;"
  done
done
python3 - "$CONNECTIONS" "${rows[@]}" <<PY
import statistics, sys
conns, rows = sys.argv[1], sys.argv[2:]
raw = {$(for row in "${rows[@]}"; do printf '"%s": "%s", ' "$row" "${results[$row]}"; done)}
med = {}
print(f"plinth serve, {conns} connections, median of each row's rounds")
print(f"{'row':<8}{'req/s':>10}{'p99 ms':>9}{'CPU us/req':>12}")
for row in rows:
    pts = [tuple(map(float, p.split())) for p in raw[row].split(";") if p]
    med[row] = [statistics.median(p[i] for p in pts) for i in range(3)]
    print(f"{row:<8}{med[row][0]:>10.0f}{med[row][1] / 1000:>9.2f}{med[row][2]:>12.1f}")
print("ratios of req/s, and of server CPU per request (the steadier one on a busy machine):")
pairs = [("http", "before", "plain HTTP against the earlier build")] if "before" in med else []
pairs += [("https", "http", "TLS"), ("token", "https", "bearer token check")]
for a, b, what in pairs:
    print(f"  {a}/{b:<7} req/s {med[a][0] / med[b][0]:.3f}  CPU {med[a][2] / med[b][2]:.3f}  ({what})")
PY
