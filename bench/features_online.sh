#!/usr/bin/env bash
# Online feature store benchmarks: plinth against Feast 0.67 (the pinned real tool), measured
# in the same run over the same repository (Feast's Python definitions and Plinth's YAML ones
# over the same Parquet file).
#
#   (a) materializing ENTITIES entities x 10 features: `plinth features materialize` (SQLite,
#       Redis) vs `feast materialize` (Feast's SQLite online store). Target >= 10x.
#   (b) online reads of 10 features for one entity over HTTP, wrk -t1 -c8 for SECONDS each,
#       rounds interleaved: plinth features serve (SQLite, Redis) vs feast serve.
#       Targets: >= 20x Feast's requests per second, p99 <= 1 ms.
#
# Usage:  bench/features_online.sh           (Feast's materialize of 1M rows takes minutes)
# Environment: PLINTH [build/plinth], TOOLS_PYTHON [.venv-test/bin/python], ENTITIES [1000000],
#              SECONDS_PER_RUN [10], ROUNDS [2], BENCH_DIR [/tmp]. Needs wrk and redis-server.
set -euo pipefail
die() { echo "bench: error: $*" >&2; exit 1; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PLINTH=$(realpath "${PLINTH:-$ROOT/build/plinth}")
TOOLS_PYTHON=${TOOLS_PYTHON:-$ROOT/.venv-test/bin/python}
FEAST=$(dirname "$TOOLS_PYTHON")/feast
ENTITIES=${ENTITIES:-1000000}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
ROUNDS=${ROUNDS:-2}
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
command -v redis-server >/dev/null || die "redis-server is not installed"
[ -x "$TOOLS_PYTHON" ] || die "$TOOLS_PYTHON missing: run scripts/setup.sh"

WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/plinth-bench-features.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 1200); do (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.5; done; die "nothing listens on $1"; }
now() { date +%s.%N; }

mkdir -p "$WORK/repo/data" && cd "$WORK/repo"
REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 &
pids+=($!)
FEATURES=$(for i in $(seq 0 9); do printf '  - {name: f%d, dtype: Float64}\n' "$i"; done)
cat >feature_store.yaml <<YAML
project: bench
registry: data/registry.db
online_store: {type: sqlite, path: data/online.db}
YAML
cat >features.yaml <<YAML
kind: Entity
name: entity
join_keys: [entity_id]
---
kind: FileSource
name: src
path: data/features.parquet
timestamp_field: event_timestamp
---
kind: FeatureView
name: fv
entities: [entity]
source: src
schema:
$FEATURES
YAML
cat >defs.py <<'PY'
from feast import Entity, FeatureView, Field, FileSource
from feast.types import Float64
entity = Entity(name="entity", join_keys=["entity_id"])
src = FileSource(name="src", path="data/features.parquet", timestamp_field="event_timestamp")
fv = FeatureView(name="fv", entities=[entity], source=src,
                 schema=[Field(name=f"f{i}", dtype=Float64) for i in range(10)])
PY
echo "generating $ENTITIES entities x 10 features..."
"$TOOLS_PYTHON" - "$ENTITIES" <<'PY'
import sys, numpy as np, pandas as pd
n = int(sys.argv[1]); rng = np.random.default_rng(1)
df = pd.DataFrame({f"f{i}": rng.random(n) for i in range(10)})
df.insert(0, "entity_id", np.arange(n, dtype=np.int64))
df["event_timestamp"] = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 86400 * 30, n), unit="s")
df.to_parquet("data/features.parquet")
PY
"$FEAST" apply >/dev/null 2>&1 || die "feast apply failed"
"$PLINTH" features apply -q >/dev/null
START=2024-12-01T00:00:00; END=2025-03-01T00:00:00

# (a) materialize, interleaved: plinth sqlite, feast, plinth redis.
t=$(now); "$PLINTH" features materialize $START $END -q >/dev/null; p_sqlite=$(echo "$(now) - $t" | bc)
t=$(now); "$FEAST" materialize $START $END >/dev/null 2>&1 || die "feast materialize failed"; f_mat=$(echo "$(now) - $t" | bc)
mkdir -p ../redis && cp -r features.yaml data ../redis/ && rm -f ../redis/data/online.db
printf 'project: bench\nregistry: data/registry.db\nonline_store: {type: redis, connection_string: "127.0.0.1:%s"}\n' "$REDIS_PORT" >../redis/feature_store.yaml
t=$(now); "$PLINTH" features materialize $START $END -c ../redis -q >/dev/null; p_redis=$(echo "$(now) - $t" | bc)
printf '(a) materialize %d entities x 10 features: feast %.1f s | plinth sqlite %.2f s (%.0fx) | plinth redis %.2f s (%.0fx)\n' \
  "$ENTITIES" "$f_mat" "$p_sqlite" "$(echo "$f_mat / $p_sqlite" | bc -l)" "$p_redis" "$(echo "$f_mat / $p_redis" | bc -l)"

# (b) online reads.
FEAST_PORT=$(free_port); P_PORT=$(free_port); R_PORT=$(free_port)
"$FEAST" serve -p "$FEAST_PORT" >"$WORK/feast-serve.log" 2>&1 & pids+=($!)
"$PLINTH" features serve -p "$P_PORT" >/dev/null 2>&1 & pids+=($!)
"$PLINTH" features serve -p "$R_PORT" -c ../redis >/dev/null 2>&1 & pids+=($!)
wait_port "$P_PORT"; wait_port "$R_PORT"; wait_port "$FEAST_PORT"
cat >"$WORK/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
counter = 0
request = function()
  counter = counter + 1
  local id = (counter * 7919) % 1000
  local body = '{"features": ["fv:f0","fv:f1","fv:f2","fv:f3","fv:f4","fv:f5","fv:f6","fv:f7","fv:f8","fv:f9"], "entities": {"entity_id": [' .. id .. ']}}'
  return wrk.format(nil, "/get-online-features", nil, body)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.1f %.3f %.3f %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status + summary.errors.connect + summary.errors.timeout))
end
LUA
curl -s -H 'content-type: application/json' -d '{"features": ["fv:f0"], "entities": {"entity_id": [1]}}' "http://127.0.0.1:$FEAST_PORT/get-online-features" >/dev/null
declare -A rps p50 p99
for round in $(seq 1 "$ROUNDS"); do
  for target in feast:$FEAST_PORT sqlite:$P_PORT redis:$R_PORT; do
    name=${target%%:*}; port=${target#*:}
    line=$(wrk -t1 -c8 -d"${SECONDS_PER_RUN}s" -s "$WORK/post.lua" "http://127.0.0.1:$port" | grep RESULT)
    read -r _ r a b errors <<<"$line"
    echo "  round $round $name: $r req/s, p50 $a ms, p99 $b ms, errors $errors"
    rps[$name]=$(echo "${rps[$name]:-0} + $r / $ROUNDS" | bc -l)
    p50[$name]=$a; p99[$name]=$b
  done
done
for name in sqlite redis; do
  printf '(b) online read, 10 features, 1 entity, plinth %s: %.0f req/s vs feast %.0f req/s (%.0fx); last round p50 %s ms p99 %s ms (feast p50 %s ms p99 %s ms)\n' \
    "$name" "${rps[$name]}" "${rps[feast]}" "$(echo "${rps[$name]} / ${rps[feast]}" | bc -l)" "${p50[$name]}" "${p99[$name]}" "${p50[feast]}" "${p99[feast]}"
done
