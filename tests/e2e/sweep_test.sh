#!/usr/bin/env bash
# `plinth sweep` end to end: a W&B sweep file over a tiny pipeline whose metric is a known
# function of its params. Trials run in parallel (-j 2, overlap proved from the trials' own
# clocks), each is a child run the real MLflow client finds under the sweep's run, a failing
# trial is FAILED with its exit code and log tail while the others finish, --apply-best edits
# params.yaml in place, Hyperband stops the trial its rule says, and SIGINT stops the sweep
# cleanly with the finished trials kept.
source "$(dirname "$0")/tracking_lib.sh"
need_tools
new_repo
PY=$TOOLS_PYTHON
export PLINTH_TRACKING_URI="sqlite:///$SCRATCH/mlruns.db"
TIMES=$SCRATCH/times.log

# project DIR: a git repository with params.yaml and a one-stage pipeline running train.py,
# which logs the loss per step the way DVCLive does and then metrics.json.
project() {
  mkdir -p "$SCRATCH/$1" && cd "$SCRATCH/$1"
  git init -q && "$PLINTH" init -q
  cat >params.yaml <<'EOF'
# training settings
train:
  x: 0.0  # first input
  y: 0.0
  steps: 4
other: keep
EOF
  cat >train.py <<EOF
import json, os, sys, time
import yaml
p = yaml.safe_load(open("params.yaml"))["train"]
x, y = p["x"], p["y"]
with open("$TIMES", "a") as f:
    f.write(f"start {x} {y} {time.time()}\n")
loss = (x - 1) ** 2 + (y + 2) ** 2
os.makedirs("dvclive/plots/metrics", exist_ok=True)
with open("dvclive/plots/metrics/loss.tsv", "w") as f:
    f.write("step\tloss\n")
    for step in range(p["steps"]):
        # the curve ends at the loss; a bad trial (x = 9) is far above the others at every step
        f.write(f"{step}\t{loss + 0.05 * (p['steps'] - 1 - step)}\n")
        f.flush()
        time.sleep(0.3)
if x == 3.0 and y == 0.0:
    print("boom: x=3 with y=0 diverges", file=sys.stderr)
    sys.exit(3)
json.dump({"loss": loss}, open("metrics.json", "w"))
with open("$TIMES", "a") as f:
    f.write(f"end {x} {y} {time.time()}\n")
EOF
  cat >dvc.yaml <<EOF
stages:
  train:
    cmd: $PY train.py
    deps: [train.py]
    params: [train]
    metrics:
      - metrics.json:
          cache: false
EOF
  git add -A && git commit -qm baseline
}

# 1. Bad sweep files name the key and the allowed values; nothing is written.
project bad
before=$(tree_state)
printf 'method: grid\nparameters:\n  train.x: {distribution: unifrom, min: 0, max: 1}\n' >s1.yaml
expect_error 2 "parameters.train.x.distribution: 'unifrom' is not a distribution; use one of" \
  "$PLINTH" sweep s1.yaml
expect_contains "$(cat "$SCRATCH/err")" "log_uniform_values" "the allowed distributions"
printf 'method: bayesian\nparameters: {train.x: {values: [1]}}\n' >s2.yaml
expect_error 2 "s2.yaml: method: 'bayesian' is not allowed; use grid, random or bayes" \
  "$PLINTH" sweep s2.yaml
printf 'method: random\nmetric: {name: loss}\nparameters: {train.x: {min: 0.0, max: 1.0}}\n' >s3.yaml
expect_error 2 "pass --count N" "$PLINTH" sweep s3.yaml
printf 'method: grid\nparameters: {train.x: {values: [1]}}\nearly_terminate: {type: hyperband, min_iter: 2}\n' >s4.yaml
expect_error 2 "s4.yaml: metric: is missing; early_terminate needs the metric" "$PLINTH" sweep s4.yaml
expect_error 3 "nope.yaml" "$PLINTH" sweep nope.yaml
expect_eq "$(git for-each-ref refs/exps | wc -l)" 0 "no experiment from a bad sweep file"
rm s1.yaml s2.yaml s3.yaml s4.yaml
expect_eq "$(tree_state)" "$before" "a bad sweep file changes nothing"

# 2. A grid of 6 trials, two at a time; (3, 0) fails with exit code 3.
project grid
cat >sweep.yaml <<'EOF'
name: xy-grid
method: grid
metric: {name: loss, goal: minimize}
parameters:
  train.y: {values: [-2.0, 0.0]}
  train.x: {values: [0.0, 1.0, 3.0]}
EOF
rc=0
"$PLINTH" sweep sweep.yaml -j 2 --json --apply-best >out.json 2>board.txt || rc=$?
expect_eq "$rc" 0 "the sweep exits 0 when trials finished (one failing does not stop it)"
"$PY" - out.json "$TIMES" <<'EOF' >check.txt 2>&1 || fail "grid sweep: $(cat check.txt)"
import json, sys
out = json.load(open(sys.argv[1]))
trials = sorted(out["trials"], key=lambda t: t["number"])
# W&B's grid order: parameters sorted by name (train.x before train.y), the last fastest.
order = [(t["params"]["train.x"], t["params"]["train.y"]) for t in trials]
assert order == [(0.0, -2.0), (0.0, 0.0), (1.0, -2.0), (1.0, 0.0), (3.0, -2.0), (3.0, 0.0)], order
for t in trials:
    x, y = t["params"]["train.x"], t["params"]["train.y"]
    if (x, y) == (3.0, 0.0):
        assert t["status"] == "FAILED", t
        # the stage's own exit code, not repro's 1
        assert (t["exit_code"], t["failed_stage"]) == (3, "train"), t
        assert "boom: x=3 with y=0 diverges" in t["log_tail"], t["log_tail"]
        assert "exit code 3" in t["log_tail"], t["log_tail"]
    else:
        assert t["status"] == "FINISHED", t
        assert abs(t["metric"] - ((x - 1) ** 2 + (y + 2) ** 2)) < 1e-12, t
        assert t["steps"] == 4 or t["steps"] > 0, t  # per-step values were read while it ran
        assert t["run_id"], t
assert out["best"]["params"] == {"train.x": 1.0, "train.y": -2.0}, out["best"]
assert out["best"]["metric"] == 0.0
# Overlap: some two trials' processes ran at the same time (their own clocks).
starts, ends = {}, {}
for line in open(sys.argv[2]):
    kind, x, y, t = line.split()
    (starts if kind == "start" else ends)[(float(x), float(y))] = float(t)
spans = [(starts[k], ends[k]) for k in ends]
overlaps = sum(1 for i, a in enumerate(spans) for b in spans[i + 1:] if a[0] < b[1] and b[0] < a[1])
assert overlaps >= 2, ("trials did not overlap", spans)
print(out["run_id"])
EOF
sweep_run=$(tail -1 check.txt)
expect_eq "$(git for-each-ref refs/exps | wc -l)" 5 "each finished trial is an experiment under refs/exps"
expect_contains "$(cat board.txt)" "trial 6" "the live board (plain lines when not a terminal)"
expect_contains "$(cat board.txt)" "FAILED(3)" "the board shows the failed trial with its stage's exit code"
expect_eq "$(cat params.yaml)" "# training settings
train:
  x: 1.0  # first input
  y: -2.0
  steps: 4
other: keep" "--apply-best writes the best params, the file's comments and other keys kept"

# The real MLflow client sees the structure: the sweep's run and its six children.
start_server "$PLINTH_TRACKING_URI"
"$PY" - "$BASE" "$sweep_run" <<'EOF' >mlflow.txt 2>&1 || fail "MLflow client: $(tail -20 mlflow.txt)"
import sys
from mlflow import MlflowClient
client = MlflowClient(tracking_uri=sys.argv[1])
parent = client.get_run(sys.argv[2])
assert parent.info.status == "FINISHED", parent.info
assert parent.info.run_name == "xy-grid", parent.info.run_name
assert parent.data.tags["plinth.sweep"] == "true"
assert parent.data.metrics["loss"] == 0.0, parent.data.metrics
exp_ids = [e.experiment_id for e in client.search_experiments()]
children = client.search_runs(exp_ids, filter_string=f"tags.mlflow.parentRunId = '{sys.argv[2]}'")
assert len(children) == 6, len(children)
statuses = sorted(r.info.status for r in children)
assert statuses == ["FAILED"] + ["FINISHED"] * 5, statuses
failed = [r for r in children if r.info.status == "FAILED"][0]
tags = failed.data.tags
assert (tags["plinth.exp.exit_code"], tags["plinth.exp.failed_stage"]) == ("3", "train"), tags
for r in children:
    if r.info.status == "FINISHED":
        x, y = float(r.data.params["train.x"]), float(r.data.params["train.y"])
        assert abs(r.data.metrics["loss"] - ((x - 1) ** 2 + (y + 2) ** 2)) < 1e-12, r.data
    # every trial, the failed one too, has system metrics (sampled by default, once at its end)
    for key in ("system/cpu_utilization_percentage", "system/system_memory_usage_megabytes"):
        assert key in r.data.metrics, (key, r.info.status, sorted(r.data.metrics))
print("ok")
EOF
stop_server

# 3. Hyperband (min_iter 2, eta 2): two good trials finish, the third is far worse at step 2
#    and is stopped there, as W&B's rule says (its cut-off at a band is the int(n/eta)-th value).
project hyperband
sed -i 's/  steps: 4/  steps: 10/' params.yaml && git commit -qam "10 steps"
cat >sweep.yaml <<'EOF'
method: grid
metric: {name: loss}
early_terminate: {type: hyperband, min_iter: 2, eta: 2}
parameters:
  train.x: {values: [1.0, 1.1, 9.0]}
  train.y: {value: -2.0}
EOF
"$PLINTH" sweep sweep.yaml --json >out.json 2>board.txt || fail "hyperband sweep: $(cat board.txt)"
"$PY" - out.json <<'EOF' >check.txt 2>&1 || fail "hyperband: $(cat check.txt)"
import json, sys
trials = {t["params"]["train.x"]: t for t in json.load(open(sys.argv[1]))["trials"]}
for x in (1.0, 1.1):
    assert trials[x]["status"] == "FINISHED" and not trials[x]["early_stopped"], trials[x]
bad = trials[9.0]
assert bad["status"] == "KILLED" and bad["early_stopped"], bad
assert 2 <= bad["steps"] < 10, bad
EOF
expect_contains "$(cat board.txt)" "STOPPED: loss=64.4 (Hyperband, step" "the board says Hyperband stopped it"

# 4. SIGINT after the first trial finished: exit 130, the finished trial kept, the running one
#    stopped (KILLED), the sweep's run KILLED.
project sigint
printf 'method: grid\nmetric: {name: loss}\nparameters:\n  train.x: {values: [1.0, 2.0, 3.0, 4.0]}\n' >sweep.yaml
"$PLINTH" sweep sweep.yaml --json >out.json 2>board.txt &
pid=$!
for _ in $(seq 1 200); do grep -q "FINISHED" board.txt 2>/dev/null && break; sleep 0.05; done
sleep 0.3
kill -INT "$pid"
rc=0
start=$(date +%s)
wait "$pid" || rc=$?
expect_eq "$rc" 130 "SIGINT: the sweep exits 130"
[ $(($(date +%s) - start)) -le 5 ] || fail "the sweep took more than 5 s to stop"
"$PY" - out.json <<'EOF' >check.txt 2>&1 || fail "SIGINT: $(cat check.txt)"
import json, sys
out = json.load(open(sys.argv[1]))
assert out["interrupted"] is True
status = [t["status"] for t in sorted(out["trials"], key=lambda t: t["number"])]
assert status == ["FINISHED", "KILLED"], status
print(out["run_id"])
EOF
expect_eq "$(git for-each-ref refs/exps | wc -l)" 1 "the finished trial's experiment is kept"
expect_eq "$(ls .dvc/tmp/exps 2>/dev/null | wc -l)" 0 "no trial workspace is left behind"
expect_eq "$(git status --porcelain params.yaml)" "" "params.yaml untouched"
# 5. command: with W&B's macros instead of the pipeline; the command's own exit code is kept.
project command
cat >cmd.py <<'EOF2'
import json, sys
args = dict(a.split("=", 1) for a in sys.argv[1:])
lr = float(args["lr"])
json.dump({"loss": (lr - 0.01) ** 2, "argv": sys.argv[1:]}, open("metrics.json", "w"))
sys.exit(5 if args["opt"] == "bad" else 0)
EOF2
git add cmd.py && git commit -qm cmd
cat >sweep.yaml <<EOF2
method: random
metric: {name: loss}
program: cmd.py
command:
  - $PY
  - \${program}
  - \${args_no_hyphens}
parameters:
  lr: {distribution: log_uniform_values, min: 0.0001, max: 1.0}
  opt: {values: [good, bad]}
EOF2
"$PLINTH" sweep sweep.yaml --count 6 --seed 7 --json >out.json 2>board.txt
"$PY" - out.json <<'EOF2' >check.txt 2>&1 || fail "command sweep: $(cat check.txt)"
import json, sys
trials = json.load(open(sys.argv[1]))["trials"]
assert len(trials) == 6
assert {t["params"]["opt"] for t in trials} == {"good", "bad"}, trials
for t in trials:
    lr = t["params"]["lr"]
    assert 0.0001 <= lr <= 1.0
    if t["params"]["opt"] == "bad":
        assert t["status"] == "FAILED" and t["exit_code"] == 5, t
    else:
        assert t["status"] == "FINISHED" and abs(t["metric"] - (lr - 0.01) ** 2) < 1e-15, t
EOF2
first=$("$PLINTH" sweep sweep.yaml --count 3 --seed 7 --json 2>/dev/null | "$PY" -c \
  'import json,sys; print([t["params"] for t in sorted(json.load(sys.stdin)["trials"], key=lambda t: t["number"])])')
again=$("$PLINTH" sweep sweep.yaml --count 3 --seed 7 --json 2>/dev/null | "$PY" -c \
  'import json,sys; print([t["params"] for t in sorted(json.load(sys.stdin)["trials"], key=lambda t: t["number"])])')
expect_eq "$again" "$first" "--seed repeats the random search"
finish
