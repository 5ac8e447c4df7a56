#!/usr/bin/env bash
# kill -9 in the middle of `add` of a large directory: the cache never holds a partial object
# under its final name, no pointer file is half-written, and running `add` again completes.
source "$(dirname "$0")/lib.sh"
new_repo

"$PYTHON" - <<'PY'
import os
os.makedirs("big", exist_ok=True)
for i in range(3000):
    with open(f"big/f{i:05d}.bin", "wb") as f:
        f.write(os.urandom(96 * 1024))
PY

# Objects under their final names in the cache (3000 files and the directory listing).
objects() { find .dvc/cache/files/md5 -type f ! -name '*.tmp' 2>/dev/null | wc -l; }
# kill_at N: runs `add` and kills it with SIGKILL as soon as the cache holds N objects.
kill_at() {
  "$PLINTH" add -q big &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null && [ "$(objects)" -lt "$1" ]; do sleep 0.02; done
  kill -9 "$pid" 2>/dev/null || true
  KILLED_STATUS=0
  wait "$pid" 2>/dev/null || KILLED_STATUS=$?
}

# At the first object, a tenth of the way and half-way through.
for at in 1 300 1500; do
  kill_at "$at"
  expect_eq "$KILLED_STATUS" 137 "add was killed (SIGKILL) with $at objects in the cache"
  n=$(objects)
  [ "$n" -ge "$at" ] && [ "$n" -lt 3001 ] || fail "not a partial cache after the kill at $at: $n objects"
  [ ! -e big.dvc ] || fail "big.dvc written by an add that was killed half-way (at $at objects)"
  cache_consistent || fail "partial object visible under its final name after the kill at $at"
done

"$PLINTH" add -q big
grep -q "nfiles: 3000" big.dvc || fail "add after crashes did not record all files"
expect_eq "$("$PLINTH" status --json)" "{}" "clean after re-add"
cache_consistent || fail "cache inconsistent after re-add"
# Temporary files from the killed runs are swept by gc; used objects stay.
"$PLINTH" gc -w -q
expect_eq "$(find .dvc/cache -name '*.tmp' | wc -l)" "0" "gc removed stale temporaries"
rm -rf big
"$PLINTH" checkout -q
expect_eq "$(ls big | wc -l)" "3000" "every file checks out from the cache"
finish
