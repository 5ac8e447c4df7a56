"""The handbook's Module 2 MLflow script, unchanged, then the registry and client calls a team
makes afterwards, run by the real MLflow client (the pinned venv) against a tracking server.

Usage: python mlflow_client.py TRACKING_URI FRAUD_CSV WORKDIR OBSERVED_JSON

Every answer is checked here against what the script itself logged (values, order, bytes,
predictions of the in-memory model). Everything the client returned is also written, with ids,
times and the server address replaced by placeholders, to OBSERVED_JSON; the driver compares
that with what the same script saw from the real `mlflow server` (mlflow_client_reference.json),
so an answer that differs from MLflow's own (a renamed or missing field, another order, another
stage) fails even where this script does not look at it.
"""

import json
import os
import re
import sys
import time
import warnings

import mlflow
import mlflow.sklearn
import numpy as np
import pandas as pd
from mlflow import MlflowClient
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

TRACKING_URI, FRAUD_CSV, WORKDIR, OBSERVED = sys.argv[1:5]
MODEL = "fraud-detector"
FEATURES = ["amount", "merchant_category", "hour_of_day", "day_of_week",
            "transaction_velocity", "distance_from_home"]
STARTED_MS = int(time.time() * 1000)
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print(f"FAIL: {what}", file=sys.stderr)


def check_eq(actual, expected, what):
    check(actual == expected, f"{what}: got {actual!r}, expected {expected!r}")


# ---- Module 2: train and track (as the handbook writes it) ------------------------------------
mlflow.set_tracking_uri(TRACKING_URI)
mlflow.set_experiment("fraud-detection")

df = pd.read_csv(FRAUD_CSV)
X, y = df[FEATURES], df["is_fraud"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=42,
                                                    stratify=y)

report = os.path.join(WORKDIR, "feature_importance.csv")
trained = {}  # run name -> (run id, pipeline, params, {metric: [values by step]})
for run_name, params in [("shallow", {"n_estimators": 30, "max_depth": 3}),
                         ("deep", {"n_estimators": 30, "max_depth": 8})]:
    with mlflow.start_run(run_name=run_name) as run:
        mlflow.log_params({**params, "model_type": "random_forest"})
        model = Pipeline([
            ("encode", ColumnTransformer(
                [("category", OneHotEncoder(handle_unknown="ignore"), ["merchant_category"])],
                remainder="passthrough")),
            ("forest", RandomForestClassifier(random_state=7, warm_start=True, n_jobs=1,
                                              max_depth=params["max_depth"], n_estimators=0)),
        ])
        history = {"auc": [], "f1": []}
        # Grow the forest in steps so the metrics have a history, as a training loop would.
        for step, trees in enumerate(range(10, params["n_estimators"] + 1, 10)):
            model.set_params(forest__n_estimators=trees)
            model.fit(X_train, y_train)
            proba = model.predict_proba(X_test)[:, 1]
            metrics = {"auc": float(roc_auc_score(y_test, proba)),
                       "f1": float(f1_score(y_test, model.predict(X_test), zero_division=0))}
            mlflow.log_metrics(metrics, step=step)
            for k, v in metrics.items():
                history[k].append(v)
        mlflow.log_metric("accuracy", float(accuracy_score(y_test, model.predict(X_test))))
        forest = model.named_steps["forest"]
        names = model.named_steps["encode"].get_feature_names_out()
        pd.DataFrame({"feature": names, "importance": forest.feature_importances_}).to_csv(
            report, index=False)
        mlflow.log_artifact(report, artifact_path="reports")
        mlflow.set_tag("team", "fraud")
        # MLflow 3.17 saves scikit-learn models with skops, which refuses tree nodes unless told.
        mlflow.sklearn.log_model(model, name="model", registered_model_name=MODEL,
                                 input_example=X_train.head(5),
                                 skops_trusted_types=["sklearn.tree._tree.Tree"])
        trained[run_name] = (run.info.run_id, model, params, history)
        with open(report, "rb") as f:
            trained[run_name] += (f.read(),)

# ---- What the team does next: the registry and the client ------------------------------------
client = MlflowClient()
experiment = client.get_experiment_by_name("fraud-detection")
shallow_id, deep_id = trained["shallow"][0], trained["deep"][0]
stage_warnings = []

versions = {v.run_id: v.version for v in client.search_model_versions(f"name='{MODEL}'")}
check_eq(sorted(versions), sorted([shallow_id, deep_id]), "one version per logged run")
v_shallow, v_deep = versions.get(shallow_id), versions.get(deep_id)
check_eq((v_shallow, v_deep), ("1", "2"), "version numbers in logging order")

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    client.transition_model_version_stage(MODEL, v_shallow, "Staging")
    client.transition_model_version_stage(MODEL, v_shallow, "Production")
    client.transition_model_version_stage(MODEL, v_deep, "Staging")
    client.transition_model_version_stage(MODEL, v_deep, "Production",
                                          archive_existing_versions=True)
    latest = client.get_latest_versions(MODEL, stages=["Production", "Archived"])
stage_warnings = sorted({f"{w.category.__name__}: {str(w.message).splitlines()[0]}"
                         for w in caught})
check_eq(client.get_model_version(MODEL, v_shallow).current_stage, "Archived",
         "archive_existing_versions archived the old Production version")
check_eq(client.get_model_version(MODEL, v_deep).current_stage, "Production",
         "the new version is in Production")
check_eq(sorted((v.version, v.current_stage) for v in latest),
         [(v_shallow, "Archived"), (v_deep, "Production")], "get_latest_versions")

client.set_registered_model_alias(MODEL, "champion", v_deep)
client.set_registered_model_alias(MODEL, "challenger", v_shallow)
check_eq(client.get_model_version_by_alias(MODEL, "champion").version, v_deep, "alias lookup")
registered = client.get_registered_model(MODEL)
check_eq(registered.aliases, {"champion": v_deep, "challenger": v_shallow},
         "the registered model's aliases")
client.delete_registered_model_alias(MODEL, "challenger")
check_eq(client.get_registered_model(MODEL).aliases, {"champion": v_deep}, "alias deleted")

# Search with a filter and an order, as a leaderboard would.
deep_auc, shallow_auc = trained["deep"][3]["auc"][-1], trained["shallow"][3]["auc"][-1]
best = client.search_runs([experiment.experiment_id],
                          filter_string="params.model_type = 'random_forest' and "
                                        "metrics.auc > 0 and tags.team = 'fraud'",
                          order_by=["metrics.auc DESC"])
expected = [i for _, i in sorted([(deep_auc, deep_id), (shallow_auc, shallow_id)], reverse=True)]
check_eq([r.info.run_id for r in best], expected, "search_runs ordered by metrics.auc DESC")
deep_only = client.search_runs([experiment.experiment_id], "params.max_depth = '8'",
                               order_by=["attributes.start_time ASC"])
check_eq([r.info.run_id for r in deep_only], [deep_id], "search_runs filtered on a param")
frame = mlflow.search_runs(experiment_names=["fraud-detection"], order_by=["params.max_depth"])
check_eq(list(frame["run_id"]), [shallow_id, deep_id], "mlflow.search_runs as a DataFrame")
for run_name, (run_id, _, params, history, _) in trained.items():
    run = client.get_run(run_id)
    check_eq(run.data.params, {k: str(v) for k, v in {**params,
                                                       "model_type": "random_forest"}.items()},
             f"{run_name}: params")
    check_eq(run.info.status, "FINISHED", f"{run_name}: status")
    for key, values in history.items():
        points = client.get_metric_history(run_id, key)
        check_eq([(m.step, m.value) for m in points], list(enumerate(values)),
                 f"{run_name}: history of {key}")
        check_eq(run.data.metrics[key], values[-1], f"{run_name}: latest {key}")

# Artifacts: list, download, compare bytes.
for run_name, (run_id, _, _, _, report_bytes) in trained.items():
    listed = [(f.path, f.is_dir) for f in client.list_artifacts(run_id, "reports")]
    check_eq(listed, [("reports/feature_importance.csv", False)], f"{run_name}: listing")
    got = client.download_artifacts(run_id, "reports/feature_importance.csv",
                                    os.path.join(WORKDIR, run_name))
    with open(got, "rb") as f:
        check(f.read() == report_bytes, f"{run_name}: downloaded report differs from uploaded")
    whole = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="reports",
                                                dst_path=os.path.join(WORKDIR, run_name + "-dir"))
    check_eq(sorted(os.listdir(whole)), ["feature_importance.csv"], f"{run_name}: folder download")

# Serving code loads the Production model by name and must predict what training predicted.
production = mlflow.pyfunc.load_model(f"models:/{MODEL}/Production")
deep_model = trained["deep"][1]
np.testing.assert_array_equal(production.predict(X_test), deep_model.predict(X_test))
champion = mlflow.sklearn.load_model(f"models:/{MODEL}@champion")
check(np.array_equal(champion.predict_proba(X_test), deep_model.predict_proba(X_test)),
      "models:/fraud-detector@champion predicts as the trained model")
check(production.metadata.get_input_schema() is not None,
      "the input example gave the Production model a signature")
check_eq(production.metadata.run_id, deep_id, "the Production model's run")
model_dir = mlflow.artifacts.download_artifacts(f"models:/{MODEL}/Production",
                                               dst_path=os.path.join(WORKDIR, "production"))
example = production.metadata.load_input_example(model_dir)
check_eq(list(example.columns), FEATURES, "the saved input example")
listed = {f.path: f.file_size for f in client.list_artifacts(deep_id, "model")}
check_eq(listed, {"model/" + n: os.path.getsize(os.path.join(model_dir, n))
                  for n in os.listdir(model_dir) if n != "registered_model_meta"},
         "the model's files: listed sizes")

# ---- What the client saw, normalised for comparison with MLflow's own server -----------------
ids = {}


def placeholder(match):
    text = match.group(0)
    if text not in ids:
        kind = "model" if text.startswith("m-") else "sha" if len(text) == 40 else "run"
        ids[text] = f"<{kind}{sum(v.startswith('<' + kind) for v in ids.values()) + 1}>"
    return ids[text]


ID = re.compile(r"\bm-[0-9a-f]{32}\b|\b[0-9a-f]{40}\b|\b[0-9a-f]{32}\b")
HOST = re.compile(r"https?://127\.0\.0\.1:\d+")
SCRIPT = os.path.abspath(sys.argv[0])


def normal(value, key=""):
    if hasattr(value, "_properties") or type(value).__name__ in ("FileInfo",):
        return {k: normal(v, k) for k, v in dict(value).items()}
    if isinstance(value, dict):  # git details depend on where the script runs: left out
        return {str(k): normal(v, str(k)) for k, v in sorted(value.items())
                if not str(k).startswith("mlflow.source.git.")}
    if isinstance(value, (list, tuple)):
        if key == "metrics":  # a logged model's points: MLflow gives them in no set order
            value = sorted(value, key=lambda m: (m.key, m.step, m.timestamp))
        return [normal(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):  # depends on the data; the checks above compare the values
        return "<float>"
    if key == "file_size":  # depends on the data too; checked against the downloads above
        return "<size>"
    if isinstance(value, int) and value > 10**12:  # a time in ms: from this run, or wrong
        now = int(time.time() * 1000) + 1000
        return "<ms>" if STARTED_MS - 5000 <= value <= now else f"<bad time {value}>"
    if isinstance(value, str):
        value = value.replace(SCRIPT, "<script>").replace(WORKDIR, "<workdir>")
        value = HOST.sub("<server>", ID.sub(placeholder, value))
        return "<ms>" if re.fullmatch(r"\d{13}", value) else value
    return value


observed = {}
observed["experiment"] = normal(client.get_experiment(experiment.experiment_id))
observed["runs"] = {name: normal(client.get_run(t[0])) for name, t in trained.items()}
observed["metric_history"] = {name: normal(client.get_metric_history(t[0], "auc"))
                              for name, t in trained.items()}
observed["artifacts"] = {name: normal(client.list_artifacts(t[0])) for name, t in
                         trained.items()}
observed["model_artifacts"] = normal(client.list_artifacts(deep_id, "model"))
observed["registered_model"] = normal(client.get_registered_model(MODEL))
observed["model_versions"] = normal(sorted(client.search_model_versions(f"name='{MODEL}'"),
                                           key=lambda v: int(v.version)))
observed["logged_models"] = normal(sorted(
    client.search_logged_models([experiment.experiment_id]), key=lambda m: m.creation_timestamp))
observed["download_uri"] = normal(client.get_model_version_download_uri(MODEL, v_deep))
observed["stage_warnings"] = stage_warnings
with open(OBSERVED, "w") as f:
    json.dump(observed, f, indent=1, sort_keys=True)
    f.write("\n")

if failures:
    sys.exit(f"{len(failures)} check(s) failed")
print("mlflow client: all checks passed")
