#!/usr/bin/env bash
# The handbook's four-stage pipeline (data_prep -> feature_engineering -> train -> evaluate):
# the first repro runs every stage and writes dvc.lock in DVC's exact schema, the second runs
# none, a changed param reruns exactly the stages it affects, and reverting it restores the
# outputs from the run-cache without running anything.
source "$(dirname "$0")/lib.sh"
new_repo
cp -r "$PLINTH_SOURCE/examples/pipeline/." .
git add -A && git commit -qm "pipeline"

runs() { cat runs.log 2>/dev/null | tr '\n' ' '; }
md5() { md5sum "$1" | cut -c1-32; }
size() { stat -c %s "$1"; }
# DVC's directory hash, computed independently: md5 of json.dumps(sorted manifest) + ".dir".
dir_md5() {
  "$PYTHON" - "$1" <<'PY'
import hashlib, json, os, sys
root = sys.argv[1]
entries = []
for d, _, files in os.walk(root):
    for f in files:
        p = os.path.join(d, f)
        entries.append({"md5": hashlib.md5(open(p, "rb").read()).hexdigest(),
                        "relpath": os.path.relpath(p, root)})
entries.sort(key=lambda e: e["relpath"])
print(hashlib.md5(json.dumps(entries, sort_keys=True).encode()).hexdigest() + ".dir")
PY
}
dir_size() { cat "$1"/* | wc -c; }
entry() {  # path [dir]: one dvc.lock dep/out entry
  if [ -d "$1" ]; then
    printf -- '    - path: %s\n      hash: md5\n      md5: %s\n      size: %s\n      nfiles: %s\n' \
      "$1" "$(dir_md5 "$1")" "$(dir_size "$1")" "$(ls "$1" | wc -l)"
  else
    printf -- '    - path: %s\n      hash: md5\n      md5: %s\n      size: %s\n' "$1" "$(md5 "$1")" \
      "$(size "$1")"
  fi
}
expected_lock() {  # n_estimators
  cat <<LOCK
schema: '2.0'
stages:
  data_prep:
    cmd: sh src/prepare.sh 4
    deps:
$(entry data/raw.csv)
$(entry src/prepare.sh)
    params:
      params.yaml:
        data_prep:
          test_every: 4
          seed: 42
    outs:
$(entry data/prepared)
  feature_engineering:
    cmd: sh src/features.sh 10
    deps:
$(entry data/prepared)
$(entry src/features.sh)
    params:
      params.yaml:
        features.scale: 10
    outs:
$(entry data/features)
  train:
    cmd: sh src/train.sh $1 6
    deps:
$(entry data/features)
$(entry src/train.sh)
    params:
      params.yaml:
        train.max_depth: 6
        train.n_estimators: $1
    outs:
$(entry loss.csv)
$(entry model.txt)
  evaluate:
    cmd: sh src/evaluate.sh
    deps:
$(entry data/features/test.csv)
$(entry model.txt)
$(entry src/evaluate.sh)
    outs:
$(entry confusion.csv)
$(entry metrics.json)
LOCK
}

expect_eq "$("$PLINTH" status data_prep)" "data_prep:
	changed deps:
		new:                data/raw.csv
		params.yaml:
			new:                data_prep
		new:                src/prepare.sh
	changed outs:
		deleted:            data/prepared" "status of a stage that never ran"

"$PLINTH" repro >"$SCRATCH/repro1"
expect_eq "$(runs)" "data_prep feature_engineering train evaluate " "first repro runs all four stages"
expect_eq "$(cat dvc.lock)" "$(expected_lock 100)" "dvc.lock has DVC's schema and order"
expect_contains "$(cat "$SCRATCH/repro1")" "Running stage 'train':
> sh src/train.sh 100 6" "repro prints each command"
expect_eq "$(cat .gitignore)" "/model.txt" "cached outputs are git-ignored, uncached ones not"
expect_eq "$(cat data/.gitignore)" "/prepared
/features" "directory outputs are git-ignored beside them"
cache_consistent || fail "cache objects hash to their names"
git add -A && git commit -qm "ran pipeline"

rm runs.log
out=$("$PLINTH" repro)
expect_eq "$(runs)" "" "second repro runs nothing"
expect_contains "$out" "Stage 'train' didn't change, skipping" "unchanged stages are reported"
expect_eq "$("$PLINTH" status)" "Data and pipelines are up to date." "status after repro"

sed -i 's/n_estimators: 100/n_estimators: 200/' params.yaml
expect_eq "$("$PLINTH" status)" "train:
	changed deps:
		params.yaml:
			modified:           train.n_estimators
	changed command" "status names the changed param in DVC's layout"
expect_eq "$("$PLINTH" status --json | compact_json)" \
  '{"train":[{"changed deps":{"params.yaml":{"train.n_estimators":"modified"}}},"changed command"]}' \
  "status --json"
"$PLINTH" repro >/dev/null
expect_eq "$(runs)" "train evaluate " "a changed train param reruns train and evaluate only"
expect_eq "$(cat dvc.lock)" "$(expected_lock 200)" "dvc.lock updated for the new param"
expect_eq "$(cat metrics.json)" '{"accuracy": 1.0000, "trees": 200}' "evaluate saw the new model"

# Params and metrics against the last commit, in DVC's table layout.
expect_eq "$("$PLINTH" params diff)" "Path         Param               HEAD    workspace
params.yaml  train.n_estimators  100     200" "params diff"
expect_eq "$("$PLINTH" metrics diff)" "Path          Metric    HEAD    workspace    Change
metrics.json  accuracy  0.75    1.0          0.25
metrics.json  trees     100     200          100" "metrics diff"
expect_eq "$("$PLINTH" metrics diff --json | compact_json)" \
  '{"metrics.json":{"accuracy":{"diff":0.25,"new":1.0,"old":0.75},"trees":{"diff":100,"new":200,"old":100}}}' \
  "metrics diff --json"
expect_eq "$("$PLINTH" metrics show)" "Path          accuracy    trees
metrics.json  1.0         200" "metrics show"

rm runs.log
sed -i 's/n_estimators: 200/n_estimators: 100/' params.yaml
out=$("$PLINTH" repro)
expect_eq "$(runs)" "" "reverting the param runs nothing"
expect_contains "$out" "Stage 'train' is cached - skipping run, checking out outputs" \
  "outputs come back from the run-cache"
expect_eq "$(cat metrics.json)" '{"accuracy": 0.7500, "trees": 100}' "restored uncached metrics"
expect_eq "$(cat dvc.lock)" "$(git show HEAD:dvc.lock)" "dvc.lock is back to the committed one"

# A deleted output comes back from the cache without running the stage.
rm -rf data/features
"$PLINTH" repro >/dev/null
expect_eq "$(runs)" "" "a deleted output is checked out, not rebuilt"
[ -f data/features/test.csv ] || fail "data/features restored"

# --force, --single-item, --downstream, --dry.
"$PLINTH" repro -f -s train >/dev/null
expect_eq "$(runs)" "train " "repro -f -s runs just the target"
rm runs.log
"$PLINTH" repro -f --downstream feature_engineering >/dev/null
expect_eq "$(runs)" "feature_engineering train evaluate " "--downstream runs the target and after"
rm runs.log
sed -i 's/test_every: 4/test_every: 3/' params.yaml
out=$("$PLINTH" repro --dry)
expect_eq "$(runs)" "" "--dry runs nothing"
expect_contains "$out" "Running stage 'data_prep':" "--dry names what would run"
expect_eq "$(cat dvc.lock)" "$(git show HEAD:dvc.lock)" "--dry leaves dvc.lock alone"
git checkout -q params.yaml

# Run-cache entries are where spec §3.5 puts them and hold the lock body.
entries=$(find .dvc/cache/runs -type f | wc -l)
[ "$entries" -ge 5 ] || fail "expected run-cache entries, found $entries"
key_dir=$(find .dvc/cache/runs -mindepth 2 -maxdepth 2 -type d | head -1)
expect_eq "$(basename "$(dirname "$key_dir")")" "$(basename "$key_dir" | cut -c1-2)" \
  "run-cache directories are runs/<key[0:2]>/<key>"

# gc keeps what dvc.lock records: the stages stay up to date and restorable.
"$PLINTH" gc -w -q
rm -rf data/prepared model.txt
"$PLINTH" repro >/dev/null
expect_eq "$(runs)" "" "after gc, deleted outputs still come back from the cache"
expect_eq "$("$PLINTH" status)" "Data and pipelines are up to date." "status after gc and restore"

# checkout makes pipeline outputs match dvc.lock, refusing to drop changes the cache lacks.
rm model.txt
echo "edited by hand" >data/prepared/train.csv
expect_error 5 "data/prepared" "$PLINTH" checkout
[ ! -e model.txt ] || fail "a refused checkout changed nothing"
"$PLINTH" checkout --force >/dev/null
expect_eq "$("$PLINTH" status)" "Data and pipelines are up to date." "checkout --force restored outputs"
expect_eq "$(runs)" "" "checkout ran nothing"

# dag.
expect_eq "$("$PLINTH" dag --dot)" 'strict digraph  {
"data_prep";
"feature_engineering";
"train";
"evaluate";
"data_prep" -> "feature_engineering";
"feature_engineering" -> "train";
"feature_engineering" -> "evaluate";
"train" -> "evaluate";
}' "dag --dot"
expect_eq "$("$PLINTH" dag train)" "data_prep
feature_engineering  <- data_prep
train  <- feature_engineering" "dag TARGET shows the target and its upstream"

finish
