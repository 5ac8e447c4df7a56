#!/usr/bin/env bash
# The UI's drift page: a model served by `plinth serve` gets drifted traffic, and the page,
# given its URL, shows the same per-column verdicts as its /monitoring/drift (fetched through
# plinth server: the browser talks to no other origin); a URL that is not http(s) is refused
# with the server's message; a drift report logged as a run artifact is listed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
export OMP_WAIT_POLICY=PASSIVE NODE_PATH="$PLINTH_SOURCE/node_modules"
new_repo
tracking_pid=""
trap '[ -z "$tracking_pid" ] || kill "$tracking_pid"; stop_servers; rm -rf "$SCRATCH"' EXIT
train_fraud_model
"$PLINTH" -q demo-data fraud --rows 400 --seed 6 --shift amount=4 --out shifted.csv
start_server serve.log model --drift-window 400 --drift-min-rows 100
"$PYTHON" - "$URL" shifted.csv <<'PY' || fail "sending the drifted traffic"
import sys, urllib.request
url, path = sys.argv[1], sys.argv[2]
lines = open(path).read().splitlines()
for i in range(1, len(lines), 100):
    body = "\n".join([lines[0]] + lines[i:i + 100]).encode()
    req = urllib.request.Request(url + "/invocations", data=body, headers={"Content-Type": "text/csv"})
    assert urllib.request.urlopen(req).status == 200
PY
serving=$URL

port=$(free_port)
"$PLINTH" server --backend-store-uri "sqlite:///$SCRATCH/mlruns.db" --artifacts-destination "$SCRATCH/art" \
  --port "$port" >"$SCRATCH/tracking.log" 2>&1 &
tracking_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done
export MLFLOW_TRACKING_URI=http://127.0.0.1:$port
"$PLINTH" drift --reference model --current shifted.csv --html drift-report.html >/dev/null
"$PLINTH" runs start -e monitoring -n nightly-drift >/dev/null
"$PLINTH" artifacts log drift-report.html >/dev/null
"$PLINTH" runs end >/dev/null

curl -s "$serving/monitoring/drift" >live.json
report=$(node "$PLINTH_SOURCE/tests/e2e/ui_drift.js" "http://127.0.0.1:$port" "$serving" "$SCRATCH/drift.png") ||
  { fail "the browser walk failed: $report"; finish; }
"$PYTHON" - "$report" live.json <<'PY' || fail "the drift page shows the served model's drift: $report"
import json, sys
r = json.loads(sys.argv[1]); live = json.load(open(sys.argv[2]))
assert r["external"] == [], r["external"]
assert [row[0] for row in r["reports"]] == ["drift-report.html"] and r["reports"][0][1] == "nightly-drift", r["reports"]
assert "not an http(s) URL" in r["bad_url_error"], r["bad_url_error"]
shown = {row[0]: row[4] for row in r["live"]}
want = {k: "yes" if c["drifted"] else "no" for k, c in live["columns"].items()}
assert shown == want and want["amount"] == "yes", (shown, want)
assert ("Dataset drift detected" if live["dataset_drift"] else "No dataset drift") in r["live_summary"], r["live_summary"]
assert "monitoring=" in r["url"], r["url"]
PY
[ "$(stat -c %s "$SCRATCH/drift.png")" -gt 10000 ] || fail "the screenshot is empty"
finish
