#!/usr/bin/env bash
# Windowed aggregations defined once: a randomised transaction stream is pushed event by event
# to `plinth features serve`; after each event the online aggregates (as of that event's time)
# must equal, exactly, what `plinth features historical` computes offline from the same events
# at the same timestamp — the handbook's training-serving skew, designed out.
source "$(dirname "$0")/lib.sh"
new_repo
serve_pid=""
trap '[ -z "$serve_pid" ] || kill "$serve_pid" 2>/dev/null; rm -rf "$SCRATCH"' EXIT

mkdir -p fs/data && cd fs
printf 'project: fraud\nregistry: data/registry.db\nonline_store:\n  type: sqlite\n  path: data/online.db\n' >feature_store.yaml
# Events: strictly increasing times in whole 10-minute steps (so events fall exactly on window
# edges), a few users, some amounts missing.
"$PYTHON" - <<'PY'
import json, random
rng = random.Random(2024)
t = 1735689600  # 2025-01-01T00:00:00Z
events = []
for i in range(300):
    t += 600 * rng.choice([0.1, 1, 1, 2, 3, 6, 12, 30]) if i else 0
    t = int(t)
    amount = None if rng.random() < 0.1 else round(rng.uniform(1, 500), 2)
    events.append({"user_id": rng.randint(1, 6), "amount": amount, "ts": t})
from datetime import datetime, timezone
iso = lambda s: datetime.fromtimestamp(s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
with open("data/tx.csv", "w") as f:
    f.write("user_id,amount,event_timestamp\n")
    for e in events:
        f.write(f'{e["user_id"]},{"" if e["amount"] is None else e["amount"]},{iso(e["ts"])}\n')
with open("entities.csv", "w") as f:
    f.write("user_id,event_timestamp\n")
    for e in events:
        f.write(f'{e["user_id"]},{iso(e["ts"])}\n')
    for u in range(1, 7):  # every user as of the last event, for the materialized states
        f.write(f'{u},{iso(events[-1]["ts"])}\n')
json.dump([dict(e, iso=iso(e["ts"])) for e in events], open("events.json", "w"))
PY
cat > features.yaml <<'YAML'
kind: Entity
name: user
join_keys: [user_id]
---
kind: FileSource
name: tx_src
path: data/tx.csv
timestamp_field: event_timestamp
---
kind: PushSource
name: tx_push
batch_source: tx_src
---
kind: FeatureView
name: user_tx
entities: [user]
source: tx_push
schema:
  - {name: amount, dtype: Float64}
aggregations:
  - {function: count, window: 1h, name: tx_count_1h}
  - {function: count, column: amount, window: 1h, name: amount_count_1h}
  - {function: sum, column: amount, window: 1h, name: amount_sum_1h}
  - {function: mean, column: amount, window: 24h, name: amount_mean_24h}
  - {function: min, column: amount, window: 1h, name: amount_min_1h}
  - {function: max, column: amount, window: 7d, name: amount_max_7d}
  - {function: stddev, column: amount, window: 24h, name: amount_std_24h}
  - {function: last, column: amount, window: 1h, name: amount_last_1h}
YAML
"$PLINTH" features apply -q >/dev/null
FEATURES=user_tx:tx_count_1h,user_tx:amount_count_1h,user_tx:amount_sum_1h,user_tx:amount_mean_24h,user_tx:amount_min_1h,user_tx:amount_max_7d,user_tx:amount_std_24h,user_tx:amount_last_1h
"$PLINTH" features historical --entities entities.csv --features "$FEATURES" --out offline.csv -q

# An empty online store, then the stream.
rm -f data/online.db
PORT=$(free_port)
"$PLINTH" features serve -p "$PORT" >"$SCRATCH/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 200); do (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
out=$("$PYTHON" - "$PORT" "$FEATURES" <<'PY'
import csv, json, sys, urllib.request
port, features = sys.argv[1], sys.argv[2].split(",")
def post(path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        text = r.read().decode()
        return json.loads(text) if text else None
events = json.load(open("events.json"))
offline = list(csv.DictReader(open("offline.csv")))
bad = 0
for i, e in enumerate(events):
    post("/push", {"push_source_name": "tx_push", "to": "online",
                   "df": {"user_id": [e["user_id"]], "amount": [e["amount"]], "event_timestamp": [e["iso"]]}})
    got = post("/get-online-features", {"features": features, "entities": {"user_id": [e["user_id"]]},
                                        "as_of": e["iso"]})
    names = got["metadata"]["feature_names"]
    for f in features:
        name = f.split(":")[1]
        online = got["results"][names.index(name)]["values"][0]
        text = offline[i][name]
        want = None if text == "" else float(text)
        if online != want:  # exact: the same double, or both null
            bad += 1
            if bad <= 5:
                print(f"event {i} user {e['user_id']} at {e['iso']}: {name} online {online!r} offline {want!r}")
print(f"{len(events)} events, {bad} differences")
PY
)
expect_contains "$out" "300 events, 0 differences" "online aggregates equal the offline ones after every event"
echo "$out" | tail -3
# Materializing the same events from the file builds the same states: as of the last event,
# every user's aggregates equal the offline ones.
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true
rm -f data/online.db
last=$("$PYTHON" -c 'import json; print(json.load(open("events.json"))[-1]["iso"])')
"$PLINTH" features materialize 2025-01-01T00:00:00 "$last" -q
"$PLINTH" features serve -p "$PORT" >"$SCRATCH/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 200); do (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
out=$("$PYTHON" - "$PORT" "$FEATURES" "$last" <<'PY'
import csv, json, sys, urllib.request
port, features, last = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
body = {"features": features, "entities": {"user_id": [1, 2, 3, 4, 5, 6]}, "as_of": last}
req = urllib.request.Request(f"http://127.0.0.1:{port}/get-online-features", data=json.dumps(body).encode(),
                             headers={"Content-Type": "application/json"})
got = json.load(urllib.request.urlopen(req))
names = got["metadata"]["feature_names"]
offline = list(csv.DictReader(open("offline.csv")))[-6:]
bad = 0
for f in features:
    name = f.split(":")[1]
    for u in range(6):
        want = None if offline[u][name] == "" else float(offline[u][name])
        bad += got["results"][names.index(name)]["values"][u] != want
print(f"materialized: {bad} differences")
PY
)
expect_eq "$out" "materialized: 0 differences" "materialized window states equal the offline aggregates"
# Nothing stays alive from months ago: as of now every 1h count is 0 (bounded state).
now=$(curl -s -H 'content-type: application/json' -d '{"features": ["user_tx:tx_count_1h"], "entities": {"user_id": [1]}}' "http://127.0.0.1:$PORT/get-online-features")
expect_contains "$now" '"values":[0]' "as of now the 1h count of an old stream is 0"
finish
