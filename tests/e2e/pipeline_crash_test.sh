#!/usr/bin/env bash
# kill -9 of repro while stages run or outputs are being saved: dvc.lock is always a complete
# file naming only stages that finished, the cache holds no partial object, and the next repro
# runs only what did not finish.
source "$(dirname "$0")/lib.sh"
new_repo
printf 'x' >input.txt
cat >dvc.yaml <<'YAML'
stages:
  first:
    cmd: echo first >>runs.log; head -c 20000000 /dev/urandom >first.bin
    deps: [input.txt]
    outs: [first.bin]
  second:
    cmd: echo second >>runs.log; sleep 2; cp first.bin second.bin
    deps: [first.bin]
    outs: [second.bin]
YAML

for delay in 0.05 0.3 0.8 1.5; do
  rm -f dvc.lock runs.log
  kill_after "$delay" "$PLINTH" repro -q
  expect_eq "$KILLED_STATUS" 137 "repro (over 2 s) was killed (SIGKILL) after ${delay}s"
  cache_consistent || fail "partial cache object after kill at ${delay}s"
  if [ -e dvc.lock ]; then
    "$PYTHON" - <<'PY' || fail "dvc.lock is not a complete lock file after kill at ${delay}s"
import re, sys
text = open("dvc.lock").read()
assert text.startswith("schema: '2.0'\nstages:\n"), text
assert re.search(r"  first:\n    cmd: .*\n    deps:\n(.*\n)*    outs:\n    - path: first.bin\n      hash: md5\n      md5: [0-9a-f]{32}\n      size: 20000000\n", text), text
assert "second:" not in text, text
PY
  fi
done
sleep 2.5  # the orphaned 'sleep 2' of the last round finishes
rm -f runs.log
"$PLINTH" repro -q
if [ -e dvc.lock ] && grep -q "second:" dvc.lock; then :; else fail "repro after crashes did not finish"; fi
expect_eq "$("$PLINTH" status)" "Data and pipelines are up to date." "clean after the last repro"
cache_consistent || fail "cache consistent at the end"
finish
