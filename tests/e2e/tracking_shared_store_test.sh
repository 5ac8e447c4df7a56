#!/usr/bin/env bash
# Two plinth servers on one store (SQLite file, or PostgreSQL under with_postgres.sh), as when
# a team runs several: 8 clients on each create experiments, runs and models and log batches
# at once. Ids stay unique, version numbers count up without gaps, no point is lost.
source "$(dirname "$0")/tracking_lib.sh"
new_repo
backend=${PLINTH_TEST_POSTGRES_URI:-sqlite:///$SCRATCH/mlruns.db}
start_server "$backend"
first_pid=$server_pid first_api=$API
start_server "$backend"
trap 'kill "$first_pid" 2>/dev/null; stop_server; rm -rf "$SCRATCH"' EXIT
call POST "$API/registered-models/create" '{"name":"shared"}'

"$PYTHON" - "$first_api" "$API" >"$SCRATCH/ids" <<'PY' || fail "concurrent requests on two servers failed"
import json, sys, threading, urllib.request
apis = sys.argv[1:]
lock = threading.Lock()
out, errors = [], []
def post(api, rpc, body):
    req = urllib.request.Request(api + "/" + rpc, json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(req, timeout=60).read() or b"{}")
def client(c):
    api = apis[c % 2]
    try:
        for i in range(5):
            exp = post(api, "experiments/create", {"name": "e-%d-%d" % (c, i)})["experiment_id"]
            run = post(api, "runs/create", {"experiment_id": exp})["run"]["info"]["run_id"]
            post(api, "runs/log-batch", {"run_id": run, "metrics": [
                {"key": "m", "value": j, "timestamp": 1, "step": j} for j in range(200)]})
            v = post(api, "model-versions/create", {"name": "shared", "source": "runs:/%s/model" % run,
                                                     "run_id": run})["model_version"]["version"]
            with lock:
                out.append((exp, run, v))
    except Exception as e:
        errors.append(repr(e))
threads = [threading.Thread(target=client, args=(c,)) for c in range(16)]
for t in threads: t.start()
for t in threads: t.join()
for exp, run, v in out: print(exp, run, v)
if errors: print("\n".join(errors), file=sys.stderr); sys.exit(1)
PY
expect_eq "$(wc -l <"$SCRATCH/ids")" "80" "80 experiments, runs and versions made"
expect_eq "$(cut -d' ' -f1 "$SCRATCH/ids" | sort -u | wc -l)" "80" "experiment ids are unique"
expect_eq "$(cut -d' ' -f3 "$SCRATCH/ids" | sort -n | tr '\n' ' ')" "$(seq -s ' ' 1 80) " "versions 1..80, no gaps"
call POST "$API/experiments/search" '{"max_results":1000}'
expect_eq "$(field '.experiments | length')" "81" "both servers see every experiment (and Default)"
bad=0
while read -r _ run _; do
  call GET "$first_api/metrics/get-history?run_id=$run&metric_key=m&max_results=25000"
  [ "$(field '.metrics | length')" = 200 ] || bad=$((bad + 1))
done <"$SCRATCH/ids"
expect_eq "$bad" "0" "every run has its 200 points"
finish
