#!/usr/bin/env bash
# Tables on object storage, against s3rver behind a proxy that checks every request's AWS
# Signature V4 with botocore (s3rver itself does not): a hive-partitioned prefix reads as
# pyarrow reads it; train, score, evaluate and drift take s3:// inputs; `score --shard I/N`
# over the prefix in N processes gives exactly the single run's rows; a shard killed before its
# upload completes leaves no object, and its rerun no duplicate; bad input is named.
source "$(dirname "$0")/lib.sh"
need_tools
new_repo
export OMP_WAIT_POLICY=PASSIVE
start_s3rver
proxy_pids=()
cleanup() {
  for p in "${proxy_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  stop_s3rver
  chmod -R u+w "$SCRATCH" 2>/dev/null
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

# start_proxy [hold-complete]: a signature-checking front for s3rver; sets PROXY_PORT.
start_proxy() {
  PROXY_PORT=$(free_port)
  "$TOOLS_PYTHON" "$PLINTH_SOURCE/tests/e2e/sigv4_verify_proxy.py" "$PROXY_PORT" "$S3_PORT" \
    S3RVER S3RVER "$@" >"$SCRATCH/proxy-$PROXY_PORT.out" 2>"$SCRATCH/proxy-$PROXY_PORT.log" &
  proxy_pids+=($!)
  for _ in $(seq 1 100); do
    grep -q ready "$SCRATCH/proxy-$PROXY_PORT.out" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "FAIL: the proxy did not start: $(cat "$SCRATCH/proxy-$PROXY_PORT.log")" >&2
  exit 1
}
start_proxy
CHECKED=$PROXY_PORT
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
export AWS_ENDPOINT_URL=http://127.0.0.1:$CHECKED
unset AWS_PROFILE AWS_ENDPOINT_URL_S3 AWS_SESSION_TOKEN
export HOME=$SCRATCH  # no ~/.aws of the machine's
S3="import boto3, pyarrow.fs as pafs
s3 = boto3.client('s3', endpoint_url='http://127.0.0.1:$S3_PORT', aws_access_key_id='S3RVER',
                  aws_secret_access_key='S3RVER', region_name='us-east-1')
fs = pafs.S3FileSystem(endpoint_override='127.0.0.1:$S3_PORT', scheme='http', access_key='S3RVER',
                       secret_key='S3RVER', region='us-east-1')
def keys(prefix):
    return sorted(o['Key'] for o in s3.list_objects_v2(Bucket='bucket', Prefix=prefix).get('Contents', []))"

# The lake: 3 files in 2 hive partitions, row groups of 4,000 rows, plus Spark's _SUCCESS.
"$PLINTH" -q demo-data fraud --rows 30000 --seed 3 --out all.parquet
"$TOOLS_PYTHON" - <<PY
$S3
import pyarrow.parquet as pq
t = pq.read_table('all.parquet')
parts = [('dt=2026-03-30/part-0.parquet', 0, 9000), ('dt=2026-03-30/part-1.parquet', 9000, 9000),
         ('dt=2026-03-31/part-0.parquet', 18000, 12000)]
for name, start, n in parts:
    pq.write_table(t.slice(start, n), 'piece.parquet', row_group_size=4000)
    s3.upload_file('piece.parquet', 'bucket', 'lake/' + name)
s3.put_object(Bucket='bucket', Key='lake/_SUCCESS', Body=b'')
PY

# Read through Plinth, compared with pyarrow's own reading of the prefix (hive partitioning).
"$PLINTH" -q table convert s3://bucket/lake/ read.parquet
expect_eq "$("$TOOLS_PYTHON" - <<PY
$S3
import pyarrow.dataset as ds, pyarrow.parquet as pq, pyarrow as pa
want = ds.dataset('bucket/lake', filesystem=fs, format='parquet', partitioning='hive').to_table()
want = want.set_column(want.schema.get_field_index('dt'), 'dt', want['dt'].cast(pa.string()))
got = pq.read_table('read.parquet')
key = [('transaction_id', 'ascending')]
want, got = want.sort_by(key), got.sort_by(key)
print(got.num_rows, got.column_names[-1], all(
    got[c].cast(want[c].type).equals(want[c]) for c in want.column_names))
PY
)" "30000 dt True" "a hive-partitioned prefix reads as pyarrow reads it"
# Files of 1, 3 and 7 row groups and one of an empty row group, from S3 and from a local folder: read
# batch by batch (convert) and whole (evaluate, below), rows stay in pyarrow's order.
"$TOOLS_PYTHON" - <<PY
$S3
import os, pyarrow.parquet as pq
t = pq.read_table('all.parquet')
for name, start, n, group in [('30/a', 0, 4000, 4000), ('30/b', 4000, 0, 100),
                              ('31/a', 4000, 9000, 3000), ('31/c', 13000, 7000, 1000)]:
    name = 'dt=2026-03-%s.parquet' % name
    os.makedirs(os.path.dirname('lake2/' + name), exist_ok=True)
    pq.write_table(t.slice(start, n), 'lake2/' + name, row_group_size=group)
    s3.upload_file('lake2/' + name, 'bucket', 'lake2/' + name)
PY
for src in s3://bucket/lake2/ lake2; do
  "$PLINTH" -q table convert "$src" lake2.parquet
  expect_eq "$("$TOOLS_PYTHON" - <<PY
import pyarrow.dataset as ds, pyarrow.parquet as pq
want = ds.dataset('lake2', format='parquet', partitioning='hive').to_table()
got = pq.read_table('lake2.parquet')
print(got.num_rows, [pq.ParquetFile('lake2/dt=2026-03-%s.parquet' % f).metadata.num_row_groups
                     for f in ('30/a', '30/b', '31/a', '31/c')],
      all(got[c].cast(want[c].type).equals(want[c]) for c in want.column_names))
PY
)" "20000 [1, 1, 3, 7] True" "$src: files of different row-group counts keep their row order"
done

out=$("$PLINTH" table schema s3://bucket/lake --json)
expect_contains "$out" '"files": 3' "the schema of a prefix counts its files (not _SUCCESS)"
out=$("$PLINTH" table head -n 2 --json -c amount,dt s3://bucket/lake/)
expect_contains "$out" '"dt": "2026-03-30"' "a partition column can be selected by name"

# train, evaluate and drift read from the prefix.
"$PLINTH" -q train --data s3://bucket/lake/ --target is_fraud --threads 1 --out pkg
grep -q 's3://bucket/lake/' pkg/MLmodel || fail "the package names its s3:// training data"
out=$("$PLINTH" evaluate --model pkg --data s3://bucket/lake/ --json --out ev)
expect_contains "$out" '"rows": 30000' "evaluate reads the prefix"
# evaluate reads its data whole (row groups decoded into one table): lake2's files give the
# metrics of the same 20,000 rows in one local file.
"$TOOLS_PYTHON" -c "import pyarrow as pa, pyarrow.parquet as pq
t = pq.read_table('all.parquet').slice(0, 20000)
dt = pa.array(['2026-03-30'] * 4000 + ['2026-03-31'] * 16000)
pq.write_table(t.append_column('dt', dt), 'first.parquet')"
expect_eq "$("$PLINTH" evaluate --model pkg --data s3://bucket/lake2/ --json --out ev2)" \
  "$("$PLINTH" evaluate --model pkg --data first.parquet --json --out ev3)" \
  "evaluate over files of different row-group counts"
"$PLINTH" drift --reference s3://bucket/lake/dt=2026-03-30/ \
  --current s3://bucket/lake/dt=2026-03-31/part-0.parquet --json drift.json >/dev/null || true
[ -s drift.json ] || fail "drift between two partitions wrote no report"

# One run, then N = 3 shard processes at once, all from the prefix to s3://.
"$PLINTH" -q score --model pkg --input s3://bucket/lake/ --output s3://bucket/scores/all.parquet \
  2>/dev/null
pids=()
for i in 0 1 2; do
  "$PLINTH" -q score --model pkg --input s3://bucket/lake/ --output s3://bucket/sharded/ \
    --shard $i/3 2>/dev/null &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a shard process failed"; done
# same_as_single PREFIX: the union of the objects under PREFIX equals the single run's output.
same_as_single() {
  "$TOOLS_PYTHON" - "$1" <<PY
$S3
import sys, pyarrow as pa, pyarrow.parquet as pq
names = keys(sys.argv[1])
parts = [pq.read_table('bucket/' + k, filesystem=fs) for k in names]
one = pq.read_table('bucket/scores/all.parquet', filesystem=fs)
key = [('transaction_id', 'ascending')]
union = pa.concat_tables(parts).sort_by(key)
print([k.split('/')[-1] for k in names], [p.num_rows for p in parts],
      union.num_rows == one.num_rows and union.equals(one.sort_by(key)))
PY
}
expect_eq "$(same_as_single sharded/)" \
  "['part-00000-of-00003.parquet', 'part-00001-of-00003.parquet', 'part-00002-of-00003.parquet'] [12000, 12000, 6000] True" \
  "3 shards (by row group across files) together equal the single run"

# A shard killed after uploading its parts, before completing the upload: no object appears;
# its rerun leaves exactly one complete object per shard.
for i in 0 2; do
  "$PLINTH" -q score --model pkg --input s3://bucket/lake/ --output s3://bucket/rerun/ \
    --shard $i/3 2>/dev/null
done
start_proxy hold-complete
AWS_ENDPOINT_URL=http://127.0.0.1:$PROXY_PORT "$PLINTH" -q score --model pkg \
  --input s3://bucket/lake/ --output s3://bucket/rerun/ --shard 1/3 2>/dev/null &
victim=$!
for _ in $(seq 1 300); do
  grep -q holding "$SCRATCH/proxy-$PROXY_PORT.log" && break
  sleep 0.1
done
grep -q "ok PUT .*partNumber=1" "$SCRATCH/proxy-$PROXY_PORT.log" || fail "no part was uploaded"
kill -9 "$victim"
wait "$victim" 2>/dev/null || true
expect_eq "$("$TOOLS_PYTHON" -c "$S3
print([k.split('/')[-1] for k in keys('rerun/')])")" \
  "['part-00000-of-00003.parquet', 'part-00002-of-00003.parquet']" \
  "a shard killed before completing its upload leaves no object"
"$PLINTH" -q score --model pkg --input s3://bucket/lake/ --output s3://bucket/rerun/ \
  --shard 1/3 2>/dev/null
expect_eq "$(same_as_single rerun/)" \
  "['part-00000-of-00003.parquet', 'part-00001-of-00003.parquet', 'part-00002-of-00003.parquet'] [12000, 12000, 6000] True" \
  "after the rerun: one complete object per shard, together the single run"

# Every request so far carried a signature botocore agrees with.
bad=$(grep -c '^bad' "$SCRATCH/proxy-$CHECKED.log" || true)
expect_eq "$bad" "0" "requests whose signature botocore rejects"
grep -q "ok GET .*list-type=2" "$SCRATCH/proxy-$CHECKED.log" || fail "no signed listing was checked"
grep -q "ok POST .*uploads" "$SCRATCH/proxy-$CHECKED.log" || fail "no signed multipart start was checked"

# Bad input, each named.
expect_error 7 "SignatureDoesNotMatch" env AWS_SECRET_ACCESS_KEY=wrong "$PLINTH" table head s3://bucket/lake/
expect_contains "$(cat "$SCRATCH/err")" "check the access key, secret and region" "wrong secret"
expect_error 7 "InvalidAccessKeyId" env AWS_ACCESS_KEY_ID=NOBODY AWS_ENDPOINT_URL=http://127.0.0.1:$S3_PORT \
  "$PLINTH" table head s3://bucket/lake/
expect_error 2 "no AWS credentials for s3://bucket" env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
  "$PLINTH" table head s3://bucket/lake/
expect_error 3 "bucket 'nobucket' does not exist" "$PLINTH" table head s3://nobucket/lake/
expect_error 3 "s3://bucket/lake/nothing.parquet: no such object" \
  "$PLINTH" score --model pkg --input s3://bucket/lake/nothing.parquet --output out.csv
expect_error 3 "no objects under s3://bucket/nothere/" "$PLINTH" table stats s3://bucket/nothere
"$TOOLS_PYTHON" - <<PY
$S3
import pyarrow as pa, pyarrow.parquet as pq
t = pq.read_table('all.parquet').slice(0, 100)
pq.write_table(t.append_column('extra', pa.array([1] * 100)), 'odd.parquet')
s3.upload_file('odd.parquet', 'bucket', 'mixed/a.parquet')
s3.upload_file('all.parquet', 'bucket', 'mixed/b.parquet')
data = open('all.parquet', 'rb').read()
s3.put_object(Bucket='bucket', Key='cut/part-0.parquet', Body=data[:len(data) // 2])
PY
expect_error 2 "s3://bucket/mixed/b.parquet has other columns or types than s3://bucket/mixed/a.parquet (it has no column 'extra')" \
  "$PLINTH" table convert s3://bucket/mixed/ mixed.csv
[ -e mixed.csv ] && fail "a failed convert left mixed.csv"
expect_error 4 "s3://bucket/cut/part-0.parquet: no PAR1 at the end: the file is truncated" \
  "$PLINTH" score --model pkg --input s3://bucket/cut/ --output s3://bucket/out/cut.parquet
expect_eq "$("$TOOLS_PYTHON" -c "$S3
print(keys('out/'))")" "[]" "a failed score leaves no output object"
expect_error 2 "s3://bucket/somewhere/: unknown table format" \
  "$PLINTH" table convert all.parquet s3://bucket/somewhere/
finish
