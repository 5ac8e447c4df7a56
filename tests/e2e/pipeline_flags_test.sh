#!/usr/bin/env bash
# Stage options as DVC defines them: always_changed, frozen, persist, wdir, a list of commands,
# foreach-generated stages as targets, and a stage without deps.
source "$(dirname "$0")/lib.sh"
new_repo
mkdir src && printf 'x' >src/in.txt
printf 'regions: [us, eu]\n' >params.yaml
cat >dvc.yaml <<'YAML'
stages:
  clock:
    cmd: echo tick >>ticks.log; echo t >clock.txt
    deps: [src/in.txt]
    outs: [clock.txt]
    always_changed: true
  inside:
    wdir: src
    cmd:
    - cp in.txt copy.txt
    - echo "$DVC_STAGE" >stage.txt
    deps: [in.txt]
    outs: [copy.txt, stage.txt]
  grow:
    cmd: echo line >>grow.txt
    deps: [src/in.txt]
    outs:
    - grow.txt:
        persist: true
  region:
    foreach: ${regions}
    do:
      cmd: echo ${item} >region-${item}.txt
      deps: [src/in.txt]
      outs:
      - region-${item}.txt
  pinned:
    cmd: cat src/copy.txt >pinned.txt
    deps: [src/copy.txt]
    outs: [pinned.txt]
    frozen: true
  nodeps:
    cmd: echo n >nodeps.txt
    outs: [nodeps.txt]
YAML
"$PLINTH" repro -q
expect_eq "$(cat src/copy.txt) $(cat src/stage.txt)" "x inside" "wdir, command lists and DVC_STAGE"
expect_eq "$(cat region-us.txt region-eu.txt)" "us
eu" "foreach stages ran"
# As in DVC 3.67.1, a stage without deps but with outs (nodeps) is not always changed: only
# always_changed ones and "callback" stages (neither deps nor outs) are.
expect_eq "$("$PLINTH" status)" "clock:
	always changed" "always_changed stages always show as changed"

"$PLINTH" repro -q
expect_eq "$(wc -l <ticks.log)" "2" "always_changed reruns every time"
expect_eq "$(wc -l <grow.txt)" "1" "an unchanged persist stage does not rerun"
"$PLINTH" repro -q -f grow
expect_eq "$(wc -l <grow.txt)" "2" "persist outputs are kept when the stage reruns"

printf 'y' >src/in.txt
out=$("$PLINTH" repro -s 'region@eu')
expect_contains "$out" "Running stage 'region@eu'" "a generated stage is a target"
case "$out" in *"region@us"*) fail "-s ran another stage" ;; esac
"$PLINTH" repro pinned >"$SCRATCH/pinned"
case "$(cat "$SCRATCH/pinned")" in *"Running stage 'inside'"*) fail "a frozen stage pulled in its upstream" ;; esac
expect_contains "$(cat "$SCRATCH/pinned")" "Stage 'pinned' didn't change" "frozen stage ignores its deps"

# commit records what a hand-run command produced, so repro has nothing left to do.
printf 'z' >src/in.txt
(cd src && cp in.txt copy.txt && echo inside >stage.txt)
expect_contains "$("$PLINTH" commit inside)" "Updated dvc.lock (stage 'inside')" "commit names the stage"
expect_eq "$("$PLINTH" status dvc.yaml:inside)" "Data and pipelines are up to date." "committed stage is up to date (DVC addressing)"
expect_contains "$("$PLINTH" repro -s inside)" "Stage 'inside' didn't change" "repro after commit runs nothing"
rm src/copy.txt
before=$(cat dvc.lock)
expect_error 2 "output 'copy.txt' does not exist" "$PLINTH" commit inside
expect_eq "$(cat dvc.lock)" "$before" "a failed commit leaves dvc.lock alone"
finish
