#!/usr/bin/env bash
# The handbook's W&B script (scikit-learn: config, tags, a per-epoch loop, a wandb.Table of
# feature importances, a `model` artifact) runs unchanged with the newest pinned `wandb` SDK
# against `plinth server`; a later run uses the artifact (downloaded, fresh cache), another logs
# it again (same bytes: deduplicated to v0; changed bytes: v1 with alias "best"); then the real
# MLflow client reads back every param, every metric point, the summary, the table's rows, the
# artifact's bytes per version and the registered model versions.
source "$(dirname "$0")/wandb_lib.sh"
need_tools
new_repo
trap 'stop_server; rm -rf "$SCRATCH"' EXIT
start_server
wandb_env
handbook_roundtrip "$TOOLS_PYTHON"
finish
