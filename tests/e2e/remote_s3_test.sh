#!/usr/bin/env bash
# S3 remotes against a real S3 API server (s3rver, started here on loopback): round trips with
# listing and HEAD lookups, multipart uploads, wrong credentials, a corrupted object, and the
# server dying in the middle of a push.
source "$(dirname "$0")/lib.sh"
new_repo

S3DIR=$SCRATCH/s3
trap 'stop_s3rver; chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
start_s3rver

# Objects visible in the bucket: s3rver writes an object's bytes, then its metadata; an object
# without metadata is invisible to clients. Every visible object must hash to its key.
bucket_consistent() {
  local bad=0 n=0
  while IFS= read -r -d '' meta; do
    local obj=${meta%._S3rver_metadata.json}._S3rver_object
    local key=${obj#"$S3DIR"/bucket/team/project/files/md5/}
    key=${key%._S3rver_object}
    local name=${key/\//}
    name=${name%.dir}
    n=$((n + 1))
    [ "$(md5sum <"$obj" | cut -c1-32)" = "$name" ] || { echo "bad object $obj" >&2; bad=1; }
  done < <(find "$S3DIR/bucket" -name '*._S3rver_metadata.json' -print0)
  echo "$n"
  return $bad
}

"$PLINTH" remote add -d s3 s3://bucket/team/project >/dev/null
"$PLINTH" remote modify s3 endpointurl "http://127.0.0.1:$S3_PORT"
"$PLINTH" remote modify --local s3 access_key_id S3RVER
"$PLINTH" remote modify --local s3 secret_access_key S3RVER
expect_eq "$(grep -c S3RVER .dvc/config || true)" "0" "credentials stay out of the tracked config"

# Few objects: looked up with HEAD. One of 70 MiB: multipart (16 MiB parts).
mkdir few && echo one >few/a.txt && echo two >few/b.txt
head -c $((70 * 1024 * 1024)) /dev/urandom >big.bin
"$PLINTH" add -q few big.bin
expect_eq "$("$PLINTH" push --json | compact_json | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["transferred"])')" \
  "4" "push: two files, a manifest and the big file"
expect_eq "$(bucket_consistent)" "4" "objects in the bucket at DVC's keys, each matching its name"
big_md5=$(md5sum <big.bin | cut -c1-32)
[ -f "$S3DIR/bucket/team/project/files/md5/${big_md5:0:2}/${big_md5:2}._S3rver_object" ] ||
  fail "big.bin at files/md5/xx/... under the remote's prefix"
expect_eq "$("$PLINTH" status -c)" "Cache and remote 's3' are in sync." "in sync (HEAD lookups)"

# Many objects: found by listing the two-character prefixes.
mkdir many && for i in $(seq 1 300); do echo "row $i" >"many/$i.csv"; done
"$PLINTH" add -q many
expect_eq "$("$PLINTH" status -c --json | "$PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)))')" \
  "301" "status -c lists 300 files and the manifest as new"
"$PLINTH" push -q
expect_eq "$("$PLINTH" status -c)" "Cache and remote 's3' are in sync." "in sync (listing)"
# 1,001 objects under one prefix: the listing of files/md5/00/ spans two pages
# (ListObjectsV2 returns at most 1,000 keys and a continuation token).
"$PYTHON" - <<'PY'
import hashlib, os
os.makedirs("paged", exist_ok=True)
n = i = 0
while n < 1001:
    data = b"paged %d\n" % i
    i += 1
    if hashlib.md5(data).hexdigest().startswith("00"):
        open(f"paged/{n}.txt", "wb").write(data)
        n += 1
PY
"$PLINTH" add -q paged
in_00() { find "$S3DIR"/bucket/team/project/files/md5/00 -name '*._S3rver_object' 2>/dev/null | wc -l; }
already=$(in_00)
"$PLINTH" push -q paged
expect_eq "$(($(in_00) - already))" "$(md5sum paged/* | cut -c1-2 | grep -c '^00')" \
  "1,001 objects under files/md5/00/"
expect_eq "$("$PLINTH" status -c paged)" "Cache and remote 's3' are in sync." \
  "a two-page listing finds every object"
md5sum paged/* | while read -r sum _; do rm -f ".dvc/cache/files/md5/00/${sum:2}"; done
expect_eq "$("$PLINTH" fetch --json paged | compact_json | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["transferred"])')" \
  "1001" "fetch finds all 1,001 on the paged listing"

git add -A >/dev/null && git commit -qm data

git clone -q "$WORK" "$SCRATCH/clone"
cp .dvc/config.local "$SCRATCH/clone/.dvc/"
(cd "$SCRATCH/clone" && "$PLINTH" pull -q)
expect_eq "$(cd "$SCRATCH/clone" && find few many big.bin -type f -print0 | sort -z | xargs -0 md5sum)" \
  "$(find few many big.bin -type f -print0 | sort -z | xargs -0 md5sum)" "pull from S3 restores the exact bytes"

# --- wrong credentials: the server's message, the source of the keys, never the secret
"$PLINTH" remote modify --local s3 access_key_id WRONGKEY
"$PLINTH" remote modify --local s3 secret_access_key TopSecretValue123
expect_error 7 "InvalidAccessKeyId: The AWS Access Key Id you provided does not exist" "$PLINTH" push -vv
case "$(cat "$SCRATCH/err" "$SCRATCH/out")" in
  *TopSecretValue123*) fail "the secret appeared in the output" ;;
esac
"$PLINTH" remote modify --local s3 access_key_id S3RVER
"$PLINTH" remote modify --local s3 secret_access_key S3RVER
# Credentials from the environment when the remote has none.
"$PLINTH" remote modify --local -u s3 access_key_id
"$PLINTH" remote modify --local -u s3 secret_access_key
expect_error 2 "no AWS credentials for remote 's3'" env HOME="$SCRATCH" "$PLINTH" status -c
expect_eq "$(AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER HOME=$SCRATCH "$PLINTH" status -c)" \
  "Cache and remote 's3' are in sync." "credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
mkdir -p "$SCRATCH/home/.aws"
printf '[default]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n' >"$SCRATCH/home/.aws/credentials"
expect_eq "$(HOME=$SCRATCH/home "$PLINTH" status -c)" "Cache and remote 's3' are in sync." \
  "credentials from ~/.aws/credentials"
export HOME=$SCRATCH/home

# --- a corrupted object in the bucket is refused
cd "$SCRATCH/clone"
rm -rf .dvc/cache big.bin
obj="$S3DIR/bucket/team/project/files/md5/${big_md5:0:2}/${big_md5:2}._S3rver_object"
printf 'X' | dd of="$obj" bs=1 seek=5000000 conv=notrunc 2>/dev/null
expect_error 4 "object $big_md5 from remote 's3'" "$PLINTH" pull big.bin
[ ! -e big.bin ] || fail "corrupted object reached the workspace"
[ ! -e ".dvc/cache/files/md5/${big_md5:0:2}/${big_md5:2}" ] || fail "corrupted object entered the cache"
cd "$WORK"
rm -f "${obj%._S3rver_object}"._S3rver_*  # gone from the bucket: the next push restores it

# --- the server dies in the middle of a push
mkdir burst && for i in $(seq 1 3000); do head -c 2048 /dev/urandom >"burst/$i.bin"; done
"$PLINTH" add -q burst
before=$(find "$S3DIR/bucket" -name '*._S3rver_metadata.json' | wc -l)
"$PLINTH" push -j 8 >"$SCRATCH/push.out" 2>"$SCRATCH/push.err" &
push_pid=$!
for _ in $(seq 1 300); do
  [ "$(find "$S3DIR/bucket" -name '*._S3rver_metadata.json' | wc -l)" -gt $((before + 100)) ] && break
  sleep 0.05
done
stop_s3rver
rc=0 && wait "$push_pid" || rc=$?
n=$(bucket_consistent) || fail "a partial object is visible under its final key"
[ "$n" -lt $((before + 3002)) ] || fail "the server was stopped too late to test anything ($n objects)"
# Unlike S3, s3rver is not crash-safe: it writes an object's bytes in place and its metadata
# file after, so a kill leaves half-written bytes (served as if complete) and torn metadata
# files (which fail listings). S3 never shows an upload that did not complete; clear s3rver's
# own debris, the uploads it never finished, before restarting it.
"$PYTHON" - "$S3DIR/bucket" <<'PY'
import json, pathlib, sys
for obj in pathlib.Path(sys.argv[1]).rglob("*._S3rver_object"):
    meta = pathlib.Path(str(obj)[: -len("_object")] + "_metadata.json")
    try:
        json.loads(meta.read_text())
    except (OSError, ValueError):
        for p in (obj, meta, pathlib.Path(str(obj) + ".md5")):
            p.unlink(missing_ok=True)
PY
expect_eq "$rc" "8" "push fails when the server goes away"
expect_contains "$(cat "$SCRATCH/push.err")" "check that the server is running" "a clear network error"
start_s3rver
"$PLINTH" push -q
expect_eq "$("$PLINTH" status -c)" "Cache and remote 's3' are in sync." "a later push completes"
expect_eq "$(bucket_consistent)" "$((before + 3002))" "every object arrived intact"

finish
