#!/usr/bin/env bash
# W&B API keys on a server with logins (--auth): a user gets a key in the shape the SDKs accept,
# `wandb login --host` verifies it and names the user, a wrong key is a clear login error; runs
# logged with a key belong to its user and need EDIT on the project (a new project is its
# creator's), and the signed upload URLs still work without credentials.
source "$(dirname "$0")/wandb_lib.sh"
need_tools
need_old_wandb
new_repo
trap 'stop_server; rm -rf "$SCRATCH"' EXIT
PORT=$(free_port)
PLINTH_ADMIN_USERNAME=admin PLINTH_ADMIN_PASSWORD=admin-pw "$PLINTH" server --auth \
  --backend-store-uri "sqlite:///$SCRATCH/mlruns.db" --artifacts-destination "$SCRATCH/art" \
  --port "$PORT" >"$SCRATCH/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
BASE="http://127.0.0.1:$PORT"
for user in alice bob; do
  curl -sf -u admin:admin-pw -X POST "$BASE/api/2.0/mlflow/users/create" \
    -H 'Content-Type: application/json' -d "{\"username\":\"$user\",\"password\":\"$user-pw\"}" >/dev/null ||
    fail "create user $user"
done
key_of() {
  curl -s -u "$1:$1-pw" -X POST "$BASE/api/2.0/plinth/api-keys/create" -H 'Content-Type: application/json' \
    -d '{"name":"laptop"}' | jq -r .api_key
}
alice=$(key_of alice)
bob=$(key_of bob)
[[ $alice =~ ^plinth-[A-Za-z0-9]{40}$ ]] || fail "the key '$alice' is plinth- and 40 letters or digits"
checks=$((checks + 1))
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/api/2.0/plinth/api-keys/create")" 401 \
  "a key needs a signed-in user"
WANDB_API_KEY= wandb_env
unset WANDB_API_KEY

# wandb login, new and old SDK: the key is verified against the server and names its user.
out=$(WANDB_SILENT=false "$TOOLS_BIN/wandb" login --host "$BASE" "$alice" 2>&1) || fail "wandb login with alice's key: $out"
expect_contains "$out" "logged in as: alice" "wandb login names the key's user"
out=$(WANDB_SILENT=false "$TOOLS_BIN/wandb" login --relogin --host "$BASE" plinth-0000000000000000000000000000000000000000 2>&1) &&
  fail "wandb login accepted a wrong key"
expect_contains "$out" "Failed to authenticate" "a wrong key is a login error"
expect_contains "$out" "W&B API key is not valid on this server" "the login error says what is wrong"
out=$(WANDB_API_KEY=$alice "$WANDB_OLD_PYTHON" -c "import wandb; print(wandb.login(host='$BASE', key='$alice', verify=True))" 2>&1) ||
  fail "wandb 0.19 login with the key: $out"
expect_contains "$out" "True" "wandb 0.19 accepts and verifies the key"

# Runs: alice creates a project (and may use it); bob may read it but not log into it.
run() {  # KEY PROJECT
  WANDB_API_KEY=$1 timeout 120 "$TOOLS_PYTHON" - "$2" <<'PY'
import sys, wandb
run = wandb.init(project=sys.argv[1], config={"lr": 0.1})
for i in range(3):
    wandb.log({"loss": 1.0 / (i + 1)})
run.finish()
PY
}
run "$alice" fraud >"$SCRATCH/alice.log" 2>&1 || fail "alice logs a W&B run: $(tail -5 "$SCRATCH/alice.log")"
out=$(MLFLOW_TRACKING_USERNAME=alice MLFLOW_TRACKING_PASSWORD=alice-pw "$TOOLS_PYTHON" - "$BASE" <<'PY' 2>&1
import sys
from mlflow.tracking import MlflowClient
c = MlflowClient(sys.argv[1])
e = c.get_experiment_by_name("plinth/fraud")
r = c.search_runs([e.experiment_id])[0]
print(r.info.status, r.info.user_id, r.data.params, [m.value for m in c.get_metric_history(r.info.run_id, "loss")],
      [f.path for f in c.list_artifacts(r.info.run_id)])
PY
)
expect_contains "$out" "FINISHED" "alice's run finished"
expect_contains "$out" "{'lr': '0.1'} [1.0, 0.5, 0.3333333333333333]" "alice's run reads back with her password"
expect_contains "$out" "config.yaml" "run files came through the signed upload URLs"
run "$bob" fraud >"$SCRATCH/bob.log" 2>&1 && fail "bob logged into alice's project"
expect_contains "$(cat "$SCRATCH/bob.log")" "bob may not change W&B project plinth/fraud" \
  "bob is told he may not change alice's project"
run "$bob" bobs-project >"$SCRATCH/bob2.log" 2>&1 || fail "bob logs into a project of his own: $(tail -5 "$SCRATCH/bob2.log")"
checks=$((checks + 1))
finish
