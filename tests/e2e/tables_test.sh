#!/usr/bin/env bash
# Table commands as a user runs them: the fraud generator, schema/head/stats/convert, and
# what bad input does. pandas (Debian's python3-pandas) is the oracle for CSV values and
# statistics.
source "$(dirname "$0")/lib.sh"
new_repo

# --- the generator: deterministic, about 2% fraud, drift options --------------------------
"$PLINTH" -q demo-data fraud --rows 20000 --seed 7 --out a.csv
"$PLINTH" -q demo-data fraud --rows 20000 --seed 7 --out b.csv
"$PLINTH" -q demo-data fraud --rows 20000 --seed 8 --out c.csv
"$PLINTH" -q demo-data fraud --rows 20000 --seed 7 --out a.parquet
"$PLINTH" -q demo-data fraud --rows 20000 --seed 7 --out b.parquet --row-group-rows 131072
expect_eq "$(md5sum <a.csv)" "$(md5sum <b.csv)" "same seed, same CSV bytes"
expect_eq "$(md5sum <a.parquet)" "$(md5sum <b.parquet)" "same seed, same Parquet bytes"
[ "$(md5sum <a.csv)" != "$(md5sum <c.csv)" ] || fail "another seed gives other data"
expect_eq "$(head -1 a.csv)" \
  "transaction_id,user_id,event_timestamp,amount,merchant_category,hour_of_day,day_of_week,transaction_velocity,distance_from_home,is_fraud" \
  "the handbook's columns"

# pandas reads our CSV and computes the statistics plinth reports.
"$PLINTH" table stats a.csv --json >stats.json
"$PYTHON" - a.csv stats.json <<'PY' || fail "plinth table stats differs from pandas"
import json, sys, math
import pandas as pd
df = pd.read_csv(sys.argv[1])
stats = {s["column"]: s for s in json.load(open(sys.argv[2]))}
bad = []
for col in df.columns:
    s, x = stats[col], df[col]
    if s["count"] != len(x) or s["nulls"] != int(x.isna().sum()) or s["distinct"] != x.nunique():
        bad.append((col, "count/nulls/distinct", s, len(x), int(x.isna().sum()), x.nunique()))
    if pd.api.types.is_numeric_dtype(x):
        for key, want in (("min", x.min()), ("max", x.max()), ("mean", x.mean())):
            if not math.isclose(s[key], float(want), rel_tol=1e-12, abs_tol=1e-12):
                bad.append((col, key, s[key], float(want)))
    elif col != "event_timestamp":
        if s["min"] != x.min() or s["max"] != x.max():
            bad.append((col, "min/max", s["min"], s["max"], x.min(), x.max()))
fraud = df["is_fraud"].mean()
if not 0.015 <= fraud <= 0.025:
    bad.append(("fraud rate", fraud))
# Fraud is likelier at night and online, but no single rule separates it.
night = df[df.hour_of_day < 6].is_fraud.mean()
online = df[df.merchant_category.isin(["online", "electronics", "travel"])].is_fraud.mean()
if not (night > 2 * fraud and online > 1.5 * fraud and df[df.hour_of_day < 6].is_fraud.mean() < 0.5):
    bad.append(("fraud signal", night, online))
if bad:
    print(bad, file=sys.stderr)
    sys.exit(1)
PY

"$PLINTH" -q demo-data fraud --rows 20000 --seed 7 --out shifted.csv --shift amount=3 \
  --category-mix online=10
"$PYTHON" - a.csv shifted.csv <<'PY' || fail "--shift and --category-mix drift the data"
import sys
import pandas as pd
a, b = pd.read_csv(sys.argv[1]), pd.read_csv(sys.argv[2])
ratio = b.amount.median() / a.amount.median()
share = (b.merchant_category == "online").mean()
if not (2.8 < ratio < 3.2 and share > 0.5):
    print(ratio, share, file=sys.stderr)
    sys.exit(1)
PY

# --- head: the values pandas reads -------------------------------------------------------
"$PLINTH" table head a.csv -n 50 --json >head.json
"$PYTHON" - a.csv head.json <<'PY' || fail "plinth table head --json differs from pandas"
import json, sys
import pandas as pd
want = pd.read_csv(sys.argv[1], nrows=50, dtype={"event_timestamp": str}).to_dict("records")
got = json.load(open(sys.argv[2]))
if got != want:
    print(got[:2], want[:2], file=sys.stderr)
    sys.exit(1)
PY
expect_eq "$("$PLINTH" table head a.parquet -n 50 --json)" "$(cat head.json)" \
  "Parquet and CSV of the same data read the same"

# --- convert: CSV -> Parquet -> CSV gives back the same bytes ------------------------------
"$PLINTH" -q table convert a.csv a2.parquet --compression zstd
"$PLINTH" -q table convert a2.parquet a2.csv
expect_eq "$(md5sum <a2.csv)" "$(md5sum <a.csv)" "CSV -> Parquet -> CSV round trip"
"$PLINTH" -q table convert a.csv small.tsv --columns amount,is_fraud
expect_eq "$(head -2 small.tsv)" "$(printf 'amount\tis_fraud\n%s' "$(sed -n 2p a.csv | awk -F, '{print $4 "\t" $10}')")" \
  "convert to TSV with selected columns"

schema=$("$PLINTH" table schema a.parquet)
expect_contains "$schema" "20000 rows" "schema shows the row count"
expect_contains "$schema" "event_timestamp       timestamp  INT64 TIMESTAMP(NANOS, UTC) optional" \
  "schema shows our type and the Parquet type"
expect_contains "$("$PLINTH" table schema a.csv)" "amount                float64" "CSV schema"

# A CSV with quoting, CRLF and nulls, read as Python's csv module reads it.
printf 'id,text,score\r\n1,"a, ""quoted""\nvalue",1.5\r\n2,,NA\r\n3,plain,\r\n' >tricky.csv
"$PLINTH" table head tricky.csv --json >tricky.json
"$PYTHON" - tricky.csv tricky.json <<'PY' || fail "quoted CSV read differently from Python's csv"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
got = json.load(open(sys.argv[2]))
assert [r["text"] or None for r in rows] == [g["text"] for g in got], (rows, got)
assert [g["score"] for g in got] == [1.5, None, None], got
PY

# --- bad input: a message naming the file or column, a non-zero exit, no crash -------------
expect_error 3 "missing.csv" "$PLINTH" table head missing.csv
expect_error 3 "no column 'nope'" "$PLINTH" table head a.parquet --columns nope
expect_error 3 "no column 'nope'" "$PLINTH" table stats a.csv --columns amount,nope
printf 'a,b\n1,2\n3\n' >short.csv
expect_error 2 "short.csv:3: a record has 1 fields" "$PLINTH" table stats short.csv
printf 'a\n1\n2\nx\n' >typed.csv
expect_error 2 "typed.csv:4: column 'a': 'x' is not a int64" "$PLINTH" table convert typed.csv t.parquet --type a=int64
[ ! -e t.parquet ] || fail "a failed convert left its output behind"
"$PLINTH" -q table convert typed.csv t.parquet --type a=string || fail "--type override"
head -c 3000 a.parquet >truncated.parquet
expect_error 4 "truncated.parquet: no PAR1 at the end" "$PLINTH" table head truncated.parquet
head -c 20 a.csv >not.parquet
expect_error 2 "not.parquet: not a Parquet file" "$PLINTH" table schema not.parquet
expect_error 2 "unknown table format" "$PLINTH" table convert a.csv out.xlsx
expect_error 2 "--shift" "$PLINTH" demo-data fraud --rows 10 --out x.csv --shift hour_of_day=2
expect_error 2 "unknown category 'crypto'" "$PLINTH" demo-data fraud --rows 10 --out x.csv \
  --category-mix crypto=1
expect_error 2 "--end 'yesterday' is not a time" "$PLINTH" demo-data fraud --rows 10 --out x.csv \
  --end yesterday

# --start / --end place the 30 days; each row's hour and weekday are its timestamp's (pandas).
"$PLINTH" -q demo-data fraud --rows 2000 --seed 7 --out march.csv --start 2026-03-01T15:00:00Z
"$PLINTH" -q demo-data fraud --rows 2000 --seed 7 --out recent.csv --end now
"$PYTHON" - march.csv recent.csv <<'PY' || fail "--start and --end place the data in time"
import sys
import pandas as pd
now = pd.Timestamp.now(tz="UTC")
for path, lo, hi in ((sys.argv[1], pd.Timestamp("2026-03-01", tz="UTC"),
                      pd.Timestamp("2026-03-31", tz="UTC")),
                     (sys.argv[2], now.floor("D") - pd.Timedelta(days=30), now.floor("D"))):
    df = pd.read_csv(path)
    ts = pd.to_datetime(df.event_timestamp, utc=True)
    assert lo <= ts.min() and ts.max() < hi and ts.max() - ts.min() > pd.Timedelta(days=28), (
        path, ts.min(), ts.max())
    assert (ts.dt.hour == df.hour_of_day).all() and (ts.dt.dayofweek == df.day_of_week).all(), path
PY
expect_error 4 "CRC" "$PLINTH" table head \
  "$PLINTH_SOURCE/../shared/data/parquet-testing/datapage_v1-corrupt-checksum.parquet"
nested=$("$PLINTH" table head "$PLINTH_SOURCE/../shared/data/parquet-testing/datapage_v2.snappy.parquet" 2>&1)
expect_contains "$nested" "skipping nested columns Plinth cannot read yet: e.list.element" \
  "nested columns are named"
expect_contains "$nested" "abc   1  2  true" "flat columns of a file with nested ones still read"
finish
