#!/usr/bin/env bash
# The MLflow 3.6 client's request sequences (spec mlflow-rest.md §9), replayed over HTTP against
# `plinth server`, each checked against the documented response.
source "$(dirname "$0")/tracking_lib.sh"
new_repo
trap 'stop_server; rm -rf "$SCRATCH"' EXIT
start_server
now=$(date +%s000)

# mlflow.set_experiment("stub-exp")
call GET "$API/experiments/get-by-name?experiment_name=stub-exp"
expect_error_call 404 RESOURCE_DOES_NOT_EXIST "Could not find experiment with name 'stub-exp'" "get-by-name of a missing experiment"
call POST "$API/experiments/create" '{"name":"stub-exp"}'
expect_call 200 "experiments/create"
expect_eq "$OUT" '{"experiment_id":"1"}' "first experiment gets id 1"
call GET "$API/experiments/get?experiment_id=1"
expect_eq "$(field '.experiment | [.name, .artifact_location, .lifecycle_stage] | join(" ")')" \
  "stub-exp mlflow-artifacts:/1 active" "experiments/get"
call GET "$API/experiments/get?experiment_id=0"
expect_eq "$(field .experiment.name)" "Default" "experiment 0 is Default"
# client.create_experiment(n, tags)
call POST "$API/experiments/create" '{"name":"tagged","tags":[{"key":"team","value":"x"}]}'
call GET "$API/experiments/get-by-name?experiment_name=tagged"
expect_eq "$(field '.experiment.tags[0].value')" "x" "experiment tags"
call POST "$API/experiments/create" '{"name":"stub-exp"}'
expect_error_call 400 RESOURCE_ALREADY_EXISTS "already exists" "duplicate experiment name"

# mlflow.start_run(run_name="r1")
call POST "$API/runs/create" "{\"experiment_id\":\"1\",\"run_name\":\"r1\",\"start_time\":$now,\"tags\":[{\"key\":\"mlflow.user\",\"value\":\"root\"},{\"key\":\"mlflow.source.name\",\"value\":\"train.py\"},{\"key\":\"mlflow.source.type\",\"value\":\"LOCAL\"},{\"key\":\"mlflow.runName\",\"value\":\"r1\"}],\"user_id\":\"root\"}"
expect_call 200 "runs/create"
R=$(field .run.info.run_id)
expect_eq "${#R}" "32" "run id is 32 hex digits"
expect_eq "$(field '.run.info | [.status, .lifecycle_stage, .artifact_uri, .run_uuid == .run_id] | map(tostring) | join(" ")')" \
  "RUNNING active mlflow-artifacts:/1/$R/artifacts true" "new run's info"
expect_eq "$(field '.run.info.end_time // "absent"')" "absent" "no end_time while running"
expect_eq "$(field '.run.inputs | tostring')" "{}" "empty inputs emitted as {}"

# mlflow.log_param / log_metric / log_metrics / log_params / set_tag(s) / delete_tag
call POST "$API/runs/log-parameter" "{\"key\":\"alpha\",\"value\":\"0.5\",\"run_id\":\"$R\",\"run_uuid\":\"$R\"}"
expect_eq "$CODE $OUT" "200 {}" "runs/log-parameter"
call POST "$API/runs/log-metric" "{\"key\":\"loss\",\"value\":0.25,\"timestamp\":$now,\"step\":3,\"run_id\":\"$R\",\"run_uuid\":\"$R\"}"
expect_eq "$CODE $OUT" "200 {}" "runs/log-metric"
call POST "$API/runs/log-batch" "{\"run_id\":\"$R\",\"metrics\":[{\"key\":\"acc\",\"value\":0.9,\"timestamp\":$now,\"step\":1,\"run_id\":\"$R\"},{\"key\":\"loss\",\"value\":0.5,\"timestamp\":$now,\"step\":1,\"run_id\":\"$R\"}]}"
expect_eq "$CODE $OUT" "200 {}" "log-batch of metrics"
call POST "$API/runs/log-batch" "{\"run_id\":\"$R\",\"params\":[{\"key\":\"depth\",\"value\":\"6\"},{\"key\":\"lr\",\"value\":\"0.1\"}]}"
expect_eq "$CODE $OUT" "200 {}" "log-batch of params"
call POST "$API/runs/set-tag" "{\"key\":\"t1\",\"value\":\"v1\",\"run_id\":\"$R\",\"run_uuid\":\"$R\"}"
expect_eq "$CODE $OUT" "200 {}" "runs/set-tag"
call POST "$API/runs/log-batch" "{\"run_id\":\"$R\",\"tags\":[{\"key\":\"t2\",\"value\":\"v2\"}]}"
call POST "$API/runs/delete-tag" "{\"run_id\":\"$R\",\"key\":\"t2\"}"
expect_eq "$CODE $OUT" "200 {}" "runs/delete-tag"
call POST "$API/runs/delete-tag" "{\"run_id\":\"$R\",\"key\":\"t2\"}"
expect_error_call 404 RESOURCE_DOES_NOT_EXIST "No tag with name: t2" "deleting a missing tag"

# mlflow.log_artifact(file): runs/get, then PUT through the proxy
call GET "$API/runs/get?run_uuid=$R&run_id=$R"
expect_eq "$(field '[.run.data.params[] | .key + "=" + .value] | join(",")')" "alpha=0.5,depth=6,lr=0.1" "params in run data"
expect_eq "$(field '[.run.data.metrics[] | .key + "=" + (.value|tostring) + "@" + (.step|tostring)] | join(",")')" \
  "acc=0.9@1,loss=0.25@3" "latest metric per key is the highest step"
expect_eq "$(field '[.run.data.tags[].key] | join(",")')" "mlflow.runName,mlflow.source.name,mlflow.source.type,mlflow.user,t1" "tags stored verbatim"
echo "hello" >hello.txt
resp=$(curl -s -w ' %{http_code}' -X PUT -H 'Content-Type: text/plain' --data-binary @hello.txt "$BASE/api/2.0/mlflow-artifacts/artifacts/1/$R/artifacts/hello.txt")
expect_eq "$resp" "{} 200" "artifact PUT"
mkdir -p sub && echo nested >sub/n.txt
curl -s -X PUT --data-binary @sub/n.txt "$BASE/api/2.0/mlflow-artifacts/artifacts/1/$R/artifacts/sub/n.txt" >/dev/null

# client.list_artifacts(R): basenames, is_dir always present
call GET "$BASE/api/2.0/mlflow-artifacts/artifacts?path=1/$R/artifacts"
expect_eq "$(field '.files | tostring')" '[{"file_size":6,"is_dir":false,"path":"hello.txt"},{"is_dir":true,"path":"sub"}]' "proxy listing"
call POST "$API/logged-models/search" '{"experiment_ids":["1"],"filter":"name = '"'sub'"'"}'
expect_eq "$CODE $OUT" "200 {}" "logged-models/search with no match is {}"
call GET "$API/artifacts/list?run_id=$R&path=sub"
expect_eq "$(field '.files[0].path') $(field .root_uri)" "sub/n.txt mlflow-artifacts:/1/$R/artifacts" "artifacts/list is run-relative"

# download_artifacts(run_id, path): a file lists as {}, then GET its bytes
call GET "$BASE/api/2.0/mlflow-artifacts/artifacts?path=1/$R/artifacts/hello.txt"
expect_eq "$CODE $OUT" "200 {}" "listing a file is {}"
expect_eq "$(curl -s "$BASE/api/2.0/mlflow-artifacts/artifacts/1/$R/artifacts/hello.txt")" "hello" "artifact GET"
expect_contains "$(curl -s -D - -o /dev/null "$BASE/api/2.0/mlflow-artifacts/artifacts/1/$R/artifacts/hello.txt")" \
  "attachment; filename=hello.txt" "Content-Disposition"
call GET "$BASE/api/2.0/mlflow-artifacts/artifacts/1/$R/artifacts/missing.txt"
expect_error_call 404 RESOURCE_DOES_NOT_EXIST "missing.txt" "missing artifact is 404, not 500"

# The UI's legacy download of a run's file.
expect_eq "$(curl -s "$BASE/get-artifact?run_id=$R&path=sub/n.txt")" "nested" "/get-artifact"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/get-artifact?run_id=$R&path=../../x")" "400" "/get-artifact refuses '..'"

# mlflow.end_run()
end=$((now + 5000))
call POST "$API/runs/update" "{\"run_id\":\"$R\",\"run_uuid\":\"$R\",\"status\":\"FINISHED\",\"end_time\":$end}"
expect_eq "$(field '.run_info | [.status, (.end_time|tostring), .run_name] | join(" ")')" "FINISHED $end r1" "runs/update"

# A few more runs for search.
ids=()
for i in 1 2 3; do
  call POST "$API/runs/create" "{\"experiment_id\":\"1\",\"run_name\":\"s$i\",\"start_time\":$((now + i))}"
  id=$(field .run.info.run_id)
  ids+=("$id")
  call POST "$API/runs/log-metric" "{\"key\":\"loss\",\"value\":0.$i,\"timestamp\":$now,\"run_id\":\"$id\"}"
done
# client.search_runs([e], f, order_by=["metrics.loss DESC"], max_results=10)
call POST "$API/runs/search" '{"experiment_ids":["1"],"filter":"metrics.loss < 0.3","max_results":10,"order_by":["metrics.loss DESC"],"run_view_type":"ACTIVE_ONLY"}'
expect_eq "$(field '[.runs[].info.run_name] | join(",")')" "r1,s2,s1" "search filter and order"
expect_eq "$(field '.next_page_token // "none"')" "none" "no token on the last page"
# mlflow.search_runs(output_format="list") follows next_page_token
call POST "$API/runs/search" '{"experiment_ids":["1"],"filter":"","max_results":2,"order_by":[],"run_view_type":"ACTIVE_ONLY"}'
expect_eq "$(field '[.runs[].info.run_name] | join(",")')" "s3,s2" "default order: start_time DESC"
token=$(field .next_page_token)
call POST "$API/runs/search" "{\"experiment_ids\":[\"1\"],\"filter\":\"\",\"max_results\":2,\"page_token\":\"$token\"}"
expect_eq "$(field '[.runs[].info.run_name] | join(",")')" "s1,r1" "second page"
call POST "$API/runs/search" '{"experiment_ids":["1"],"filter":"metrics.loss >> 1"}'
expect_error_call 400 INVALID_PARAMETER_VALUE "Invalid comparator '>>'" "bad comparator"

# client.get_metric_history(R, "loss")
call GET "$API/metrics/get-history?run_uuid=$R&metric_key=loss&run_id=$R&max_results=25000"
expect_eq "$(field '[.metrics[] | (.value|tostring) + "@" + (.step|tostring)] | join(",")')" "0.5@1,0.25@3" \
  "history: every point, by timestamp then step"

# client.create_registered_model / create_model_version
call POST "$API/registered-models/create" '{"name":"stub-model","tags":[{"key":"k","value":"v"}],"description":"d"}'
expect_eq "$(field '.registered_model | [.name, .description, .tags[0].key] | join(" ")')" "stub-model d k" "registered-models/create"
call POST "$API/model-versions/create" "{\"name\":\"stub-model\",\"source\":\"mlflow-artifacts:/1/$R/artifacts/model\",\"run_id\":\"$R\"}"
expect_eq "$(field '.model_version | [.version, .current_stage, .status] | join(" ")')" "1 None READY" "model-versions/create"
call POST "$API/model-versions/create" "{\"name\":\"stub-model\",\"source\":\"runs:/$R/model\",\"run_id\":\"$R\"}"
expect_eq "$(field .model_version.version)" "2" "versions count up"

# client.transition_model_version_stage(n, "1", "Production", archive_existing_versions=True)
call GET "$API/registered-models/get?name=stub-model"
expect_call 200 "registered-models/get"
call POST "$API/model-versions/transition-stage" '{"name":"stub-model","version":"2","stage":"production","archive_existing_versions":false}'
expect_eq "$(field .model_version.current_stage)" "Production" "stage matched case-insensitively"
call POST "$API/model-versions/transition-stage" '{"name":"stub-model","version":"1","stage":"Production","archive_existing_versions":true}'
expect_eq "$(field .model_version.current_stage)" "Production" "transition-stage"
call GET "$API/model-versions/get?name=stub-model&version=2"
expect_eq "$(field .model_version.current_stage)" "Archived" "archive_existing_versions archived version 2"
call POST "$API/model-versions/transition-stage" '{"name":"stub-model","version":"1","stage":"bogus"}'
expect_error_call 400 INVALID_PARAMETER_VALUE "Invalid Model Version stage: bogus" "bad stage"

# client.set_registered_model_alias / get_model_version_by_alias
call POST "$API/registered-models/alias" '{"name":"stub-model","alias":"champion","version":"1"}'
expect_eq "$CODE $OUT" "200 {}" "set alias"
call GET "$API/registered-models/alias?name=stub-model&alias=champion"
expect_eq "$(field '.model_version | [.version, (.aliases|join(","))] | join(" ")')" "1 champion" "version by alias"
call GET "$API/registered-models/alias?name=stub-model&alias=nobody"
expect_error_call 400 INVALID_PARAMETER_VALUE "Registered model alias nobody not found." "unknown alias is 400"
call POST "$API/registered-models/alias" '{"name":"stub-model","alias":"v1","version":"1"}'
expect_error_call 400 INVALID_PARAMETER_VALUE "Version alias name 'v1' is reserved." "reserved alias"

# client.get_latest_versions(n, ["Production"]) and get_model_version_download_uri
call POST "$API/registered-models/get-latest-versions" '{"name":"stub-model","stages":["Production"]}'
expect_eq "$(field '[.model_versions[].version] | join(",")')" "1" "latest Production version"
call GET "$API/registered-models/get?name=stub-model"
expect_eq "$(field '[.registered_model.latest_versions[] | .current_stage + "=" + .version] | join(",")')" \
  "Production=1,Archived=2" "latest_versions per stage"
expect_eq "$(field '.registered_model.aliases | tostring')" '[{"alias":"champion","version":"1"}]' "aliases on the model"
call GET "$API/model-versions/get-download-uri?name=stub-model&version=1"
expect_eq "$(field .artifact_uri)" "mlflow-artifacts:/1/$R/artifacts/model" "download URI is the source"
call GET "$API/model-versions/get-download-uri?name=stub-model&version=2"
expect_eq "$(field .artifact_uri)" "runs:/$R/model" "runs:/ source returned as-is"

# The UI's legacy download of a model version's file (version 2's source is runs:/R/model).
curl -s -X PUT --data-binary 'flavors: {}' "$BASE/api/2.0/mlflow-artifacts/artifacts/1/$R/artifacts/model/MLmodel" >/dev/null
expect_eq "$(curl -s "$BASE/model-versions/get-artifact?name=stub-model&version=2&path=MLmodel")" "flavors: {}" "/model-versions/get-artifact"

# mlflow.register_model("runs:/R/model", n): create tolerates RESOURCE_ALREADY_EXISTS
call POST "$API/registered-models/create" '{"name":"stub-model"}'
expect_error_call 400 RESOURCE_ALREADY_EXISTS "Registered Model (name=stub-model) already exists." "re-create model"

# mlflow.pyfunc.log_model(name="model"): logged model, outputs, artifacts, finalize
call POST "$API/logged-models" "{\"experiment_id\":\"1\",\"name\":\"model\",\"source_run_id\":\"$R\",\"tags\":[{\"key\":\"mlflow.source.name\",\"value\":\"train.py\"}]}"
M=$(field .model.info.model_id)
expect_eq "$(field '.model.info | [.status, .artifact_uri] | join(" ")')" \
  "LOGGED_MODEL_PENDING mlflow-artifacts:/1/models/$M/artifacts" "logged-models create"
call POST "$API/runs/outputs" "{\"run_id\":\"$R\",\"models\":[{\"model_id\":\"$M\",\"step\":0}]}"
expect_eq "$CODE $OUT" "200 {}" "runs/outputs"
call GET "$API/logged-models/$M"
expect_eq "$(field .model.info.name)" "model" "logged-models get"
curl -s -X PUT --data-binary 'flavors: {}' "$BASE/api/2.0/mlflow-artifacts/artifacts/1/models/$M/artifacts/MLmodel" >/dev/null
call PATCH "$API/logged-models/$M" "{\"model_id\":\"$M\",\"status\":\"LOGGED_MODEL_READY\"}"
expect_eq "$(field .model.info.status)" "LOGGED_MODEL_READY" "finalize"
call GET "$API/runs/get?run_id=$R"
expect_eq "$(field '.run.outputs.model_outputs[0].model_id')" "$M" "run outputs"

# mlflow.register_model("models:/<id>", n): storage location is the logged model's artifacts
call POST "$API/model-versions/create" "{\"name\":\"stub-model\",\"source\":\"models:/$M\",\"model_id\":\"$M\"}"
V=$(field .model_version.version)
call PATCH "$API/logged-models/$M/tags" '{"tags":[{"key":"mlflow.modelVersions","value":"[{\"name\": \"stub-model\", \"version\": 3}]"}]}'
expect_eq "$CODE $OUT" "200 {}" "logged model tags"
call GET "$API/model-versions/get-download-uri?name=stub-model&version=$V"
expect_eq "$(field .artifact_uri)" "mlflow-artifacts:/1/models/$M/artifacts" "download URI of a logged-model version"
call GET "$API/logged-models/does-not-exist"
expect_error_call 404 RESOURCE_DOES_NOT_EXIST "Logged model with ID 'does-not-exist' not found." "unknown logged model"

# mlflow.log_input(dataset, context)
call POST "$API/runs/log-inputs" "{\"run_id\":\"$R\",\"datasets\":[{\"dataset\":{\"name\":\"train\",\"digest\":\"abc123\",\"source_type\":\"local\",\"source\":\"data/train.csv\",\"profile\":\"{}\"},\"tags\":[{\"key\":\"mlflow.data.context\",\"value\":\"training\"}]}]}"
expect_eq "$CODE $OUT" "200 {}" "runs/log-inputs"
call GET "$API/runs/get?run_id=$R"
expect_eq "$(field '.run.inputs.dataset_inputs[0] | [.dataset.digest, .tags[0].value] | join(" ")')" "abc123 training" "dataset input"
call POST "$API/runs/search" '{"experiment_ids":["1"],"filter":"dataset.context = '"'training'"'"}'
expect_eq "$(field '[.runs[].info.run_name] | join(",")')" "r1" "search by dataset context"

# client.search_registered_models("name LIKE 'stub%'") with the prompt exclusion the client adds
call GET "$API/registered-models/search?filter=name%20LIKE%20%27stub%25%27%20AND%20tag.%60mlflow.prompt.is_prompt%60%20%21%3D%20%27true%27&max_results=100"
expect_eq "$(field '[.registered_models[].name] | join(",")')" "stub-model" "search models, prompts excluded"
# client.search_model_versions("name='m'")
call GET "$API/model-versions/search?filter=name%3D%27stub-model%27&max_results=10000"
expect_eq "$(field '[.model_versions[].version] | join(",")')" "3,2,1" "search versions: version DESC"

# delete/rename/update (registry)
call PATCH "$API/registered-models/update" '{"name":"stub-model","description":"new"}'
expect_eq "$(field .registered_model.description)" "new" "update description"
call POST "$API/registered-models/rename" '{"name":"stub-model","new_name":"renamed"}'
expect_eq "$(field '.registered_model | [.name, (.latest_versions|length|tostring)] | join(" ")')" "renamed 3" "rename keeps versions"
call DELETE "$API/model-versions/delete" '{"name":"renamed","version":"3"}'
expect_eq "$CODE $OUT" "200 {}" "delete version"
call POST "$API/model-versions/create" '{"name":"renamed","source":"runs:/'"$R"'/model"}'
expect_eq "$(field .model_version.version)" "4" "version numbers are never reused"
call DELETE "$API/registered-models/delete" '{"name":"renamed"}'
expect_eq "$CODE $OUT" "200 {}" "delete model (JSON body on DELETE)"
call GET "$API/registered-models/get?name=renamed"
expect_error_call 404 RESOURCE_DOES_NOT_EXIST "Registered Model with name=renamed not found" "deleted model"

# Plain endpoints, the ajax-api twin, unknown routes.
expect_eq "$(curl -s "$BASE/health")" "OK" "/health"
# The MLflow 3 client reads server-info before big transfers: no multipart, no presigned URLs.
call GET "$BASE/api/3.0/mlflow/server-info"
expect_eq "$(field '[.store_type, .multipart_uploads_enabled, .multipart_downloads_enabled] | join(" ")')" \
  "SqlStore false false" "server-info"
call GET "$BASE/ajax-api/2.0/mlflow/experiments/get?experiment_id=1"
expect_call 200 "/ajax-api twin"
call GET "$API/no-such-rpc"
expect_call 404 "unknown route"
call GET "$API/runs/create"
expect_call 405 "wrong method"

# SIGTERM with an idle keep-alive connection open: the server exits cleanly.
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
kill -TERM "$server_pid"
rc=0
timeout 10 tail --pid="$server_pid" -f /dev/null || rc=$?
wait "$server_pid" || rc=$?
server_pid=""
exec 3<&-
expect_eq "$rc" "0" "SIGTERM stops the server at once, exit code 0"

finish
