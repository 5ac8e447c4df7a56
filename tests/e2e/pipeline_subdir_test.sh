#!/usr/bin/env bash
# dvc.yaml files in subdirectories, as DVC reads them: paths, params.yaml and wdir relative to
# their own directory, a dvc.lock beside each, stages addressed as "sub/dvc.yaml:name", and
# one DAG across all files.
source "$(dirname "$0")/lib.sh"
new_repo
printf 'a\nb\n' >raw.csv
cat >dvc.yaml <<'YAML'
stages:
  prep:
    cmd: sort -r raw.csv >data.txt
    deps: [raw.csv]
    outs: [data.txt]
YAML
mkdir sub
printf 'lr: 0.1\n' >sub/params.yaml
cat >sub/dvc.yaml <<'YAML'
stages:
  train:
    cmd: cat ../data.txt >model.txt && echo ${lr} >>model.txt && echo "$DVC_STAGE" >>model.txt
    deps: [../data.txt]
    params: [lr]
    outs: [model.txt]
YAML

out=$("$PLINTH" repro)
expect_contains "$out" "Running stage 'sub/dvc.yaml:train'" "a stage in a subdirectory runs"
expect_contains "$out" "Updating lock file 'sub/dvc.lock'" "its lock file is beside its dvc.yaml"
expect_eq "$(cat sub/model.txt)" "b
a
0.1
sub/dvc.yaml:train" "it ran in its directory after the root stage, with its params"
expect_eq "$(cat sub/dvc.lock)" "schema: '2.0'
stages:
  train:
    cmd: cat ../data.txt >model.txt && echo 0.1 >>model.txt && echo \"\$DVC_STAGE\"
      >>model.txt
    deps:
    - path: ../data.txt
      hash: md5
      md5: $(md5sum <data.txt | cut -c1-32)
      size: 4
    params:
      params.yaml:
        lr: 0.1
    outs:
    - path: model.txt
      hash: md5
      md5: $(md5sum <sub/model.txt | cut -c1-32)
      size: $(stat -c %s sub/model.txt)" "sub/dvc.lock paths are relative to sub/"
case "$(cat dvc.lock)" in *train*) fail "the root dvc.lock holds only root stages" ;; esac
expect_eq "$(cat sub/.gitignore)" "/model.txt" "outputs are git-ignored beside them"

printf 'lr: 0.2\n' >sub/params.yaml
expect_eq "$("$PLINTH" status)" "sub/dvc.yaml:train:
	changed deps:
		params.yaml:
			modified:           lr
	changed command" "status names the stage by its address"
out=$("$PLINTH" repro -s sub/dvc.yaml:train)
expect_contains "$out" "Running stage 'sub/dvc.yaml:train'" "a subdirectory stage as a target"
expect_eq "$("$PLINTH" dag --dot)" 'strict digraph  {
"prep";
"sub/dvc.yaml:train";
"prep" -> "sub/dvc.yaml:train";
}' "one DAG across dvc.yaml files"

# gc keeps, and checkout restores, outputs that sub/dvc.lock records.
"$PLINTH" gc -w -q
rm sub/model.txt
"$PLINTH" checkout -q
expect_eq "$(tail -2 sub/model.txt | head -1)" "0.2" "checkout restored the subdirectory output"

printf 'stages:\n  bad:\n    cmd: x\n    outz: [y]\n' >sub/dvc.yaml
expect_error 2 "sub/dvc.yaml:4: stage 'bad': unknown key 'outz'" "$PLINTH" repro
finish
