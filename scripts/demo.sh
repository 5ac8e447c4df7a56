#!/usr/bin/env bash
# `make demo`: the whole system as far as it exists, on generated fraud-detection data.
# Today: versioning data next to git, as DVC does (init, add, modify, status, diff, checkout),
# sharing it through a remote (push, pull), and a pipeline that reruns only what a changed
# param affects (repro, status, params/metrics diff, run-cache, plots).
set -euo pipefail

SOURCE=$(cd "$(dirname "$0")/.." && pwd)
PLINTH=${PLINTH:-$SOURCE/build/plinth}
DEMO=$(mktemp -d "${TMPDIR:-/tmp}/plinth-demo.XXXXXX")
trap 'chmod -R u+w "$DEMO"*; rm -rf "$DEMO" "$DEMO-nas" "$DEMO-teammate" "$DEMO-pipeline"' EXIT
export GIT_AUTHOR_NAME=demo GIT_AUTHOR_EMAIL=demo@example.invalid
export GIT_COMMITTER_NAME=demo GIT_COMMITTER_EMAIL=demo@example.invalid

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

# Card transactions with the handbook's columns; deterministic, about 2% fraud.
generate() {  # FILE ROWS SEED
  awk -v rows="$2" -v seed="$3" 'BEGIN {
    srand(seed)
    print "amount,merchant_category,hour_of_day,day_of_week,transaction_velocity,distance_from_home,is_fraud"
    split("grocery,gas,online,travel,restaurant,electronics", cat, ",")
    for (i = 0; i < rows; i++) {
      fraud = rand() < 0.02
      amount = fraud ? 500 + rand() * 6000 : 5 + rand() * 300
      hour = fraud ? int(rand() * 6) : int(rand() * 24)
      printf "%.2f,%s,%d,%d,%d,%.1f,%d\n", amount, cat[1 + int(rand() * 6)], hour,
             int(rand() * 7), fraud ? 5 + int(rand() * 10) : int(rand() * 4),
             fraud ? 100 + rand() * 900 : rand() * 30, fraud
    }
  }' >"$1"
}

cd "$DEMO"
step "A git repository becomes a Plinth (DVC) repository"
git init -q
run "$PLINTH" init

step "Track a dataset: monthly transaction files in data/"
mkdir data
for month in 01 02 03; do generate "data/transactions-2026-$month.csv" 20000 "$month"; done
run "$PLINTH" add data
run cat data.dvc
run cat .gitignore
git add -A && git commit -qm "Track transactions for Q1"

step "Nothing changed yet"
run "$PLINTH" status

step "April's data arrives and March is corrected"
generate data/transactions-2026-04.csv 20000 4
sed -i '2s/^[0-9.]*,/9999.99,/' data/transactions-2026-03.csv
run "$PLINTH" status
run "$PLINTH" diff

step "Oops: go back to the committed version"
run "$PLINTH" checkout --force
run "$PLINTH" status

step "Make it a new version instead"
generate data/transactions-2026-04.csv 20000 4
run "$PLINTH" add data
git add -A && git commit -qm "Add April transactions"
run "$PLINTH" diff HEAD~1 HEAD --show-hash

step "Travel back in time: the Q1 dataset, exactly"
run git checkout -q HEAD~1 -- data.dvc
run "$PLINTH" checkout
run ls data
run git checkout -q HEAD -- data.dvc
run "$PLINTH" checkout

step "Share it: push to a folder remote (a NAS), pull into a teammate's fresh clone"
run "$PLINTH" remote add -d nas "$DEMO-nas"
git add .dvc/config && git commit -qm "Configure the team's data remote"
run "$PLINTH" push
run "$PLINTH" status --cloud
git clone -q "$DEMO" "$DEMO-teammate"
cd "$DEMO-teammate"
run "$PLINTH" pull
run ls data
cd "$DEMO"

step "What the cache holds, and what gc would free"
run "$PLINTH" ls data
run "$PLINTH" gc --workspace --dry

step "A pipeline: the handbook's four stages (examples/pipeline)"
cp -r "$SOURCE/examples/pipeline" "$DEMO-pipeline"
cd "$DEMO-pipeline"
git init -q && "$PLINTH" init -q
run cat params.yaml
run "$PLINTH" dag
run "$PLINTH" repro
git add -A && git commit -qm "Run the pipeline"

step "Nothing changed: nothing runs"
run "$PLINTH" repro

step "More trees: only train and evaluate rerun"
run sed -i 's/n_estimators: 100/n_estimators: 200/' params.yaml
run "$PLINTH" status
run "$PLINTH" repro
run "$PLINTH" params diff
run "$PLINTH" metrics diff
run "$PLINTH" plots diff -o "$DEMO-pipeline/plots"

step "Back to 100 trees: the earlier run comes back from the run-cache, nothing runs"
run sed -i 's/n_estimators: 200/n_estimators: 100/' params.yaml
run "$PLINTH" repro
run "$PLINTH" metrics show
cd "$DEMO"

printf '\nDemo finished: the repositories were in %s* (removed now).\n' "$DEMO"
