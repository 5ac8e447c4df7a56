#!/usr/bin/env bash
# Remote benchmarks: plinth push/pull against `aws s3 cp --recursive` (Debian's awscli) on the
# same files and the same S3 server (s3rver on loopback), and against `cp -r` for a folder
# remote. All peers run in the same session on the same data.
#
#   (a) push of SMALL_FILES files of 4 KiB     vs aws s3 cp --recursive up   (target >= 3x),
#       with the default transfers (4 per core) and with -j 16
#   (b) pull of the same files (fresh cache)   vs aws s3 cp --recursive down
#   (c) push / pull of one BIG_FILE_MIB file   vs aws s3 cp up / down
#   (d) the same pushes and pulls to a folder remote, vs cp -r
#
# Usage:  make bench-remotes     (or PLINTH=/abs/plinth bench/remotes.sh)
# Environment: PLINTH, BENCH_DIR [/tmp], SMALL_FILES [10000], BIG_FILE_MIB [1024].
# Quick smoke run: SMALL_FILES=500 BIG_FILE_MIB=64 bench/remotes.sh
set -euo pipefail

die() { echo "bench: error: $*" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
PLINTH=${PLINTH:-$here/../build/plinth}
BENCH_DIR=${BENCH_DIR:-/tmp}
SMALL_FILES=${SMALL_FILES:-10000}
BIG_FILE_MIB=${BIG_FILE_MIB:-1024}
AWS=/usr/bin/aws  # Debian's awscli; a pyenv shim earlier on PATH may be another version
S3RVER=$here/../node_modules/s3rver/bin/s3rver.js
[ -x "$PLINTH" ] || die "plinth binary not found at '$PLINTH' (make build, or set PLINTH)"
[ -x "$AWS" ] || die "$AWS not found: scripts/setup.sh installs awscli"
[ -f "$S3RVER" ] || die "s3rver not found: scripts/setup.sh installs it"
PLINTH=$(cd "$(dirname "$PLINTH")" && pwd)/$(basename "$PLINTH")

work=$(mktemp -d "$BENCH_DIR/plinth-bench-remotes.XXXXXX")
s3_pid=""
cleanup() { [ -z "$s3_pid" ] || kill "$s3_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir "$work/s3"
node --openssl-legacy-provider "$S3RVER" -d "$work/s3" -a 127.0.0.1 -p "$port" --configure-bucket bench --silent &
s3_pid=$!
for _ in $(seq 1 100); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL=http://127.0.0.1:$port
aws_s3() { "$AWS" --endpoint-url "$AWS_ENDPOINT_URL" s3 "$@" --only-show-errors; }

seconds() {  # runs "$@", prints its wall time in seconds
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.2f}')"
}
report() {  # label plinth_s peer_s peer_name
  python3 -c "print(f'{\"$1\":<34} plinth {$2:>7.2f} s   $4 {$3:>7.2f} s   ratio {$3 / $2:5.2f}x')"
}

echo "machine: $(nproc) cores, $(uname -r); s3rver $(node -p "require('$here/../node_modules/s3rver/package.json').version"), $("$AWS" --version | cut -d' ' -f1)"
echo "data: $SMALL_FILES files of 4 KiB, one file of $BIG_FILE_MIB MiB"

# Repository with both data sets tracked (not timed).
repo=$work/repo
mkdir -p "$repo/small" && cd "$repo"
git init -q && "$PLINTH" init -q
python3 - "$repo/small" "$SMALL_FILES" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    with open(os.path.join(d, f"{i:06d}.bin"), "wb") as f:
        f.write(os.urandom(4096))
PY
head -c $((BIG_FILE_MIB * 1024 * 1024)) /dev/urandom >big.bin
"$PLINTH" add -q small big.bin
"$PLINTH" remote add s3 s3://bench/plinth
"$PLINTH" remote modify s3 endpointurl "$AWS_ENDPOINT_URL"
"$PLINTH" remote add folder "$work/folder"

# Pulls go to a second checkout of the repository that starts with an empty cache.
puller=$work/puller
fresh_cache() {
  rm -rf "$puller" && mkdir -p "$puller" && cp -r "$repo/.dvc" "$repo"/*.dvc "$puller/"
  rm -rf "$puller/.dvc/cache" "$puller/.dvc/tmp"
}
pull() { (cd "$puller" && "$PLINTH" -q fetch "$@"); }

# (a)/(b) small files
p_push=$(seconds "$PLINTH" -q push -r s3 small.dvc)
a_push=$(seconds aws_s3 cp --recursive "$repo/small" s3://bench/aws/small)
report "push $SMALL_FILES x 4 KiB to S3" "$p_push" "$a_push" "aws s3 cp"
# The same push again with 16 transfers in flight (aws s3 cp keeps 10), into a new prefix.
"$PLINTH" remote add s3wide s3://bench/plinth-wide
"$PLINTH" remote modify s3wide endpointurl "$AWS_ENDPOINT_URL"
p_wide=$(seconds "$PLINTH" -q push -r s3wide -j 16 small.dvc)
report "  the same with -j 16" "$p_wide" "$a_push" "aws s3 cp"
fresh_cache
p_pull=$(seconds pull -r s3 small.dvc)
a_pull=$(seconds aws_s3 cp --recursive s3://bench/aws/small "$work/aws-down")
report "pull $SMALL_FILES x 4 KiB from S3" "$p_pull" "$a_pull" "aws s3 cp"

# (c) one big file
p_push=$(seconds "$PLINTH" -q push -r s3 big.bin.dvc)
a_push=$(seconds aws_s3 cp "$repo/big.bin" s3://bench/aws/big.bin)
report "push 1 x $BIG_FILE_MIB MiB to S3" "$p_push" "$a_push" "aws s3 cp"
fresh_cache
p_pull=$(seconds pull -r s3 big.bin.dvc)
a_pull=$(seconds aws_s3 cp s3://bench/aws/big.bin "$work/aws-big.bin")
report "pull 1 x $BIG_FILE_MIB MiB from S3" "$p_pull" "$a_pull" "aws s3 cp"
rm -rf "$work/aws-down" "$work/aws-big.bin" "$work/s3/bench"/*

# (d) folder remote
p_push=$(seconds "$PLINTH" -q push -r folder)
mkdir -p "$work/cp-up"
c_push=$(seconds cp -r "$repo/small" "$repo/big.bin" "$work/cp-up/")
report "push both to a folder" "$p_push" "$c_push" "cp -r    "
fresh_cache
p_pull=$(seconds pull -r folder)
c_pull=$(seconds cp -r "$work/cp-up" "$work/cp-down")
report "pull both from a folder" "$p_pull" "$c_pull" "cp -r    "
