#!/usr/bin/env bash
# Hot reload: `plinth serve models:/fraud-detector/Production` under a steady load sees a new
# version promoted and swaps to it with zero failed requests; once swapped it never answers
# with the old version again. A version that cannot load is refused and the old one stays.
# The same holds for an alias.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
export OMP_WAIT_POLICY=PASSIVE
new_repo
trap 'stop_servers; rm -rf "$SCRATCH"' EXIT
export PLINTH_TRACKING_URI="sqlite:///$WORK/mlruns.db"
train_fraud_model m1
"$PLINTH" -q train --data train.csv --target is_fraud --threads 1 --params params.yaml:train \
  --seed 9 --test-size 0.3 --out m2 >/dev/null
"$PLINTH" models register fraud-detector m1 >/dev/null
"$PLINTH" models register fraud-detector m2 >/dev/null
"$PLINTH" models transition fraud-detector 1 Production >/dev/null
"$PLINTH" models alias fraud-detector champion 1 >/dev/null

start_server stage.log models:/fraud-detector/Production --reload-interval 0.2
stage_url=$URL
start_server alias.log models:/fraud-detector@champion --reload-interval 0.2
alias_url=$URL

# load URL SECONDS OUT: 4 keep-alive clients post the handbook's request as fast as they can
# and write every answer's status and model_version, in order, one file per client.
load() {
  "$PYTHON" - "$@" <<'PY'
import http.client, json, sys, threading, time
url, seconds, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
host, port = url.split("//")[1].split(":")
body = json.dumps({"amount": 250.0, "merchant_category": "online", "hour_of_day": 3,
                   "day_of_week": 5, "transaction_velocity": 8, "distance_from_home": 120.5})
def client(k):
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    lines = []
    end = time.time() + seconds
    while time.time() < end:
        try:
            conn.request("POST", "/predict", body, {"Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read()
            lines.append(f"{r.status} {json.loads(data).get('model_version')}")
        except Exception as e:  # a failed request is recorded, never hidden
            lines.append(f"error {type(e).__name__}")
            conn = http.client.HTTPConnection(host, int(port), timeout=10)
    with open(f"{out}.{k}", "w") as f:
        f.write("\n".join(lines) + "\n")
threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
for t in threads: t.start()
for t in threads: t.join()
PY
}

# check_swap PREFIX FROM TO: every answer is a 200 from FROM, then from TO, never back.
check_swap() {
  "$PYTHON" - "$@" <<'PY'
import glob, sys
prefix, old, new = sys.argv[1:]
total = 0
for path in glob.glob(prefix + ".*"):
    lines = open(path).read().split()
    pairs = list(zip(lines[0::2], lines[1::2]))
    total += len(pairs)
    bad = [p for p in pairs if p[0] != "200"]
    assert not bad, (path, bad[:3])
    versions = [v for _, v in pairs]
    assert set(versions) <= {old, new}, set(versions)
    assert versions[0] == old and versions[-1] == new, (path, versions[0], versions[-1])
    first_new = versions.index(new)
    assert all(v == new for v in versions[first_new:]), path + ": went back to the old version"
assert total > 200, total
print(total)
PY
}

load "$stage_url" 3 answers_stage &
loader=$!
sleep 1
"$PLINTH" models transition fraud-detector 2 Production --archive-existing >/dev/null
wait "$loader"
n=$(check_swap answers_stage fraud-detector/1 fraud-detector/2) || fail "promotion under load: no failures, then the new version"
echo "stage: $n requests across the swap"
expect_contains "$(curl -s "$stage_url/metrics")" 'model_info{model="fraud-detector",version="2",engine="compiled"} 1' "model_info names version 2"
expect_contains "$(curl -s "$stage_url/metrics")" 'model_reloads_total{result="success"} 1' "one reload"
expect_contains "$(curl -s "$stage_url/health")" '"model_version":"fraud-detector/2"' "/health"

load "$alias_url" 2.5 answers_alias &
loader=$!
sleep 1
"$PLINTH" models alias fraud-detector champion 2 >/dev/null
wait "$loader"
check_swap answers_alias fraud-detector/1 fraud-detector/2 >/dev/null || fail "moving the alias under load"

# A version whose package cannot load: refused, counted, and version 2 keeps serving.
mkdir broken && cp m1/MLmodel broken/
"$PLINTH" models register fraud-detector broken >/dev/null
"$PLINTH" models transition fraud-detector 3 Production --archive-existing >/dev/null
for _ in $(seq 1 50); do
  case "$(curl -s "$stage_url/metrics")" in *'model_reloads_total{result="failure"}'*) break ;; esac
  sleep 0.1
done
expect_contains "$(curl -s "$stage_url/metrics")" 'model_reloads_total{result="failure"}' "a failed reload is counted"
expect_contains "$(curl -s "$stage_url/health")" '"model_version":"fraud-detector/2"' "and the old model stays"
expect_contains "$(cat stage.log)" "model reload failed, still serving fraud-detector/2" "and logged"
finish
