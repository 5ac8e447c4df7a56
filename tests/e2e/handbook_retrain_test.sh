#!/usr/bin/env bash
# The handbook example's CI workflow (examples/fraud-detection/.github/workflows/retrain.yml)
# works as written: a team's project with a git origin, a data remote and `plinth server`;
# new data is pushed; a fresh clone then runs every `run:` step of the workflow in order, as
# the runner would. Afterwards the origin holds a retrain commit with dvc.lock and metrics, the
# remote holds the new model, and the tracking server a new run and model version.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tracking_lib.sh"
need_tools
new_repo
trap 'stop_server; chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
EXAMPLE=$PLINTH_SOURCE/examples/fraud-detection
WORKFLOW=$EXAMPLE/.github/workflows/retrain.yml
# The runner's PATH: plinth and the pinned tools' environment (the stages' packages) first, as
# its activation script puts it (a link to its python alone would not see its packages).
bin=$SCRATCH/bin
mkdir -p "$bin" && ln -s "$PLINTH" "$bin/plinth"
export PATH="$bin:$(dirname "$TOOLS_PYTHON"):$PATH"

# The stages' requirements are the versions the tests run (pip would change nothing).
would=$("$TOOLS_PYTHON" -m pip install --dry-run --no-deps -r "$EXAMPLE/requirements.txt" 2>&1) ||
  fail "pip --dry-run on requirements.txt: $would"
case "$would" in *"Would install"*) fail "examples/fraud-detection/requirements.txt pins other versions than requirements-test.txt: $would" ;; esac

start_server
export MLFLOW_TRACKING_URI=$BASE

# The team's project: the example, its data tracked, a data remote and a git origin.
cp -r "$EXAMPLE/." .
"$PLINTH" -q demo-data fraud --rows 4000 --seed 1 --end now --out data/transactions.csv
"$PLINTH" -q add data/transactions.csv
"$PLINTH" -q remote add -d storage "$SCRATCH/remote"
"$PLINTH" -q repro -e fraud-detection >"$SCRATCH/first-repro.log" 2>&1 ||
  { cat "$SCRATCH/first-repro.log" >&2; fail "the first repro"; }
"$PLINTH" -q push
git add -A && git commit -qm "The fraud detector"
git init -q --bare --initial-branch=main "$SCRATCH/origin.git"
git remote add origin "$SCRATCH/origin.git" && git push -q origin HEAD:main
# New transactions arrive: the data change the workflow runs on.
"$PLINTH" -q demo-data fraud --rows 5000 --seed 2 --end now --out data/transactions.csv
"$PLINTH" -q add data/transactions.csv && "$PLINTH" -q push
git commit -qam "Add November's transactions" && git push -q origin HEAD:main
new_data_md5=$(sed -n 's/^- md5: //p' data/transactions.csv.dvc)

# The runner: a fresh clone, then every run: step of the workflow, in order, under bash -e.
git clone -q -b main "$SCRATCH/origin.git" "$SCRATCH/runner"
cd "$SCRATCH/runner"
export GITHUB_PATH=$SCRATCH/github_path PLINTH_DOWNLOAD_URL=http://127.0.0.1:9/unused
"$TOOLS_PYTHON" - "$WORKFLOW" "$SCRATCH/steps" <<'PY'
import os, sys, yaml
workflow = yaml.safe_load(open(sys.argv[1]))
os.makedirs(sys.argv[2])
steps = [s for s in workflow["jobs"]["retrain"]["steps"] if "run" in s]
for i, step in enumerate(steps):
    with open(os.path.join(sys.argv[2], f"{i:02d}.sh"), "w") as f:
        f.write(f"# {step['name']}\n{step['run']}")
PY
ran=0
for step in "$SCRATCH"/steps/*.sh; do
  if ! bash -e "$step" >"$step.log" 2>&1; then
    cat "$step.log" >&2
    fail "workflow step '$(head -1 "$step" | cut -c3-)' failed"
    break
  fi
  ran=$((ran + 1))
done
expect_eq "$ran" "$(ls "$SCRATCH"/steps/*.sh | wc -l)" "every run: step of retrain.yml ran"
expect_eq "$ran" 7 "the workflow's seven run: steps"
expect_contains "$(cat "$SCRATCH"/steps/03.sh.log)" "Tracked as run" "the repro step is tracked"

# The origin has the retrain commit with dvc.lock and metrics for the new data.
cd "$SCRATCH" && git clone -q "$SCRATCH/origin.git" check && cd check
expect_contains "$(git log -1 --format=%s)" "Retrain the fraud detector" "the retrain commit reached the origin"
expect_eq "$(git show --name-only --format= HEAD | sort | tr '\n' ' ')" "dvc.lock metrics.json " \
  "it commits dvc.lock and metrics.json"
expect_contains "$(cat dvc.lock)" "$new_data_md5" "dvc.lock records the new data"
# A teammate pulls exactly the model the workflow trained, from the remote.
"$PLINTH" -q pull || fail "pull after the workflow"
expect_eq "$("$PLINTH" status)" "Data and pipelines are up to date." "the pulled workspace matches dvc.lock"
normalized() { "$TOOLS_PYTHON" -c 'import json, sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))'; }
dvc_status=$("$TOOLS_BIN/dvc" status --json | normalized)
expect_eq "$dvc_status" "{}" "dvc status --json: the pulled workspace is up to date"
expect_eq "$("$PLINTH" status --json | normalized)" "$dvc_status" \
  "status --json agrees with dvc status --json on the pulled workspace"
[ -s model/model.onnx ] || fail "the retrained model came from the remote"
# The tracking server has the retrain run and a second version of the model.
"$TOOLS_PYTHON" - <<'PY' || fail "the tracking server records the retrain"
from mlflow import MlflowClient
c = MlflowClient()
versions = sorted(int(v.version) for v in c.search_model_versions("name='fraud-detector'"))
assert versions == [1, 2], versions
exp = c.get_experiment_by_name("fraud-detection")
runs = c.search_runs([exp.experiment_id])
trained = [r for r in runs if "train_loss" in r.data.metrics]
assert len(trained) == 2, [r.info.run_id for r in runs]
PY
finish
