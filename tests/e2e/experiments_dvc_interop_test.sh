#!/usr/bin/env bash
# Experiments between the real DVC (requirements-test.txt) and Plinth, both ways: on one
# repository DVC runs an experiment and Plinth runs another; `dvc exp show --json` and
# `plinth exp show --json` then list the same experiments (names, commits) with the same params,
# metrics and deps (the same --json document and --csv bytes); each tool applies the other's experiment to the same files.
source "$(dirname "$0")/dvc_lib.sh"

P=$SCRATCH/p
mkdir -p "$P" && cd "$P" && git init -q && dvc init -q
printf 'a,b\n1,2\n' >data.csv
cat >params.yaml <<'YAML'
train:
  lr: 0.1  # learning rate
  epochs: 3
seed: 1
YAML
# The stage reads its params with awk (no Python start-up) and writes a git-tracked metrics file.
cat >train.sh <<'SH'
lr=$(awk '$1 == "lr:" {print $2}' params.yaml)
ep=$(awk '$1 == "epochs:" {print $2}' params.yaml)
echo "model lr=$lr epochs=$ep" >model.txt
awk -v lr="$lr" -v ep="$ep" 'BEGIN {printf "{\"acc\": %.4f, \"loss\": %.4f}\n", lr * 2, 1 - lr / ep}' >metrics.json
SH
dvc stage add -q -n train -d train.sh -d data.csv -p train -o model.txt -M metrics.json sh train.sh
dvc repro -q
git add -A && git commit -qm baseline

dvc exp run -q -S train.lr=0.2 -n by-dvc >/dev/null
git checkout -q -- . # DVC applied its result to the workspace; start Plinth from the baseline
# A second apart, so the two tools agree on the order (newest first) without a tie.
sleep 1
"$PLINTH" exp run -S train.lr=0.35 -S train.epochs=5 -n by-plinth >"$SCRATCH/plinth.out"
expect_contains "$(cat "$SCRATCH/plinth.out")" "Ran experiment(s): by-plinth" "plinth exp run"

dvc exp show --json >"$SCRATCH/dvc.json"
"$PLINTH" exp show --json >"$SCRATCH/plinth.json"
# Each row (workspace, baseline, experiments) by name: commit, params, metrics, deps.
rows() {
  "$PYTHON" - "$1" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for top in doc:
    d = top["data"]
    print(top["name"] or top["rev"], top["rev"], json.dumps([d["params"], d["metrics"], d["deps"]], sort_keys=True))
    for exp in top["experiments"] or []:
        r = exp["revs"][0]
        print(r["name"], r["rev"], json.dumps([r["data"]["params"], r["data"]["metrics"], r["data"]["deps"]], sort_keys=True))
PY
}
expect_eq "$(rows "$SCRATCH/plinth.json" | sort)" "$(rows "$SCRATCH/dvc.json" | sort)" \
  "plinth exp show --json and dvc exp show --json list the same experiments and values"
expect_eq "$(compact_json <"$SCRATCH/plinth.json")" "$(compact_json <"$SCRATCH/dvc.json")" \
  "exp show --json: the same document, key order and all"
dvc exp show --csv >"$SCRATCH/dvc.csv"
"$PLINTH" exp show --csv >"$SCRATCH/plinth.csv"
same_file "$SCRATCH/plinth.csv" "$SCRATCH/dvc.csv" "exp show --csv"
expect_eq "$(rows "$SCRATCH/plinth.json" | awk '{print $1}' | tr '\n' ' ')" \
  "workspace master by-plinth by-dvc " "rows in DVC's order (newest experiment first)"
expect_contains "$(rows "$SCRATCH/dvc.json" | grep by-plinth)" '"lr": 0.35' "DVC reads Plinth's params"
expect_contains "$(rows "$SCRATCH/dvc.json" | grep by-plinth)" '"acc": 0.7' "DVC reads Plinth's metrics"

# The commit is DVC's shape: parent the baseline, the params kept with their comment.
base=$(git rev-parse HEAD)
commit=$(git rev-parse "refs/exps/${base:0:2}/${base:2}/by-plinth")
expect_eq "$(git rev-parse "$commit^")" "$base" "the experiment's parent is the baseline"
expect_eq "$(git show "$commit:params.yaml")" "$(printf 'train:\n  lr: 0.35  # learning rate\n  epochs: 5\nseed: 1')" \
  "params.yaml in the experiment commit keeps the user's layout"
expect_eq "$(git diff --name-only "$base" "$commit" | tr '\n' ' ')" "dvc.lock metrics.json params.yaml " \
  "the experiment commit changes what DVC's would"

# Each tool applies the other's experiment.
"$PLINTH" exp apply by-dvc >/dev/null
expect_eq "$(cat metrics.json)" '{"acc": 0.4000, "loss": 0.9333}' "plinth exp apply of DVC's experiment: metrics"
expect_eq "$(cat model.txt)" "model lr=0.2 epochs=3" "plinth exp apply of DVC's experiment: the cached output"
git checkout -q -- .
dvc exp apply by-plinth >/dev/null
expect_eq "$(cat model.txt)" "model lr=0.35 epochs=5" "dvc exp apply of Plinth's experiment: the output from the shared cache"
expect_eq "$(git diff --stat "$commit" -- params.yaml dvc.lock metrics.json)" "" "dvc exp apply of Plinth's experiment: the tracked files"
finish
