#!/usr/bin/env bash
# Folder (NAS) remotes: remote config commands, push/fetch/pull/status --cloud, DVC's remote
# layout, corrupted and missing remote objects, an unwritable remote folder.
source "$(dirname "$0")/lib.sh"
new_repo

# Every object under files/md5 of a remote folder hashes to its name; prints offenders.
remote_consistent() {
  local root=$1 bad=0 n=0
  while IFS= read -r -d '' f; do
    local name=${f#"$root"/files/md5/}
    name=${name/\//}
    name=${name%.dir}
    n=$((n + 1))
    [ "$(md5sum <"$f" | cut -c1-32)" = "$name" ] || { echo "bad remote object $f" >&2; bad=1; }
  done < <(find "$root/files/md5" -type f -print0)
  [ "$n" -gt 0 ] || { echo "no objects under $root/files/md5" >&2; bad=1; }
  return $bad
}

# --- remote add / list / modify / default / remove
"$PLINTH" remote add -d store ../store >/dev/null
expect_contains "$(cat .dvc/config)" "['remote \"store\"']
    url = ../../store" "relative URL stored relative to .dvc/, section quoted as ConfigObj does"
expect_contains "$(cat .dvc/config)" "[core]
    remote = store" "default remote in core.remote"
"$PLINTH" remote add backup "file://$SCRATCH/backup"
expect_eq "$("$PLINTH" remote list)" "store   ../../store  (default)
backup  file://$SCRATCH/backup" "remote list aligns names"
expect_eq "$("$PLINTH" remote list --json | compact_json)" \
  "[{\"default\":true,\"name\":\"store\",\"url\":\"../../store\"},{\"default\":false,\"name\":\"backup\",\"url\":\"file://$SCRATCH/backup\"}]" \
  "remote list --json"
expect_eq "$("$PLINTH" remote default)" "store" "remote default prints the default"
expect_error 5 "already exists" "$PLINTH" remote add store /elsewhere
expect_error 2 "has no option 'colour'" "$PLINTH" remote modify store colour red
expect_error 3 "remote 'nope' does not exist" "$PLINTH" remote modify nope jobs 4
expect_error 3 "remote 'nope' does not exist" "$PLINTH" remote default nope
expect_error 2 "not supported" "$PLINTH" remote add web ftp://host/x
expect_error 2 "not valid" "$PLINTH" remote add 'bad name' /x
expect_error 2 "not a positive number" "$PLINTH" remote modify store jobs many
expect_error 2 "not supported" "$PLINTH" remote modify store url ftp://host/x
"$PLINTH" remote modify --local backup jobs 3
expect_contains "$(cat .dvc/config.local)" "jobs = 3" "--local writes config.local"
"$PLINTH" remote remove backup
expect_eq "$("$PLINTH" remote list)" "store  ../../store  (default)" "remove deletes from both files"
[ ! -s .dvc/config.local ] || expect_eq "$(grep -c backup .dvc/config.local)" "0" "no trace left"

# --- push
mkdir -p data/images
for i in $(seq 1 40); do echo "image $i" >"data/images/$i.png"; done
echo "a,b" >data/labels.csv
head -c 2000000 /dev/urandom >model.bin
"$PLINTH" add -q data model.bin
git add -A >/dev/null && git commit -qm data
expect_contains "$("$PLINTH" status --cloud)" "	new:                model.bin" "status -c before push"
expect_eq "$("$PLINTH" status -c --json | "$PYTHON" -c 'import json,sys; d=json.load(sys.stdin); print(len(d), set(d.values()))')" \
  "43 {'new'}" "status -c --json: 41 files + .dir + model, all new"
expect_eq "$("$PLINTH" push --json | compact_json)" \
  "{\"bytes\":$(du -cb --apparent-size .dvc/cache/files/md5/*/* | tail -1 | cut -f1),\"remote\":\"remote 'store' ($SCRATCH/store)\",\"transferred\":43,\"up_to_date\":0}" \
  "push sends every object and counts its bytes"
remote_consistent "$SCRATCH/store" || fail "remote objects must sit at files/md5/xx/... and match their names"
expect_eq "$(cd .dvc/cache && find files -type f | sort)" "$(cd ../store && find files -type f | sort)" \
  "the remote has exactly the cache's keys"
expect_eq "$("$PLINTH" status -c)" "Cache and remote 'store' are in sync." "in sync after push"
expect_eq "$("$PLINTH" push)" "Everything is up to date." "second push sends nothing"

# Only what changed goes the second time.
echo "image 41" >data/images/41.png
"$PLINTH" add -q data
expect_eq "$("$PLINTH" push --json | compact_json | "$PYTHON" -c 'import json,sys; d=json.load(sys.stdin); print(d["transferred"], d["up_to_date"])')" \
  "2 42" "push of one new file sends it and the new manifest"
git add -A >/dev/null && git commit -qm more

# --- pull into a fresh clone
git clone -q "$WORK" "$SCRATCH/clone"
cd "$SCRATCH/clone"
expect_eq "$("$PLINTH" status -c --json | "$PYTHON" -c 'import json,sys; print(set(json.load(sys.stdin).values()))')" \
  "{'deleted'}" "clone without cache: remote-only manifest and file objects report 'deleted'"
"$PLINTH" pull -q
expect_eq "$(cd "$SCRATCH/clone" && find data model.bin -type f -print0 | sort -z | xargs -0 md5sum)" \
  "$(cd "$WORK" && find data model.bin -type f -print0 | sort -z | xargs -0 md5sum)" "pull restores the exact bytes"
cache_consistent || fail "pulled cache objects match their names"
expect_eq "$("$PLINTH" status)" "Data and pipelines are up to date." "clean after pull"

# --- a corrupted object on the remote is refused; nothing enters the cache or workspace
rm -rf .dvc/cache data model.bin
model_md5=$(grep -m1 'md5:' model.bin.dvc | awk '{print $3}')
obj="$SCRATCH/store/files/md5/${model_md5:0:2}/${model_md5:2}"
chmod u+w "$obj" && printf 'X' | dd of="$obj" bs=1 seek=100 conv=notrunc 2>/dev/null
expect_error 4 "object $model_md5 from remote 'store'" "$PLINTH" pull model.bin
[ ! -e ".dvc/cache/files/md5/${model_md5:0:2}/${model_md5:2}" ] || fail "corrupted object entered the cache"
[ ! -e model.bin ] || fail "corrupted object reached the workspace"
expect_eq "$(find .dvc/cache -type f -name '*.tmp' | wc -l)" "0" "no temporary left behind"

# --- an object missing on the remote is named
rm -f "$obj"
expect_error 3 "model.bin ($model_md5)" "$PLINTH" fetch
"$PLINTH" pull -q data
expect_eq "$(ls data/images | wc -l)" "41" "the rest still pulls"

# --- pushing what the cache lacks names it, after pushing the rest
cd "$WORK"
rm -f ".dvc/cache/files/md5/${model_md5:0:2}/${model_md5:2}"
expect_error 3 "model.bin ($model_md5)" "$PLINTH" push
"$PLINTH" commit -q model.bin || fail "commit puts the missing object back in the cache"
"$PLINTH" push -q
[ -f "$obj" ] || fail "push after commit restores the object on the remote"

# --- an output that names its own remote (`remote:` in its .dvc) goes there, not to the default
"$PLINTH" remote add archive "$SCRATCH/archive"
echo "raw dump" >raw.bin
"$PLINTH" add -q raw.bin
"$PYTHON" - <<'PY'
text = open("raw.bin.dvc").read()
open("raw.bin.dvc", "w").write(text.replace("  path: raw.bin", "  path: raw.bin\n  remote: archive"))
PY
raw_md5=$(md5sum <raw.bin | cut -c1-32)
expect_eq "$("$PLINTH" push --json raw.bin.dvc | compact_json | "$PYTHON" -c 'import json,sys; d=json.load(sys.stdin); print(d["transferred"], d["remote"])')" \
  "1 remote 'archive' ($SCRATCH/archive)" "push sends the output to its own remote"
[ -f "$SCRATCH/archive/files/md5/${raw_md5:0:2}/${raw_md5:2}" ] || fail "object in the output's remote"
[ ! -e "$SCRATCH/store/files/md5/${raw_md5:0:2}/${raw_md5:2}" ] || fail "object not in the default remote"
expect_eq "$("$PLINTH" push -r store raw.bin.dvc)" "Everything is up to date." \
  "with -r another remote, an output that names its own is left out (as DVC 3 does)"
expect_eq "$("$PLINTH" status -c raw.bin.dvc)" "Cache and remote 'archive' are in sync." \
  "status -c checks the output's own remote"
rm -f ".dvc/cache/files/md5/${raw_md5:0:2}/${raw_md5:2}" raw.bin
"$PLINTH" pull -q raw.bin.dvc
expect_eq "$(cat raw.bin)" "raw dump" "pull fetches from the output's own remote"

# --- a remote folder that cannot be written (root writes everywhere: push as nobody)
echo "extra" >data/extra.csv && "$PLINTH" add -q data
unprivileged=()
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
  unprivileged=(setpriv --reuid=nobody --regid="$(id -gn nobody)" --clear-groups)
  chmod -R a+rwX "$SCRATCH"
fi
if [ "$(id -u)" = 0 ] && [ ${#unprivileged[@]} = 0 ]; then
  skip "unwritable remote: root writes everywhere, and setpriv or the user nobody is missing"
else
  chmod -R a-w "$SCRATCH/store"
  expect_error 7 "$SCRATCH/store" "${unprivileged[@]}" "$PLINTH" push
  chmod -R u+w "$SCRATCH/store"
fi

finish
