"""The peers of bench/table_io_bench.cc for bench/tables.sh: pyarrow and polars reading and
writing the same files. Each mode prints one line "seconds=S rows=R", the time of the read or
write alone (imports, and the read that feeds a write, are not timed).

    python table_io_peers.py versions
    python table_io_peers.py pyarrow-csv-read FILE.csv
    python table_io_peers.py polars-csv-read FILE.csv      (timestamps parsed, as plinth does)
    python table_io_peers.py pyarrow-parquet-read FILE.parquet
    python table_io_peers.py polars-parquet-read FILE.parquet
    python table_io_peers.py pyarrow-parquet-write FILE.parquet OUT.parquet
    python table_io_peers.py polars-parquet-write FILE.parquet OUT.parquet

Writes use Snappy and row groups of 131,072 rows, as plinth's writer does by default; every
other option is the library's default (dictionaries and statistics on in both).
"""

import sys
import time

ROW_GROUP_ROWS = 128 * 1024


def timed(fn):
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    rows = fn()
    print(f"seconds={time.perf_counter() - start:.4f} rows={rows} first={first:.4f} "
          f"cpu={time.process_time() - cpu:.4f}")


def main(argv):
    mode = argv[1] if len(argv) > 1 else ""
    if mode in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    if mode == "versions":
        import polars
        import pyarrow

        print(f"pyarrow {pyarrow.__version__} ({pyarrow.cpu_count()} threads), "
              f"polars {polars.__version__} ({polars.thread_pool_size()} threads), "
              f"Python {sys.version.split()[0]}")
        return 0
    writes = mode.endswith("-write")
    if len(argv) != (4 if writes else 3):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    path = argv[2]
    if mode == "pyarrow-csv-read":
        import pyarrow.csv as csv

        timed(lambda: csv.read_csv(path).num_rows)
    elif mode == "polars-csv-read":
        import polars as pl

        timed(lambda: pl.read_csv(path, try_parse_dates=True).height)
    elif mode == "pyarrow-parquet-read":
        import pyarrow.parquet as pq

        timed(lambda: pq.read_table(path).num_rows)
    elif mode == "polars-parquet-read":
        import polars as pl

        timed(lambda: pl.read_parquet(path).height)
    elif mode == "pyarrow-parquet-write":
        import pyarrow.parquet as pq

        table = pq.read_table(path)

        def write():
            pq.write_table(table, argv[3], compression="snappy", row_group_size=ROW_GROUP_ROWS)
            return table.num_rows

        timed(write)
    elif mode == "polars-parquet-write":
        import polars as pl

        df = pl.read_parquet(path)

        def write():
            df.write_parquet(argv[3], compression="snappy", row_group_size=ROW_GROUP_ROWS)
            return df.height

        timed(write)
    else:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
