#!/usr/bin/env bash
# Bad input gets a message naming the path and what to do, a non-zero exit code, and leaves
# the repository exactly as it was.
source "$(dirname "$0")/lib.sh"
new_repo

mkdir data && printf a >data/a && printf b >data/b
"$PLINTH" add -q data
git add -A && git commit -qm base

check_unchanged() {  # description CODE NEEDLE CMD...
  local what=$1
  shift
  local before
  before=$(tree_state)
  expect_error "$@"
  expect_eq "$(tree_state)" "$before" "$what left the repository unchanged"
}

check_unchanged "missing path" 3 "nothere.csv" "$PLINTH" add nothere.csv
check_unchanged "outside path" 2 "outside the repository" "$PLINTH" add /etc/hostname
check_unchanged "inside .dvc" 2 "inside .dvc/" "$PLINTH" add .dvc/config
check_unchanged "under tracked dir" 2 "already tracks" "$PLINTH" add data/a
check_unchanged "pointer as target" 2 "pointer file" "$PLINTH" add data.dvc
check_unchanged "gc without scope" 2 "--workspace" "$PLINTH" gc
check_unchanged "checkout unknown" 3 "nope" "$PLINTH" checkout nope
# One bad target among good ones: nothing is added at all.
printf ok >good.txt
check_unchanged "mixed targets" 3 "missing.txt" "$PLINTH" add good.txt missing.txt
[ ! -e good.txt.dvc ] || fail "a good target was added although another was bad"

# A directory holding a symlink loop.
mkdir loopy && printf x >loopy/x && ln -s l1 loopy/l2 && ln -s l2 loopy/l1
check_unchanged "symlink loop" 2 "loopy/l" "$PLINTH" add loopy
rm -rf loopy

# Broken pointer files.
cp data.dvc data.dvc.orig
printf 'outs:\n- md5: [oops\n' >data.dvc
check_unchanged "broken YAML (status)" 2 "data.dvc:" "$PLINTH" status
check_unchanged "broken YAML (checkout)" 2 "invalid YAML" "$PLINTH" checkout
printf 'outs:\n- path: data\n  hash: md5\n' >data.dvc
check_unchanged "pointer without md5" 2 "has no md5" "$PLINTH" checkout
expect_eq "$("$PLINTH" status --json | compact_json)" '{"data.dvc":[{"changed outs":{"data":"new"}}]}' \
  "an unhashed output is 'new', as in DVC"
mv data.dvc.orig data.dvc

# A corrupted cache object is reported and never checked out.
obj=.dvc/cache/files/md5/0c/c175b9c0f1b6a831c399e269772661  # md5("a")
chmod u+w "$obj" && printf tampered >"$obj"
rm data/a
check_unchanged "corrupted object" 4 "corrupted" "$PLINTH" checkout
[ ! -e data/a ] || fail "a corrupted object was checked out"
expect_eq "$("$PLINTH" status --json | compact_json)" '{"data.dvc":[{"changed outs":{"data":"not in cache"}}]}' \
  "status reports the corrupted object as not in cache"
printf a >"$obj" && chmod 444 "$obj"
"$PLINTH" checkout -q

# Invalid configuration names the value.
cp .dvc/config config.orig
printf '[cache]\n    type = teleport\n' >>.dvc/config
printf z >z.txt
check_unchanged "bad cache.type" 2 "teleport" "$PLINTH" add z.txt
cp config.orig .dvc/config && rm config.orig z.txt

# A second writer fails at once and names the process holding the lock.
"$PYTHON" -c '
import fcntl, os, time
f = open(".dvc/tmp/lock", "w")
fcntl.flock(f, fcntl.LOCK_EX)
f.write(str(os.getpid())); f.flush()
open("'"$SCRATCH"'/locked", "w").close()
time.sleep(20)' &
holder=$!
for _ in $(seq 100); do [ -e "$SCRATCH/locked" ] && break; sleep 0.05; done
check_unchanged "locked repository" 6 "pid $holder" "$PLINTH" add good.txt
kill "$holder"
wait "$holder" 2>/dev/null || true

# No permission: root reads everything, so root runs the command as the unprivileged nobody.
unprivileged=()
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
  unprivileged=(setpriv --reuid=nobody --regid="$(id -gn nobody)" --clear-groups)
  chmod -R a+rwX "$WORK" && chmod a+rx "$SCRATCH"
fi
if [ "$(id -u)" = 0 ] && [ ${#unprivileged[@]} = 0 ]; then
  skip "unreadable file: root reads everything, and setpriv or the user nobody is missing"
else
  printf secret >secret.txt && chmod 000 secret.txt
  check_unchanged "unreadable file" 7 "secret.txt" "${unprivileged[@]}" "$PLINTH" add secret.txt
  rm -f secret.txt
fi

expect_eq "$("$PLINTH" status)" "Data and pipelines are up to date." "repository intact at the end"
cache_consistent || fail "cache inconsistent"
finish
