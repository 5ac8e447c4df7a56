#!/usr/bin/env bash
# The everyday cycle: add, modify, status, checkout, commit, ls, remove, gc, link types.
source "$(dirname "$0")/lib.sh"
new_repo

mkdir -p data/raw
for i in $(seq 1 50); do echo "row $i" >"data/raw/part-$i.csv"; done
echo "labels" >data/labels.csv
"$PLINTH" add -q data
expect_eq "$("$PLINTH" status --json)" "{}" "up-to-date repo prints {}"

# Modify, add and delete files inside the tracked directory.
echo changed >>data/labels.csv
echo new >data/raw/new.csv
rm data/raw/part-7.csv
expect_eq "$("$PLINTH" status)" "data.dvc:
	changed outs:
		modified:           data" "status text"
expect_eq "$("$PLINTH" status --json | compact_json)" '{"data.dvc":[{"changed outs":{"data":"modified"}}]}' \
  "status json"
rc=0 && quiet=$("$PLINTH" status -q) || rc=$?
expect_eq "$rc:$quiet" "1:" "status -q prints nothing and exits 1 when something changed"

# Checkout refuses to discard uncommitted work, then restores with --force.
before=$(tree_state)
expect_error 5 "data/labels.csv" "$PLINTH" checkout
expect_eq "$(tree_state)" "$before" "refused checkout changed nothing"
out=$("$PLINTH" checkout --force --json | compact_json)
expect_eq "$out" '{"added":1,"deleted":1,"modified":1}' "checkout counts"
[ -f data/raw/part-7.csv ] && [ ! -e data/raw/new.csv ] || fail "checkout did not restore the files"
expect_eq "$(cat data/labels.csv)" "labels" "checkout restored content"
expect_eq "$("$PLINTH" status --json)" "{}" "clean after checkout"

# Deleted output, restored by checkout without --force (nothing uncommitted is lost).
rm -rf data
expect_eq "$("$PLINTH" status --json | compact_json)" '{"data.dvc":[{"changed outs":{"data":"deleted"}}]}' "deleted"
"$PLINTH" checkout -q
expect_eq "$(ls data/raw | wc -l)" "50" "restored directory"

# Commit records new content; the old version stays in the cache until gc.
old=$(sed -n 2p data.dvc)
echo more >>data/labels.csv
"$PLINTH" commit -q
[ "$(sed -n 2p data.dvc)" != "$old" ] || fail "commit did not update data.dvc"
expect_eq "$("$PLINTH" status --json)" "{}" "clean after commit"

# ls lists the workspace and the inside of tracked directories.
expect_eq "$("$PLINTH" ls --dvc-only)" "data/" "ls --dvc-only"
expect_eq "$("$PLINTH" ls data | head -2)" "labels.csv
raw/" "ls inside a tracked directory"
expect_eq "$("$PLINTH" ls -R data | wc -l)" "51" "ls -R"
expect_contains "$("$PLINTH" ls --json)" '"isout": true' "ls --json"

# gc removes what no pointer uses: the previous manifest and labels.csv.
dry=$("$PLINTH" gc --workspace --dry --json | compact_json)
expect_contains "$dry" '"dry_run":true' "gc --dry json"
objects_before=$(find .dvc/cache/files/md5 -type f | wc -l)
"$PLINTH" gc -w -q
objects_after=$(find .dvc/cache/files/md5 -type f | wc -l)
expect_eq "$((objects_before - objects_after))" "2" "gc removed the two unused objects"
cache_consistent || fail "cache inconsistent after gc"
expect_eq "$("$PLINTH" status --json)" "{}" "gc kept everything in use"

# Link types: hardlink and symlink workspaces point at read-only cache objects.
printf 'model bytes' >model.bin
git config -f .dvc/config cache.type hardlink 2>/dev/null || printf '[cache]\n    type = hardlink\n' >>.dvc/config
"$PLINTH" add -q model.bin
expect_eq "$(stat -c %h model.bin)" "2" "hardlinked workspace file"
expect_eq "$(stat -c %i model.bin)" "$(stat -c %i .dvc/cache/files/md5/"$(md5sum <model.bin | cut -c1-2)"/"$(md5sum <model.bin | cut -c3-32)")" "same inode as the object"
sed -i 's/type = hardlink/type = symlink/' .dvc/config
rm model.bin
"$PLINTH" checkout -q model.bin
[ -L model.bin ] || fail "symlink checkout did not make a symlink"
expect_eq "$(cat model.bin)" "model bytes" "symlinked content"

# remove stops tracking; --outs deletes the data too.
"$PLINTH" remove model.bin.dvc --outs
[ ! -e model.bin ] && [ ! -e model.bin.dvc ] || fail "remove --outs left files"
if grep -qx /model.bin .gitignore; then fail "remove left the .gitignore entry"; fi
expect_eq "$("$PLINTH" cache dir)" "$WORK/.dvc/cache" "cache dir"

# Re-adding keeps user annotations in the pointer file.
sed -i 's/type = symlink/type = reflink,copy/' .dvc/config
printf v1 >notes.txt && "$PLINTH" add -q notes.txt
printf '  desc: analyst notes\n' >>notes.txt.dvc
printf v2 >notes.txt && "$PLINTH" add -q notes.txt
expect_eq "$(tail -2 notes.txt.dvc)" "  path: notes.txt
  desc: analyst notes" "annotations survive re-add"
finish
