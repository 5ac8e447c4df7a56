#!/usr/bin/env bash
# The online feature store against Feast itself: the same repository (Feast's Python definitions
# and Plinth's YAML ones over the same files) materialized by `feast materialize` and by
# `plinth features materialize`, then the same requests to `feast serve` and to
# `plinth features serve` give the same JSON — with SQLite and with a real Redis. Also: the
# strictly-newer write rule, pushes, Redis going away mid-serve (503, then recovery), Redis
# down at start, a killed materialization that resumes, and bad requests.
source "$(dirname "$0")/lib.sh"
need_tools
new_repo
PLINTH_SOURCE=${PLINTH_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
HERE=$PLINTH_SOURCE/tests/e2e
START=2025-01-03T00:00:00
END=2025-01-15T00:00:00

pids=()
redis_pid=""
cleanup() {
  for p in "${pids[@]}" $redis_pid; do kill "$p" 2>/dev/null || true; done
  chmod -R u+w "$SCRATCH" 2>/dev/null
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

mkdir -p fs/data && cd fs
cat > feature_store.yaml <<YAML
project: shop
registry: data/registry.db
provider: local
online_store:
  type: sqlite
  path: data/online.db
offline_store:
  type: file
entity_key_serialization_version: 3
YAML
cat > features.yaml <<'YAML'
kind: Entity
name: user
join_keys: [user_id]
value_type: Int64
---
kind: FileSource
name: stats_src
path: data/user_stats.parquet
timestamp_field: event_timestamp
created_timestamp_column: created
---
kind: PushSource
name: stats_push
batch_source: stats_src
---
kind: FileSource
name: profile_src
path: data/user_profile.parquet
timestamp_field: event_timestamp
---
kind: FeatureView
name: user_stats
entities: [user]
ttl: 30d
source: stats_push
schema:
  - {name: amount, dtype: Float64}
  - {name: tx_count, dtype: Int64}
  - {name: city, dtype: String}
  - {name: vip, dtype: Bool}
---
kind: FeatureView
name: user_profile
entities: [user]
ttl: 0
source: profile_src
schema:
  - {name: age, dtype: Int64}
---
kind: FeatureService
name: scoring
features: ["user_stats:amount", "user_stats:city", "user_profile"]
YAML

# Feast: data, apply, materialize (one interpreter start), then its server.
"$TOOLS_PYTHON" "$HERE/features_online_feast.py" "$PWD" 7 "$START" "$END" >"$SCRATCH/feast.log" 2>&1 ||
  { cat "$SCRATCH/feast.log" >&2; fail "feast apply/materialize failed"; finish; }
FEAST_PORT=$(free_port)
"$TOOLS_BIN/feast" serve -p "$FEAST_PORT" >"$SCRATCH/feast-serve.log" 2>&1 &
pids+=($!)

# Plinth over the same folder (its tables are apart from Feast's in data/online.db).
"$PLINTH" features apply -q >/dev/null
"$PLINTH" features materialize "$START" "$END" --json >"$SCRATCH/mat.json"
expect_contains "$(cat "$SCRATCH/mat.json")" '"view": "user_stats"' "materialize reports the view"

wait_port() {  # PORT LOG
  for _ in $(seq 1 600); do
    (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.5
  done
  fail "server on port $1 did not start: $(tail -5 "$2")"
  finish
}
PLINTH_PORT=$(free_port)
"$PLINTH" features serve -p "$PLINTH_PORT" >"$SCRATCH/plinth-serve.log" 2>&1 &
pids+=($!)
wait_port "$PLINTH_PORT" "$SCRATCH/plinth-serve.log"

# Requests: feature lists across both views, the service, full names, missing and repeated
# entities, ids given as strings.
"$PYTHON" - >"$SCRATCH/requests.json" <<'PY'
import json, random
rng = random.Random(11)
reqs = []
for i in range(40):
    ids = [rng.randint(0, 420) for _ in range(rng.randint(1, 12))]
    feats = rng.sample(["user_stats:amount", "user_stats:tx_count", "user_stats:city",
                        "user_stats:vip", "user_profile:age"], rng.randint(1, 5))
    reqs.append({"path": "/get-online-features",
                 "body": {"features": feats, "entities": {"user_id": ids},
                          "full_feature_names": i % 3 == 0}})
reqs.append({"path": "/get-online-features",
             "body": {"feature_service": "scoring", "entities": {"user_id": list(range(0, 400, 7))}}})
reqs.append({"path": "/get-online-features",
             "body": {"feature_service": "scoring", "entities": {"user_id": [5, 5, 6]},
                      "full_feature_names": True}})
reqs.append({"path": "/get-online-features",
             "body": {"features": ["user_stats:amount"], "entities": {"user_id": ["17", "18"]}}})
print(json.dumps(reqs))
PY
wait_port "$FEAST_PORT" "$SCRATCH/feast-serve.log"
FEAST=http://127.0.0.1:$FEAST_PORT
PLINTH_URL=http://127.0.0.1:$PLINTH_PORT
out=$("$PYTHON" "$HERE/features_online_compare.py" "$FEAST" "$PLINTH_URL" "$SCRATCH/requests.json" 2>&1) ||
  fail "plinth (sqlite) and feast serve differ: $out"
expect_contains "$out" "43/43 requests answered identically" "sqlite: every request identical"

# Pushes of newer rows reach both; afterwards the reads are identical again.
push='{"push_source_name": "stats_push", "to": "online", "df": {"user_id": [3, 4, 1000],
  "amount": [1.25, null, 9.5], "tx_count": [7, 8, 9], "city": ["brest", "lyon", null],
  "vip": [true, false, true],
  "event_timestamp": ["2025-03-01T00:00:00.000000Z", "2025-03-02T00:00:00.000000Z", "2025-03-03T00:00:00.000000Z"],
  "created": ["2025-03-01T00:00:00.000000Z", "2025-03-01T00:00:00.000000Z", "2025-03-01T00:00:00.000000Z"]}}'
for url in "$FEAST" "$PLINTH_URL"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' -d "$push" "$url/push")
  expect_eq "$code" 200 "push to $url"
done
echo '[{"path": "/get-online-features", "body": {"features": ["user_stats:amount", "user_stats:city", "user_stats:vip", "user_profile:age"], "entities": {"user_id": [3, 4, 1000, 2]}}}]' >"$SCRATCH/after-push.json"
out=$("$PYTHON" "$HERE/features_online_compare.py" "$FEAST" "$PLINTH_URL" "$SCRATCH/after-push.json" 2>&1) ||
  fail "after a push, plinth and feast differ: $out"

# The write rule: an older row never overwrites a newer one (Feast's SQLite store would).
read_amount() {  # URL ID
  curl -s -H 'content-type: application/json' -d "{\"features\": [\"user_stats:amount\"], \"entities\": {\"user_id\": [$2]}}" "$1/get-online-features" |
    "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["results"][1]["values"][0])'
}
old='{"push_source_name": "stats_push", "df": {"user_id": [3], "amount": [-1.0], "tx_count": [0], "city": ["old"], "vip": [false], "event_timestamp": ["2024-06-01T00:00:00Z"]}}'
curl -s -o /dev/null -H 'content-type: application/json' -d "$old" "$PLINTH_URL/push"
expect_eq "$(read_amount "$PLINTH_URL" 3)" "1.25" "an older pushed row does not overwrite a newer one"

# Bad requests: named, 4xx, nothing written.
code_of() { curl -s -o "$SCRATCH/body" -w '%{http_code}' -H 'content-type: application/json' -d "$2" "$PLINTH_URL$1"; }
expect_eq "$(code_of /get-online-features '{"features": ["user_stats:nope"], "entities": {"user_id": [1]}}')" 404 "unknown feature"
expect_contains "$(cat "$SCRATCH/body")" "nope" "the unknown feature is named"
expect_eq "$(code_of /get-online-features '{"features": ["user_stats:amount"], "entities": {"driver": [1]}}')" 422 "missing join key"
expect_contains "$(cat "$SCRATCH/body")" "user_id" "the missing join key is named"
expect_eq "$(code_of /push '{"push_source_name": "stats_push", "df": {"user_id": [3], "amount": [5.0]}}')" 422 "push without the event time"
expect_contains "$(cat "$SCRATCH/body")" "event_timestamp" "the missing column is named"
expect_eq "$(code_of /push '{"push_source_name": "stats_push", "df": {"user_id": [3], "amount": ["x"], "tx_count": [1], "city": ["a"], "vip": [true], "event_timestamp": ["2026-01-01T00:00:00Z"]}}')" 422 "push with a wrongly typed value"
expect_contains "$(cat "$SCRATCH/body")" "df.amount[0]" "the bad value is named"
expect_eq "$(read_amount "$PLINTH_URL" 3)" "1.25" "a rejected push writes nothing"
expect_eq "$(code_of /push '{"push_source_name": "nope", "df": {"user_id": [3]}}')" 422 "unknown push source"
expect_eq "$(code_of /push 'not json')" 422 "malformed push"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$PLINTH_URL/health")" 200 "health"
expect_contains "$(curl -s "$PLINTH_URL/metrics")" 'feature_server_requests_total{route="/get-online-features",status="200"}' "metrics"

# ---- Redis: the same reads from a real redis-server --------------------------------------
REDIS_PORT=$(free_port)
start_redis() {
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no >"$SCRATCH/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 1 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  fail "redis-server did not start"
}
mkdir -p ../fs-redis && cp -r features.yaml data ../fs-redis/ && rm -f ../fs-redis/data/online.db
cd ../fs-redis
printf 'project: shop\nregistry: data/registry.db\nonline_store:\n  type: redis\n  connection_string: "127.0.0.1:%s"\n' "$REDIS_PORT" >feature_store.yaml
"$PLINTH" features apply -q >/dev/null
expect_error 8 "127.0.0.1:$REDIS_PORT" "$PLINTH" features serve -p 0   # Redis down at start
start_redis
"$PLINTH" features materialize "$START" "$END" -q >/dev/null
REDIS_URL_PORT=$(free_port)
"$PLINTH" features serve -p "$REDIS_URL_PORT" >"$SCRATCH/plinth-redis.log" 2>&1 &
serve_pid=$!
pids+=($serve_pid)
wait_port "$REDIS_URL_PORT" "$SCRATCH/plinth-redis.log"
REDIS_URL=http://127.0.0.1:$REDIS_URL_PORT
# Feast has received the push since; compare with the requests before it on fresh ids only.
"$PYTHON" - "$SCRATCH/requests.json" >"$SCRATCH/requests-redis.json" <<'PY'
import json, sys
reqs = json.load(open(sys.argv[1]))
for r in reqs:
    ids = r["body"]["entities"]["user_id"]
    r["body"]["entities"]["user_id"] = [i for i in ids if str(i) not in ("3", "4", "1000")] or [1]
print(json.dumps(reqs))
PY
out=$("$PYTHON" "$HERE/features_online_compare.py" "$FEAST" "$REDIS_URL" "$SCRATCH/requests-redis.json" 2>&1) ||
  fail "plinth (redis) and feast serve differ: $out"
expect_contains "$out" "43/43 requests answered identically" "redis: every request identical"

# Redis goes away mid-serve: 503 with a reason, the server lives; Redis returns: 200 again.
kill "$redis_pid"; wait "$redis_pid" 2>/dev/null || true; redis_pid=""
req='{"features": ["user_stats:amount"], "entities": {"user_id": [1]}}'
expect_eq "$(curl -s -o "$SCRATCH/body" -w '%{http_code}' -H 'content-type: application/json' -d "$req" "$REDIS_URL/get-online-features")" 503 "Redis down: 503"
expect_contains "$(cat "$SCRATCH/body")" "Redis" "the 503 says why"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$REDIS_URL/health")" 503 "health says 503 while Redis is down"
kill -0 "$serve_pid" 2>/dev/null || fail "the feature server died when Redis went away"
start_redis
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' -d "$req" "$REDIS_URL/get-online-features")" 200 "Redis back: 200"
"$PLINTH" features materialize "$START" "$END" -q >/dev/null
out=$("$PYTHON" "$HERE/features_online_compare.py" "$FEAST" "$REDIS_URL" "$SCRATCH/requests-redis.json" 2>&1) ||
  fail "after Redis came back, plinth and feast differ: $out"

# ---- A killed materialization leaves whole batches and resumes ----------------------------
cd ../fs
"$PYTHON" - <<'PY'
import random
random.seed(3)
with open("data/big.csv", "w") as f:
    f.write("user_id,score,event_timestamp\n")
    for i in range(200000):
        f.write(f"{i},{random.random():.6f},2025-01-0{1 + i % 9}T00:00:00Z\n")
PY
cat > big.yaml <<'YAML'
kind: FileSource
name: big_src
path: data/big.csv
timestamp_field: event_timestamp
---
kind: FeatureView
name: big
entities: [user]
source: big_src
schema:
  - {name: score, dtype: Float64}
YAML
"$PLINTH" features apply -q >/dev/null
"$PLINTH" features materialize 2025-01-01T00:00:00 2025-01-31T00:00:00 --views big --batch-size 997 -q &
mat_pid=$!
count_rows() {
  "$PYTHON" -c 'import sqlite3; c=sqlite3.connect("data/online.db", timeout=30)
try: print(c.execute("select count(*) from plinth_shop_big").fetchone()[0])
except sqlite3.OperationalError: print(0)'
}
for _ in $(seq 1 400); do [ "$(count_rows)" -gt 0 ] && break; sleep 0.05; done
kill -9 "$mat_pid" 2>/dev/null || true
wait "$mat_pid" 2>/dev/null || true
partial=$(count_rows)
echo "killed materialization left $partial of 200000 rows"
[ $((partial % 997)) = 0 ] || [ "$partial" = 200000 ] || fail "a killed materialization left $partial rows, not whole batches of 997"
"$PLINTH" features materialize 2025-01-01T00:00:00 2025-01-31T00:00:00 --views big --batch-size 997 --json >"$SCRATCH/resume.json"
expect_eq "$(count_rows)" 200000 "the resumed materialization completes"
[ "$partial" = 200000 ] || expect_contains "$(cat "$SCRATCH/resume.json")" '"resumed_batches": '"$((partial / 997))" "resumes after the whole batches"
finish
