#!/usr/bin/env bash
# GET /docs in a real browser with no network: it lists every endpoint of /openapi.json, shows
# the signature with its constraints, and its "Send" button scores the input example.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
export OMP_WAIT_POLICY=PASSIVE
export NODE_PATH="$PLINTH_SOURCE/node_modules"
new_repo
trap 'stop_servers; rm -rf "$SCRATCH"' EXIT
train_fraud_model
start_server serve.log model
report=$(node "$PLINTH_SOURCE/tests/e2e/serve_docs.js" "$URL" "$SCRATCH/docs.png")
curl -s "$URL/openapi.json" >openapi.json
"$PYTHON" - "$report" openapi.json <<'PY' || fail "/docs renders the API: $report"
import json, sys
r = json.loads(sys.argv[1])
spec = json.load(open(sys.argv[2]))
assert r["external"] == [], r["external"]
expected = [p for p, item in spec["paths"].items() for _ in item]
assert r["operations"] == expected, (r["operations"], expected)
fields = {f[0]: f for f in r["fields"]}
assert list(fields) == spec["components"]["schemas"]["ModelInput"]["required"], fields
assert fields["hour_of_day"][1] == "integer" and fields["hour_of_day"][2] == "\u2265 0, \u2264 23", fields
assert fields["amount"][2] == "> 0", fields
assert "online" in fields["merchant_category"][3], fields
assert r["status"].startswith("200"), r["status"]
assert set(r["result"]) == {"is_fraud", "fraud_probability", "model_version"}, r["result"]
PY
[ "$(stat -c %s "$SCRATCH/docs.png")" -gt 10000 ] || fail "the screenshot is empty"
finish
