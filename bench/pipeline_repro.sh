#!/usr/bin/env bash
# Pipeline benchmark: a no-op `plinth repro` of a 200-stage pipeline whose deps total 50,000
# files (target: <= 1 s). Nothing changed, so repro must only stat every dep file and compare
# with the stat cache. The peer is the floor for that work: `find -printf` stat-ing the same
# files, measured in the same run.
#
# Usage:  PLINTH=/abs/path/plinth bench/pipeline_repro.sh      (or: make bench-pipeline)
#
# Environment (defaults in brackets):
#   PLINTH      plinth binary                          [$(dirname "$0")/../build/plinth]
#   BENCH_DIR   parent of the scratch dir              [/tmp]
#   STAGES      stages in the pipeline                 [200]
#   FILES       dep files in all, spread over stages   [50000]
#   RUNS        timed runs; the best is reported       [3]
set -euo pipefail

die() { echo "bench: error: $*" >&2; exit 1; }

PLINTH=${PLINTH:-$(dirname "$0")/../build/plinth}
BENCH_DIR=${BENCH_DIR:-/tmp}
STAGES=${STAGES:-200}
FILES=${FILES:-50000}
RUNS=${RUNS:-3}
for v in STAGES FILES RUNS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[ -x "$PLINTH" ] || die "plinth binary not found at '$PLINTH' (build it, or set PLINTH)"
PLINTH=$(cd "$(dirname "$PLINTH")" && pwd)/$(basename "$PLINTH")
command -v python3 >/dev/null || die "python3 is required"

SCRATCH=$(mktemp -d "$BENCH_DIR/plinth-bench-pipeline.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH"
git init -q && "$PLINTH" init -q

# Stage i reads its own directory data/sNNN (FILES/STAGES files) and the previous stage's
# output, so the pipeline is one long chain plus wide fan-in of files.
python3 - "$STAGES" "$FILES" <<'PY'
import os, sys
stages, files = int(sys.argv[1]), int(sys.argv[2])
per = files // stages
lines = ["stages:"]
for s in range(stages):
    d = f"data/s{s:03d}"
    os.makedirs(d)
    for f in range(per):
        with open(f"{d}/f{f:05d}.txt", "w") as fh:
            fh.write(f"{s} {f}\n")
    deps = [d] + ([f"out/s{s - 1:03d}.txt"] if s else [])
    lines += [f"  s{s:03d}:", f"    cmd: mkdir -p out && ls {d} | wc -l >out/s{s:03d}.txt",
              "    deps:"] + [f"    - {x}" for x in deps] + ["    outs:", f"    - out/s{s:03d}.txt"]
open("dvc.yaml", "w").write("\n".join(lines) + "\n")
PY
total=$(find data -type f | wc -l)
echo "pipeline: $STAGES stages, $total dep files"

ms() { echo $((($(date +%s%N) - $1) / 1000000)); }
start=$(date +%s%N)
"$PLINTH" repro -q
echo "first repro (runs every stage, hashes every file): $(ms "$start") ms"

best_plinth=999999 best_peer=999999
for _ in $(seq "$RUNS"); do
  start=$(date +%s%N)
  find data out -type f -printf '%s %T@ %i\n' >/dev/null
  t=$(ms "$start"); [ "$t" -lt "$best_peer" ] && best_peer=$t
  start=$(date +%s%N)
  "$PLINTH" repro >"$SCRATCH/noop.txt"
  t=$(ms "$start"); [ "$t" -lt "$best_plinth" ] && best_plinth=$t
done
skipped=$(grep -c "didn't change, skipping" "$SCRATCH/noop.txt" || true)
[ "$skipped" = "$STAGES" ] || die "no-op repro should skip all $STAGES stages, skipped $skipped"

echo "no-op repro: ${best_plinth} ms (target <= 1000 ms)"
echo "peer, find -printf stat of the same files: ${best_peer} ms"
python3 -c "import sys; print(f'ratio peer/plinth: {int(sys.argv[1]) / max(int(sys.argv[2]), 1):.2f}')" \
  "$best_peer" "$best_plinth"
