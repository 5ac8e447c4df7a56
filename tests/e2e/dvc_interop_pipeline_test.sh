#!/usr/bin/env bash
# The real DVC (requirements-test.txt) and Plinth on the same pipeline, both directions: after
# `dvc repro` a `plinth repro` runs nothing, and the reverse; a changed param reruns the same
# stages in both, and the dvc.lock and run-cache entries each tool writes for the same change
# (in parallel copies of the repository) are byte-identical; each tool's run-cache entries
# spare the other a run; `dvc stage add` and `plinth stage add` write the same dvc.yaml.
source "$(dirname "$0")/dvc_lib.sh"

# Every command appends its stage's name to RUNLOG, so a test sees exactly what ran.
export RUNLOG=$SCRATCH/runs.log
ran() { local out; out=$(tr '\n' ' ' <"$RUNLOG"); : >"$RUNLOG"; echo "${out% }"; }

P=$SCRATCH/p
mkdir -p "$P/src" "$P/data" && cd "$P" && git init -q && dvc init -q
printf 'id,x\n1,2\n2,3\n3,5\n' >data/raw.csv
cat >params.yaml <<'EOF'
prep:
  factor: 2
train:
  lr: 0.1
  epochs: 3
  layers: [8, 4]
  optimizer: {name: adam, betas: [0.9, 0.999]}
  small: 1e-5
  batch: 1_000
  seed: 0o17
  shuffle: yes
  big: 12345678901234567890
  note: 'a string: with a colon, "quotes", and enough words to fold past eighty columns'
eval:
  threshold: 0.5
EOF
cat >src/evaluate.sh <<'EOF'
n=$(wc -l <data/prepared.csv)
printf '{"acc": 0.75, "rows": %s, "threshold": %s}\n' "$n" "$1" >metrics.json
EOF
# A stage with outs but no deps (not "always changed" in DVC); commands longer than YAML's 80
# columns: one line, a list, several lines (double-quoted in dvc.lock); params of YAML 1.2
# types and a string that needs quotes and folds; a foreach stage.
cat >dvc.yaml <<'EOF'
stages:
  fetch:
    cmd: echo fetch >>"$RUNLOG" && printf 'fetched\n' >fetched.txt
    outs:
    - fetched.txt
  prepare:
    cmd: echo prepare >>"$RUNLOG" && awk -F, -v f=${prep.factor} 'NR>1{print $1","$2*f}' data/raw.csv > data/prepared.csv
    deps:
    - data/raw.csv
    params:
    - prep.factor
    outs:
    - data/prepared.csv
  train:
    cmd:
    - echo train >>"$RUNLOG"
    - mkdir -p model && echo "lr=${train.lr}" >model/weights.txt && wc -l <data/prepared.csv >model/rows.txt
    deps:
    - data/prepared.csv
    params:
    - train
    outs:
    - model
  evaluate:
    cmd: |
      echo evaluate >>"$RUNLOG"
      sh src/evaluate.sh ${eval.threshold} "a long quoted argument that folds the line"
    deps:
    - data/prepared.csv
    - model
    - src/evaluate.sh
    params:
    - eval.threshold
    metrics:
    - metrics.json:
        cache: false
  report:
    foreach: [train, test]
    do:
      cmd: echo report >>"$RUNLOG" && mkdir -p reports && cp metrics.json reports/${item}.json
      deps:
      - metrics.json
      outs:
      - reports/${item}.json
EOF
git add -A && git commit -qm pipeline
# A fresh dvc.lock from each tool (plinth in a copy made before any run).
cp -a "$P" "$SCRATCH/fresh"
(cd "$SCRATCH/fresh" && "$PLINTH" repro -q)

# --- dvc repro, then plinth repro runs nothing
: >"$RUNLOG"
dvc repro -q
expect_eq "$(ran)" "fetch prepare train evaluate report report" "dvc repro runs every stage"
same_file dvc.lock "$SCRATCH/fresh/dvc.lock" "a fresh dvc.lock: dvc repro and plinth repro"
git add -A && git commit -qm "dvc repro"
cp dvc.lock "$SCRATCH/lock.dvc"
expect_eq "$("$PLINTH" repro)" "Stage 'fetch' didn't change, skipping
Stage 'prepare' didn't change, skipping
Stage 'train' didn't change, skipping
Stage 'evaluate' didn't change, skipping
Stage 'report@train' didn't change, skipping
Stage 'report@test' didn't change, skipping
Data and pipelines are up to date." "plinth repro after dvc repro skips every stage"
expect_eq "$(ran)" "" "plinth repro ran nothing"
same_file dvc.lock "$SCRATCH/lock.dvc" "plinth repro leaves dvc's dvc.lock alone"
expect_eq "$("$PLINTH" status)" "Data and pipelines are up to date." "plinth status after dvc repro"

# --- the same param change: plinth repro in P, dvc repro in a copy Q
Q=$SCRATCH/q
cp -a "$P" "$Q"
set_param() { sed -i "s/^  $1: .*/  $1: $2/" params.yaml; }
cd "$P" && set_param lr 0.2 && "$PLINTH" repro -q
expect_eq "$(ran)" "train evaluate" "plinth repro reruns train and evaluate (same metrics: reports skip)"
cd "$Q" && set_param lr 0.2 && dvc repro -q
expect_eq "$(ran)" "train evaluate" "dvc repro reruns the same stages"
same_file "$P/dvc.lock" "$Q/dvc.lock" "dvc.lock after the same change (plinth in P, dvc in Q)"
run_cache() { (cd "$1/.dvc/cache/runs" && find . -type f | sort | xargs -d '\n' md5sum); }
expect_eq "$(run_cache "$P")" "$(run_cache "$Q")" "the same run-cache entries, byte for byte"
cd "$P"
expect_eq "$(dvc status)" "Data and pipelines are up to date." "dvc status reads plinth's dvc.lock"
dvc repro -q
expect_eq "$(ran)" "" "dvc repro after plinth repro runs nothing"
cd "$Q"
expect_eq "$("$PLINTH" status)" "Data and pipelines are up to date." "plinth status after dvc repro"

# --- the reverse: a param only evaluate reads; dvc in P, plinth in Q
cd "$P" && set_param threshold 0.7 && dvc repro -q
expect_eq "$(ran)" "evaluate report report" "dvc repro reruns evaluate and what reads its metrics"
cd "$Q" && set_param threshold 0.7 && "$PLINTH" repro -q
expect_eq "$(ran)" "evaluate report report" "plinth repro reruns the same stages"
same_file "$P/dvc.lock" "$Q/dvc.lock" "dvc.lock after the same change (dvc in P, plinth in Q)"
same_file "$P/metrics.json" "$Q/metrics.json" "the same metrics"
expect_eq "$(run_cache "$P")" "$(run_cache "$Q")" "the same run-cache entries after the reverse"
expect_eq "$(cd "$P" && "$PLINTH" repro -q && ran)" "" "plinth repro after dvc repro runs nothing"
expect_eq "$(cd "$Q" && dvc status)" "Data and pipelines are up to date." "dvc status after plinth repro"

# --- run-cache across tools: back to an earlier param value restores outputs without a run
cd "$P" && set_param lr 0.1
expect_contains "$("$PLINTH" repro)" "Stage 'train' is cached - skipping run, checking out outputs" \
  "plinth repro restores train from the entry dvc saved"
expect_eq "$(ran)" "evaluate" "train did not run (evaluate has a new threshold, so it does)"
expect_eq "$(dvc status)" "Data and pipelines are up to date." "dvc status after the restore"
cd "$Q" && set_param threshold 0.5 && dvc repro -q && set_param threshold 0.7 && : >"$RUNLOG"
expect_contains "$(dvc repro)" "Stage 'evaluate' is cached - skipping run, checking out outputs" \
  "dvc repro restores evaluate from the entry plinth saved"
expect_eq "$(ran)" "" "evaluate did not run"

# --- stage add: the same dvc.yaml and .gitignore entries (for the cached outputs) from both tools
for tool in dvc plinth; do
  mkdir -p "$SCRATCH/stage-$tool/data" && cd "$SCRATCH/stage-$tool" && git init -q
  if [ $tool = dvc ]; then x=$DVC; else x=$PLINTH; fi
  "$x" init -q
  "$x" stage add -q -n featurize -d src/featurize.py -d data/raw -p featurize.max_features,featurize.ngrams \
    -p other.yaml:seed -o data/features -m scores.json -M summary.json --plots loss.csv \
    "python src/featurize.py data/raw data/features --max-features 200 --ngrams 2 --seed 7"
done
for f in dvc.yaml data/.gitignore .gitignore; do
  expect_eq "$(cat "$SCRATCH/stage-plinth/$f" 2>/dev/null || echo absent)" \
    "$(cat "$SCRATCH/stage-dvc/$f" 2>/dev/null || echo absent)" \
    "stage add writes the same $f"
done

# --- commit of a stage run by hand: the same dvc.lock, cache objects and run-cache entry
for tool in dvc plinth; do
  cd "$SCRATCH/stage-$tool"
  mkdir -p src data/raw data/features
  printf 'print(1)\n' >src/featurize.py && printf 'a b\n' >data/raw/a.txt
  printf 'featurize:\n  max_features: 200\n  ngrams: 2\n' >params.yaml && printf 'seed: 7\n' >other.yaml
  printf '1 0\n' >data/features/f.txt && printf '{"auc": 0.9}\n' >scores.json
  printf '{"n": 1}\n' >summary.json && printf 'step,loss\n1,0.5\n' >loss.csv
done
(cd "$SCRATCH/stage-dvc" && dvc commit -q -f)
(cd "$SCRATCH/stage-plinth" && "$PLINTH" commit -q)
same_file "$SCRATCH/stage-dvc/dvc.lock" "$SCRATCH/stage-plinth/dvc.lock" "commit writes the same dvc.lock"
cache_listing() { (cd "$1/.dvc/cache" && find . -type f | sort | xargs -d '\n' md5sum); }
expect_eq "$(cache_listing "$SCRATCH/stage-plinth")" "$(cache_listing "$SCRATCH/stage-dvc")" \
  "commit stores the same objects and run-cache entry"

finish
