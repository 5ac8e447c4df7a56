#!/usr/bin/env bash
# The real DVC (requirements-test.txt) and Plinth on the same repositories and the same two
# remotes (a folder and S3 on s3rver), both directions: what `dvc add` tracks, Plinth sees as
# clean, restores and pushes, and a clone gets it back with `dvc pull`; what `plinth add` and
# `plinth push` write, `dvc pull` and `dvc status` read. Where both write the same file (.dvc
# files, .gitignore, .dvc/config, cache objects) the bytes are the same.
source "$(dirname "$0")/dvc_lib.sh"
start_s3rver

# Each tool makes a repository and configures the same remotes with the same commands.
setup_repo() {  # TOOL DIR
  mkdir "$2" && cd "$2" && git init -q && "$1" init -q
  "$1" remote add -d s3 s3://bucket/project >/dev/null
  "$1" remote add folder ../store >/dev/null
  "$1" remote modify s3 endpointurl "http://127.0.0.1:$S3_PORT"
  "$1" remote modify --local s3 access_key_id S3RVER
  "$1" remote modify --local s3 secret_access_key S3RVER
}
A=$SCRATCH/a  # made with dvc
B=$SCRATCH/b  # made with plinth
setup_repo "$DVC" "$A"
setup_repo "$PLINTH" "$B"
for f in .dvc/config .dvc/config.local .dvc/.gitignore .dvcignore; do
  same_file "$A/$f" "$B/$f" "init and remote commands write the same $f"
done

# Nested directories, empty files, an empty directory, an executable, names with spaces,
# non-ASCII letters and glob characters, and one long enough to fold in YAML.
LONG="a long file name with spaces that makes the path line of its pointer file fold.txt"
head -c 300000 /dev/urandom >"$SCRATCH/blob"
make_data() {
  mkdir -p data/sub/deep data/empty-dir
  printf 'id,amount\n1,10\n2,20\n' >data/train.csv
  : >data/empty.txt
  printf 'x' >'data/sub/with space é.txt'
  cp "$SCRATCH/blob" data/sub/deep/blob.bin
  printf 'hello\n' >'my file ü [v1].csv'
  : >empty.bin
  printf '#!/bin/sh\necho hi\n' >run.sh && chmod +x run.sh
  printf 'long\n' >"$LONG"
}
TRACKED=(data 'my file ü [v1].csv' empty.bin run.sh "$LONG")
cd "$A" && make_data && dvc add -q "${TRACKED[@]}"
cd "$B" && make_data && "$PLINTH" add -q "${TRACKED[@]}"
for f in "${TRACKED[@]/%/.dvc}" .gitignore; do
  same_file "$A/$f" "$B/$f" "dvc add and plinth add write the same $f"
done
expect_eq "$(cd "$B/.dvc/cache" && find . -type f -printf '%P %m\n' | sort)" \
  "$(cd "$A/.dvc/cache" && find . -type f -printf '%P %m\n' | sort)" "the same cache objects"
diff -r "$A/.dvc/cache" "$B/.dvc/cache" >/dev/null || fail "cache objects differ in content"
ORIGINAL=$(tree_files "$A")

# --- dvc add → plinth status, checkout, push
cd "$A"
git add -A && git commit -qm "data by dvc"
expect_eq "$("$PLINTH" status)" "Data and pipelines are up to date." "plinth status after dvc add"
printf '3,30\n' >>data/train.csv
rm 'my file ü [v1].csv' data/sub/deep/blob.bin
printf 'changed\n' >"$LONG"
sorted_json() { "$PYTHON" -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))'; }
expect_eq "$("$PLINTH" status --json | sorted_json)" "$(dvc status --json | sorted_json)" \
  "plinth status --json equals dvc status --json on modified and deleted data"
# Like dvc checkout, plinth checkout refuses to discard changes the cache does not hold.
expect_error 5 "checkout would overwrite or delete changes" "$PLINTH" checkout
"$PLINTH" checkout -q --force
expect_eq "$(tree_files "$A")" "$ORIGINAL" "plinth checkout restores what dvc add tracked"
expect_eq "$(dvc status)" "Data and pipelines are up to date." "dvc status after plinth checkout"
"$PLINTH" push -q
"$PLINTH" push -q -r folder
expect_eq "$(dvc status -c)" "Cache and remote 's3' are in sync." "dvc status -c after plinth push (S3)"
expect_eq "$(dvc status -c -r folder)" "Cache and remote 'folder' are in sync." \
  "dvc status -c after plinth push (folder)"

for remote in s3 folder; do
  git clone -q "$A" "$SCRATCH/clone-$remote"
  cp .dvc/config.local "$SCRATCH/clone-$remote/.dvc/"
  (cd "$SCRATCH/clone-$remote" && dvc pull -q -r "$remote")
  expect_eq "$(tree_files "$SCRATCH/clone-$remote")" "$ORIGINAL" \
    "dvc pull -r $remote gets the bytes plinth pushed"
done
expect_eq "$(cd "$SCRATCH/clone-s3" && dvc status -c)" "Cache and remote 's3' are in sync." \
  "dvc status -c in the fresh clone"

# --- plinth add, push → dvc pull, status; the same change by dvc add in B writes the same bytes
changes() {
  # A user's annotation, long enough that DVC folds it when it rewrites the file.
  printf '  desc: transactions of the last quarter, deduplicated, with the amounts in cents\n' \
    >>data.dvc
  printf '3,30\n' >>data/train.csv
  rm data/empty.txt
  mkdir -p more/deeper && printf 'more\n' >more/a.txt && printf 'deeper\n' >more/deeper/b.txt
}
cd "$A" && changes && "$PLINTH" add -q data more
cd "$B" && changes && dvc add -q data more
for f in data.dvc more.dvc .gitignore; do
  same_file "$A/$f" "$B/$f" "plinth add and dvc add of the same change write the same $f"
done
cd "$A"
"$PLINTH" push -q
"$PLINTH" push -q -r folder
git add -A && git commit -qm "data by plinth"
CHANGED=$(tree_files "$A")
for remote in s3 folder; do
  cd "$SCRATCH/clone-$remote"
  git pull -q
  dvc pull -q -r "$remote"
  expect_eq "$(tree_files .)" "$CHANGED" "dvc pull -r $remote gets what plinth add and push stored"
  [ $remote = folder ] ||
    expect_eq "$(dvc status)" "Data and pipelines are up to date." "dvc status after the pull"
  expect_eq "$(dvc status -c -r "$remote")" "Cache and remote '$remote' are in sync." \
    "dvc status -c -r $remote: plinth pushed every object"
done

# --- dvc push → plinth status -c, pull (B's objects are pushed by dvc only)
cd "$B"
printf 'only in b\n' >more/b-only.txt
dvc add -q more
dvc push -q
dvc push -q -r folder
git add -A && git commit -qm "data by dvc in b"
expect_eq "$("$PLINTH" status -c)" "Cache and remote 's3' are in sync." "plinth status -c after dvc push"
expect_eq "$("$PLINTH" status -c -r folder)" "Cache and remote 'folder' are in sync." \
  "plinth status -c -r folder after dvc push"
B_FILES=$(tree_files "$B")
for remote in s3 folder; do
  git clone -q "$B" "$SCRATCH/clone-b-$remote"
  cp .dvc/config.local "$SCRATCH/clone-b-$remote/.dvc/"
  (cd "$SCRATCH/clone-b-$remote" && "$PLINTH" pull -q -r "$remote")
  expect_eq "$(tree_files "$SCRATCH/clone-b-$remote")" "$B_FILES" "plinth pull -r $remote of what dvc pushed"
done

finish
