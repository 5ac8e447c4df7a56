#!/usr/bin/env bash
# Feature-store benchmark, historical join: `plinth features historical` against pandas
# merge_asof and Feast's get_historical_features (file offline store), same data, same run,
# interleaved.
#
#   (a) FEATURE_ROWS x ENTITY_ROWS   plinth vs pandas merge_asof      (targets: >= 5x)
#   (b) FEAST_FEATURE_ROWS x FEAST_ENTITY_ROWS over FEAST_KEYS keys: plinth vs Feast (>= 20x)
# Feast's file store joins every entity row with every source row of its key before filtering,
# so at the size of (a) (100 rows per key: 100M intermediate rows) it runs out of time and
# memory here. (b) scales (a) down by 10 in feature rows, entity rows and keys alike, keeping
# the rows per key (what Feast's cost grows with), and plinth is timed again at that size.
# Plinth is timed as a whole process (reading, joining, writing the result); the peers from
# reading the files to writing their result, without interpreter start-up, imports or Feast's
# apply. Wall and CPU time (user + system, all threads) are both reported: on a shared machine
# the CPU time is the steadier measure. The best of the runs is reported.
#
# Usage:  bench/features.sh            (or: PLINTH=/abs/path/plinth bench/features.sh)
# Environment (defaults in brackets):
#   PLINTH               plinth binary                         [$(dirname "$0")/../build/plinth]
#   TOOLS_PYTHON         Python with pandas, pyarrow, feast    [$(dirname "$0")/../.venv-test/bin/python]
#   BENCH_DIR            parent of the scratch folder          [/tmp]   needs ~1 GiB free
#   FEATURE_ROWS         feature rows in (a)                   [10000000]
#   ENTITY_ROWS          entity rows in (a)                    [1000000]
#   KEYS                 distinct join keys                    [100000]
#   FEAST_FEATURE_ROWS   feature rows in (b)                   [1000000]
#   FEAST_ENTITY_ROWS    entity rows in (b)                    [100000]
#   FEAST_KEYS           distinct join keys in (b)             [KEYS / 10]
#   RUNS                 runs of each timing                   [3]
#   FEAST_RUNS           runs of Feast (each with plinth beside it) [3]
# Quick smoke run: FEATURE_ROWS=200000 ENTITY_ROWS=20000 FEAST_FEATURE_ROWS=20000 \
#   FEAST_ENTITY_ROWS=2000 RUNS=1 bench/features.sh
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
case "${1:-}" in -h | --help) usage; exit 0 ;; "") ;; *) usage >&2; exit 2 ;; esac
die() { echo "bench: error: $*" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
PLINTH=${PLINTH:-$here/../build/plinth}
TOOLS_PYTHON=${TOOLS_PYTHON:-$here/../.venv-test/bin/python}
BENCH_DIR=${BENCH_DIR:-/tmp}
FEATURE_ROWS=${FEATURE_ROWS:-10000000}
ENTITY_ROWS=${ENTITY_ROWS:-1000000}
KEYS=${KEYS:-100000}
FEAST_FEATURE_ROWS=${FEAST_FEATURE_ROWS:-1000000}
FEAST_ENTITY_ROWS=${FEAST_ENTITY_ROWS:-100000}
FEAST_KEYS=${FEAST_KEYS:-$((KEYS / 10 > 0 ? KEYS / 10 : 1))}
RUNS=${RUNS:-3}
FEAST_RUNS=${FEAST_RUNS:-3}
for v in FEATURE_ROWS ENTITY_ROWS KEYS FEAST_FEATURE_ROWS FEAST_ENTITY_ROWS FEAST_KEYS RUNS \
  FEAST_RUNS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[ -x "$PLINTH" ] || die "plinth binary not found at '$PLINTH' (build it, or set PLINTH)"
[ -x "$TOOLS_PYTHON" ] || die "'$TOOLS_PYTHON' not found (scripts/setup.sh installs the tools)"
PEERS=$here/features_peers.py
work=$(mktemp -d "$BENCH_DIR/plinth-bench-features.XXXXXX")
trap 'rm -rf "$work"' EXIT

best() { printf '%s\n' "$@" | sort -g | head -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

setup() {  # dir feature_rows entity_rows keys
  mkdir -p "$1/data"
  "$TOOLS_PYTHON" "$PEERS" generate "$1" "$2" "$3" "$4" 7
  (cd "$1" && "$PLINTH" -q features apply)
}
time_plinth() {  # dir -> "wall cpu"
  (cd "$1" && /usr/bin/time -f "%e %U %S" -o "$1/time.txt" "$PLINTH" -q features historical \
    --entities entities.parquet --features stats:f1,stats:f2,stats:f3 --out "$1/plinth_out.parquet")
  awk '{ printf "%.3f %.3f", $1, $2 + $3 }' "$1/time.txt"
}
wall() { echo "${1% *}"; }
cpu() { echo "${1#* }"; }

echo "generating $FEATURE_ROWS feature rows x $ENTITY_ROWS entity rows ($KEYS keys) ..."
setup "$work/a" "$FEATURE_ROWS" "$ENTITY_ROWS" "$KEYS"
echo "generating $FEAST_FEATURE_ROWS x $FEAST_ENTITY_ROWS ($FEAST_KEYS keys) for Feast ..."
setup "$work/b" "$FEAST_FEATURE_ROWS" "$FEAST_ENTITY_ROWS" "$FEAST_KEYS"

# Wall and CPU seconds (all threads) of each run; the best of the runs is reported for each.
pw=() pc=() mw=() mc=()
for run in $(seq "$RUNS"); do
  p=$(time_plinth "$work/a")
  m=$("$TOOLS_PYTHON" "$PEERS" merge_asof "$work/a" "$work/a/pandas_out.parquet")
  pw+=("$(wall "$p")") pc+=("$(cpu "$p")") mw+=("$(wall "$m")") mc+=("$(cpu "$m")")
  echo "  run $run: plinth $p s, pandas merge_asof $m s (wall cpu)"
done
"$TOOLS_PYTHON" - "$work/a" <<'PY'
import sys, pandas as pd
a = pd.read_parquet(f"{sys.argv[1]}/plinth_out.parquet")
b = pd.read_parquet(f"{sys.argv[1]}/pandas_out.parquet")
cols = ["f1", "f2", "f3"]
same = all(((a[c] == b[c]) | (a[c].isna() & b[c].isna())).all() for c in cols)
print(f"  outputs agree: {same} ({a['f1'].notna().sum()} of {len(a)} rows with features)")
PY
qw=() qc=() fw=() fc=()
for run in $(seq "$FEAST_RUNS"); do
  p=$(time_plinth "$work/b")
  f=$("$TOOLS_PYTHON" "$PEERS" feast "$work/b" "$work/b/feast_out.parquet" 2>/dev/null | tail -1)
  qw+=("$(wall "$p")") qc+=("$(cpu "$p")") fw+=("$(wall "$f")") fc+=("$(cpu "$f")")
  echo "  run $run (small): plinth $p s, Feast $f s (wall cpu)"
done

echo
echo "historical join, $FEATURE_ROWS feature rows x $ENTITY_ROWS entity rows (best of $RUNS):"
echo "  plinth features historical     wall $(best "${pw[@]}") s, cpu $(best "${pc[@]}") s"
echo "  pandas merge_asof              wall $(best "${mw[@]}") s, cpu $(best "${mc[@]}") s"
echo "  -> plinth is $(ratio "$(best "${mw[@]}")" "$(best "${pw[@]}")")x faster in wall time," \
  "$(ratio "$(best "${mc[@]}")" "$(best "${pc[@]}")")x in CPU time (target >= 5x)"
echo "historical join, $FEAST_FEATURE_ROWS feature rows x $FEAST_ENTITY_ROWS entity rows," \
  "$FEAST_KEYS keys (best of $FEAST_RUNS):"
echo "  plinth features historical     wall $(best "${qw[@]}") s, cpu $(best "${qc[@]}") s"
echo "  Feast get_historical_features  wall $(best "${fw[@]}") s, cpu $(best "${fc[@]}") s"
echo "  -> plinth is $(ratio "$(best "${fw[@]}")" "$(best "${qw[@]}")")x faster in wall time," \
  "$(ratio "$(best "${fc[@]}")" "$(best "${qc[@]}")")x in CPU time (target >= 20x)"
