#!/usr/bin/env bash
# The real MLflow client (the pinned one in .venv-test) runs the handbook's Module 2 script and
# the registry/client calls after it (mlflow_client.py) against `plinth server`, with artifacts in
# a folder and in S3 (s3rver). The store is SQLite, or PostgreSQL under with_postgres.sh (the
# .postgresql variant). What the client saw must equal what it saw from MLflow's own server
# (mlflow_client_reference.json, recorded by mlflow_client_record.sh).
source "$(dirname "$0")/tracking_lib.sh"
need_tools
new_repo
HERE=$PLINTH_SOURCE/tests/e2e

trap 'stop_server; stop_s3rver; rm -rf "$SCRATCH"' EXIT
start_s3rver
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_ENDPOINT_URL="http://127.0.0.1:$S3_PORT"

"$PLINTH" demo-data fraud --rows 2000 --out "$SCRATCH/fraud.csv" >/dev/null
export MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false PYTHONWARNINGS=ignore::UserWarning MLFLOW_DISABLE_TELEMETRY=true \
  MLFLOW_HTTP_REQUEST_MAX_RETRIES=0 MLFLOW_HTTP_REQUEST_TIMEOUT=60

# A store per run of the script: a SQLite file, or a fresh database on the PostgreSQL server.
store_uri() {  # NAME
  if [ -z "${PLINTH_TEST_POSTGRES_URI:-}" ]; then
    echo "sqlite:///$SCRATCH/$1.db"
    return
  fi
  local host=${PLINTH_TEST_POSTGRES_URI#*host=} port=${PLINTH_TEST_POSTGRES_URI#*port=}
  host=${host%%&*}
  "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/createdb" -h "$host" -p "$port" \
    -U postgres "$1"
  echo "${PLINTH_TEST_POSTGRES_URI/\/plinth\?//$1?}"
}

for destination in folder s3; do
  case $destination in
    folder) where=$SCRATCH/mlartifacts ;;
    s3) where=s3://bucket/mlflow ;;
  esac
  start_server "$(store_uri "client_$destination")" "$where"
  work=$SCRATCH/client-$destination
  mkdir "$work"
  if ! (cd "$work" && "$TOOLS_PYTHON" "$HERE/mlflow_client.py" "$BASE" "$SCRATCH/fraud.csv" \
          "$work" observed.json >client.log 2>&1); then
    fail "$destination: the MLflow client script failed"
    tail -40 "$work/client.log" >&2
  fi
  if [ -f "$work/observed.json" ]; then
    diff -u "$HERE/mlflow_client_reference.json" "$work/observed.json" >&2 ||
      fail "$destination: the client saw other answers than from MLflow's server (diff above)"
  fi
  case $destination in
    folder) [ -n "$(find "$where" -name MLmodel | head -1)" ] ||
              fail "folder: the model files are in the artifacts folder" ;;
    s3) [ -n "$(find "$SCRATCH/s3/bucket" -path '*mlflow/1/models/*MLmodel*' | head -1)" ] ||
          fail "s3: the model files are in the bucket under the destination's prefix" ;;
  esac
  stop_server
done
finish
