#!/usr/bin/env bash
# Records what each pinned W&B SDK sends to `plinth server` for the handbook script and a run
# that uses its model artifact, through wandb_proxy.py, into
# tests/e2e/wandb_transcript_<version>.jsonl (replayed by wandb_transcript_test.sh). Run it
# again when an SDK pin changes:  PLINTH=build/plinth bash tests/e2e/wandb_transcript_record.sh
source "$(dirname "$0")/wandb_lib.sh"
need_tools
need_old_wandb
new_repo
trap 'stop_server; [ -z "${proxy_pid:-}" ] || kill "$proxy_pid"; rm -rf "$SCRATCH"' EXIT
for python in "$TOOLS_PYTHON" "$WANDB_OLD_PYTHON"; do
  version=$("$python" -c 'import wandb; print(wandb.__version__)')
  rm -rf "$SCRATCH"/{mlruns.db,mlartifacts,wandb*,transcript.jsonl}
  start_server
  proxy_port=$(free_port)
  "$TOOLS_PYTHON" "$PLINTH_SOURCE/tests/e2e/wandb_proxy.py" "$proxy_port" "$BASE" \
    "$SCRATCH/transcript.jsonl" &
  proxy_pid=$!
  sleep 1
  server=$BASE
  BASE=http://127.0.0.1:$proxy_port
  wandb_env
  wandb_step "$python" handbook "$PLINTH_SOURCE/tests/e2e/wandb_handbook.py" "$SCRATCH/h.json"
  WANDB_CACHE_DIR=$SCRATCH/wandb-cache2 \
    wandb_step "$python" use "$PLINTH_SOURCE/tests/e2e/wandb_readback.py" use "$SCRATCH/u.json"
  kill "$proxy_pid"
  proxy_pid=""
  BASE=$server
  stop_server
  "$TOOLS_PYTHON" "$PLINTH_SOURCE/tests/e2e/wandb_transcript.py" trim "$SCRATCH/transcript.jsonl"
  cp "$SCRATCH/transcript.jsonl" "$PLINTH_SOURCE/tests/e2e/wandb_transcript_$version.jsonl"
  echo "wandb $version: $(wc -l <"$SCRATCH/transcript.jsonl") requests"
done
finish
