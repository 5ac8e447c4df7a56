#!/usr/bin/env bash
# Lineage from pipelines: `plinth repro -e EXP` records the execution as a run with the params it
# used, the metrics files' values, the git commit and every dependency's md5 from dvc.lock; a
# repro that runs nothing records nothing.
source "$(dirname "$0")/lib.sh"
new_repo
cp -r "$PLINTH_SOURCE/examples/pipeline/." .

git add -A >/dev/null && git commit -qm fixture
export PLINTH_TRACKING_URI="sqlite:///$SCRATCH/mlruns.db"
out=$("$PLINTH" repro -e fraud-pipeline)
run_id=$(echo "$out" | sed -n 's/^Tracked as run //p')
[ -n "$run_id" ] || fail "repro -e prints the run it recorded: $out"
"$PLINTH" runs show "$run_id" --json >run.json
"$PYTHON" - "$(git rev-parse HEAD)" <<'PY' || fail "the run records params, metrics, commit and deps"
import hashlib, json, re, sys
run = json.load(open("run.json"))
run = run.get("run", run)
params = {p["key"]: p["value"] for p in run["data"].get("params", [])}
metrics = {m["key"]: m["value"] for m in run["data"].get("metrics", [])}
tags = {t["key"]: t["value"] for t in run["data"].get("tags", [])}
assert params.get("train.n_estimators") == "100", params
assert metrics, "no metrics"
metrics_file = json.load(open("metrics.json"))
for k, v in metrics_file.items():
    if isinstance(v, (int, float)):
        assert metrics[k] == v, (k, metrics[k], v)
assert tags["mlflow.source.git.commit"] == sys.argv[1], tags
assert set(tags["plinth.stages_ran"].split(",")) >= {"train", "evaluate"}, tags
deps = {d["dataset"]["name"]: d["dataset"]["digest"] for d in run["inputs"]["dataset_inputs"]}
raw = hashlib.md5(open("data/raw.csv", "rb").read()).hexdigest()
assert deps["data/raw.csv"] == raw, deps
PY
before=$("$PLINTH" runs list -e fraud-pipeline --json | "$PYTHON" -c 'import json,sys; d=json.load(sys.stdin); print(len(d) if isinstance(d, list) else len(d.get("runs", [])))')
"$PLINTH" repro -e fraud-pipeline >/dev/null
after=$("$PLINTH" runs list -e fraud-pipeline --json | "$PYTHON" -c 'import json,sys; d=json.load(sys.stdin); print(len(d) if isinstance(d, list) else len(d.get("runs", [])))')
expect_eq "$after" "$before" "a repro that runs nothing records no run"
finish
