#!/usr/bin/env bash
# Runs, logging, artifacts and the registry from the command line. Embedded mode: on the
# project's sqlite:///mlruns.db and mlartifacts/, then the same database served over HTTP.
# With CLI_VIA_SERVER=1 (tracking_cli_server_test.sh): the same commands through plinth server.
source "$(dirname "$0")/tracking_lib.sh"
new_repo
trap 'stop_server; rm -rf "$SCRATCH"' EXIT
unset PLINTH_TRACKING_URI MLFLOW_TRACKING_URI PLINTH_RUN_ID
if [ "${CLI_VIA_SERVER:-0}" = 1 ]; then
  start_server
  export PLINTH_TRACKING_URI=$BASE
  packages=$PWD/.plinth/artifacts  # resolve downloads what the server holds
else
  packages=$PWD/mlartifacts
fi

expect_error 2 "no active run" "$PLINTH" log param a 1
R1=$("$PLINTH" runs start -e fraud -n baseline)
expect_eq "${#R1}" "32" "runs start prints the run id"
"$PLINTH" log param depth 4
"$PLINTH" log metric auc 0.81 --step 1
"$PLINTH" log metric auc 0.84 --step 2
"$PLINTH" log tag stage baseline
expect_error 2 "Changing param values is not allowed" "$PLINTH" log param depth 5
expect_error 2 "is not a number" "$PLINTH" log metric auc high
mkdir -p data && printf 'amount,is_fraud\n12.5,0\n' >data/train.csv
expect_eq "$("$PLINTH" log dataset data/train.csv)" "data/train.csv $(md5sum <data/train.csv | cut -c1-32)" "log dataset"
expect_eq "$("$PLINTH" runs show --json | jq -r '.inputs.dataset_inputs[0] | .dataset.source + " " + .tags[0].value')" \
  "data/train.csv training" "the run's dataset input"
mkdir -p model && echo "flavors: {}" >model/MLmodel && echo weights >model/model.bin
"$PLINTH" artifacts log model
"$PLINTH" artifacts log -p reports model/MLmodel
expect_eq "$("$PLINTH" artifacts list)" "$(printf 'model/\nreports/')" "artifacts list"
expect_eq "$("$PLINTH" artifacts list model --json | jq -c '[.[] | .path]')" '["model/MLmodel","model/model.bin"]' "artifacts list --json"
"$PLINTH" artifacts get model/model.bin -o "$SCRATCH/got.bin" >/dev/null
expect_eq "$(cat "$SCRATCH/got.bin")" "weights" "artifacts get"
"$PLINTH" runs end
expect_eq "$("$PLINTH" runs show "$R1" --json | jq -r '.info.status')" "FINISHED" "runs end"
if [ "${CLI_VIA_SERVER:-0}" != 1 ]; then
  [ -f mlruns.db ] && [ -d "mlartifacts/1/$R1/artifacts/model" ] || fail "store and artifacts at the project root"
fi

R2=$("$PLINTH" runs start -e fraud -n deeper)
PLINTH_RUN_ID=$R2 "$PLINTH" log param depth 8
PLINTH_RUN_ID=$R2 "$PLINTH" log metric auc 0.88
PLINTH_RUN_ID=$R2 "$PLINTH" artifacts log model
"$PLINTH" runs end --status FAILED
expect_eq "$("$PLINTH" runs list -e fraud --json | jq -r '[.[].info.run_name] | join(",")')" "deeper,baseline" "runs list, newest first"
expect_eq "$("$PLINTH" runs list -e fraud --filter 'metrics.auc > 0.85' --json | jq -r '.[].info.run_id')" "$R2" "runs list --filter"
expect_contains "$("$PLINTH" runs list -e fraud)" "baseline" "runs list table"
expect_eq "$("$PLINTH" runs compare "$R1" "$R2" --json | jq -c "[.\"$R1\".params.depth, .\"$R2\".metrics.auc]")" '["4",0.88]' "runs compare --json"
expect_contains "$("$PLINTH" runs compare "$R1" "$R2")" "param depth" "runs compare table"
expect_contains "$("$PLINTH" runs show "$R1")" "metric auc = 0.84 (step 2)" "runs show: latest metric"

# Registry: register, promote, alias, resolve to the local package folder.
"$PLINTH" models register fraud-detector "runs:/$R1/model" >/dev/null
"$PLINTH" models register fraud-detector "runs:/$R2/model" >/dev/null
expect_contains "$("$PLINTH" models transition fraud-detector 1 Production)" "version 1 (Production)" "transition"
"$PLINTH" models transition fraud-detector 2 staging >/dev/null
"$PLINTH" models alias fraud-detector champion 1
pkg=$packages/1/$R1/artifacts/model
expect_eq "$("$PLINTH" models resolve models:/fraud-detector/Production)" "$pkg" "models:/NAME/Production"
expect_eq "$("$PLINTH" models resolve models:/fraud-detector@champion)" "$pkg" "models:/NAME@ALIAS"
expect_eq "$("$PLINTH" models resolve models:/fraud-detector/1)" "$pkg" "models:/NAME/VERSION"
expect_eq "$("$PLINTH" models resolve models:/fraud-detector/latest)" "$packages/1/$R2/artifacts/model" "models:/NAME/latest"
expect_eq "$("$PLINTH" models resolve "runs:/$R1/model")" "$pkg" "runs:/RUN/PATH"
[ -f "$("$PLINTH" models resolve models:/fraud-detector/Production)/MLmodel" ] || fail "resolved folder holds the package"
expect_error 3 "in stage 'Archived'" "$PLINTH" models resolve models:/fraud-detector/Archived
expect_error 3 "alias nobody not found" "$PLINTH" models resolve models:/fraud-detector@nobody
expect_eq "$("$PLINTH" models show fraud-detector --json | jq -c '[.versions[] | .version + ":" + .current_stage]')" \
  '["2:Staging","1:Production"]' "models show --json"
expect_contains "$("$PLINTH" models list)" "Production=1" "models list"
"$PLINTH" models transition fraud-detector 2 Production --archive-existing >/dev/null
# Stages in the order of their oldest version, as MLflow's server lists latest_versions.
expect_eq "$("$PLINTH" models list --json | jq -c '[.[0].latest_versions[] | .current_stage + "=" + .version]')" \
  '["Archived=1","Production=2"]' "--archive-existing"
expect_error 2 "is reserved" "$PLINTH" models alias fraud-detector latest 1

# The same database, served: the server sees what the CLI logged.
if [ "${CLI_VIA_SERVER:-0}" != 1 ]; then
  start_server "sqlite:///$PWD/mlruns.db" mlartifacts
  call GET "$API/runs/get?run_id=$R1"
  expect_eq "$(field '.run.data.params[0].value')" "4" "server reads the CLI's runs"
  expect_eq "$(curl -s "$BASE/api/2.0/mlflow-artifacts/artifacts/1/$R1/artifacts/model/model.bin")" \
    "weights" "server serves the CLI's artifacts"
  stop_server
fi

"$PLINTH" models delete fraud-detector --version 1
"$PLINTH" models delete fraud-detector
expect_error 3 "not found" "$PLINTH" models show fraud-detector
finish
