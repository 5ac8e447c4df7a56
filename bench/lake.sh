#!/usr/bin/env bash
# Tables on object storage: reading a hive-partitioned Parquet prefix from S3 (s3rver on
# loopback) with Plinth against pyarrow.fs.S3FileSystem on the same objects, in the same run,
# alternating the two.
#
#   plinth:  table_io_bench table-read s3://bucket/lake/   (table::read_table: listing, footers,
#            column chunks by ranged GETs, several in flight, decoded into one table)
#   pyarrow: pyarrow.parquet.read_table("bucket/lake", filesystem=S3FileSystem(...)), hive
#            partitioning, its default threads and I/O pool
# Each process reads twice and reports the second read (the first warms connections, thread
# pools and lazy imports); the best of RUNS is kept for each. Target: pyarrow / plinth >= 1.0.
# Wall time and the CPU time of the reader's process (all threads) are printed for each run,
# with s3rver's CPU time during it and the load average: on a shared machine the CPU ratio is
# the fairer figure.
#
# Usage:  bench/lake.sh            (PLINTH, TABLE_IO_BENCH default to build/)
# Environment (defaults in brackets):
#   LAKE_MIB     Parquet bytes to read, in MiB                  [1024]
#   FILES        files in the lake, spread over 4 dt= partitions [8]
#   RUNS         alternating runs of each reader                 [3]
#   BENCH_DIR    parent of the scratch folder (s3rver's objects) [/tmp]
# Needs node and the npm package s3rver (scripts/setup.sh), and .venv-test (pyarrow, boto3).
set -euo pipefail
die() { echo "bench: error: $*" >&2; exit 1; }
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
PLINTH=${PLINTH:-$ROOT/build/plinth}
TABLE_IO_BENCH=${TABLE_IO_BENCH:-$(dirname "$PLINTH")/table_io_bench}
PY=${PLINTH_TOOLS_PYTHON:-$ROOT/.venv-test/bin/python}
LAKE_MIB=${LAKE_MIB:-1024}
FILES=${FILES:-8}
RUNS=${RUNS:-3}
BENCH_DIR=${BENCH_DIR:-/tmp}
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 0
fi
for v in LAKE_MIB FILES RUNS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[ -x "$PLINTH" ] || die "plinth not found at $PLINTH (build it, or set PLINTH)"
[ -x "$TABLE_IO_BENCH" ] || die "table_io_bench not found at $TABLE_IO_BENCH (cmake --build build)"
[ -x "$PY" ] || die "$PY not found: run scripts/setup.sh"
S3RVER=$ROOT/node_modules/s3rver/bin/s3rver.js
[ -f "$S3RVER" ] || die "s3rver is not installed: run scripts/setup.sh"

SCRATCH=$(mktemp -d "$BENCH_DIR/plinth-lake.XXXXXX")
s3_pid=""
cleanup() {
  [ -n "$s3_pid" ] && kill "$s3_pid" 2>/dev/null
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir "$SCRATCH/s3"
node --openssl-legacy-provider "$S3RVER" -d "$SCRATCH/s3" -a 127.0.0.1 -p "$PORT" \
  --configure-bucket bucket --silent >"$SCRATCH/s3rver.log" 2>&1 &
s3_pid=$!
for _ in $(seq 1 100); do (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
export AWS_ENDPOINT_URL=http://127.0.0.1:$PORT

# The lake: FILES Parquet files of the handbook's fraud transactions (Plinth's defaults: Snappy,
# row groups of 131,072 rows), about 29 bytes a row, under lake/dt=2026-03-2X/.
rows_per_file=$(( LAKE_MIB * 1024 * 1024 / 29 / FILES ))
echo "generating $FILES files of $rows_per_file rows (~$LAKE_MIB MiB) and uploading them..."
for i in $(seq 0 $((FILES - 1))); do
  "$PLINTH" -q demo-data fraud --rows "$rows_per_file" --seed $((i + 1)) \
    --out "s3://bucket/lake/dt=2026-03-2$((i % 4))/part-$i.parquet"
done
bytes=$(du -sb "$SCRATCH/s3/bucket" | cut -f1)

cat >"$SCRATCH/peer.py" <<PY
import time, pyarrow, pyarrow.fs as pafs, pyarrow.parquet as pq
fs = pafs.S3FileSystem(endpoint_override="127.0.0.1:$PORT", scheme="http", access_key="S3RVER",
                       secret_key="S3RVER", region="us-east-1")
def read():
    return pq.read_table("bucket/lake", filesystem=fs, partitioning="hive").num_rows
t0 = time.perf_counter(); read(); first = time.perf_counter() - t0
t0, c0 = time.perf_counter(), time.process_time(); rows = read()
print(f"seconds={time.perf_counter() - t0:.4f} rows={rows} first={first:.4f} "
      f"cpu={time.process_time() - c0:.4f} threads={pyarrow.cpu_count()} "
      f"io_threads={pyarrow.io_thread_count()}")
PY
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }
min() { awk -v a="$1" -v b="$2" 'BEGIN{print (b < a ? b : a)}'; }
s3rver_cpu() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$s3_pid/stat"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
best_p=999999 best_a=999999 best_pc=999999 best_ac=999999
for r in $(seq 1 "$RUNS"); do
  c0=$(s3rver_cpu)
  p=$("$TABLE_IO_BENCH" table-read s3://bucket/lake/)
  c1=$(s3rver_cpu)
  a=$("$PY" "$SCRATCH/peer.py")
  c2=$(s3rver_cpu)
  echo "run $r: plinth $p s3rver_cpu=$(awk -v a="$c0" -v b="$c1" 'BEGIN{print b-a}') (both reads) load=$(load)"
  echo "run $r: pyarrow $a s3rver_cpu=$(awk -v a="$c1" -v b="$c2" 'BEGIN{print b-a}') (both reads) load=$(load)"
  [ "$(field rows "$p")" = "$(field rows "$a")" ] || die "the readers disagree on the row count"
  best_p=$(min "$best_p" "$(field seconds "$p")") best_pc=$(min "$best_pc" "$(field cpu "$p")")
  best_a=$(min "$best_a" "$(field seconds "$a")") best_ac=$(min "$best_ac" "$(field cpu "$a")")
done
mib=$(awk -v b="$bytes" 'BEGIN{printf "%.0f", b / 1048576}')
printf '\nread %s MiB of Parquet in %s files from s3rver (best of %s; load average now %s)\n' \
  "$mib" "$FILES" "$RUNS" "$(load)"
printf '  plinth   %8.2f s  %7.1f MiB/s  %7.2f CPU s\n' "$best_p" \
  "$(awk -v b="$bytes" -v s="$best_p" 'BEGIN{print b/1048576/s}')" "$best_pc"
printf '  pyarrow  %8.2f s  %7.1f MiB/s  %7.2f CPU s\n' "$best_a" \
  "$(awk -v b="$bytes" -v s="$best_a" 'BEGIN{print b/1048576/s}')" "$best_ac"
printf '  ratio pyarrow/plinth: %.2fx wall (target >= 1.0), %.2fx CPU\n' \
  "$(awk -v a="$best_a" -v p="$best_p" 'BEGIN{print a/p}')" \
  "$(awk -v a="$best_ac" -v p="$best_pc" 'BEGIN{print a/p}')"
