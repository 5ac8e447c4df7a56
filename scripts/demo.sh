#!/usr/bin/env bash
# `make demo`: the whole system as far as it exists, on generated fraud-detection data.
# Today: versioning data next to git, as DVC does (init, add, modify, status, diff, checkout),
# sharing it through a remote (push, pull), tables (the fraud data generator, CSV, Parquet),
# drift reports, and models (the baseline ladder, a model package, batch scoring).
set -euo pipefail

PLINTH=${PLINTH:-$(cd "$(dirname "$0")/.." && pwd)/build/plinth}
DEMO=$(mktemp -d "${TMPDIR:-/tmp}/plinth-demo.XXXXXX")
trap 'chmod -R u+w "$DEMO"*; rm -rf "$DEMO" "$DEMO-nas" "$DEMO-teammate"' EXIT
export GIT_AUTHOR_NAME=demo GIT_AUTHOR_EMAIL=demo@example.invalid
export GIT_COMMITTER_NAME=demo GIT_COMMITTER_EMAIL=demo@example.invalid

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

# Card transactions with the handbook's columns; deterministic, about 2% fraud.
generate() {  # FILE ROWS SEED
  "$PLINTH" -q demo-data fraud --rows "$2" --seed "$3" --out "$1"
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
sed -i '2s/,[0-9.]*,/,9999.99,/' data/transactions-2026-03.csv  # an amount
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
step "Tables: the transactions as Parquet, and a look inside"
run "$PLINTH" table convert data/transactions-2026-01.csv transactions.parquet
run ls -l data/transactions-2026-01.csv transactions.parquet
run "$PLINTH" table schema transactions.parquet
run "$PLINTH" table head transactions.parquet -n 5
run "$PLINTH" table stats transactions.parquet

step "Drifted transactions for monitoring: bigger amounts, more online shopping"
run "$PLINTH" demo-data fraud --rows 20000 --seed 5 --out drifted.parquet --shift amount=1.8 \
  --category-mix online=0.4
run "$PLINTH" table stats drifted.parquet --columns amount,merchant_category,is_fraud

step "Did the inputs drift? Evidently's tests against January's data, a report, an alert"
features=amount,merchant_category,hour_of_day,day_of_week,transaction_velocity,distance_from_home
run "$PLINTH" drift --reference data/transactions-2026-01.csv --current data/transactions-2026-02.csv \
  --columns "$features"
run "$PLINTH" drift --reference data/transactions-2026-01.csv --current drifted.parquet \
  --columns "$features" --html drift-report.html --drift-share 0.3 --fail-on-drift ||
  echo "(exit $?: the handbook's alert fires: more than 30% of the features drifted)"
run ls -l drift-report.html

step "Models: the baseline ladder (a rule, a linear model, boosted trees) on January"
export OMP_WAIT_POLICY=PASSIVE
run "$PLINTH" baseline --data data/transactions-2026-01.csv --target is_fraud --threads 2

step "Train a model package, score the drifted transactions, evaluate on February"
run "$PLINTH" train --data data/transactions-2026-01.csv --target is_fraud --out fraud-model --threads 2
run ls fraud-model
run "$PLINTH" score --model fraud-model --input drifted.parquet --output scored.parquet
run "$PLINTH" table head scored.parquet -n 3
run "$PLINTH" evaluate --model fraud-model --data data/transactions-2026-02.csv --out evaluation
printf '\nDemo finished: the repository was in %s (removed now).\n' "$DEMO"
