#!/usr/bin/env bash
# DVC benchmarks: plinth against the real DVC (the pinned one in .venv-test), the tool a user
# would otherwise run, on identical fresh copies of the same data in the same run. Timed runs
# alternate plinth, dvc, plinth, dvc ... so both see the same background load.
#
#   (a) add of SMALL_FILES small files, fresh repository and empty cache      target >= 10x
#   (b) status, nothing changed since (a)                                      target >= 10x
#   (c) add of the same directory again, nothing changed                       target >= 10x
#   (d) add of one BIG_FILE_MIB file, fresh repository and empty cache: plinth's speed against
#       md5sum's (the hashing limit)                                           target >= 0.9x
#       and DVC's time against plinth's (follows from it; no target)
#   (e) no-op repro of a STAGES-stage pipeline (nothing changed)               target >= 40x
#   (f) push of PUSH_FILES files to an empty folder remote                     target >= 8x
#   (g) pull of them into a fresh clone with an empty cache                    target >= 8x
# Ratio = dvc time / plinth time (above 1: plinth is faster).
#
# Usage:  make bench-dvc       (or PLINTH=/abs/plinth bench/dvc.sh)
#
# Environment (defaults in brackets):
#   PLINTH          plinth binary                              [$(dirname "$0")/../build/plinth]
#   DVC             dvc command                                [$(dirname "$0")/../.venv-test/bin/dvc]
#   BENCH_DIR       parent of the scratch dir                  [/tmp]   needs ~11 GiB free
#   SMALL_FILES     files in (a)-(c)                           [100000]
#   SMALL_FILE_KIB  size of each small file                    [4]
#   BIG_FILE_MIB    size of the file in (d)                    [2048]
#   STAGES          stages in (e)                              [200]
#   STAGE_FILES     dep files of each stage in (e)             [50]
#   PUSH_FILES      files in (f), (g)                          [10000]
#   RUNS            runs of (b), (c), (e)-(g) and md5sum; best of each   [3]
#   ADD_RUNS        runs of the first-time adds (a), (d)       [1]
#   SECTIONS        which to run: big (d), small (a)-(c), repro (e), remote (f)-(g)
#                                                              [big small repro remote]
# Smoke run (seconds):
#   SMALL_FILES=1000 BIG_FILE_MIB=16 STAGES=10 STAGE_FILES=5 PUSH_FILES=200 RUNS=1 bench/dvc.sh
# A full run takes 10-15 minutes on 2 cores (DVC's first add of 100,000 files and first repro
# of 200 stages are most of it), plus the clean-up of about 800,000 files.
#
# Every timed command starts with a warm page cache (its input read once, then sync), for both
# tools. Nothing is deleted until the end: old caches, clones and remotes are moved into a
# trash folder instead. On a filesystem like this VM's ext4 without a journal, creating a file
# scans past every inode freed in the last 30-60 s, so a deletion would slow down whichever
# tool happens to run next (see docs/benchmarks.md). Every first-time add runs in a brand-new repository (git init && TOOL init) with an
# empty cache, and DVC gets an empty site cache (DVC_SITE_CACHE_DIR, where it keeps its hash
# cache) too. DVC's analytics are off (DVC_NO_ANALYTICS=1) and its global and system config
# point into the scratch directory, so nothing outside it is read or written. Each result is
# checked: both tools must record the same md5 for the same data, status must be clean, the
# no-op repro must skip every stage, the remote must hold every object, and pulls must restore
# every file.
set -euo pipefail

die() { echo "bench: error: $*" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
PLINTH=${PLINTH:-$here/../build/plinth}
DVC=${DVC:-$here/../.venv-test/bin/dvc}
BENCH_DIR=${BENCH_DIR:-/tmp}
SMALL_FILES=${SMALL_FILES:-100000}
SMALL_FILE_KIB=${SMALL_FILE_KIB:-4}
BIG_FILE_MIB=${BIG_FILE_MIB:-2048}
STAGES=${STAGES:-200}
STAGE_FILES=${STAGE_FILES:-50}
PUSH_FILES=${PUSH_FILES:-10000}
RUNS=${RUNS:-3}
ADD_RUNS=${ADD_RUNS:-1}
SECTIONS=${SECTIONS:-big small repro remote}

for v in SMALL_FILES SMALL_FILE_KIB BIG_FILE_MIB STAGES STAGE_FILES PUSH_FILES RUNS ADD_RUNS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[ -x "$PLINTH" ] || die "plinth binary not found at '$PLINTH' (build it, or set PLINTH)"
PLINTH=$(cd "$(dirname "$PLINTH")" && pwd)/$(basename "$PLINTH")
[ -x "$DVC" ] || die "dvc not found at '$DVC': scripts/setup.sh installs it in .venv-test (or set DVC)"
DVC=$(cd "$(dirname "$DVC")" && pwd)/$(basename "$DVC")
for tool in git python3 md5sum find xargs df cp sync awk; do
  command -v "$tool" >/dev/null || die "'$tool' is required (scripts/setup.sh installs it)"
done
[ -d "$BENCH_DIR" ] || die "BENCH_DIR '$BENCH_DIR' is not a directory"
for section in $SECTIONS; do
  [[ $section =~ ^(big|small|repro|remote)$ ]] ||
    die "SECTIONS: unknown section '$section' (choose from: big small repro remote)"
done

# --- disk space ---------------------------------------------------------------
# Peak: (d) holds two copies of the big file and a cache per tool and add run; (a)-(c) hold two
# workspace copies and a cache per tool and add run (rounded up to 4 KiB blocks, plus inodes).
# (d) is deleted before (a) starts. Add 10% + 256 MiB for the pipeline and push sets.
blocks_kib=$(((SMALL_FILE_KIB + 3) / 4 * 4))
need_big_kib=$(((2 + 2 * ADD_RUNS) * BIG_FILE_MIB * 1024))
need_small_kib=$(((2 + 2 * ADD_RUNS) * SMALL_FILES * (blocks_kib + 1)))
need_kib=$((need_big_kib > need_small_kib ? need_big_kib : need_small_kib))
need_kib=$((need_kib + need_kib / 10 + 262144))
avail_kib=$(df -Pk "$BENCH_DIR" | awk 'NR==2 {print $4}')
[ "$avail_kib" -ge "$need_kib" ] ||
  die "need $((need_kib / 1048576 + 1)) GiB free in $BENCH_DIR, have $((avail_kib / 1048576)) GiB (set BENCH_DIR or smaller sizes)"

SCRATCH=$(mktemp -d "$BENCH_DIR/plinth-bench-dvc.XXXXXX")
cleanup() { echo "cleaning up $SCRATCH..."; rm -rf "$SCRATCH"; }
TRASH=$SCRATCH/trash
mkdir -p "$TRASH"
discard() {  # discard PATH...: moves what exists into the trash (deleted at exit)
  local p
  for p in "$@"; do
    if [ -e "$p" ] || [ -L "$p" ]; then mv "$p" "$(mktemp -d "$TRASH/XXXXXX")/"; fi
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# DVC: no analytics; its global and system configs and its site cache inside the scratch directory.
export DVC_NO_ANALYTICS=1
export DVC_GLOBAL_CONFIG_DIR=$SCRATCH/dvc-config/global DVC_SYSTEM_CONFIG_DIR=$SCRATCH/dvc-config/system
mkdir -p "$DVC_GLOBAL_CONFIG_DIR" "$DVC_SYSTEM_CONFIG_DIR"
export GIT_CONFIG_GLOBAL=/dev/null GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost

# --- helpers ------------------------------------------------------------------
ELAPSED_NS=0
time_ns() {  # time_ns CMD...: runs CMD (stdout discarded); ELAPSED_NS = its wall time
  local s e
  s=$(date +%s%N)
  "$@" >/dev/null || die "command failed (in $PWD): $*"
  e=$(date +%s%N)
  ELAPSED_NS=$((e - s))
}

# versus N PLINTH_PREP PLINTH_CMD DVC_PREP DVC_CMD: N rounds of (prepare, time plinth) then
# (prepare, time dvc). PLINTH_NS and DVC_NS are the best of each.
versus() {
  local n=$1 pp=$2 pc=$3 dp=$4 dc=$5 i
  PLINTH_NS='' DVC_NS=''
  for ((i = 0; i < n; i++)); do
    "$pp"
    time_ns "$pc"
    if [ -z "$PLINTH_NS" ] || [ "$ELAPSED_NS" -lt "$PLINTH_NS" ]; then PLINTH_NS=$ELAPSED_NS; fi
    "$dp"
    time_ns "$dc"
    if [ -z "$DVC_NS" ] || [ "$ELAPSED_NS" -lt "$DVC_NS" ]; then DVC_NS=$ELAPSED_NS; fi
  done
}

secs() { awk -v ns="$1" 'BEGIN { printf "%.3f", ns / 1e9 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }

TABLE=() BIG_ROW=''
# report NAME PLINTH_NS DVC_NS TARGET: prints a line and keeps a table row. TARGET is the
# least dvc/plinth ratio wanted, or "-" for none.
report() {
  local r met
  r=$(ratio "$3" "$2")
  if [ "$4" = - ]; then met=-; elif ge "$r" "$4"; then met=yes; else met='**no**'; fi
  printf '%-40s plinth %9ss   dvc %9ss   ratio %7sx   target %6s   met: %s\n' \
    "$1" "$(secs "$2")" "$(secs "$3")" "$r" "$([ "$4" = - ] && echo - || echo ">= $4x")" "$met"
  TABLE+=("| $1 | $(secs "$2") s | $(secs "$3") s | $r× | $([ "$4" = - ] && echo - || echo "≥ $4×") | $met |")
}

# new_repo DIR TOOL: makes DIR a brand-new git repository initialised by TOOL (plinth or dvc),
# keeping the data in it; for dvc, also an empty site cache.
new_repo() {
  (
    cd "$1" || exit 1
    discard .git .dvc .dvcignore .gitignore ./*.dvc dvc.lock
    git init -q .
    if [ "$2" = dvc ]; then
      discard "$SCRATCH/dvc-site/$(basename "$1")"
      DVC_SITE_CACHE_DIR=$SCRATCH/dvc-site/$(basename "$1") "$DVC" init -q
    else
      "$PLINTH" -q init
    fi
  )
}
# run_in DIR CMD...: runs CMD in DIR; dvc gets DIR's own site cache.
run_in() {
  local d=$1
  shift
  (cd "$d" && DVC_SITE_CACHE_DIR=$SCRATCH/dvc-site/$(basename "$d") "$@")
}
warm() { find "$@" -type f -print0 | xargs -0 cat >/dev/null; sync; }
dvc_md5() { awk '/md5:/ {print $NF; exit}' "$1"; }  # first md5 in a .dvc file

echo "plinth: $PLINTH ($(cd "$(dirname "$PLINTH")" && git log -1 --format='%h %s' 2>/dev/null || echo 'commit unknown'))"
echo "dvc:    $DVC ($("$DVC" --version))"
echo "scratch: $SCRATCH ($(df -PT "$SCRATCH" | awk 'NR==2 {print $2}')), $(nproc) cores, kernel $(uname -r)"
echo "sizes: ${SMALL_FILES} x ${SMALL_FILE_KIB} KiB files; one ${BIG_FILE_MIB} MiB file; ${STAGES} stages x ${STAGE_FILES} dep files; push/pull ${PUSH_FILES} x ${SMALL_FILE_KIB} KiB; best of ${RUNS} (first-time adds: ${ADD_RUNS})"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# gen_files DIR N: N files of SMALL_FILE_KIB random bytes (untimed).
gen_files() {
  python3 - "$1" "$2" "$((SMALL_FILE_KIB * 1024))" <<'EOF'
import os, sys
d, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(d, exist_ok=True)
width = len(str(n - 1))
for i in range(n):
  with open(os.path.join(d, f"f{i:0{width}d}.bin"), "wb") as f:
      f.write(os.urandom(size))
EOF
}

# --- (d) one big file ---------------------------------------------------------
bench_big() {
  P_BIG=$SCRATCH/plinth-big D_BIG=$SCRATCH/dvc-big
  mkdir -p "$P_BIG" "$D_BIG"
  echo "generating a ${BIG_FILE_MIB} MiB file and its copy (untimed)..."
  head -c "$((BIG_FILE_MIB * 1024 * 1024))" /dev/urandom >"$P_BIG/big.bin"
  cp --reflink=never "$P_BIG/big.bin" "$D_BIG/big.bin"
  prep_p_big() { new_repo "$P_BIG" plinth; warm "$P_BIG/big.bin"; }
  prep_d_big() { new_repo "$D_BIG" dvc; warm "$D_BIG/big.bin"; }
  add_p_big() { run_in "$P_BIG" "$PLINTH" -q add big.bin; }
  add_d_big() { run_in "$D_BIG" "$DVC" add -q big.bin; }
  md5_best=''
  for ((i = 0; i < RUNS; i++)); do
    warm "$P_BIG/big.bin"
    time_ns md5sum "$P_BIG/big.bin"
    if [ -z "$md5_best" ] || [ "$ELAPSED_NS" -lt "$md5_best" ]; then md5_best=$ELAPSED_NS; fi
  done
  versus "$ADD_RUNS" prep_p_big add_p_big prep_d_big add_d_big
  want=$(md5sum "$P_BIG/big.bin" | cut -c1-32)
  [ "$(dvc_md5 "$P_BIG/big.bin.dvc")" = "$want" ] || die "(d) plinth's big.bin.dvc does not record md5 $want"
  [ "$(dvc_md5 "$D_BIG/big.bin.dvc")" = "$want" ] || die "(d) dvc's big.bin.dvc does not record md5 $want"
  mibps() { awk -v mib="$BIG_FILE_MIB" -v ns="$1" 'BEGIN { printf "%.0f", mib / (ns / 1e9) }'; }
  speed=$(ratio "$md5_best" "$PLINTH_NS")
  if ge "$speed" 0.9; then met=yes; else met='**no**'; fi
  printf '%-40s plinth %9ss   md5sum %6ss   speed %7sx   target >= 0.9x   met: %s\n' \
    "(d) add one ${BIG_FILE_MIB} MiB file" "$(secs "$PLINTH_NS")" "$(secs "$md5_best")" "$speed" "$met"
  echo "    plinth $(mibps "$PLINTH_NS") MiB/s, md5sum $(mibps "$md5_best") MiB/s, dvc $(mibps "$DVC_NS") MiB/s"
  BIG_ROW="| (d) \`add\` one ${BIG_FILE_MIB} MiB file, vs md5sum $(secs "$md5_best") s | $(secs "$PLINTH_NS") s ($(mibps "$PLINTH_NS") MiB/s) | md5sum $(secs "$md5_best") s | $speed× md5sum's speed | ≥ 0.9× | $met |"
  report "(d) add one ${BIG_FILE_MIB} MiB file" "$PLINTH_NS" "$DVC_NS" -
  rm -rf "$P_BIG" "$D_BIG"

}

# --- (a)-(c) many small files -------------------------------------------------
bench_small() {
  P_SMALL=$SCRATCH/plinth-small D_SMALL=$SCRATCH/dvc-small
  echo "generating ${SMALL_FILES} files of ${SMALL_FILE_KIB} KiB and their copy (untimed)..."
  gen_files "$P_SMALL/data" "$SMALL_FILES"
  cp -r --reflink=never "$P_SMALL" "$D_SMALL"
  prep_p_small() { new_repo "$P_SMALL" plinth; warm "$P_SMALL/data"; }
  prep_d_small() { new_repo "$D_SMALL" dvc; warm "$D_SMALL/data"; }
  add_p_small() { run_in "$P_SMALL" "$PLINTH" -q add data; }
  add_d_small() { run_in "$D_SMALL" "$DVC" add -q data; }
  versus "$ADD_RUNS" prep_p_small add_p_small prep_d_small add_d_small
  p_md5=$(dvc_md5 "$P_SMALL/data.dvc") d_md5=$(dvc_md5 "$D_SMALL/data.dvc")
  [ -n "$p_md5" ] && [ "$p_md5" = "$d_md5" ] || die "(a) plinth recorded '$p_md5', dvc '$d_md5' for the same data"
  grep -q "nfiles: $SMALL_FILES\$" "$P_SMALL/data.dvc" || die "(a) plinth's data.dvc lacks nfiles: $SMALL_FILES"
  cmp -s "$P_SMALL/data.dvc" "$D_SMALL/data.dvc" || echo "    note: data.dvc files differ in bytes (same md5 $p_md5)"
  report "(a) add ${SMALL_FILES} x ${SMALL_FILE_KIB} KiB files" "$PLINTH_NS" "$DVC_NS" 10

  warm_p_small() { warm "$P_SMALL/data"; }
  warm_d_small() { warm "$D_SMALL/data"; }
  [ "$(run_in "$P_SMALL" "$PLINTH" status --json)" = "{}" ] || die "(b) plinth status is not clean after add"
  run_in "$D_SMALL" "$DVC" status -q || die "(b) dvc status is not clean after add"
  status_p() { run_in "$P_SMALL" "$PLINTH" status; }
  status_d() { run_in "$D_SMALL" "$DVC" status; }
  versus "$RUNS" warm_p_small status_p warm_d_small status_d
  report "(b) status, unchanged" "$PLINTH_NS" "$DVC_NS" 10

  p_before=$(md5sum <"$P_SMALL/data.dvc") d_before=$(md5sum <"$D_SMALL/data.dvc")
  versus "$RUNS" warm_p_small add_p_small warm_d_small add_d_small
  [ "$(md5sum <"$P_SMALL/data.dvc")" = "$p_before" ] || die "(c) plinth's re-add changed data.dvc"
  [ "$(md5sum <"$D_SMALL/data.dvc")" = "$d_before" ] || die "(c) dvc's re-add changed data.dvc"
  report "(c) add again, unchanged" "$PLINTH_NS" "$DVC_NS" 10
  discard "$P_SMALL" "$D_SMALL"

}

# --- (e) no-op repro ----------------------------------------------------------
bench_repro() {
  # Stage i reads its own directory of STAGE_FILES files and the previous stage's output: one
  # long chain plus fan-in, as in bench/pipeline_repro.sh.
  P_PIPE=$SCRATCH/plinth-pipe D_PIPE=$SCRATCH/dvc-pipe
  mkdir -p "$P_PIPE"
  python3 - "$P_PIPE" "$STAGES" "$STAGE_FILES" <<'PY'
import os, sys
root, stages, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lines = ["stages:"]
for s in range(stages):
    d = f"data/s{s:03d}"
    os.makedirs(os.path.join(root, d))
    for f in range(per):
        with open(os.path.join(root, d, f"f{f:05d}.txt"), "w") as fh:
            fh.write(f"{s} {f}\n")
    deps = [d] + ([f"out/s{s - 1:03d}.txt"] if s else [])
    lines += [f"  s{s:03d}:", f"    cmd: mkdir -p out && ls {d} | wc -l >out/s{s:03d}.txt",
              "    deps:"] + [f"    - {x}" for x in deps] + ["    outs:", f"    - out/s{s:03d}.txt"]
open(os.path.join(root, "dvc.yaml"), "w").write("\n".join(lines) + "\n")
PY
  cp -r "$P_PIPE" "$D_PIPE"
  new_repo "$P_PIPE" plinth
  new_repo "$D_PIPE" dvc
  time_ns run_in "$P_PIPE" "$PLINTH" -q repro
  p_first=$ELAPSED_NS
  time_ns run_in "$D_PIPE" "$DVC" repro -q
  d_first=$ELAPSED_NS
  cmp -s "$P_PIPE/dvc.lock" "$D_PIPE/dvc.lock" || echo "    note: the two dvc.lock files differ in bytes"
  warm_p_pipe() { warm "$P_PIPE/data" "$P_PIPE/out"; }
  warm_d_pipe() { warm "$D_PIPE/data" "$D_PIPE/out"; }
  repro_p() { run_in "$P_PIPE" "$PLINTH" repro >"$SCRATCH/p-noop.txt"; }
  repro_d() { run_in "$D_PIPE" "$DVC" repro >"$SCRATCH/d-noop.txt"; }
  versus "$RUNS" warm_p_pipe repro_p warm_d_pipe repro_d
  for t in p d; do
    n=$(grep -c "didn't change, skipping" "$SCRATCH/$t-noop.txt" || true)
    [ "$n" = "$STAGES" ] || die "(e) $t: the no-op repro skipped $n of $STAGES stages"
  done
  report "(e) no-op repro, ${STAGES} stages" "$PLINTH_NS" "$DVC_NS" 40
  echo "    first repro (runs every stage; context): plinth $(secs "$p_first")s, dvc $(secs "$d_first")s"
  discard "$P_PIPE" "$D_PIPE"

}

# --- (f), (g) push and pull with a folder remote ----------------------------------------
bench_remote() {
  P_PUSH=$SCRATCH/plinth-push D_PUSH=$SCRATCH/dvc-push
  gen_files "$P_PUSH/data" "$PUSH_FILES"
  cp -r --reflink=never "$P_PUSH" "$D_PUSH"
  new_repo "$P_PUSH" plinth
  new_repo "$D_PUSH" dvc
  run_in "$P_PUSH" "$PLINTH" -q add data
  run_in "$D_PUSH" "$DVC" add -q data
  run_in "$P_PUSH" "$PLINTH" -q remote add -d folder "$SCRATCH/plinth-remote"
  run_in "$D_PUSH" "$DVC" remote add -q -d folder "$SCRATCH/dvc-remote"
  objects=$((PUSH_FILES + 1))  # the files and the directory manifest
  count_objects() { find "$1" -type f | wc -l; }

  empty_p_remote() { discard "$SCRATCH/plinth-remote"; sync; }
  empty_d_remote() { discard "$SCRATCH/dvc-remote"; sync; }
  push_p() { run_in "$P_PUSH" "$PLINTH" -q push -r folder; }
  push_d() { run_in "$D_PUSH" "$DVC" push -q -r folder; }
  versus "$RUNS" empty_p_remote push_p empty_d_remote push_d
  [ "$(count_objects "$SCRATCH/plinth-remote")" = "$objects" ] || die "(f) plinth's remote lacks objects"
  [ "$(count_objects "$SCRATCH/dvc-remote")" = "$objects" ] || die "(f) dvc's remote lacks objects"
  report "(f) push ${PUSH_FILES} files to a folder" "$PLINTH_NS" "$DVC_NS" 8

  # A clone: the repository's metadata without the cache or the data.
  clone() {  # clone FROM TO TOOL
    discard "$2" "$SCRATCH/dvc-site/$(basename "$2")"
    mkdir -p "$2"
    (cd "$2" && git init -q .)
    mkdir "$2/.dvc"
    cp "$1/.dvc/config" "$1/.dvc/.gitignore" "$2/.dvc/"
    cp "$1/.dvcignore" "$1/.gitignore" "$1/data.dvc" "$2/"
    warm "$SCRATCH/$3-remote"
  }
  clone_p() { clone "$P_PUSH" "$SCRATCH/plinth-pull" plinth; }
  clone_d() { clone "$D_PUSH" "$SCRATCH/dvc-pull" dvc; }
  pull_p() { run_in "$SCRATCH/plinth-pull" "$PLINTH" -q pull -r folder; }
  pull_d() { run_in "$SCRATCH/dvc-pull" "$DVC" pull -q -r folder; }
  versus "$RUNS" clone_p pull_p clone_d pull_d
  for t in plinth dvc; do
    diff -rq "$P_PUSH/data" "$SCRATCH/$t-pull/data" >/dev/null || die "(g) $t's pull did not restore data/"
  done
  report "(g) pull ${PUSH_FILES} files from a folder" "$PLINTH_NS" "$DVC_NS" 8
}

for section in $SECTIONS; do
  "bench_$section"
done

echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| benchmark | plinth | dvc $("$DVC" --version) | ratio dvc / plinth | target | met? |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${TABLE[@]}"
[ -z "$BIG_ROW" ] || echo "$BIG_ROW"
