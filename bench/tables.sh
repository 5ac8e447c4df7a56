#!/usr/bin/env bash
# Table I/O benchmarks: reading a generated fraud CSV against pandas.read_csv, and Parquet
# read and write against our own CSV read, all measured in the same run on the same file.
#
#   (a) CSV read of ROWS rows            vs pandas.read_csv             target: >= 5x faster
#   (b) Parquet read of the same table   vs plinth's CSV read (a)       target: >= 3x faster
#   (c) Parquet write of the same table  vs plinth's CSV read (a)       target: >= 3x faster
#   (d) streaming the Parquet file row group by row group: peak memory beyond the batch
#       being returned, in row groups                                   target: <= 1.5
#
# Times are taken inside each process around the read or write alone (pandas' import and
# our process start are not timed); each is the best of RUNS, plinth and pandas alternating.
# The page cache is warm: the file is read once before the timed runs.
#
# Usage:  bench/tables.sh   (or: make bench-tables)
# Environment: PLINTH [build/plinth], TABLE_IO_BENCH [build/table_io_bench],
#   ROWS [1000000], RUNS [3], BENCH_DIR [/tmp]. Quick smoke run: ROWS=20000 RUNS=1.
# Needs Debian's python3 with pandas (scripts/setup.sh installs python3-pandas).
set -euo pipefail

die() { echo "bench: error: $*" >&2; exit 1; }

HERE=$(cd "$(dirname "$0")" && pwd)
PLINTH=${PLINTH:-$HERE/../build/plinth}
TABLE_IO_BENCH=${TABLE_IO_BENCH:-$HERE/../build/table_io_bench}
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
BENCH_DIR=${BENCH_DIR:-/tmp}
for v in ROWS RUNS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[ -x "$PLINTH" ] || die "plinth binary not found at '$PLINTH' (build it, or set PLINTH)"
[ -x "$TABLE_IO_BENCH" ] || die "table_io_bench not found at '$TABLE_IO_BENCH' (make build)"
PYTHON=""
for p in $(which -a python3) /usr/bin/python3; do
  if "$p" -c 'import pandas' 2>/dev/null; then PYTHON=$p; break; fi
done
[ -n "$PYTHON" ] || die "no python3 with pandas found (apt-get install python3-pandas)"

SCRATCH=$(mktemp -d "$BENCH_DIR/plinth-bench-tables.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
CSV=$SCRATCH/fraud.csv
PARQUET=$SCRATCH/fraud.parquet

echo "plinth table benchmarks: $PLINTH"
echo "$(nproc) cores, pandas $("$PYTHON" -c 'import pandas; print(pandas.__version__)'), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "generating $ROWS fraud transactions (untimed)..."
"$PLINTH" -q demo-data fraud --rows "$ROWS" --seed 1 --out "$CSV"
"$PLINTH" -q table convert "$CSV" "$PARQUET"
echo "CSV $(du -h "$CSV" | cut -f1), Parquet (Snappy) $(du -h "$PARQUET" | cut -f1)"
cat "$CSV" "$PARQUET" >/dev/null

# field KEY LINE: the value of KEY=VALUE in a result line.
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }
met() { if "$@"; then echo MET; else echo MISSED; fi; }
check_rows() { [ "$(field rows "$1")" = "$ROWS" ] || die "expected $ROWS rows: $1"; }

pandas_read() {
  "$PYTHON" - "$CSV" <<'PY'
import sys, time
import pandas as pd
t = time.perf_counter()
df = pd.read_csv(sys.argv[1])
print(f"seconds={time.perf_counter() - t:.4f} rows={len(df)}")
PY
}

csv_s='' pandas_s='' pq_read_s='' pq_write_s=''
for (( i = 0; i < RUNS; i++ )); do
  out=$(pandas_read); check_rows "$out"; pandas_s=$(min "$pandas_s" "$(field seconds "$out")")
  out=$("$TABLE_IO_BENCH" csv-read "$CSV"); check_rows "$out"; csv_s=$(min "$csv_s" "$(field seconds "$out")")
  out=$("$TABLE_IO_BENCH" parquet-read "$PARQUET"); check_rows "$out"; pq_read_s=$(min "$pq_read_s" "$(field seconds "$out")")
  out=$("$TABLE_IO_BENCH" parquet-write "$CSV" "$SCRATCH/out.parquet"); check_rows "$out"
  pq_write_s=$(min "$pq_write_s" "$(field seconds "$out")")
done
out=$("$TABLE_IO_BENCH" parquet-stream "$PARQUET"); check_rows "$out"
group=$(field row_group_bytes "$out") extra=$(field peak_extra_bytes "$out")
beyond=$(awk -v e="$extra" -v g="$group" 'BEGIN { printf "%.2f", (e - g) / g }')

echo
printf '%-40s %-12s %-28s %-10s %s\n' "benchmark" "plinth" "peer" "ratio" "target"
a=$(ratio "$pandas_s" "$csv_s") b=$(ratio "$csv_s" "$pq_read_s") c=$(ratio "$csv_s" "$pq_write_s")
printf '%-40s %-12s %-28s %-10s %s\n' "(a) read CSV, $ROWS rows" "${csv_s}s" "pandas.read_csv ${pandas_s}s" "${a}x" ">= 5x $(met ge "$a" 5)"
printf '%-40s %-12s %-28s %-10s %s\n' "(b) read Parquet (Snappy)" "${pq_read_s}s" "plinth CSV read ${csv_s}s" "${b}x" ">= 3x $(met ge "$b" 3)"
printf '%-40s %-12s %-28s %-10s %s\n' "(c) write Parquet (Snappy)" "${pq_write_s}s" "plinth CSV read ${csv_s}s" "${c}x" ">= 3x $(met ge "$c" 3)"
printf '%-40s %-12s %-28s %-10s %s\n' "(d) stream Parquet, peak memory" \
  "$(awk -v e="$extra" 'BEGIN { printf "%.1f MiB", e / 1048576 }')" \
  "row group $(awk -v g="$group" 'BEGIN { printf "%.1f MiB", g / 1048576 }')" "${beyond}" "<= 1.5 row groups beyond the batch $(met le "$beyond" 1.5)"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
