"""pyarrow and polars as the oracles for Plinth's Parquet and CSV, both directions.

Usage: tables_arrow_oracle.py PLINTH WORKDIR

1. Plinth writes (every codec it offers; dictionary and plain pages; nulls; several row
   groups; several pages per chunk), pyarrow and polars read: values, nulls, types, codecs,
   encodings and statistics must be the ones Plinth was given.
2. pyarrow (and polars) write with the option combinations they offer for flat schemas,
   Plinth reads (`plinth table schema/head --json`): values and types must be the source's,
   through the mapping in docs/tables.md.
3. CSV both ways: Plinth's CSV read by pyarrow.csv and polars; pyarrow's and polars' CSV read
   by Plinth.

Plinth writes data pages v1 only (it has no option for v2), so v2 pages are checked in the
reading direction.

"Identical" is judged on canonical values: floats by repr (so -0.0, subnormals and the last
bit count; NaN and infinities by name), timestamps as integer nanoseconds since 1970 UTC,
strings as text, nulls as None. Prints one line per failed check and exits 1 if any failed.
"""

import datetime
import decimal
import json
import math
import random
import re
import subprocess
import sys
import traceback
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

PLINTH = sys.argv[1]
WORK = Path(sys.argv[2])
WORK.mkdir(parents=True, exist_ok=True)
failures = []
counts = {"files": 0, "columns": 0}

# ---------------------------------------------------------------------------------------------
# Canonical values


def canon_float(x):
    if x is None:
        return None
    x = float(x)
    return "nan" if math.isnan(x) else repr(x)


def canon_plinth(ptype, v):
    """A value of `plinth table head --json` in canonical form."""
    if v is None:
        return None
    if ptype == "float64":
        return {"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}.get(v) or canon_float(v)
    if ptype == "timestamp":
        return parse_iso_ns(v)
    return v


ISO = re.compile(r"^(-?\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z$")
EPOCH = datetime.date(1970, 1, 1)


def parse_iso_ns(s):
    m = ISO.match(s)
    if not m:
        raise ValueError(f"not a Plinth timestamp: {s!r}")
    y, mo, d, hh, mi, ss = (int(g) for g in m.groups()[:6])
    days = (datetime.date(y, mo, d) - EPOCH).days
    frac = int((m.group(7) or "").ljust(9, "0"))
    return ((days * 86400 + hh * 3600 + mi * 60 + ss) * 10**9) + frac


def expected_column(arr):
    """(Plinth type, canonical values) an Arrow column must read as, per docs/tables.md."""
    t = arr.type
    if pa.types.is_dictionary(t):
        return expected_column(arr.cast(t.value_type))
    if pa.types.is_integer(t) or pa.types.is_duration(t):
        return "int64", arr.cast(pa.int64()).to_pylist()
    if pa.types.is_time(t):  # TIME reads as an integer in its unit since midnight
        return "int64", arr.cast(pa.int64() if t.bit_width == 64 else pa.int32()).to_pylist()
    if pa.types.is_null(t):
        return "int64", [None] * len(arr)
    if pa.types.is_floating(t):
        if pa.types.is_float16(t):
            arr = arr.cast(pa.float32())
        return "float64", [canon_float(x) for x in arr.to_pylist()]
    if pa.types.is_decimal(t):
        return "float64", [None if x is None else canon_float(float(x)) for x in arr.to_pylist()]
    if pa.types.is_boolean(t):
        return "bool", arr.to_pylist()
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "string", arr.to_pylist()
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t) or \
            pa.types.is_binary_view(t):
        return "string", [None if x is None else x.decode() for x in arr.to_pylist()]
    if pa.types.is_date32(t) or pa.types.is_date64(t):
        days = arr.cast(pa.date32()).cast(pa.int32()).to_pylist()
        return "timestamp", [None if x is None else x * 86400 * 10**9 for x in days]
    if pa.types.is_timestamp(t):
        scale = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[t.unit]
        ints = arr.cast(pa.int64()).to_pylist()
        return "timestamp", [None if x is None else x * scale for x in ints]
    raise AssertionError(f"no expectation for Arrow type {t}")


def expected_table(table):
    out = {}
    for name in table.column_names:
        out[name] = expected_column(table.column(name).combine_chunks())
    return out


def fail(what, detail):
    failures.append(f"{what}: {detail}")
    print(f"FAIL: {what}: {detail}", file=sys.stderr)


def compare(what, got, want):
    """got/want: {column: (type, values)}."""
    counts["files"] += 1
    if list(got) != list(want):
        fail(what, f"columns {list(got)} != {list(want)}")
        return
    for name, (wtype, wvals) in want.items():
        counts["columns"] += 1
        gtype, gvals = got[name]
        if gtype != wtype:
            fail(what, f"column {name!r} reads as {gtype}, expected {wtype}")
        elif gvals != wvals:
            if len(gvals) != len(wvals):
                fail(what, f"column {name!r}: {len(gvals)} rows, expected {len(wvals)}")
                continue
            i = next(i for i, (a, b) in enumerate(zip(gvals, wvals)) if a != b)
            n = sum(a != b for a, b in zip(gvals, wvals))
            fail(what, f"column {name!r}: {n} values differ, first at row {i}: "
                       f"{gvals[i]!r} != expected {wvals[i]!r}")


# ---------------------------------------------------------------------------------------------
# Plinth as a user runs it


def plinth(*args, check=True):
    p = subprocess.run([PLINTH, *map(str, args)], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"plinth {' '.join(map(str, args))} exited {p.returncode}: {p.stderr}")
    return p


def plinth_read(path, *options):
    """{column: (Plinth type, canonical values)} from `plinth table schema/head --json`."""
    schema = json.loads(plinth("table", "schema", path, "--json", *options).stdout)
    rows = json.loads(plinth("table", "head", path, "-n", 10**9, "--json", *options).stdout)
    types = {c["name"]: c["type"] for c in schema["columns"]}
    return {n: (t, [canon_plinth(t, r[n]) for r in rows]) for n, t in types.items()}


def check_plinth_reads(what, path, source):
    try:
        got = plinth_read(path)
    except RuntimeError as e:
        fail(what, str(e))
        return
    compare(what, got, expected_table(source))


# ---------------------------------------------------------------------------------------------
# Test data

F64_SPECIAL = [0.0, -0.0, 1.0, -1.5, 0.1, 1 / 3, 5e-324, 2.2250738585072014e-308,
               1.7976931348623157e308, -1.7976931348623157e308, float("inf"), float("-inf"),
               float("nan"), 1e300, 123456789.125]
I64_SPECIAL = [0, 1, -1, 2**63 - 1, -(2**63), 2**31, -(2**31) - 1, 2**53 + 1]
TS_SPECIAL = [0, -1, 1, 1_767_259_800_250_000_000, -(2**63) + 1, 2**63 - 1, 951_782_400 * 10**9]
STR_SPECIAL = ["", " ", "a,b", 'say "hi"', "line\nbreak", "crlf\r\nx", "tab\tx", "ünïcødé ✓",
               "日本語", "emoji 🦀", "NA ", "x" * 300, "'single'", "  lead", "trail  "]


def sprinkle(values, null_every):
    return [None if null_every and i % null_every == 3 else v for i, v in enumerate(values)]


def col(values, type_, null_every=9):
    return pa.array(sprinkle(list(values), null_every), type_)


def specials_then(specials, n, draw):
    return [specials[i] if i < len(specials) else draw(i) for i in range(n)]


def plinth_source(n, seed):
    """A table of the five types Plinth writes, with specials, nulls, low and high cardinality."""
    r = random.Random(seed)
    f64 = specials_then(F64_SPECIAL, n, lambda i: r.uniform(-1e6, 1e6))
    i64 = specials_then(I64_SPECIAL, n, lambda i: r.randrange(-(2**62), 2**62))
    ts = specials_then(TS_SPECIAL, n, lambda i: r.randrange(0, 2 * 10**18))
    strs = specials_then(STR_SPECIAL, n, lambda i: f"s{i}-{r.random()}")
    cats = ["grocery", "gas", "online", "travel", "ünï", ""]
    day = 86400 * 10**9
    utc = pa.timestamp("ns", "UTC")
    return pa.table({
        "f64": col(f64, pa.float64(), 7),
        "f64_full": col((r.gauss(0, 1e3) for _ in range(n)), pa.float64(), 0),
        "f64_zero": col(([0.0, -0.0, float("nan")][i % 3] for i in range(n)), pa.float64(), 5),
        "f64_null": pa.nulls(n, pa.float64()),
        "f64_whole": col((float(r.randrange(-10**6, 10**6)) for _ in range(n)), pa.float64()),
        "i64": col(i64, pa.int64(), 5),
        "i64_low": col((r.choice([-3, 0, 7, 2**40]) for _ in range(n)), pa.int64(), 11),
        "bool": col((r.random() < 0.3 for _ in range(n)), pa.bool_(), 6),
        "bool_full": col((i % 3 == 0 for i in range(n)), pa.bool_(), 0),
        "str": col(strs, pa.string()),
        "str_low": col((r.choice(cats) for _ in range(n)), pa.string(), 4),
        # few values in the first row groups, all distinct later: dictionary, then plain
        "str_mixed": col((r.choice(cats) if i < n // 2 else f"u{i}" for i in range(n)),
                         pa.string(), 0),
        "str_null": pa.nulls(n, pa.string()),
        "ts": col(ts, utc, 8),
        "ts_low": col((r.choice([0, day, 20454 * day]) for _ in range(n)), utc, 5),
    })


# ---------------------------------------------------------------------------------------------
# 1. Plinth writes Parquet; pyarrow and polars read


def read_verified(path):
    """pyarrow's reading, checking the CRC of every page (Plinth writes one per page)."""
    return pq.read_table(path, page_checksum_verification=True)


def parquet_stats_want(column):
    """(min, max, null_count) the Parquet spec asks for: NaN left out of min/max."""
    vals = [v for v in column.to_pylist()
            if v is not None and not (isinstance(v, float) and math.isnan(v))]
    nulls = column.null_count
    if not vals:
        return None, None, nulls
    return min(vals), max(vals), nulls


def same_stat(got, want, bound):
    """The spec: a zero min is written as -0.0, a zero max as +0.0."""
    if isinstance(want, float) and want == 0:
        return got == 0 and math.copysign(1, got) == (-1 if bound == "min" else 1)
    return got == want


def check_plinth_writes():
    src = plinth_source(3000, 1)
    src_path = WORK / "plinth_src.parquet"
    pq.write_table(src, src_path, compression="none", use_dictionary=False)
    want = expected_table(src)
    dict_cols = {"i64_low", "str_low", "ts_low"}
    for codec, pa_codec in [("snappy", "SNAPPY"), ("zstd", "ZSTD"), ("gzip", "GZIP"),
                            ("lz4", "LZ4_RAW"), ("brotli", "BROTLI"), ("none", "UNCOMPRESSED")]:
        out = WORK / f"plinth_{codec}.parquet"
        plinth("table", "convert", src_path, out, "--compression", codec, "--row-group-rows", 1000)
        what = f"plinth writes --compression {codec}"
        compare(f"{what}, pyarrow reads", expected_table(read_verified(out)), want)
        compare(f"{what}, polars reads", expected_table(pl.read_parquet(out).to_arrow()),
                expected_table(pl.from_arrow(src).to_arrow()))
        compare(f"{what}, plinth reads", plinth_read(out), want)
        arrow_schema = pq.read_schema(out)
        for name in src.column_names:
            if arrow_schema.field(name).type != src.schema.field(name).type:
                fail(what, f"column {name!r} is {arrow_schema.field(name).type} in pyarrow, "
                           f"expected {src.schema.field(name).type}")
        meta = pq.ParquetFile(out).metadata
        if meta.num_row_groups != 3:
            fail(what, f"{meta.num_row_groups} row groups, expected 3")
        for g in range(meta.num_row_groups):
            rg = meta.row_group(g)
            for c in range(rg.num_columns):
                cc = rg.column(c)
                name = cc.path_in_schema
                where = f"{what}: row group {g} column {name!r}"
                # pyarrow calls LZ4_RAW "LZ4"; the footer's codec ids are checked below
                codec_seen = "LZ4_RAW" if cc.compression == "LZ4" else cc.compression
                if codec_seen != pa_codec:
                    fail(where, f"codec {cc.compression}, expected {pa_codec}")
                dict_expected = name in dict_cols or (name == "str_mixed" and g == 0)
                has_dict = cc.has_dictionary_page and "RLE_DICTIONARY" in cc.encodings or \
                    cc.has_dictionary_page and "PLAIN_DICTIONARY" in cc.encodings
                if name.endswith("_null"):
                    dict_expected = has_dict  # nothing to encode: either is fine
                if has_dict != dict_expected:
                    fail(where, f"dictionary {has_dict}, expected {dict_expected} ({cc.encodings})")
                part = src.column(name).slice(g * 1000, 1000)
                lo, hi, nulls = parquet_stats_want(part)
                st = cc.statistics
                if st is None or st.null_count != nulls:
                    fail(where, f"null_count {st and st.null_count}, expected {nulls}")
                elif lo is None:
                    if st.has_min_max:
                        fail(where, f"min/max {st.min}/{st.max} for a column without values")
                elif not (st.has_min_max and same_stat(st.min, lo, "min")
                          and same_stat(st.max, hi, "max")):
                    fail(where, f"min/max {st.min if st.has_min_max else '-'}/"
                                f"{st.max if st.has_min_max else '-'}, expected {lo}/{hi}")
        # polars skips row groups by these statistics: filtering must find the same rows
        for name, bound in [("i64", 0), ("f64", 0.5), ("str", "s5"), ("ts_low", 86400 * 10**9)]:
            got = pl.scan_parquet(out).filter(pl.col(name) > bound).select(name).collect()
            want_rows = pl.from_arrow(src.select([name])).filter(pl.col(name) > bound)
            if not got.equals(want_rows):
                fail(f"{what}, polars filters {name} > {bound!r}",
                     f"{got.height} rows, expected {want_rows.height}")
        if codec == "lz4":
            raw = column_codec_ids(out)
            if set(raw) != {7}:
                fail(what, f"Thrift codec ids {sorted(set(raw))}, expected 7 (LZ4_RAW)")

    # More rows than one page holds (65,536): several pages in one chunk; one row group.
    big = pa.table({"i": pa.array(sprinkle(list(range(140_000)), 13), pa.int64()),
                    "f": pa.array([i / 7 for i in range(140_000)], pa.float64()),
                    "s": pa.array([f"k{i % 50}" for i in range(140_000)], pa.string())})
    big_src = WORK / "plinth_big_src.parquet"
    pq.write_table(big, big_src)
    for codec in ("snappy", "none"):
        out = WORK / f"plinth_big_{codec}.parquet"
        plinth("table", "convert", big_src, out, "--compression", codec,
               "--row-group-rows", 200_000)
        what = f"plinth writes 140,000 rows in one row group ({codec})"
        compare(f"{what}, pyarrow reads", expected_table(read_verified(out)), expected_table(big))
        compare(f"{what}, polars reads",
                expected_table(pl.read_parquet(out).to_arrow().cast(big.schema)),
                expected_table(big))

    # An empty table keeps its columns and types.
    empty = src.slice(0, 0)
    pq.write_table(empty, WORK / "plinth_empty_src.parquet")
    out = WORK / "plinth_empty.parquet"
    plinth("table", "convert", WORK / "plinth_empty_src.parquet", out)
    compare("plinth writes an empty table, pyarrow reads", expected_table(read_verified(out)),
            expected_table(empty))
    compare("plinth writes an empty table, polars reads",
            expected_table(pl.read_parquet(out).to_arrow().cast(empty.schema)),
            expected_table(empty))


def column_codec_ids(path):
    """The codec id of every column chunk, read from the footer itself: pyarrow's metadata
    calls both LZ4 (Hadoop-framed, 5) and LZ4_RAW (7) "LZ4"."""
    data = Path(path).read_bytes()
    n = int.from_bytes(data[-8:-4], "little")
    return ThriftWalker(data[-8 - n:-8]).codecs()


class ThriftWalker:
    """Just enough Thrift compact protocol to find ColumnMetaData.codec in a FileMetaData."""

    def __init__(self, b):
        self.b, self.i, self.out = b, 0, []

    def varint(self):
        shift = v = 0
        while True:
            c = self.b[self.i]
            self.i += 1
            v |= (c & 0x7F) << shift
            shift += 7
            if not c & 0x80:
                return v

    def zigzag(self):
        v = self.varint()
        return (v >> 1) ^ -(v & 1)

    def value(self, t, path):
        if t in (1, 2):
            return t == 1
        if t == 3:
            self.i += 1
        elif t in (4, 5, 6):
            return self.zigzag()
        elif t == 7:
            self.i += 8
        elif t == 8:
            size = self.varint()
            self.i += size
        elif t in (9, 10):
            h = self.b[self.i]
            self.i += 1
            size, et = h >> 4, h & 0x0F
            if size == 15:
                size = self.varint()
            for _ in range(size):
                self.value(et, path + ("[]",))
        elif t == 11:
            size = self.varint()
            if size:
                kv = self.b[self.i]
                self.i += 1
                for _ in range(size):
                    self.value(kv >> 4, path)
                    self.value(kv & 0x0F, path)
        elif t == 12:
            self.struct(path)

    def struct(self, path=()):
        fid = 0
        while True:
            h = self.b[self.i]
            self.i += 1
            if h == 0:
                return
            delta, t = h >> 4, h & 0x0F
            fid = fid + delta if delta else self.zigzag()
            # FileMetaData.row_groups(4)[] RowGroup.columns(1)[] ColumnChunk.meta_data(3).codec(4)
            v = self.value(t, path + (fid,))
            if path + (fid,) == (4, "[]", 1, "[]", 3, 4):
                self.out.append(v)

    def codecs(self):
        self.struct()
        return self.out


# ---------------------------------------------------------------------------------------------
# 2. pyarrow and polars write Parquet; Plinth reads


def arrow_source(n, seed):
    """Every flat Arrow type pyarrow writes to Parquet that Plinth maps to one of its types."""
    r = random.Random(seed)
    D = decimal.Decimal

    def ints(lo, hi):
        return (r.randrange(lo, hi) for _ in range(n))

    f64 = [F64_SPECIAL[i % len(F64_SPECIAL)] if i % 4 == 0 else r.uniform(-1e9, 1e9)
           for i in range(n)]
    f32 = pa.array([r.uniform(-1e6, 1e6) for _ in range(n)]).cast(pa.float32(), safe=False)
    f16 = pa.array([float(i % 300) / 8 - 7 for i in range(n)], pa.float32()).cast(pa.float16())
    strs = [STR_SPECIAL[i % len(STR_SPECIAL)] if i % 3 == 0 else f"v{r.randrange(10**9)}"
            for i in range(n)]
    ts = [r.randrange(-(2**62), 2**62) for _ in range(n)]
    return pa.table({
        "i8": col(ints(-128, 128), pa.int8()),
        "i16": col(ints(-(2**15), 2**15), pa.int16()),
        "i32": col(ints(-(2**31), 2**31), pa.int32()),
        "i64": col((I64_SPECIAL[i % 8] if i % 5 == 0 else r.randrange(-(2**63), 2**63)
                    for i in range(n)), pa.int64()),
        "u8": col(ints(0, 2**8), pa.uint8()),
        "u16": col(ints(0, 2**16), pa.uint16()),
        "u32": col(ints(0, 2**32), pa.uint32()),
        "u64": col(ints(0, 2**63), pa.uint64()),
        # long runs of nulls, so that with small pages some pages hold nulls only
        "i_runs": col((None if (i // 40) % 3 == 1 else i * 3 for i in range(n)), pa.int64(), 0),
        "f16": col(f16.to_pylist(), pa.float16()),
        "f32": col(f32.to_pylist(), pa.float32()),
        "f64": col(f64, pa.float64()),
        "bool": col((r.random() < 0.5 for _ in range(n)), pa.bool_()),
        "str": col(strs, pa.string()),
        "str_low": col((r.choice(["a", "bb", "ccc", ""]) for _ in range(n)), pa.string()),
        "large_str": col(strs, pa.large_string(), 7),
        "str_view": col(strs, pa.string_view(), 5),
        "binary": col((s.encode() for s in strs), pa.binary()),
        "large_binary": col((s.encode() for s in strs), pa.large_binary(), 4),
        "fixed4": col((f"{i % 10000:04d}".encode() for i in range(n)), pa.binary(4)),
        "cat": col((r.choice(["x", "y", "z"]) for _ in range(n)), pa.string()).dictionary_encode(),
        "dict_int": col((r.choice([5, -5, 2**40]) for _ in range(n)),
                        pa.int64()).dictionary_encode(),
        "date": col(ints(-100_000, 100_000), pa.date32()),
        "date64": col((d * 86_400_000 for d in ints(-10**5, 10**5)), pa.date64()),
        "ts_s": col((t // 10**12 for t in ts), pa.timestamp("s")),
        "ts_ms": col((t // 10**9 for t in ts), pa.timestamp("ms", "UTC")),
        "ts_us": col((t // 10**6 for t in ts), pa.timestamp("us")),
        "ts_us_tz": col((t // 10**6 for t in ts), pa.timestamp("us", "Europe/Paris")),
        "ts_ns": col(ts, pa.timestamp("ns")),
        "ts_ns_utc": col(ts, pa.timestamp("ns", "UTC")),
        "dec9": col((D(v) / 100 for v in ints(-10**8, 10**8)), pa.decimal128(9, 2)),
        "dec18": col((D(v) / 1000 for v in ints(-10**15, 10**15)), pa.decimal128(18, 3)),
        "dec30": col((D(v) / 10**5 for v in ints(-10**15, 10**15)), pa.decimal128(30, 5)),
        "time_ms": col(ints(0, 86_400_000), pa.time32("ms")),
        "time_us": col(ints(0, 86_400 * 10**6), pa.time64("us")),
        "time_ns": col(ints(0, 86_400 * 10**9), pa.time64("ns")),
        "duration": col(ints(-(2**62), 2**62), pa.duration("us")),
        "null_type": pa.nulls(n),
        "null_i64": pa.nulls(n, pa.int64()),
        "null_str": pa.nulls(n, pa.string()),
        "null_f64": pa.nulls(n, pa.float64()),
    })


def check_pyarrow_writes():
    src = arrow_source(1200, 2)
    small = src.slice(0, 300)
    n = 0
    # codecs x data page versions x dictionaries, with statistics, row group and page sizes
    # varying along.
    for codec in ["none", "snappy", "gzip", "zstd", "lz4", "lz4_raw", "brotli"]:
        for page_version in ["1.0", "2.0"]:
            for dictionary in [True, False]:
                n += 1
                opts = dict(compression=codec, data_page_version=page_version,
                            use_dictionary=dictionary, write_statistics=n % 2 == 0,
                            row_group_size=[None, 500, 97][n % 3],
                            data_page_size=[None, 256, 4096][n % 3],
                            write_page_checksum=n % 2 == 1, write_page_index=n % 3 == 0)
                path = WORK / f"pa_{codec}_v{page_version}_{dictionary}.parquet"
                pq.write_table(src, path, **opts)
                what = f"pyarrow writes {opts}"
                check_plinth_reads(what, path, src)
                # a few columns, in another order: only those are decoded
                picked = ["ts_ns", "str", "dec30", "i8"]
                compare(f"{what}, --columns {','.join(picked)}",
                        plinth_read(path, "--columns", ",".join(picked)),
                        expected_table(src.select(picked)))
                # and back: Plinth rewrites the file, pyarrow reads Plinth's types
                out = path.with_suffix(".plinth.parquet")
                plinth("table", "convert", path, out, "--compression", "zstd")
                compare(f"{what}, rewritten by plinth, pyarrow reads",
                        expected_table(read_verified(out)), expected_table(src))

    # every encoding pyarrow offers for flat columns, on every column it applies to
    encodings = ["PLAIN", "RLE", "DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY",
                 "DELTA_BYTE_ARRAY", "BYTE_STREAM_SPLIT"]
    for enc in encodings:
        cols = []
        for name in src.column_names:
            try:
                pq.write_table(small.select([name]), WORK / "probe.parquet", use_dictionary=False,
                               column_encoding={name: enc})
                cols.append(name)
            except (pa.ArrowNotImplementedError, pa.ArrowInvalid, OSError):
                pass
        if not cols:
            fail(f"encoding {enc}", "pyarrow wrote it for no column")
            continue
        for page_version in ["1.0", "2.0"]:
            for codec in ["none", "zstd"]:
                opts = dict(compression=codec, data_page_version=page_version,
                            use_dictionary=False, column_encoding={c: enc for c in cols},
                            data_page_size=512, row_group_size=700)
                path = WORK / f"pa_enc_{enc}_v{page_version}_{codec}.parquet"
                pq.write_table(src.select(cols), path, **opts)
                check_plinth_reads(f"pyarrow writes {enc} for {cols} (v{page_version}, {codec})",
                                   path, src.select(cols))

    # other writer options
    variants = {
        "format version 1.0": dict(version="1.0", coerce_timestamps="us",
                                   allow_truncated_timestamps=True),
        "format version 2.4": dict(version="2.4", coerce_timestamps="us",
                                   allow_truncated_timestamps=True),
        "INT96 timestamps": dict(use_deprecated_int96_timestamps=True),
        "timestamps coerced to ms": dict(coerce_timestamps="ms", allow_truncated_timestamps=True),
        "byte-stream-split floats": dict(use_byte_stream_split=["f16", "f32", "f64", "i32", "i64"],
                                         use_dictionary=False),
        "decimals as integers": dict(store_decimal_as_integer=True),
        "tiny dictionary pages (dictionary falls back to plain)": dict(dictionary_pagesize_limit=64,
                                                                       data_page_size=128),
        "one row per row group": dict(row_group_size=1),
        "write_batch_size 7, max_rows_per_page 50": dict(write_batch_size=7, max_rows_per_page=50),
        "no Arrow schema": dict(store_schema=False),
        "bloom filters": dict(bloom_filter_options={"str": {"ndv": 1200, "fpp": 0.05},
                                                    "i64": {"ndv": 1200, "fpp": 0.05}}),
        "content-defined chunking": dict(use_content_defined_chunking=True),
        "TIME adjusted to UTC": dict(write_time_adjusted_to_utc=True),
        "sorting columns, level 19 zstd": dict(sorting_columns=[pq.SortingColumn(0)],
                                               compression="zstd", compression_level=19),
    }
    for label, opts in variants.items():
        for page_version in ["1.0", "2.0"]:
            path = WORK / f"pa_variant_{len(label)}_{page_version}.parquet"
            table = src.slice(0, 60) if opts.get("row_group_size") == 1 else src
            if opts.get("use_content_defined_chunking"):  # pyarrow: not for string_view
                table = table.drop(["str_view"])
            pq.write_table(table, path, data_page_version=page_version, **opts)
            expect = table
            if opts.get("allow_truncated_timestamps"):
                expect = pq.read_table(path)  # the file holds coarser timestamps now
            check_plinth_reads(f"pyarrow writes {label} (v{page_version})", path, expect)

    # empty tables, all-null tables, one row
    for label, table in [("no rows", src.slice(0, 0)), ("one row", src.slice(0, 1)),
                         ("every value null", pa.table({c: pa.nulls(50, src.schema.field(c).type)
                                                        for c in src.column_names}))]:
        for page_version in ["1.0", "2.0"]:
            for codec in ["snappy", "zstd", "gzip", "lz4", "brotli", "none"]:
                path = WORK / f"pa_edge_{label[:3]}_{page_version}_{codec}.parquet"
                pq.write_table(table, path, data_page_version=page_version, compression=codec)
                check_plinth_reads(f"pyarrow writes {label} (v{page_version}, {codec})", path,
                                   table)


def check_types_without_a_plinth_type():
    # UINT64 beyond int64: an error naming the file, column and value, not a wrapped number.
    path = WORK / "pa_uint64.parquet"
    pq.write_table(pa.table({"u": pa.array([1, 2**64 - 1], pa.uint64())}), path)
    p = plinth("table", "head", path, "--json", check=False)
    if p.returncode != 2 or "column 'u'" not in p.stderr or "18446744073709551615" not in p.stderr:
        fail("pyarrow writes uint64 2^64-1", "expected exit 2 naming column 'u' and the value, "
                                             f"got {p.returncode}: {p.stderr.strip()}")
    # Binary values are raw bytes in Plinth: its CSV writes them back byte for byte (JSON
    # output cannot hold bytes that are not UTF-8).
    values = [b"\xff\xfe\x00", b"a,b", b'q"q', b"\r\n", b"", None, bytes(range(1, 256))]
    src = pa.table({"b": pa.array(values, pa.binary())})
    path = WORK / "pa_binary.parquet"
    pq.write_table(src, path)
    out = WORK / "pa_binary.csv"
    plinth("table", "convert", path, out)
    got = read_csv_bytes(out.read_bytes())
    if got != [[b"b"]] + [[v] for v in values]:
        fail("binary bytes through plinth's CSV", f"{got!r}")


def read_csv_bytes(data):
    """RFC 4180 fields as bytes; None for an unquoted empty field (Plinth's null)."""
    rows, row, i = [], [], 0
    while i < len(data):
        if data[i:i + 1] == b'"':
            j, field = i + 1, bytearray()
            while True:
                k = data.index(b'"', j)
                field += data[j:k]
                if data[k + 1:k + 2] == b'"':
                    field += b'"'
                    j = k + 2
                else:
                    i = k + 1
                    break
            row.append(bytes(field))
        else:
            k = i
            while k < len(data) and data[k:k + 1] not in (b",", b"\n"):
                k += 1
            row.append(data[i:k] if k > i else None)
            i = k
        if data[i:i + 1] == b"\n" or i >= len(data):
            rows.append(row)
            row = []
        i += 1
    return rows


def check_polars_writes():
    src = pl.from_arrow(arrow_source(800, 3).drop(["f16", "cat", "dec30", "fixed4"]))
    src = src.with_columns(pl.col("str_low").cast(pl.Categorical).alias("categorical"),
                           pl.col("str_low").cast(pl.Enum(["a", "bb", "ccc", ""])).alias("enum"))
    for codec in ["uncompressed", "snappy", "gzip", "lz4", "zstd", "brotli"]:
        for statistics in [True, False]:
            path = WORK / f"pl_{codec}_{statistics}.parquet"
            src.write_parquet(path, compression=codec, statistics=statistics,
                              row_group_size=300 if statistics else None,
                              data_page_size=512 if statistics else None)
            what = f"polars writes compression={codec} statistics={statistics}"
            check_plinth_reads(what, path, src.to_arrow())


# ---------------------------------------------------------------------------------------------
# 3. CSV


def csv_source():
    t = plinth_source(400, 4).drop(["f64_null", "str_null", "str_mixed"])
    # pyarrow.csv cannot parse the earliest nanosecond timestamp (1677-09-21T00:12:43.145224193Z,
    # "invalid value"); Parquet tests cover it.
    ts = t.column("ts").cast(pa.int64())
    ts = pc.if_else(pc.less(ts, -(2**62)), -(2**62), ts).cast(pa.timestamp("ns", "UTC"))
    return t.set_column(t.column_names.index("ts"), "ts", ts)


def check_csv():
    src = csv_source()
    want = expected_table(src)
    src_path = WORK / "csv_src.parquet"
    pq.write_table(src, src_path)

    # Plinth writes CSV; pyarrow.csv and polars read it with the source's types.
    out = WORK / "plinth.csv"
    plinth("table", "convert", src_path, out)
    # pyarrow.csv's default null_values include "NaN" (pandas' habit): Plinth's NaN would
    # read as null, so only the empty field is null here, as Plinth writes nulls.
    nulls = dict(null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=False)
    options = pacsv.ConvertOptions(column_types=src.schema, **nulls)
    got = pacsv.read_csv(out, convert_options=options)
    compare("plinth writes CSV, pyarrow.csv reads", expected_table(got), want)
    got = pacsv.read_csv(out, convert_options=pacsv.ConvertOptions(**nulls))
    compare("plinth writes CSV, pyarrow.csv reads with inferred types", expected_table(got), want)
    got = pl.read_csv(out, schema=pl.from_arrow(src.slice(0, 0)).schema)
    compare("plinth writes CSV, polars reads", expected_table(got.to_arrow().cast(src.schema)),
            want)
    # polars infers the types too (NaN included), except that it takes timestamps for
    # microseconds
    got = pl.read_csv(out, try_parse_dates=True).drop(["ts", "ts_low"])
    compare("plinth writes CSV, polars reads with inferred types", expected_table(got.to_arrow()),
            {k: v for k, v in want.items() if k not in ("ts", "ts_low")})

    # pyarrow and polars write CSV; Plinth reads it (types inferred).
    # pyarrow.csv writes a whole double without its point ("3"): such a column reads as int64,
    # in pyarrow too.
    whole = src.column_names.index("f64_whole")
    as_ints = src.set_column(whole, "f64_whole", src.column(whole).cast(pa.int64()))
    for style in ["needed", "all_valid"]:
        path = WORK / f"pyarrow_{style}.csv"
        pacsv.write_csv(src, path, write_options=pacsv.WriteOptions(quoting_style=style))
        check_plinth_reads(f"pyarrow.csv writes quoting_style={style}", path, as_ints)
    df = pl.from_arrow(src)
    for style in ["necessary", "non_numeric"]:
        path = WORK / f"polars_{style}.csv"
        df.write_csv(path, quote_style=style)
        check_plinth_reads(f"polars writes CSV quote_style={style}", path, src)
    # quote_style="always" writes nulls as "" too: null in the other columns, but the empty
    # string in a string column, where no reader can tell them apart (documented). polars
    # reads this file back with every column a string.
    path = WORK / "polars_always.csv"
    df.write_csv(path, quote_style="always")
    blanked = pa.table({name: pc.fill_null(c, "") if pa.types.is_string(c.type) else c
                        for name, c in zip(src.column_names, src.columns)})
    check_plinth_reads("polars writes CSV quote_style=always", path, blanked)

    # A quoted "", "NA" or "null" is a null outside string columns, as pyarrow.csv reads it
    # with its default options (pandas too); in a string column it stays text.
    path = WORK / "quoted_nulls.csv"
    path.write_text('i,f,b,d,s\n'
                    '1,1.5,true,2024-01-01,x\n'
                    '"","","","",""\n'
                    '"NA","null","NA","null","NA"\n'
                    '"null","NA","null","NA","null"\n'
                    '-4,"2.5","false","2024-02-29",""\n')
    pyarrow_reads = pacsv.read_csv(path)
    if pyarrow_reads.column("i").null_count != 3:
        fail("pyarrow.csv reads quoted nulls", f"{pyarrow_reads}")
    check_plinth_reads("quoted null markers in a CSV, as pyarrow.csv reads them", path,
                       pyarrow_reads)

    # Dates and timestamps without a time zone, as pyarrow and polars write them, read as UTC.
    days = [0, -1, 20454, None, 1]
    local = pa.table({"date": pa.array(days, pa.date32()),
                      "naive": pa.array([0, -1, 1_767_259_800_250_000_000, None, 1],
                                        pa.timestamp("ns"))})
    for writer, write in [("pyarrow.csv", lambda p: pacsv.write_csv(local, p)),
                          ("polars", lambda p: pl.from_arrow(local).write_csv(p))]:
        path = WORK / f"{writer}_local.csv"
        write(path)
        check_plinth_reads(f"{writer} writes dates and local timestamps", path, local)

    # Strings that are null markers for Plinth (and pandas): pyarrow quotes them, polars
    # does not unless asked to.
    markers = pa.table({"s": pa.array(["NA", "null", "x", None, ""]),
                        "i": pa.array([1, 2, 3, 4, 5])})
    path = WORK / "pyarrow_markers.csv"
    pacsv.write_csv(markers, path)
    check_plinth_reads("pyarrow.csv writes the strings NA and null", path, markers)
    path = WORK / "polars_markers.csv"
    pl.from_arrow(markers).write_csv(path, quote_style="non_numeric")
    check_plinth_reads("polars writes the strings NA and null, quote_style=non_numeric", path,
                       markers)
    path = WORK / "polars_markers_necessary.csv"
    pl.from_arrow(markers).write_csv(path)
    as_nulls = pa.table({"s": pa.array([None, None, "x", None, ""]), "i": markers.column("i")})
    check_plinth_reads("polars writes NA and null unquoted: Plinth reads nulls (documented)",
                       path, as_nulls)


def main():
    sections = [check_plinth_writes, check_pyarrow_writes, check_types_without_a_plinth_type,
                check_polars_writes, check_csv]
    for section in sections:
        try:
            section()
        except Exception as e:  # a crash in one section must not hide the others' results
            traceback.print_exc()
            fail(section.__name__, f"{type(e).__name__}: {e}")
    print(f"pyarrow {pa.__version__}, polars {pl.__version__}: {counts['files']} file comparisons, "
          f"{counts['columns']} columns, {len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
