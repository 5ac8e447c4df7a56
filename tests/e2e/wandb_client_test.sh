#!/usr/bin/env bash
# The handbook's W&B loop (wandb.init with config and tags, wandb.log per epoch, a summary
# value, run.finish) runs unchanged with the real `wandb` SDK against `plinth server`, and the
# real MLflow client reads the same run back from the same store: params equal the config,
# every metric point, the latest values equal the SDK's own wandb-summary.json, the run files'
# bytes, FINISHED (or FAILED for a non-zero exit code), the SDK's disk samples in MLflow's units
# (what MLflow's own monitor measures), and the SDK's run link opens the run. Then the
# protocol's edges: a re-sent file_stream chunk is stored once, an unknown operation is
# answered 200 with an error naming it, malformed GraphQL is a 400, a forged upload URL is
# refused.
source "$(dirname "$0")/tracking_lib.sh"
need_tools
new_repo
trap 'stop_server; rm -rf "$SCRATCH"' EXIT
start_server
export WANDB_BASE_URL=$BASE WANDB_API_KEY=plinth-0123456789abcdefghij0123456789ABCDEFGHIJ \
  WANDB_SILENT=true WANDB_DIR=$SCRATCH WANDB_CONFIG_DIR=$SCRATCH/wandb-config \
  WANDB_CACHE_DIR=$SCRATCH/wandb-cache WANDB_DISABLE_CODE=true WANDB_DISABLE_GIT=true \
  PYTHONWARNINGS=ignore MLFLOW_HTTP_REQUEST_MAX_RETRIES=0 \
  MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false
script=$PLINTH_SOURCE/tests/e2e/wandb_client.py

if ! timeout 120 "$TOOLS_PYTHON" "$script" log "$SCRATCH/runs.json" >"$SCRATCH/wandb.log" 2>&1; then
  tail -20 "$SCRATCH/wandb.log" >&2
  fail "the W&B loop ran against plinth server"
  finish
fi
mlflow_run=$("$TOOLS_PYTHON" "$script" check "$BASE" "$SCRATCH/runs.json" 2>"$SCRATCH/check.err") ||
  fail "the MLflow client reads back what the W&B SDK logged: $(grep -v Warning "$SCRATCH/check.err")"
checks=$((checks + 1))

# A chunk the SDK sends again after a retry (offset 0, lines already stored) changes nothing;
# only the line past the end is new.
run_id=$(jq -r '.[0].run_id' "$SCRATCH/runs.json")
history() { call GET "$API/metrics/get-history?run_id=$mlflow_run&metric_key=loss"; field '[.metrics[] | [.step, .value]] | sort | tostring'; }
before=$(history)
expect_eq "$(jq length <<<"$before")" 12 "the MLflow REST API has the 12 points of loss"
call POST "$BASE/files/plinth/fraud/$run_id/file_stream" \
  '{"files":{"wandb-history.jsonl":{"offset":0,"content":["{\"loss\":99,\"_step\":0}","{\"loss\":99,\"_step\":1}"]}}}'
expect_call 200 "a re-sent file_stream chunk"
expect_eq "$(history)" "$before" "a re-sent file_stream chunk is stored once"
call POST "$BASE/files/plinth/fraud/$run_id/file_stream" \
  '{"files":{"wandb-history.jsonl":{"offset":11,"content":["{\"loss\":99,\"_step\":11}","{\"loss\":0.01,\"_step\":12}"]}}}'
expect_eq "$(history | jq -c '.[-2:]')" "$(jq -c '[[11, .[0].history[11].loss], [12, 0.01]]' "$SCRATCH/runs.json")" \
  "only lines past the stored ones are added"
# Out of order: step 15 arrives before 13 and 14; the gap fills later, and 15 sent again is
# not stored twice.
stream() { call POST "$BASE/files/plinth/fraud/$run_id/file_stream" "{\"files\":{\"wandb-history.jsonl\":$1}}"; }
stream '{"offset":15,"content":["{\"loss\":0.015,\"_step\":15}"]}'
expect_call 200 "a file_stream chunk ahead of a gap"
stream '{"offset":13,"content":["{\"loss\":0.013,\"_step\":13}","{\"loss\":0.014,\"_step\":14}"]}'
stream '{"offset":15,"content":["{\"loss\":99,\"_step\":15}","{\"loss\":0.016,\"_step\":16}"]}'
expect_eq "$(history | jq -c '.[-5:]')" "$(jq -c '[[11, .[0].history[11].loss], [12, 0.01], [13, 0.013], [14, 0.014], [15, 0.015], [16, 0.016]][-5:]' "$SCRATCH/runs.json")" \
  "chunks out of order: every line once, in its place"
# One chunk larger than an MLflow batch (60 lines x 20 metrics): stored whole.
lines=$("$PYTHON" -c 'import json; print(json.dumps([json.dumps(dict({f"k{j:02d}": i + j / 100 for j in range(20)}, _step=17 + i)) for i in range(60)]))')
stream "{\"offset\":17,\"content\":$lines}"
expect_call 200 "a file_stream chunk of 1,200 values"
call GET "$API/metrics/get-history?run_id=$mlflow_run&metric_key=k19"
expect_eq "$(field '[.metrics[] | .step] | length')" 60 "every line of a chunk larger than an MLflow batch"
call POST "$BASE/files/plinth/fraud/nosuchrun/file_stream" '{}'
expect_error_call 404 RESOURCE_DOES_NOT_EXIST "nosuchrun" "file_stream for an unknown run"

# The "View run" link the SDK prints opens the run's page in the UI.
url=$(jq -r '.[0].url' "$SCRATCH/runs.json")
expect_eq "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$url")" "302 $BASE/#/run/$mlflow_run" \
  "the SDK's run link ($url) leads to the run's page"

# GraphQL edges: never a 5xx, which the SDK retries for days.
call POST "$BASE/graphql" '{"query":"mutation LinkArtifact($x: ID!) { linkArtifact(input: {artifactID: $x}) { versionIndex } }","variables":{"x":"1"},"operationName":"LinkArtifact"}'
expect_call 200 "an operation Plinth does not implement"
expect_contains "$(field '.errors[0].message')" "LinkArtifact" "the error names the operation"
call POST "$BASE/graphql" '{"query":"query Viewer { viewer { id entity } }"}'
expect_eq "$(field .data.viewer.entity)" plinth "the Viewer query names the default entity"
call POST "$BASE/graphql" '{"query":"query { viewer { id "}'
expect_call 400 "malformed GraphQL"
expect_contains "$(field '.errors[0].message')" "Cannot read the GraphQL document" "malformed GraphQL says so"
call PUT "$BASE/wandb/upload/$mlflow_run/evil.txt?expires=99999999999&signature=00" 'x'
expect_error_call 403 PERMISSION_DENIED "signature" "an upload URL with a forged signature"
finish
