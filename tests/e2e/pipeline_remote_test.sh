#!/usr/bin/env bash
# Pipeline outputs travel through remotes as DVC's do: `plinth push` uploads the cached outputs
# dvc.lock records (not `cache: false` ones, which git carries), status -c sees them, and a
# fresh clone's `plinth pull` fetches and checks them out, byte for byte.
source "$(dirname "$0")/lib.sh"
new_repo
mkdir -p sub
printf 'alpha\nbeta\n' >input.txt
"$PLINTH" -q stage add -n upper -d input.txt -o upper.txt -o parts -M count.json \
  "tr a-z A-Z < input.txt > upper.txt && mkdir -p parts && split -l 1 upper.txt parts/p && printf '{\"lines\": 2}' > count.json"
cat >sub/dvc.yaml <<'YAML'
stages:
  rev:
    cmd: rev < ../input.txt > reversed.txt
    deps:
    - ../input.txt
    outs:
    - reversed.txt
YAML
# An output marked push: false stays local, as in DVC.
"$PLINTH" -q stage add -n scratch -d input.txt -o scratch.txt "cp input.txt scratch.txt"
sed -i 's|    - scratch.txt|    - scratch.txt:\n        push: false|' dvc.yaml
"$PLINTH" -q repro >/dev/null
"$PLINTH" remote add -d store "$SCRATCH/store" >/dev/null
git add -A && git commit -qm pipeline

out=$("$PLINTH" status -c)
expect_contains "$out" "new:" "status -c lists the pipeline's outputs before a push"
expect_contains "$out" "upper.txt" "status -c names upper.txt"
expect_contains "$out" "sub/reversed.txt" "and the output of sub/dvc.yaml"
out=$("$PLINTH" push --json)
# upper.txt, parts/ (manifest + 2 files), sub/reversed.txt; count.json is git's.
expect_eq "$(echo "$out" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["transferred"])')" "5" \
  "push uploads every cached pipeline output"
expect_contains "$("$PLINTH" status -c)" "in sync" "then the remote is in sync"
md5_count=$(md5sum <count.json)
[ -z "$(grep -rl '"lines"' "$SCRATCH/store" 2>/dev/null)" ] || fail "a cache: false output is not pushed"
[ -z "$(grep -rlx 'alpha' "$SCRATCH/store" 2>/dev/null)" ] || fail "a push: false output is not pushed"

# A teammate's clone: the outputs arrive with pull.
git clone -q "$WORK" "$SCRATCH/clone"
cd "$SCRATCH/clone"
[ ! -e upper.txt ] || fail "the clone starts without outputs"
out=$("$PLINTH" pull)
expect_contains "$out" "5 objects fetched" "pull fetches the pipeline's objects"
[ ! -e scratch.txt ] || fail "a push: false output is not pulled"
for f in upper.txt parts/paa parts/pab sub/reversed.txt; do
  expect_eq "$(md5sum <"$f")" "$(md5sum <"$WORK/$f")" "$f arrives byte for byte"
done
expect_eq "$(md5sum <count.json)" "$md5_count" "count.json comes from git"
out=$("$PLINTH" pull 2>&1)
expect_contains "$out" "scratch.txt is not pulled: it is marked push: false" "pull says what it left out"
out=$("$PLINTH" status)
expect_eq "$out" $'scratch:\n\tchanged outs:\n\t\tnot in cache:       scratch.txt' \
  "only the push: false output is missing from the clone's pipeline"
finish
