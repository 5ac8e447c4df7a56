#!/usr/bin/env bash
# Spec §6 V12, run for real: the run-cache entry of DVC's test_stage_cache lands under DVC's
# published key and value, holds the lock body, and brings the output back without running.
source "$(dirname "$0")/lib.sh"
new_repo
mkdir "$SCRATCH/bin" && ln -s "$PYTHON" "$SCRATCH/bin/python"
export PATH="$SCRATCH/bin:$PATH"

printf 'dep' >dep
printf 'open("out", "w+").write("out"); ' >script.py
"$PLINTH" stage add -q -n write-out -d dep -d script.py -o out "python script.py"
expect_eq "$(cat dvc.yaml)" "stages:
  write-out:
    cmd: python script.py
    deps:
    - dep
    - script.py
    outs:
    - out" "stage add writes DVC's layout"
"$PLINTH" repro >/dev/null
key=c7a85d71de1912c43d9c5b6218c71630d6277e8fc11e4ccf5e12b3c202234838
value=5e2824029f8da9ef6c57131a638ceb65f27c02f16c85d71e85671c27daed0501
entry=.dvc/cache/runs/c7/$key/$value
[ -f "$entry" ] || fail "run-cache entry not at $entry: $(find .dvc/cache/runs -type f)"
expect_eq "$(cat "$entry")" "cmd: python script.py
deps:
- path: dep
  hash: md5
  md5: $(printf dep | md5sum | cut -c1-32)
  size: 3
- path: script.py
  hash: md5
  md5: $(md5sum script.py | cut -c1-32)
  size: 32
outs:
- path: out
  hash: md5
  md5: $(printf out | md5sum | cut -c1-32)
  size: 3" "run-cache entry is the lock body"

# Deleting out and dvc.lock: the run-cache alone restores it, without running the script.
rm out dvc.lock
out=$("$PLINTH" repro)
expect_contains "$out" "is cached - skipping run" "run-cache restores the output"
expect_eq "$(cat out)" "out" "restored content"

# stage add rejects duplicates and keeps the file otherwise intact.
expect_error 2 "stage 'write-out' already exists" "$PLINTH" stage add -n write-out -o x "echo"
"$PLINTH" stage add -q -n second -d out -p lr,epochs -p other.yaml:a -M m.json "cat out"
expect_eq "$(sed -n '/second:/,$p' dvc.yaml)" "  second:
    cmd: cat out
    deps:
    - out
    params:
    - epochs
    - lr
    - other.yaml:
      - a
    metrics:
    - m.json:
        cache: false" "stage add orders params and flags as DVC does"
finish
