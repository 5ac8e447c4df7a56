"""The real MLflow client and its basic-auth client against `plinth server --auth`.

Usage: auth_client.py TRACKING_URI ADMIN_USER ADMIN_PASSWORD
Prints one line per failed check ("FAIL: ...") and exits 1 when any failed.
"""
import os
import sys
import tempfile

import mlflow
import requests
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.server import get_app_client

uri, admin, admin_password = sys.argv[1:4]
ALICE, ALICE_PW = "alice", "alice-Pa55word-42"
BOB, BOB_PW = "bob", "bob-Pa55word-17"
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what, flush=True)


def as_user(name, password):
    if name is None:
        os.environ.pop("MLFLOW_TRACKING_USERNAME", None)
        os.environ.pop("MLFLOW_TRACKING_PASSWORD", None)
    else:
        os.environ["MLFLOW_TRACKING_USERNAME"] = name
        os.environ["MLFLOW_TRACKING_PASSWORD"] = password
    return MlflowClient(uri)


def refused(call, status, what):
    """The call raises an MLflow error mentioning the HTTP status."""
    try:
        call()
    except MlflowException as e:
        check(str(status) in str(e), f"{what}: the error names {status}: {e}")
        return
    check(False, f"{what}: the call succeeded but must be refused with {status}")


mlflow.set_tracking_uri(uri)

# The admin creates two users with the unchanged MLflow auth client.
as_user(admin, admin_password)
auth = get_app_client("basic-auth", tracking_uri=uri)
created = auth.create_user(ALICE, ALICE_PW)
check(created.username == ALICE and not created.is_admin, "create_user returns alice, no admin")
auth.create_user(BOB, BOB_PW)
check(auth.get_user(BOB).username == BOB, "get_user finds bob")

# Alice logs a run with an artifact and registers a model from it.
alice = as_user(ALICE, ALICE_PW)
exp = mlflow.create_experiment("alice-exp")
mlflow.set_experiment(experiment_id=exp)
with mlflow.start_run() as run:
    mlflow.log_param("alpha", 0.5)
    mlflow.log_metric("auc", 0.91)
    mlflow.log_text("secret findings", "notes/report.txt")
run_id = run.info.run_id
alice.create_registered_model("alice-model")
version = alice.create_model_version("alice-model", f"runs:/{run_id}/notes", run_id=run_id)
check(version.version == "1", "alice registers version 1 of alice-model")
check(alice.get_run(run_id).data.params == {"alpha": "0.5"}, "alice reads her run back")
perm = auth.get_user_permission(ALICE, "experiment", exp)
check(perm.permission == "MANAGE", f"the creator has MANAGE on her experiment: {perm.permission}")

# Without credentials: a clear 401.
anonymous = as_user(None, None)
refused(lambda: anonymous.search_experiments(), 401, "no credentials")
wrong = as_user(ALICE, "not-her-password")
refused(lambda: wrong.search_experiments(), 401, "a wrong password")

# Bob, with the default READ, reads alice's run but cannot change it or her experiment.
bob = as_user(BOB, BOB_PW)
check(bob.get_run(run_id).info.run_id == run_id, "bob (READ by default) reads alice's run")
refused(lambda: bob.set_tag(run_id, "x", "y"), 403, "bob tags alice's run")
refused(lambda: bob.rename_experiment(exp, "taken"), 403, "bob renames alice's experiment")
refused(lambda: bob.delete_experiment(exp), 403, "bob deletes alice's experiment")
refused(
    lambda: bob.transition_model_version_stage("alice-model", "1", "Production"),
    403,
    "bob promotes alice's model",
)
refused(lambda: bob.delete_registered_model("alice-model"), 403, "bob deletes alice's model")

# Alice (MANAGE) shuts bob out entirely: every way in is refused.
as_user(ALICE, ALICE_PW)
auth.grant_user_permission(BOB, "experiment", exp, "NO_PERMISSIONS")
auth.grant_user_permission(BOB, "registered_model", "alice-model", "NO_PERMISSIONS")
check(
    auth.get_user_permission(BOB, "experiment", exp).permission == "NO_PERMISSIONS",
    "get_user_permission reports bob's NO_PERMISSIONS",
)
bob = as_user(BOB, BOB_PW)
refused(lambda: bob.get_run(run_id), 403, "bob reaches alice's run by id")
refused(lambda: bob.get_experiment(exp), 403, "bob reaches alice's experiment by id")
refused(lambda: bob.search_runs([exp]), 403, "bob searches alice's runs")
names = [e.name for e in bob.search_experiments()]
check("alice-exp" not in names, f"bob's experiment search hides alice-exp: {names}")
models = [m.name for m in bob.search_registered_models()]
check("alice-model" not in models, f"bob's model search hides alice-model: {models}")
refused(lambda: bob.get_registered_model("alice-model"), 403, "bob reads alice's model")
with tempfile.TemporaryDirectory() as d:
    refused(lambda: bob.download_artifacts(run_id, "notes", d), 403, "bob downloads the artifact")

# By artifact path through the proxy, directly and with encoded '..' from his own experiment.
own = bob.create_experiment("bob-exp")
creds = (BOB, BOB_PW)
path = f"{exp}/{run_id}/artifacts/notes/report.txt"
r = requests.get(f"{uri}/api/2.0/mlflow-artifacts/artifacts/{path}", auth=creds)
check(r.status_code == 403, f"bob reads the artifact by proxy path: HTTP {r.status_code}")
for dots in ("..", "%2E%2E", "%2e%2e"):
    r = requests.get(f"{uri}/api/2.0/mlflow-artifacts/artifacts/{own}/{dots}/{path}", auth=creds)
    check(
        r.status_code in (400, 403) and "secret findings" not in r.text,
        f"bob reads the artifact via {dots}: HTTP {r.status_code}",
    )
r = requests.get(f"{uri}/get-artifact", params={"run_id": run_id, "path": "notes/report.txt"},
                 auth=creds)
check(r.status_code == 403, f"bob reads the artifact by the UI's get-artifact: {r.status_code}")

# By run id in a registry call: a version of his own model from alice's run.
bob.create_registered_model("bob-model")
refused(
    lambda: bob.create_model_version("bob-model", f"runs:/{run_id}/notes", run_id=run_id),
    403,
    "bob registers alice's run under his model",
)

# Bob cannot manage users; the admin can delete one.
bob_auth = get_app_client("basic-auth", tracking_uri=uri)
refused(lambda: bob_auth.create_user("mallory", "mallory-pw-1"), 403, "bob creates a user")
refused(
    lambda: bob_auth.grant_user_permission(BOB, "experiment", exp, "MANAGE"),
    403,
    "bob grants himself MANAGE on alice's experiment",
)
as_user(admin, admin_password)
auth.delete_user(BOB)
bob = as_user(BOB, BOB_PW)
refused(lambda: bob.search_experiments(), 401, "a deleted user")

sys.exit(1 if failures else 0)
