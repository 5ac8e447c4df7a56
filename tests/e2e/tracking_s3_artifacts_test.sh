#!/usr/bin/env bash
# plinth server with --artifacts-destination s3://...: the mlflow-artifacts proxy stores files
# in a real S3 API (s3rver on loopback) through the S3 remote, lists and serves them back.
source "$(dirname "$0")/tracking_lib.sh"
new_repo

trap 'stop_server; stop_s3rver; rm -rf "$SCRATCH"' EXIT
start_s3rver

export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_ENDPOINT_URL="http://127.0.0.1:$S3_PORT"
start_server "sqlite:///$SCRATCH/mlruns.db" s3://bucket/mlflow
ART="$BASE/api/2.0/mlflow-artifacts/artifacts"

call POST "$BASE/api/2.0/mlflow/runs/create" '{"experiment_id":"0"}'
R=$(field .run.info.run_id)
echo "hello s3" >hello.txt
head -c 3000000 /dev/urandom >weights.bin
expect_eq "$(curl -s -X PUT --data-binary @hello.txt "$ART/0/$R/artifacts/hello.txt")" "{}" "PUT a small file"
expect_eq "$(curl -s -X PUT --data-binary @weights.bin "$ART/0/$R/artifacts/model/weights.bin")" "{}" "PUT a 3 MB file"
[ -n "$(find "$SCRATCH/s3/bucket" -path "*mlflow/0/$R/artifacts/hello.txt*" | head -1)" ] ||
  fail "the object is in the bucket under the destination's prefix"
expect_eq "$(curl -s "$ART/0/$R/artifacts/hello.txt")" "hello s3" "GET it back"
curl -s "$ART/0/$R/artifacts/model/weights.bin" -o got.bin
expect_eq "$(md5sum <got.bin)" "$(md5sum <weights.bin)" "the 3 MB file round-trips"
call GET "$ART?path=0/$R/artifacts"
expect_eq "$(field '[.files[] | .path + ":" + (.is_dir|tostring)] | join(",")')" "hello.txt:false,model:true" "listing"
call GET "$ART/0/$R/artifacts/missing.txt"
expect_call 404 "missing object"
finish
