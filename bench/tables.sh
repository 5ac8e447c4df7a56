#!/usr/bin/env bash
# Table I/O benchmarks: plinth's CSV and Parquet readers and its Parquet writer against pyarrow
# and polars on the same generated fraud file, alternating, in the same run:
#
#   (a) CSV read of ROWS rows        vs polars.read_csv (timestamps parsed)  target: >= 1.0x
#                                       and pyarrow.csv.read_csv (context)
#   (b) Parquet read (Snappy)        vs pyarrow.parquet.read_table           target: >= 1.0x
#                                       and polars.read_parquet (context)
#   (c) Parquet write (Snappy)       vs pyarrow.parquet.write_table          target: >= 1.0x
#                                       and polars' write_parquet (context)
#   (d) streaming the Parquet file row group by row group: peak memory beyond the batch
#       being returned, in row groups                                        target: <= 1.5
#
# Ratio = peer time / plinth time. Times are taken inside each process around the read or
# write alone (imports and process start are not timed), and each process does the read or
# write twice and reports the second (the first warms up lazy imports, thread pools and the
# allocator, as in a long-running notebook or service); each is the best of RUNS. Every
# tool uses its default threads (both cores here: pyarrow's and polars' pools, plinth's one
# thread per core). The Parquet file read in (b) is the one plinth writes from the CSV; the
# writers in (c) all write the table read from that file, with Snappy and row groups of
# 131,072 rows (plinth's defaults). The page cache is warm: the files are read once first.
#
# Usage:  bench/tables.sh   (or: make bench-tables)
# Environment: PLINTH [build/plinth], TABLE_IO_BENCH [build/table_io_bench],
#   PLINTH_TOOLS_PYTHON [.venv-test/bin/python, from scripts/setup.sh], ROWS [1000000],
#   RUNS [5], BENCH_DIR [/tmp]. Quick smoke run (~10 s): ROWS=20000 RUNS=1.
set -euo pipefail

die() { echo "bench: error: $*" >&2; exit 1; }

HERE=$(cd "$(dirname "$0")" && pwd)
PLINTH=${PLINTH:-$HERE/../build/plinth}
TABLE_IO_BENCH=${TABLE_IO_BENCH:-$HERE/../build/table_io_bench}
PY=${PLINTH_TOOLS_PYTHON:-$HERE/../.venv-test/bin/python}
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-5}
BENCH_DIR=${BENCH_DIR:-/tmp}
for v in ROWS RUNS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[ -x "$PLINTH" ] || die "plinth binary not found at '$PLINTH' (build it, or set PLINTH)"
[ -x "$TABLE_IO_BENCH" ] || die "table_io_bench not found at '$TABLE_IO_BENCH' (make build)"
[ -x "$PY" ] || die "no Python with pyarrow and polars at '$PY': run scripts/setup.sh (or set PLINTH_TOOLS_PYTHON)"

SCRATCH=$(mktemp -d "$BENCH_DIR/plinth-bench-tables.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
CSV=$SCRATCH/fraud.csv
PARQUET=$SCRATCH/fraud.parquet

echo "plinth table benchmarks: $PLINTH"
echo "machine: $(nproc) cores, $(uname -r), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "peers: $("$PY" "$HERE/table_io_peers.py" versions)"
echo "generating $ROWS fraud transactions (untimed)..."
"$PLINTH" -q demo-data fraud --rows "$ROWS" --seed 1 --out "$CSV"
"$PLINTH" -q table convert "$CSV" "$PARQUET"
echo "CSV $(du -h "$CSV" | cut -f1), Parquet (Snappy) $(du -h "$PARQUET" | cut -f1)"
cat "$CSV" "$PARQUET" >/dev/null

# field KEY LINE: the value of KEY=VALUE in a result line.
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }
met() { if "$@"; then echo MET; else echo MISSED; fi; }

# time_best NAME CMD...: runs CMD (which prints "seconds=S rows=R"), checks the row count and
# keeps the best time in best[NAME].
declare -A best
time_best() {
  local name=$1 out
  shift
  out=$("$@") || die "$name failed: $*"
  [ "$(field rows "$out")" = "$ROWS" ] || die "$name: expected $ROWS rows: $out"
  best[$name]=$(awk -v a="${best[$name]:-}" -v b="$(field seconds "$out")" 'BEGIN { print (a == "" || b < a) ? b : a }')
}
peer() { "$PY" "$HERE/table_io_peers.py" "$@"; }
for (( i = 0; i < RUNS; i++ )); do
  time_best plinth-csv "$TABLE_IO_BENCH" csv-read "$CSV"
  time_best polars-csv peer polars-csv-read "$CSV"
  time_best pyarrow-csv peer pyarrow-csv-read "$CSV"
  time_best plinth-pq-read "$TABLE_IO_BENCH" parquet-read "$PARQUET"
  time_best pyarrow-pq-read peer pyarrow-parquet-read "$PARQUET"
  time_best polars-pq-read peer polars-parquet-read "$PARQUET"
  time_best plinth-pq-write "$TABLE_IO_BENCH" parquet-write "$PARQUET" "$SCRATCH/out.parquet"
  time_best pyarrow-pq-write peer pyarrow-parquet-write "$PARQUET" "$SCRATCH/out.parquet"
  time_best polars-pq-write peer polars-parquet-write "$PARQUET" "$SCRATCH/out.parquet"
done
out=$("$TABLE_IO_BENCH" parquet-stream "$PARQUET")
[ "$(field rows "$out")" = "$ROWS" ] || die "parquet-stream: expected $ROWS rows: $out"
group=$(field row_group_bytes "$out") extra=$(field peak_extra_bytes "$out")
beyond=$(awk -v e="$extra" -v g="$group" 'BEGIN { printf "%.2f", (e - g) / g }')

echo
row() {  # LABEL PLINTH_KEY PEER_KEY PEER_NAME TARGET(empty: context)
  local r
  r=$(ratio "${best[$3]}" "${best[$2]}")
  printf '%-34s %-10s %-30s %-8s %s\n' "$1" "${best[$2]}s" "$4 ${best[$3]}s" "${r}x" \
    "${5:+>= ${5}x $(met ge "$r" "$5")}"
}
printf '%-34s %-10s %-30s %-8s %s\n' "benchmark ($ROWS rows)" "plinth" "peer" "ratio" "target"
row "(a) read CSV" plinth-csv polars-csv "polars" 1.0
row "    (context)" plinth-csv pyarrow-csv "pyarrow" ""
row "(b) read Parquet (Snappy)" plinth-pq-read pyarrow-pq-read "pyarrow" 1.0
row "    (context)" plinth-pq-read polars-pq-read "polars" ""
row "(c) write Parquet (Snappy)" plinth-pq-write pyarrow-pq-write "pyarrow" 1.0
row "    (context)" plinth-pq-write polars-pq-write "polars" ""
printf '%-34s %-10s %-30s %-8s %s\n' "(d) stream Parquet, peak memory" \
  "$(awk -v e="$extra" 'BEGIN { printf "%.1f MiB", e / 1048576 }')" \
  "row group $(awk -v g="$group" 'BEGIN { printf "%.1f MiB", g / 1048576 }')" "${beyond}" "<= 1.5 row groups beyond the batch $(met le "$beyond" 1.5)"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
