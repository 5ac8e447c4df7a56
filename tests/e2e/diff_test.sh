#!/usr/bin/env bash
# `plinth diff` between git revisions and the workspace, in DVC's text and JSON shapes.
source "$(dirname "$0")/lib.sh"
new_repo

mkdir data && printf 1 >data/a && printf 2 >data/b && printf x >model.bin
"$PLINTH" add -q data model.bin
git add -A && git commit -qm v1

printf 3 >data/c && printf changed >data/a && mv data/b data/b2
"$PLINTH" add -q data
git add -A && git commit -qm v2

json=$("$PLINTH" diff HEAD~1 HEAD --json | "$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
print(sorted(e["path"] for e in d["added"]), sorted(e["path"] for e in d["deleted"]),
      sorted(e["path"] for e in d["modified"]), [(e["path"]["old"], e["path"]["new"]) for e in d["renamed"]])')
expect_eq "$json" "['data/c'] [] ['data/', 'data/a'] [('data/b', 'data/b2')]" "diff between commits"

expect_eq "$("$PLINTH" diff HEAD~1 HEAD)" "Added:
    data/c

Renamed:
    data/b -> data/b2

Modified:
    data/
    data/a

files summary: 1 added, 1 renamed, 1 modified" "diff text"

expect_contains "$("$PLINTH" diff --show-hash HEAD~1 HEAD)" "c81e728d  data/b -> data/b2" "show-hash"

# Against the workspace (default HEAD vs workspace): uncommitted edits show up.
printf y >model.bin
rm data/c
out=$("$PLINTH" diff --json | compact_json)
expect_eq "$out" '{"added":[],"deleted":[{"path":"data/c"}],"modified":[{"path":"data/"},{"path":"model.bin"}],"not in cache":[],"renamed":[]}' "diff workspace json"
expect_eq "$("$PLINTH" diff HEAD HEAD --json | compact_json)" '{"added":[],"deleted":[],"modified":[],"renamed":[]}' "no changes"
expect_error 3 "nosuchrev" "$PLINTH" diff nosuchrev
finish
