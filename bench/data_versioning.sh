#!/usr/bin/env bash
# Data-versioning benchmarks: plinth against the plain tool that does the same
# core work (md5sum), all measured in the same run on the same files.
#
#   (a) plinth add of one big file         vs md5sum of that file
#   (b) plinth add of a dir of small files  vs single-process md5sum of them
#   (c) plinth status right after (b)       (target: <= 1 s)
#   (d) plinth add again, nothing changed   (target: <= 1 s)
# (c) and (d) are also set against the md5sum time of (b): rehashing everything.
# "context" lines time plain cp/sync/stat of the same data, to show what part
# of plinth's time is copying into the cache, flushing it, or walking the tree.
#
# Usage:  PLINTH=/abs/path/plinth bench/data_versioning.sh      (or: make bench)
#
# Environment (defaults in brackets):
#   PLINTH          plinth binary                [$(dirname "$0")/../build/plinth]
#   BENCH_DIR       parent of the scratch dir    [/tmp]   needs ~5 GiB free
#   BIG_FILE_MIB    size of the file in (a)      [2048]
#   SMALL_FILES     number of files in (b)-(d)   [100000]
#   SMALL_FILE_KIB  size of each of those files  [4]
#   RUNS            runs of the cheap timings; the best is reported   [3]
#   ADD_RUNS        runs of the expensive first-time adds (a), (b)    [1]
#
# Every timed command runs with a warm page cache: the input is read once
# (cat >/dev/null) and dirty pages are flushed (sync) right before each timed
# run, for plinth and for the peer alike. Every first-time plinth add starts
# from a fresh repository and an empty cache (git init && plinth init), so it
# really hashes and stores. Data generation is never timed.
# Needs: bash, coreutils, findutils, git, python3. Quick smoke run:
#   BIG_FILE_MIB=64 SMALL_FILES=2000 bench/data_versioning.sh
# The full-size run takes about 2 minutes on 2 cores, plus ~30 s of clean-up.
set -euo pipefail

die() { echo "bench: error: $*" >&2; exit 1; }

PLINTH=${PLINTH:-$(dirname "$0")/../build/plinth}
BENCH_DIR=${BENCH_DIR:-/tmp}
BIG_FILE_MIB=${BIG_FILE_MIB:-2048}
SMALL_FILES=${SMALL_FILES:-100000}
SMALL_FILE_KIB=${SMALL_FILE_KIB:-4}
RUNS=${RUNS:-3}
ADD_RUNS=${ADD_RUNS:-1}

for v in BIG_FILE_MIB SMALL_FILES SMALL_FILE_KIB RUNS ADD_RUNS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[ -x "$PLINTH" ] || die "plinth binary not found at '$PLINTH' (build it, or set PLINTH)"
PLINTH=$(cd "$(dirname "$PLINTH")" && pwd)/$(basename "$PLINTH")
for tool in git python3 md5sum find xargs df cp sync; do
  command -v "$tool" >/dev/null || die "'$tool' is required (scripts/setup.sh installs it)"
done
[ -d "$BENCH_DIR" ] || die "BENCH_DIR '$BENCH_DIR' is not a directory"

# --- disk space ---------------------------------------------------------------
# Peak use: (a) holds the big file, its cache copy and, for the cp context
# timing, one more copy after the cache is dropped -> 2x big file.
# (b) holds the small files and their cache copies -> 2x (files rounded up to
# 4 KiB blocks). (a) is deleted before (b) starts. Add 10% + 64 MiB slack.
small_blocks_kib=$(( (SMALL_FILE_KIB + 3) / 4 * 4 ))
need_a_kib=$(( 2 * BIG_FILE_MIB * 1024 ))
need_b_kib=$(( 2 * SMALL_FILES * small_blocks_kib + SMALL_FILES * 4 / 10 ))
need_kib=$(( need_a_kib > need_b_kib ? need_a_kib : need_b_kib ))
need_kib=$(( need_kib + need_kib / 10 + 65536 ))
avail_kib=$(df -Pk "$BENCH_DIR" | awk 'NR==2 {print $4}')
if [ "$avail_kib" -lt "$need_kib" ]; then
  die "$(printf 'need %.1f GiB free in %s, only %.1f GiB available (set BENCH_DIR or smaller BIG_FILE_MIB/SMALL_FILES)' \
    "$(awk "BEGIN{print $need_kib/1048576}")" "$BENCH_DIR" "$(awk "BEGIN{print $avail_kib/1048576}")")"
fi

SCRATCH=$(mktemp -d "$BENCH_DIR/plinth-bench.XXXXXX")
cleanup() { echo "cleaning up $SCRATCH..."; rm -rf "$SCRATCH"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- helpers ------------------------------------------------------------------
# time_ns CMD...: run CMD (stdout discarded), set ELAPSED_NS to its wall time.
ELAPSED_NS=0
time_ns() {
  local s e
  s=$(date +%s%N)
  "$@" >/dev/null || die "command failed: $*"
  e=$(date +%s%N)
  ELAPSED_NS=$(( e - s ))
}

# best_of N PREPARE CMD...: run PREPARE then time CMD, N times; BEST_NS = min.
BEST_NS=0
best_of() {
  local n=$1 prep=$2 i
  shift 2
  BEST_NS=
  for (( i = 0; i < n; i++ )); do
    "$prep"
    time_ns "$@"
    if [ -z "$BEST_NS" ] || [ "$ELAPSED_NS" -lt "$BEST_NS" ]; then BEST_NS=$ELAPSED_NS; fi
  done
}

# versus N_PEER PEER_PREP PEER_CMD N_PLINTH PLINTH_PREP PLINTH_CMD: like best_of
# for both, but alternating peer and plinth runs so that both see the same
# background load. Sets PEER_NS and PLINTH_NS (best of each).
versus() {
  local np=$1 pp=$2 pc=$3 nq=$4 qp=$5 qc=$6 i
  PEER_NS='' PLINTH_NS=''
  for (( i = 0; i < np || i < nq; i++ )); do
    if (( i < np )); then
      "$pp"; time_ns "$pc"
      if [ -z "$PEER_NS" ] || [ "$ELAPSED_NS" -lt "$PEER_NS" ]; then PEER_NS=$ELAPSED_NS; fi
    fi
    if (( i < nq )); then
      "$qp"; time_ns "$qc"
      if [ -z "$PLINTH_NS" ] || [ "$ELAPSED_NS" -lt "$PLINTH_NS" ]; then PLINTH_NS=$ELAPSED_NS; fi
    fi
  done
}

secs() { awk -v ns="$1" 'BEGIN { printf "%.3f", ns / 1e9 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }   # a/b
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }

report() {   # report NAME PLINTH_NS PEER_NAME PEER_NS RATIO_TEXT TARGET MET
  local line
  line=$(printf '%-34s plinth %8ss | %-26s %8ss | %-26s | target %-12s | %s' \
    "$1" "$(secs "$2")" "$3" "$(secs "$4")" "$5" "$6" "$7")
  echo "$line"
}
met() { if "$@"; then echo MET; else echo MISSED; fi; }

# fresh_repo DIR: make DIR a brand-new git + plinth repo with an empty cache,
# keeping any data already in it (plinth keeps all its state under .dvc/).
fresh_repo() {
  (
    cd "$1"
    rm -rf .git .dvc .dvcignore .gitignore ./*.dvc
    git init -q .
    "$PLINTH" -q init
  )
}

in_dir() { local d=$1; shift; ( cd "$d" && "$@" ); }

echo "plinth benchmarks: $PLINTH"
echo "scratch: $SCRATCH ($(df -PT "$SCRATCH" | awk 'NR==2 {print $2}')), $(nproc) cores, kernel $(uname -r)"
echo "sizes: big file ${BIG_FILE_MIB} MiB; ${SMALL_FILES} files x ${SMALL_FILE_KIB} KiB; best of ${RUNS} (cheap) / ${ADD_RUNS} (first-time add)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews results; peer and plinth runs alternate)"
echo "page cache: WARM for plinth and peer alike (input read once with cat >/dev/null, then sync, before every timed run)"
echo

# --- (a) one big file ---------------------------------------------------------
REPO_A=$SCRATCH/big
mkdir -p "$REPO_A"
echo "generating ${BIG_FILE_MIB} MiB file (untimed)..."
head -c "$(( BIG_FILE_MIB * 1024 * 1024 ))" /dev/urandom >"$REPO_A/big.bin"
BIG=$REPO_A/big.bin
warm_big() { cat "$BIG" >/dev/null; sync; }
reset_a() { fresh_repo "$REPO_A"; warm_big; }

md5_big() { md5sum "$BIG"; }
add_big() { in_dir "$REPO_A" "$PLINTH" -q add big.bin; }
versus "$RUNS" warm_big md5_big "$ADD_RUNS" reset_a add_big
md5_a_ns=$PEER_NS plinth_a_ns=$PLINTH_NS
want=$(md5sum "$BIG" | cut -d' ' -f1)
grep -q "md5: $want" "$REPO_A/big.bin.dvc" || die "(a) big.bin.dvc does not record md5 $want"
[ -f "$REPO_A/.dvc/cache/files/md5/${want:0:2}/${want:2}" ] || die "(a) cache object missing"

# Context: a plain copy of the file, which plinth add must also do (into the cache).
rm -rf "$REPO_A/.dvc/cache"
# plinth also makes its cache durable (syncfs), so time the flush of the copy too.
cp_a_ns='' cpsync_a_ns=''
for (( i = 0; i < RUNS; i++ )); do
  rm -f "$REPO_A/copy.bin"; warm_big
  time_ns cp --reflink=never "$BIG" "$REPO_A/copy.bin"; t_cp=$ELAPSED_NS
  time_ns sync -f "$REPO_A/copy.bin"; t_sync=$ELAPSED_NS
  if [ -z "$cp_a_ns" ] || [ $(( t_cp + t_sync )) -lt "$cpsync_a_ns" ]; then
    cp_a_ns=$t_cp cpsync_a_ns=$(( t_cp + t_sync ))
  fi
done
rm -rf "$REPO_A"

speed_a=$(ratio "$md5_a_ns" "$plinth_a_ns")
mibps() { awk -v mib="$BIG_FILE_MIB" -v ns="$1" 'BEGIN { printf "%.0f", mib / (ns / 1e9) }'; }
report "(a) add ${BIG_FILE_MIB} MiB file" "$plinth_a_ns" "md5sum" "$md5_a_ns" \
  "speed ${speed_a}x md5sum's" ">= 0.90x" "$(met ge "$speed_a" 0.9)"
echo "    context: plinth $(mibps "$plinth_a_ns") MiB/s, md5sum $(mibps "$md5_a_ns") MiB/s, cp --reflink=never of the file $(secs "$cp_a_ns")s, cp + sync $(secs "$cpsync_a_ns")s ($(mibps "$cpsync_a_ns") MiB/s)"
echo

# --- (b) many small files -----------------------------------------------------
REPO_B=$SCRATCH/small
mkdir -p "$REPO_B/data"
echo "generating ${SMALL_FILES} files of ${SMALL_FILE_KIB} KiB (untimed)..."
python3 - "$REPO_B/data" "$SMALL_FILES" "$(( SMALL_FILE_KIB * 1024 ))" <<'EOF'
import os, sys
d, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
width = len(str(n - 1))
for i in range(n):
    with open(os.path.join(d, f"f{i:0{width}d}.bin"), "wb") as f:
        f.write(os.urandom(size))
EOF
warm_small() { ( cd "$REPO_B" && find data -type f -print0 | xargs -0 cat >/dev/null ); sync; }
reset_b() { fresh_repo "$REPO_B"; warm_small; }
md5_tree() { ( cd "$REPO_B" && find data -type f -print0 | xargs -0 md5sum ); }   # one md5sum at a time
stat_tree() { ( cd "$REPO_B" && find data -type f -printf '%i %s %T@\n' ); }

add_small() { in_dir "$REPO_B" "$PLINTH" -q add data; }
versus "$RUNS" warm_small md5_tree "$ADD_RUNS" reset_b add_small
md5_b_ns=$PEER_NS plinth_b_ns=$PLINTH_NS
[ -f "$REPO_B/data.dvc" ] || die "(b) data.dvc not written"
grep -q "nfiles: $SMALL_FILES" "$REPO_B/data.dvc" || die "(b) data.dvc does not record nfiles: $SMALL_FILES"
cached=$(find "$REPO_B/.dvc/cache/files/md5" -type f -not -name '*.dir' | wc -l)
[ "$cached" -ge "$SMALL_FILES" ] || die "(b) only $cached of $SMALL_FILES files in the cache"

speed_b=$(ratio "$md5_b_ns" "$plinth_b_ns")
report "(b) add ${SMALL_FILES} x ${SMALL_FILE_KIB} KiB files" "$plinth_b_ns" "md5sum (1 process)" "$md5_b_ns" \
  "speedup ${speed_b}x" ">= 1.50x" "$(met ge "$speed_b" 1.5)"

# --- (c) status, nothing changed ----------------------------------------------
st=$(in_dir "$REPO_B" "$PLINTH" status --json)
[ "$st" = "{}" ] || die "(c) status after add is not clean: $st"
best_of "$RUNS" warm_small in_dir "$REPO_B" "$PLINTH" status
plinth_c_ns=$BEST_NS
best_of "$RUNS" warm_small stat_tree
stat_ns=$BEST_NS
report "(c) status, unchanged dir" "$plinth_c_ns" "md5sum (1 process)" "$md5_b_ns" \
  "speedup $(ratio "$md5_b_ns" "$plinth_c_ns")x" "<= 1 s" \
  "$(met test "$plinth_c_ns" -le 1000000000)"

# --- (d) add again, nothing changed -------------------------------------------
before=$(md5sum "$REPO_B/data.dvc")
best_of "$RUNS" warm_small in_dir "$REPO_B" "$PLINTH" -q add data
plinth_d_ns=$BEST_NS
[ "$(md5sum "$REPO_B/data.dvc")" = "$before" ] || die "(d) re-add changed data.dvc"
report "(d) re-add, unchanged dir" "$plinth_d_ns" "md5sum (1 process)" "$md5_b_ns" \
  "speedup $(ratio "$md5_b_ns" "$plinth_d_ns")x" "<= 1 s" \
  "$(met test "$plinth_d_ns" -le 1000000000)"
# Context for (b): plinth add has to create one cache file per input file and
# make them durable; time a plain recursive copy of the tree, and its flush.
rm -rf "$REPO_B/.dvc/cache"
cpr_ns='' cprsync_ns=''
for (( i = 0; i < ADD_RUNS; i++ )); do
  rm -rf "$REPO_B/copy"; warm_small
  time_ns cp -r --reflink=never "$REPO_B/data" "$REPO_B/copy"; t_cp=$ELAPSED_NS
  time_ns sync -f "$REPO_B/copy"; t_sync=$ELAPSED_NS
  if [ -z "$cpr_ns" ] || [ $(( t_cp + t_sync )) -lt "$cprsync_ns" ]; then
    cpr_ns=$t_cp cprsync_ns=$(( t_cp + t_sync ))
  fi
done
echo "    context (b): cp -r of the tree $(secs "$cpr_ns")s, cp -r + sync $(secs "$cprsync_ns")s"
echo "    context (c), (d): stat of every file (find -printf '%i %s %T@') $(secs "$stat_ns")s"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
