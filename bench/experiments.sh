#!/usr/bin/env bash
# Experiments benchmark: the overhead per experiment of `plinth exp run --run-all` over running
# the same stages directly (target <= 100 ms per experiment), against the real
# `dvc exp run --run-all` (requirements-test.txt) on the same small pipeline (target: >= 10x
# less overhead), measured in the same run, rounds interleaved (direct, plinth, dvc, ...).
#
# The pipeline has two stages (prepare: copies a small CSV; train: reads a param, writes
# metrics), each a short `sh` command. Every round queues EXPS experiments with distinct
# `-S train.lr=...` values (not timed), then times the run of the whole queue with `-j 1`.
# "Direct" is the floor: the same two commands run EXPS times from a shell loop, the param
# changed with sed before each. Overhead per experiment = (queue time - direct time) / EXPS.
#
# Usage:  PLINTH=/abs/path/plinth bench/experiments.sh      (or: make bench-experiments)
#
# Environment (defaults in brackets):
#   PLINTH       plinth binary                      [$(dirname "$0")/../build/plinth]
#   DVC          the real dvc                       [$(dirname "$0")/../.venv-test/bin/dvc]
#   BENCH_DIR    parent of the scratch dir          [/tmp]
#   EXPS         experiments per round              [10]
#   ROUNDS       rounds; the best of each is kept   [3]
#   DVC_ROUNDS   rounds for dvc (slow)              [1]
set -euo pipefail

die() { echo "bench: error: $*" >&2; exit 1; }

if [ "${1:-}" = "--help" ]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 0
fi
PLINTH=${PLINTH:-$(dirname "$0")/../build/plinth}
DVC=${DVC:-$(dirname "$0")/../.venv-test/bin/dvc}
BENCH_DIR=${BENCH_DIR:-/tmp}
EXPS=${EXPS:-10}
ROUNDS=${ROUNDS:-3}
DVC_ROUNDS=${DVC_ROUNDS:-1}
for v in EXPS ROUNDS DVC_ROUNDS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[ -x "$PLINTH" ] || die "plinth binary not found at '$PLINTH' (build it, or set PLINTH)"
[ -x "$DVC" ] || die "dvc not found at '$DVC' (scripts/setup.sh installs requirements-test.txt)"
PLINTH=$(cd "$(dirname "$PLINTH")" && pwd)/$(basename "$PLINTH")
DVC=$(cd "$(dirname "$DVC")" && pwd)/$(basename "$DVC")

SCRATCH=$(mktemp -d "$BENCH_DIR/plinth-bench-exps.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
# DVC's queue starts its Celery worker as `dvc` from PATH.
export PATH=$(dirname "$DVC"):$PATH
# DVC: no analytics, no update check, no state outside SCRATCH.
export DVC_NO_ANALYTICS=1 DVC_GLOBAL_CONFIG_DIR=$SCRATCH/dvc-global
export DVC_SYSTEM_CONFIG_DIR=$SCRATCH/dvc-system DVC_SITE_CACHE_DIR=$SCRATCH/dvc-site
mkdir -p "$DVC_GLOBAL_CONFIG_DIR"
printf '[core]\n    analytics = false\n    check_update = false\n' >"$DVC_GLOBAL_CONFIG_DIR/config"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.invalid

PREPARE='mkdir -p out && cp data.csv out/prepared.csv'
TRAIN='awk -v lr="$(awk '"'"'$1 == "lr:" {print $2}'"'"' params.yaml)" '"'"'BEGIN {printf "{\"acc\": %s}\n", lr * 2}'"'"' >metrics.json'

# A fresh repository with the pipeline, run once and committed.
make_repo() {
  local dir=$1
  mkdir -p "$dir" && cd "$dir"
  git init -q && "$DVC" init -q
  printf 'id,x\n1,2\n2,3\n' >data.csv
  printf 'train:\n  lr: 0.5\n' >params.yaml
  cat >dvc.yaml <<YAML
stages:
  prepare:
    cmd: $PREPARE
    deps: [data.csv]
    outs: [out/prepared.csv]
  train:
    cmd: >-
      $TRAIN
    deps: [out/prepared.csv]
    params: [train.lr]
    metrics:
    - metrics.json:
        cache: false
YAML
  "$PLINTH" repro -q >/dev/null
  git add -A && git commit -qm baseline
}

ms() { echo $((($(date +%s%N) - $1) / 1000000)); }
value() { printf '0.%03d' $((round * EXPS + $1 + 1)); }  # distinct in every round: no cache hits

time_direct() {
  cd "$SCRATCH/direct"
  local start; start=$(date +%s%N)
  for i in $(seq 0 $((EXPS - 1))); do
    sed -i "s/lr: .*/lr: $(value "$i")/" params.yaml
    sh -c "$PREPARE" && sh -c "$TRAIN"
  done
  ms "$start"
}

time_queue() {  # tool: plinth or dvc
  local tool=$1 bin
  [ "$tool" = plinth ] && bin=$PLINTH || bin=$DVC
  cd "$SCRATCH/$tool"
  for i in $(seq 0 $((EXPS - 1))); do
    "$bin" exp run --queue -S "train.lr=$(value "$i")" >/dev/null 2>&1
  done
  local start; start=$(date +%s%N)
  "$bin" exp run --run-all -j 1 >"$SCRATCH/$tool.log" 2>&1 || die "$tool exp run --run-all failed: $(tail -5 "$SCRATCH/$tool.log")"
  ms "$start"
}

make_repo "$SCRATCH/direct" >/dev/null
make_repo "$SCRATCH/plinth" >/dev/null
make_repo "$SCRATCH/dvc" >/dev/null
echo "pipeline: 2 stages (sh commands), $EXPS experiments per round, $ROUNDS rounds ($DVC_ROUNDS for dvc)"

best_direct=999999999 best_plinth=999999999 best_dvc=999999999
for round in $(seq 0 $((ROUNDS - 1))); do
  t=$(time_direct); [ "$t" -lt "$best_direct" ] && best_direct=$t
  t=$(time_queue plinth); [ "$t" -lt "$best_plinth" ] && best_plinth=$t
  if [ "$round" -lt "$DVC_ROUNDS" ]; then
    t=$(time_queue dvc); [ "$t" -lt "$best_dvc" ] && best_dvc=$t
  fi
  echo "round $((round + 1)): direct ${best_direct} ms, plinth ${best_plinth} ms, dvc ${best_dvc} ms (best so far)"
done
n_plinth=$(git -C "$SCRATCH/plinth" for-each-ref refs/exps | grep -vc /exec/ || true)
n_dvc=$(git -C "$SCRATCH/dvc" for-each-ref refs/exps | grep -vc /exec/ || true)
[ "$n_plinth" = $((EXPS * ROUNDS)) ] || die "plinth made $n_plinth experiments, expected $((EXPS * ROUNDS))"
[ "$n_dvc" = $((EXPS * DVC_ROUNDS)) ] || die "dvc made $n_dvc experiments, expected $((EXPS * DVC_ROUNDS))"

python3 - "$EXPS" "$best_direct" "$best_plinth" "$best_dvc" <<'PY'
import sys
n, direct, plinth, dvc = (int(x) for x in sys.argv[1:])
po, do = (plinth - direct) / n, (dvc - direct) / n
print(f"direct stages: {direct / n:.1f} ms per experiment")
print(f"plinth exp run --run-all: {plinth / n:.1f} ms per experiment, overhead {po:.1f} ms (target <= 100 ms)")
print(f"dvc exp run --run-all:    {dvc / n:.1f} ms per experiment, overhead {do:.1f} ms")
print(f"overhead ratio dvc/plinth: {do / max(po, 0.1):.1f}x (target >= 10x)")
PY
