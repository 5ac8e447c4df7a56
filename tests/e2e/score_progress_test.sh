#!/usr/bin/env bash
# `plinth score` shows a progress bar on a terminal: rows scored, rows/s and how far through
# the input it is (Parquet: row groups' rows of the footers' count; CSV: bytes), for local
# files, an s3:// prefix and --shard. On a pipe, and with --json, it prints nothing extra, and
# the scored output is byte-identical either way.
source "$(dirname "$0")/lib.sh"
need_tools
new_repo
export OMP_WAIT_POLICY=PASSIVE
start_s3rver
trap 'stop_s3rver; rm -rf "$SCRATCH"' EXIT
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
export AWS_ENDPOINT_URL=http://127.0.0.1:$S3_PORT HOME=$SCRATCH
unset AWS_PROFILE AWS_ENDPOINT_URL_S3 AWS_SESSION_TOKEN

# The first frame at once (it waits 0.2 s by default), so even a quick run draws the bar.
export PLINTH_PROGRESS_DELAY=0
"$PLINTH" -q demo-data fraud --rows 4000 --seed 1 --out train.csv
printf 'n_estimators: 300\nmax_depth: 8\n' >params.yaml
"$PLINTH" -q train --data train.csv --target is_fraud --params params.yaml --threads 1 --out pkg
"$PLINTH" -q demo-data fraud --rows 300000 --seed 2 --out rows.parquet
"$TOOLS_PYTHON" - <<PY
import boto3, pyarrow.parquet as pq
import pyarrow.csv as pc
t = pq.read_table('rows.parquet').drop(['is_fraud'])  # no column named like the output
pq.write_table(t, 'groups.parquet', row_group_size=5000)
pc.write_csv(t, 'rows.csv')
s3 = boto3.client('s3', endpoint_url='http://127.0.0.1:$S3_PORT', aws_access_key_id='S3RVER',
                  aws_secret_access_key='S3RVER', region_name='us-east-1')
for i in range(3):
    pq.write_table(t.slice(i * 100000, 100000), 'piece.parquet', row_group_size=5000)
    s3.upload_file('piece.parquet', 'bucket', f'lake/part-{i}.parquet')
PY

# on_tty OUT CMD...: runs CMD with stdout and stderr on a pseudo-terminal; OUT gets all it drew.
on_tty() {
  local out=$1
  shift
  script -qfec "$(printf '%q ' "$@")" /dev/null >"$out" </dev/null
}
# The frames drawn ("\r\033[K" + line), one per line.
frames() { "$PYTHON" -c 'import re,sys; [print(f) for f in re.findall(r"\r\x1b\[K([^\r\n\x1b]+)(?=\r\x1b\[K)", open(sys.argv[1], errors="replace", newline="").read())]' "$1"; }
# What the terminal shows once the frames are gone, with the timing figures masked.
masked() { sed -E 's/\r?\x1b\[K//g; s/\r//g; s/in [0-9.e+-]+ s, [0-9]+ rows\/s/in T s, R rows\/s/' "$1" | "$PYTHON" -c 'import re,sys; sys.stdout.write(re.sub(r"Scoring [^\n]*?(?=Scored|$)", "", sys.stdin.read()))'; }

# check_case NAME TOTAL_ROWS SLACK SCORE_ARGS...: the run on a terminal draws frames whose
# counts grow to at most TOTAL_ROWS, with a percentage within SLACK points of the rows scored
# (0: exactly their share, rounded down); the same run on a pipe prints only the summary;
# the outputs are equal.
check_case() {
  local name=$1 total=$2 slack=$3
  shift 3
  on_tty "$SCRATCH/$name.tty" "$PLINTH" score --model pkg --threads 1 "$@" --output "tty-$name.parquet" ||
    fail "$name: score on a terminal exited $?"
  "$PLINTH" score --model pkg --threads 1 "$@" --output "pipe-$name.parquet" \
    >"$SCRATCH/$name.out" 2>"$SCRATCH/$name.err" || fail "$name: score on a pipe"
  frames "$SCRATCH/$name.tty" >"$SCRATCH/$name.frames"
  local n
  n=$(wc -l <"$SCRATCH/$name.frames")
  expect_eq "$([ "$n" -ge 1 ] && echo yes || echo "$n frames")" yes "$name: a progress bar on a terminal"
  "$PYTHON" - "$SCRATCH/$name.frames" "$total" "$slack" <<'PY' || fail "$name: the frames"
import re, sys
frames, total, slack = open(sys.argv[1]).read().splitlines(), int(sys.argv[2]), int(sys.argv[3])
unit = {"": 1, "k": 1e3, "M": 1e6}
last_pct = last_rows = 0
for f in frames:
    m = re.fullmatch(r"Scoring +(\d+)% \|([# ]{20})\| ([\d.]+)([kM]?) rows  ([\d.]+)([kM]?)/s", f)
    assert m, f"not a progress line: {f!r}"
    pct, bar, rows = int(m[1]), m[2], float(m[3]) * unit[m[4]]
    assert bar.count("#") == pct // 5 and bar == "#" * (pct // 5) + " " * (20 - pct // 5), f
    assert last_pct <= pct <= 100 and last_rows <= rows <= total, f
    assert float(m[5]) > 0 or rows == 0, f  # a shard may pass others' row groups first
    share = rows * 100 / total
    assert (0 <= share - pct < 1) if slack == 0 else abs(share - pct) <= slack, f
    last_pct, last_rows = pct, rows
PY
  expect_eq "$(cat "$SCRATCH/$name.err")" "" "$name: nothing on stderr when it is a pipe"
  expect_eq "$(masked "$SCRATCH/$name.tty")" "$(masked "$SCRATCH/$name.out" | sed 's/pipe-/tty-/')" \
    "$name: the terminal shows the pipe's output once the bar is gone"
  cmp -s "tty-$name.parquet" "pipe-$name.parquet" || fail "$name: the output differs on a terminal"
  checks=$((checks + 1))
}

# Parquet: the rows of the row groups passed of the footer's count; CSV: the bytes read; a
# shard passes over the other shard's row groups; a prefix weighs its files by size.
check_case parquet 300000 0 --input groups.parquet
check_case csv 300000 3 --input rows.csv
check_case shard 150000 2 --input groups.parquet --shard 1/2
check_case s3 300000 2 --input s3://bucket/lake/

# --json on a terminal: the JSON alone.
on_tty "$SCRATCH/json.tty" "$PLINTH" score --model pkg --threads 1 --input groups.parquet \
  --output json.parquet --json
expect_eq "$(frames "$SCRATCH/json.tty" | wc -l)" 0 "--json draws no progress bar on a terminal"
expect_eq "$(tr -d '\r' <"$SCRATCH/json.tty" | jq -r .rows)" 300000 "--json prints the summary"
# -q: nothing at all.
on_tty "$SCRATCH/quiet.tty" "$PLINTH" -q score --model pkg --threads 1 --input groups.parquet \
  --output quiet.parquet
expect_eq "$(wc -c <"$SCRATCH/quiet.tty")" 0 "-q prints nothing on a terminal"
finish
