#!/usr/bin/env bash
# Bad W&B artifact requests (commit before upload, unknown ids, bad names, bytes that do not
# match their MD5, a URL for another file, a manifest of other contents or not JSON) are
# refused with messages naming what is wrong; the artifact commits as v0 once the right bytes
# and manifest arrive (tests/e2e/wandb_artifact_errors.py).
source "$(dirname "$0")/tracking_lib.sh"
need_tools
new_repo
trap 'stop_server; rm -rf "$SCRATCH"' EXIT
start_server
out=$("$TOOLS_PYTHON" "$PLINTH_SOURCE/tests/e2e/wandb_artifact_errors.py" "$BASE" 2>&1)
expect_eq "$out" ok "bad artifact requests are refused, saying why"
finish
