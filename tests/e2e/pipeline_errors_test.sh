#!/usr/bin/env bash
# Bad pipelines get an error naming the file, line, stage or key, and never a half-written
# dvc.lock; a failing stage stops only what depends on it; -j runs independent stages at once.
source "$(dirname "$0")/lib.sh"
new_repo
printf 'train:\n  lr: 0.1\n' >params.yaml
printf 'x' >input.txt

# check_rejected CODE NEEDLE DVC_YAML: repro fails before running anything.
check_rejected() {
  printf '%s\n' "$3" >dvc.yaml
  local before
  before=$(tree_state)
  expect_error "$1" "$2" "$PLINTH" repro
  expect_eq "$(tree_state)" "$before" "rejected pipeline ($2) changed nothing"
  [ ! -e dvc.lock ] || fail "dvc.lock written for a rejected pipeline ($2)"
  [ ! -e ran ] || fail "a stage ran in a rejected pipeline ($2)"
}

check_rejected 2 "dvc.yaml:4: stage 'a': unknown key 'outz'" 'stages:
  a:
    cmd: touch ran
    outz: [x]'
check_rejected 2 "unknown top-level key 'stage'" 'stage:
  a:
    cmd: touch ran'
check_rejected 3 "dependency 'missing.csv' does not exist" 'stages:
  a:
    cmd: touch ran a.txt
    deps: [missing.csv]
    outs: [a.txt]'
check_rejected 2 "cycle: a -> b -> a" 'stages:
  a:
    cmd: touch ran a.txt
    deps: [b.txt]
    outs: [a.txt]
  b:
    cmd: touch ran b.txt
    deps: [a.txt]
    outs: [b.txt]'
check_rejected 2 "output 'out' of stage 'a' overlaps output 'out' of stage 'b'" 'stages:
  a:
    cmd: touch ran out
    outs: [out]
  b:
    cmd: touch ran out
    outs: [out]'
check_rejected 2 "param 'train.epochs' is not in params.yaml" 'stages:
  a:
    cmd: touch ran a.txt
    deps: [input.txt]
    params: [train.epochs]
    outs: [a.txt]'
check_rejected 2 "dvc.yaml:3: stage 'a', key 'cmd': '\${model.name}' is not defined" 'stages:
  a:
    cmd: touch ran ${model.name}
    deps: [input.txt]'
check_rejected 2 "dvc.yaml:4: invalid YAML" 'stages:
  a:
    cmd: [oops'

# A command that does not create its declared output fails that stage only.
printf '%s\n' 'stages:
  good:
    cmd: cp input.txt good.txt
    deps: [input.txt]
    outs: [good.txt]
  lazy:
    cmd: "true"
    deps: [good.txt]
    outs: [never.txt]' >dvc.yaml
expect_error 1 "stage 'lazy': the command finished but did not create 'never.txt'" "$PLINTH" repro
expect_contains "$(cat dvc.lock)" "good:" "the stage that finished is in dvc.lock"
case "$(cat dvc.lock)" in *lazy*) fail "the failed stage must not be in dvc.lock" ;; esac

# A failing command: its output is shown, downstream stages do not run, independent ones do.
rm -f dvc.lock
printf '%s\n' 'stages:
  a:
    cmd: echo a-ran >a.txt
    deps: [input.txt]
    outs: [a.txt]
  broken:
    cmd: echo "training diverged" >&2; exit 3
    deps: [a.txt]
    outs: [model.bin]
  after:
    cmd: touch after.txt
    deps: [model.bin]
    outs: [after.txt]
  side:
    cmd: sleep 0.3; echo side-ran; echo done >side.txt
    deps: [input.txt]
    outs: [side.txt]' >dvc.yaml
rc=0
"$PLINTH" repro -j 2 >"$SCRATCH/out" 2>"$SCRATCH/err" || rc=$?
expect_eq "$rc" "1" "a failed stage makes repro exit 1"
expect_contains "$(cat "$SCRATCH/err")" "stage 'broken': command 'echo \"training diverged\" >&2; exit 3' failed with exit code 3" \
  "the failing command is named"
expect_contains "$(cat "$SCRATCH/err")" "not run because a stage before them failed: after" \
  "downstream stages are reported as not run"
expect_contains "$(cat "$SCRATCH/out")" "[broken] training diverged" "-j prefixes output with the stage"
expect_contains "$(cat "$SCRATCH/out")" "[side] side-ran" "independent stages still run"
[ ! -e after.txt ] || fail "a stage after the failed one ran"
lock=$(cat dvc.lock)
expect_contains "$lock" "  side:" "independent stage recorded"
expect_contains "$lock" "  a:" "upstream stage recorded"
case "$lock" in *broken* | *after:*) fail "failed/skipped stages must not be in dvc.lock" ;; esac

# -j 2 really overlaps independent stages: each one starts before the other ends.
printf '%s\n' 'stages:
  s1:
    cmd: date +%s%N >s1.start; sleep 1; date +%s%N >s1.end; echo 1 >s1.txt
    deps: [input.txt]
    outs: [s1.txt]
  s2:
    cmd: date +%s%N >s2.start; sleep 1; date +%s%N >s2.end; echo 2 >s2.txt
    deps: [input.txt]
    outs: [s2.txt]' >dvc.yaml
"$PLINTH" repro -j 2 >/dev/null
[ "$(cat s1.start)" -lt "$(cat s2.end)" ] && [ "$(cat s2.start)" -lt "$(cat s1.end)" ] ||
  fail "-j 2 ran the two independent stages one after the other"

finish
