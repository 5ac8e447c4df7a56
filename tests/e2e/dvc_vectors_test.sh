#!/usr/bin/env bash
# `plinth add` reproduces DVC 3's published test vectors (spec dvc-format.md §6) byte for
# byte: pointer files, cache paths, `.dir` objects, .gitignore entries.
source "$(dirname "$0")/lib.sh"
new_repo

# V1: a single file.
printf foo >foo
"$PLINTH" add -q foo
expect_eq "$(cat foo.dvc)" "outs:
- md5: acbd18db4cc2f85cedef654fccc4a4d8
  size: 3
  hash: md5
  path: foo" "V1 foo.dvc"
expect_eq "$(cat .dvc/cache/files/md5/ac/bd18db4cc2f85cedef654fccc4a4d8)" "foo" "V1 object"
expect_eq "$(stat -c %a .dvc/cache/files/md5/ac/bd18db4cc2f85cedef654fccc4a4d8)" "444" \
  "objects are read-only"
expect_eq "$(cat .gitignore)" "/foo" ".gitignore entry"

# V2: file hashes.
for name in bar data text file 1 2; do printf '%s' "$name" >"$name"; done
"$PLINTH" add -q bar data text file 1 2
expect_eq "$(grep md5: bar.dvc data.dvc text.dvc file.dvc 1.dvc 2.dvc)" \
"bar.dvc:- md5: 37b51d194a7513e45b56f6524f2d51f2
data.dvc:- md5: 8d777f385d3dfec8815d20f7496026dc
text.dvc:- md5: 1cb251ec0d568de6a929b520c4aed8d1
file.dvc:- md5: 8c7dd922ad47494fc02c388e12c00eac
1.dvc:- md5: c4ca4238a0b923820dcc509a6f75849b
2.dvc:- md5: c81e728d9d4c2f636f067f89cc14862c" "V2 hashes"
# A file named 1 is quoted as ruamel.yaml quotes it.
expect_eq "$(tail -1 1.dvc)" "  path: '1'" "numeric path quoted"

# V3: a directory.
mkdir dir3 && printf foo >dir3/foo && printf bar >dir3/bar
"$PLINTH" add -q dir3
expect_eq "$(cat dir3.dvc)" "outs:
- md5: 5ea40360f5b4ec688df672a4db9c17d1.dir
  size: 6
  nfiles: 2
  hash: md5
  path: dir3" "V3 dir3.dvc"
expect_eq "$(cat .dvc/cache/files/md5/5e/a40360f5b4ec688df672a4db9c17d1.dir)" \
  '[{"md5": "37b51d194a7513e45b56f6524f2d51f2", "relpath": "bar"}, {"md5": "acbd18db4cc2f85cedef654fccc4a4d8", "relpath": "foo"}]' \
  "V3 manifest bytes"

# V7, V8, V9, V17.
mkdir dir7 && printf 1 >dir7/1 && printf 2 >dir7/2
mkdir -p dir8/subdir && printf text1 >dir8/file && printf text2 >dir8/subdir/file2
mkdir dir9 && printf text >dir9/file
mkdir dir17 && printf 'bar\n' >dir17/bar && printf 'baz\n' >dir17/baz
"$PLINTH" add -q dir7 dir8 dir9 dir17
expect_eq "$(sed -n 2p dir7.dvc)" "- md5: 5fb6b29836c388e093ca0715c872fe2a.dir" "V7"
expect_eq "$(sed -n 2p dir8.dvc)" "- md5: cb58ee07cb01044db229e4d6121a0dfc.dir" "V8"
expect_eq "$(sed -n 2p dir9.dvc)" "- md5: 0dab3fae569586d4c33272e5011605bf.dir" "V9"
expect_eq "$(sed -n 2p dir17.dvc)" "- md5: 1f69c66028c35037e8bf67e5bc4ceb6a.dir" "V17"
expect_eq "$(cat .dvc/cache/files/md5/1f/69c66028c35037e8bf67e5bc4ceb6a.dir)" \
  '[{"md5": "c157a79031e1c40f85931829bc5fc552", "relpath": "bar"}, {"md5": "258622b1688250cb619f3c9ccaefb7eb", "relpath": "baz"}]' \
  "V17 manifest bytes"
[ -f .dvc/cache/files/md5/ce/f7ccd89dacf1ced6f5ec91d759953f ] || fail "V8 text1 object missing"

# Names that need JSON escaping: the manifest must equal Python's json.dumps, DVC's serializer.
mkdir odd && cd odd
printf a >'café' && printf b >'quote"s' && printf c >'back\slash' && printf d >'tab	x'
printf e >'😀' && mkdir 'a-b' 'a.b' a && printf f >a/b && printf g >'a-b/c' && printf h >a0
cd ..
"$PLINTH" add -q odd
expected=$("$PYTHON" - <<'PY'
import hashlib, json, os
entries = []
for root, _, files in os.walk("odd"):
    for f in files:
        p = os.path.join(root, f)
        entries.append({"md5": hashlib.md5(open(p, "rb").read()).hexdigest(),
                        "relpath": os.path.relpath(p, "odd")})
entries.sort(key=lambda e: e["relpath"])
print(hashlib.md5(json.dumps(entries, sort_keys=True).encode()).hexdigest() + ".dir")
PY
)
expect_eq "$(sed -n 2p odd.dvc)" "- md5: $expected" "manifest of unusual names equals Python's"

# The executable bit is recorded for files.
printf '#!/bin/sh\n' >run.sh && chmod +x run.sh
"$PLINTH" add -q run.sh
expect_contains "$(cat run.sh.dvc)" "  isexec: true" "isexec recorded"

expect_eq "$("$PLINTH" status)" "Data and pipelines are up to date." "clean status"
cache_consistent || fail "cache inconsistent"
finish
