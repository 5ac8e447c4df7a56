#!/usr/bin/env bash
# plinth exp: run with -S, show (JSON, CSV, sort), diff, apply, branch, remove; each
# experiment a tracked run; the queue run with -j 2 overlaps experiments; two --run-all at once
# run each queued experiment exactly once; a failing stage fails its experiment (FAILED run
# with exit code and log tail) while the others finish; bad -S entries are refused, naming
# what is wrong, before anything is written; Ctrl-C puts interrupted experiments back in the
# queue.
source "$(dirname "$0")/lib.sh"
new_repo
export RUNLOG=$SCRATCH/runs.log TIMES=$SCRATCH/times.log
: >"$RUNLOG"
cat >params.yaml <<'YAML'
train:
  lr: 0.1
  sleep: 0
  fail: 0
YAML
# Logs its experiment's name, its start and end (ms), sleeps, and fails on demand.
cat >train.sh <<'SH'
get() { awk -v k="$1:" '$1 == k {print $2}' params.yaml; }
echo "$PLINTH_EXP_NAME" >>"$RUNLOG"
echo "$PLINTH_EXP_NAME start $(date +%s%3N)" >>"$TIMES"
sleep "$(get sleep)"
echo "$PLINTH_EXP_NAME end $(date +%s%3N)" >>"$TIMES"
[ "$(get fail)" = 0 ] || { echo "training diverged" >&2; exit 3; }
awk -v lr="$(get lr)" 'BEGIN {printf "{\"acc\": %.2f}\n", lr * 2}' >metrics.json
SH
"$PLINTH" stage add -n train -d train.sh -p train -M metrics.json sh train.sh >/dev/null
"$PLINTH" repro >/dev/null
git add -A && git commit -qm baseline && : >"$RUNLOG"

# One experiment: applied to the workspace, a ref, a tracked run with system metrics.
"$PLINTH" exp run -S train.lr=0.3 -n fast --system-metrics-interval 0.2 >"$SCRATCH/out"
expect_contains "$(cat "$SCRATCH/out")" "Ran experiment(s): fast" "exp run output"
expect_eq "$(cat metrics.json)" '{"acc": 0.60}' "exp run applies its results to the workspace"
base=$(git rev-parse HEAD)
expect_eq "$(git for-each-ref --format='%(refname)' refs/exps)" "refs/exps/${base:0:2}/${base:2}/fast" "the experiment's ref"
run=$(sed -n 's/^Tracked as run //p' "$SCRATCH/out")
"$PLINTH" runs show "$run" --json >"$SCRATCH/run.json"
"$PYTHON" - "$SCRATCH/run.json" "$base" >"$SCRATCH/run.txt" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
params = {p["key"]: p["value"] for p in run["data"]["params"]}
metrics = {m["key"]: m["value"] for m in run["data"]["metrics"]}
inputs = [d["dataset"]["name"] for d in run["inputs"]["dataset_inputs"]]
print(run["info"]["status"], run["info"]["run_name"], tags["mlflow.source.git.commit"] == sys.argv[2],
      params["train.lr"], metrics["acc"], inputs, "system/cpu_utilization_percentage" in metrics)
PY
expect_eq "$(cat "$SCRATCH/run.txt")" "FINISHED fast True 0.3 0.6 ['train.sh'] True" \
  "the experiment's run: status, name, baseline commit, params, metrics, data md5s, system metrics"
git checkout -q -- .

# Queue three; --run-all -j 2 runs them two at a time (the stages overlap).
for lr in 0.2 0.4 0.5; do "$PLINTH" exp run --queue -S train.lr=$lr -S train.sleep=1 -n "q$lr" >/dev/null; done
expect_eq "$("$PLINTH" exp show --queue | awk '{print $1}' | tr '\n' ' ')" "q0.2 q0.4 q0.5 " "exp show --queue"
: >"$TIMES"
"$PLINTH" exp run --run-all -j 2 >"$SCRATCH/out"
expect_contains "$(cat "$SCRATCH/out")" "Ran experiment(s): " "run-all output"
overlap=$("$PYTHON" - "$TIMES" <<'PY'
import sys
t = {}
for line in open(sys.argv[1]):
    name, what, ms = line.split()
    t.setdefault(name, {})[what] = int(ms)
s = sorted(t.values(), key=lambda x: x["start"])
print(any(b["start"] < a["end"] for a, b in zip(s, s[1:])))
PY
)
expect_eq "$overlap" "True" "-j 2 runs experiments at the same time"
expect_eq "$("$PLINTH" exp show --queue)" "No experiments in the queue." "the queue is empty afterwards"

# show: JSON values, sorting, CSV.
"$PLINTH" exp show --json >"$SCRATCH/show.json"
expect_eq "$("$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
print(" ".join("%s=%s" % (e["name"], e["revs"][0]["data"]["metrics"]["metrics.json"]["data"]["acc"])
               for e in sorted(doc[1]["experiments"], key=lambda e: e["name"])))' "$SCRATCH/show.json")" \
  "fast=0.6 q0.2=0.4 q0.4=0.8 q0.5=1.0" "exp show --json: every experiment's metrics"
expect_eq "$("$PLINTH" exp show --csv --sort-by acc --sort-order desc | tr -d '\r' | cut -d, -f1,6 | tail -4 | tr '\n' ' ')" \
  "q0.5,1.0 q0.4,0.8 fast,0.6 q0.2,0.4 " "exp show --csv --sort-by acc --sort-order desc"
expect_error 2 "--sort-by 'nope' is not a metric or param; the columns are: acc, train.lr, train.sleep, train.fail" \
  "$PLINTH" exp show --sort-by nope

# diff, branch, apply, remove.
expect_eq "$("$PLINTH" exp diff fast q0.5 --json | compact_json)" \
  '{"metrics":{"metrics.json":{"acc":{"old":0.6,"new":1.0,"diff":0.4}}},"params":{"params.yaml":{"train.lr":{"old":0.3,"new":0.5,"diff":0.2},"train.sleep":{"old":0,"new":1,"diff":1}}}}' \
  "exp diff --json"
"$PLINTH" exp branch q0.4 tuned >/dev/null
expect_eq "$(git show tuned:metrics.json)" '{"acc": 0.80}' "exp branch: a git branch at the experiment"
expect_error 5 "git branch 'tuned' already exists" "$PLINTH" exp branch q0.2 tuned
"$PLINTH" exp apply q0.2 >/dev/null
expect_eq "$(cat metrics.json) $(awk '$1 == "lr:" {print $2}' params.yaml)" '{"acc": 0.40} 0.2' "exp apply"
git checkout -q -- .
"$PLINTH" exp remove fast q0.2 >/dev/null
expect_eq "$(git for-each-ref --format='%(refname:lstrip=4)' refs/exps | tr '\n' ' ')" "q0.4 q0.5 " "exp remove"
expect_error 3 "no experiment named 'fast' (experiments of HEAD: q0.4, q0.5)" "$PLINTH" exp apply fast

# Two --run-all at once: every queued experiment runs exactly once.
for i in 1 2 3 4 5 6; do "$PLINTH" exp run --queue -S train.lr=0.0$i -n "c$i" >/dev/null; done
: >"$RUNLOG"
"$PLINTH" exp run --run-all >"$SCRATCH/a.out" 2>&1 & a=$!
"$PLINTH" exp run --run-all >"$SCRATCH/b.out" 2>&1 & b=$!
wait $a; wait $b
expect_eq "$(sort "$RUNLOG" | tr '\n' ' ')" "c1 c2 c3 c4 c5 c6 " "two concurrent --run-all ran each experiment once"
expect_eq "$(git for-each-ref --format='%(refname:lstrip=4)' refs/exps | grep -c '^c')" "6" "six experiment refs"

# A failing stage: FAILED with its exit code and log tail; the other experiment still finishes.
# System metrics are sampled by default (every 10 s, and once at the end), as for repro and
# runs exec; --system-metrics-interval 0, kept in the queue, turns them off.
"$PLINTH" exp run --queue -S train.fail=1 -n broken --system-metrics-interval 0 >/dev/null
"$PLINTH" exp run --queue -S train.lr=0.7 -n fine >/dev/null
rc=0; "$PLINTH" exp run --run-all -j 2 >"$SCRATCH/out" 2>"$SCRATCH/err" || rc=$?
expect_eq "$rc" "1" "run-all exits 1 when an experiment failed"
expect_contains "$(cat "$SCRATCH/out")" "Experiment 'broken': FAILED (stage 'train', exit code 3)" \
  "the failure is reported with the stage and its own exit code"
expect_contains "$(cat "$SCRATCH/out")" "Experiment 'fine': FINISHED" "the other experiment finished"
expect_contains "$(cat "$SCRATCH/err")" "failed experiment(s): broken" "stderr names the failed experiment"
expect_eq "$(git for-each-ref --format='%(refname:lstrip=4)' refs/exps | grep -c -x 'broken')" "0" "no ref for a failed experiment"
"$PLINTH" runs list --json -e repo >"$SCRATCH/runs.json"
expect_eq "$("$PYTHON" -c '
import json, sys
runs = {r["info"]["run_name"]: r for r in json.load(open(sys.argv[1]))}
def system(r): return any(m["key"].startswith("system/") for m in r["data"]["metrics"])
r = runs["broken"]
tags = {t["key"]: t["value"] for t in r["data"]["tags"]}
print(r["info"]["status"], tags["plinth.exp.exit_code"], tags["plinth.exp.failed_stage"],
      "training diverged" in tags["plinth.exp.log_tail"], system(r), system(runs["fine"]))' "$SCRATCH/runs.json")" \
  "FAILED 3 train True False True" \
  "the failed experiment's run: FAILED, the stage's exit code, log tail; system metrics by default, none with 0"
rc=0; "$PLINTH" exp run -S train.fail=1 -n broken2 >/dev/null 2>"$SCRATCH/err" || rc=$?
expect_eq "$rc" "1" "a failing exp run exits 1"
expect_contains "$(cat "$SCRATCH/err")" "experiment 'broken2' failed (stage 'train', exit code 3)" \
  "exp run names the failed experiment, its stage and the stage's exit code"

# Ctrl-C during --run-all: the running experiments are stopped (KILLED, their processes gone)
# and go back to the queue with those not started yet.
"$PLINTH" exp run --queue -S train.sleep=30 -n slow1 >/dev/null
"$PLINTH" exp run --queue -S train.sleep=31 -n slow2 >/dev/null
# The slow stages' processes; only this test's count: the same test may run elsewhere at once.
our_sleeps() {
  local pid n=0
  for pid in $(pgrep -f 'sleep 3[01]'); do
    case "$(readlink "/proc/$pid/cwd" 2>/dev/null)" in "$SCRATCH"/*) n=$((n + 1)) ;; esac
  done
  echo $n
}
"$PLINTH" exp run --run-all >"$SCRATCH/out" 2>&1 & runner=$!
for _ in $(seq 100); do [ "$(our_sleeps)" -gt 0 ] && break; sleep 0.1; done
expect_eq "$(our_sleeps)" "1" "the first slow experiment's stage is running"
kill -INT $runner
rc=0; wait $runner || rc=$?
expect_eq "$rc" "130" "run-all interrupted exits 130"
expect_contains "$(cat "$SCRATCH/out")" "Experiment 'slow1': KILLED" "the running experiment is stopped"
expect_eq "$(our_sleeps)" "0" "no stage process is left running"
expect_eq "$("$PLINTH" exp show --queue | awk '{print $1}' | tr '\n' ' ')" "slow1 slow2 " "both are queued again"
"$PLINTH" exp remove --queue >/dev/null

# Bad -S entries: refused before anything is written or queued.
state=$(tree_state; git for-each-ref refs/exps | md5sum)
expect_error 2 "-S 'nope.yaml:a=1': params file 'nope.yaml' does not exist" "$PLINTH" exp run -S nope.yaml:a=1
expect_error 2 "-S 'train.lr': expected [file:]section.param=value" "$PLINTH" exp run -S train.lr
expect_error 2 "'train.lrr' is not a key of params.yaml; to add it, write '+train.lrr=...'" "$PLINTH" exp run --queue -S train.lrr=1
expect_error 2 "is a list of choices" "$PLINTH" exp run -S train.lr=0.1,0.2
expect_error 2 "'a b' cannot name an experiment" "$PLINTH" exp run -n 'a b'
expect_error 5 "experiment 'q0.4' already exists" "$PLINTH" exp run -n q0.4
expect_eq "$(tree_state; git for-each-ref refs/exps | md5sum)" "$state" "bad input changed nothing"
expect_eq "$("$PLINTH" exp show --queue)" "No experiments in the queue." "bad input queued nothing"
expect_eq "$(ls .dvc/tmp/exps 2>/dev/null | wc -l)" "0" "no experiment workspace is left behind"
finish
