"""The other side of tests/e2e/wandb_handbook.py: later runs that use and re-log the model
artifact through the `wandb` SDK, then the real MLflow client reading everything back from the
same server (tests/e2e/wandb_handbook_test.sh).

usage: wandb_readback.py use OUT.json         a run that uses fraud-model:latest and downloads it
       wandb_readback.py relog MODEL OUT.json  a run logging MODEL again (same bytes), then changed
                                               bytes with alias "best"; records the versions
       wandb_readback.py check BASE HANDBOOK.json [USE.json RELOG.json]
                                               the MLflow client's view; prints problems, exits 1
"""
import json
import os
import sys
import tempfile


def use(out):
    import wandb

    run = wandb.init(project="fraud-detection", name="evaluate", job_type="evaluation")
    art = run.use_artifact("fraud-model:latest")
    folder = art.download(root=tempfile.mkdtemp(dir=os.path.dirname(os.path.abspath(out))))
    record = {"version": art.version, "type": art.type, "bytes":
              open(os.path.join(folder, "model.pkl"), "rb").read().hex(), "run_id": run.id,
              "metadata": art.metadata, "aliases": sorted(art.aliases)}
    run.finish()
    json.dump(record, open(out, "w"))


def relog(model, out):
    import wandb

    run = wandb.init(project="fraud-detection", name="relog")
    same = wandb.Artifact("fraud-model", type="model")
    same.add_file(model, name="model.pkl")
    run.log_artifact(same).wait()
    changed_path = os.path.join(os.path.dirname(os.path.abspath(out)), "model.pkl")
    with open(changed_path, "wb") as f:
        f.write(open(model, "rb").read() + b"retrained")
    changed = wandb.Artifact("fraud-model", type="model")
    changed.add_file(changed_path)
    run.log_artifact(changed, aliases=["best"]).wait()
    record = {"same": same.version, "changed": changed.version,
              "changed_bytes": open(changed_path, "rb").read().hex()}
    run.finish()
    json.dump(record, open(out, "w"))


def flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out.update(flatten(v, prefix + k + "."))
        else:
            out[prefix + k] = v
    return out


def check(base, rec, used, relogged, workdir):
    import mlflow
    from mlflow.tracking import MlflowClient

    mlflow.set_tracking_uri(base)
    client = MlflowClient(base)
    problems = []

    def same(what, got, want):
        if got != want:
            problems.append(f"{what}: got {got!r}, want {want!r}")

    exp = client.get_experiment_by_name("plinth/fraud-detection")
    if exp is None:
        return ["no experiment plinth/fraud-detection"]

    def run_of(wandb_id):
        runs = client.search_runs([exp.experiment_id],
                                  filter_string=f"tags.`wandb.run_id` = '{wandb_id}'")
        assert len(runs) == 1, f"{len(runs)} MLflow runs for W&B run {wandb_id}"
        return runs[0]

    run = run_of(rec["run_id"])
    run_id = run.info.run_id
    same("status", run.info.status, "FINISHED")
    same("run name", run.info.run_name, "gbt-baseline")
    want_params = {k: v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))
                   for k, v in flatten(rec["config"]).items()}
    same("params", run.data.params, want_params)
    same("W&B tags", json.loads(run.data.tags.get("wandb.tags", "[]")), ["baseline", "sklearn"])
    same("notes", run.data.tags.get("mlflow.note.content"), "handbook chapter 4")
    for key in rec["history"][0]:
        want = [(step, float(row[key])) for step, row in enumerate(rec["history"])]
        got = sorted((m.step, m.value) for m in client.get_metric_history(run_id, key))
        same(f"every point of {key}", got, want)
    summary = json.load(open(os.path.join(rec["files"], "wandb-summary.json")))
    media = [k for k, v in summary.items() if isinstance(v, dict) and "_type" in v]
    want_latest = {k: float(v) for k, v in flatten(summary).items()
                   if not k.startswith("_") and isinstance(v, (int, float))
                   and k.split(".")[0] not in media}
    got_latest = {k: v for k, v in run.data.metrics.items() if not k.startswith("system/")}
    same("summary (the SDK's own wandb-summary.json)", got_latest, want_latest)
    same("val_f1", run.data.metrics.get("val_f1"), rec["val_f1"])

    # The table: its file exactly, and as MLflow's own client loads tables (pandas' JSON
    # reader rounds the last digit or two of a float).
    path = client.download_artifacts(run_id, "feature_importance.json", workdir)
    same("the table file's rows", json.load(open(path))["data"], rec["table"])
    table = client.load_table(exp.experiment_id, "feature_importance.json", run_ids=[run_id])
    same("the table's columns", list(table.columns), ["feature", "importance"])
    same("the table's rows (mlflow.load_table)",
         [[f, round(v, 12)] for f, v in table.values.tolist()],
         [[f, round(v, 12)] for f, v in rec["table"]])

    # The model artifact: its bytes in the run's artifacts, and a registered model version.
    path = client.download_artifacts(run_id, "wandb-artifacts/fraud-model/v0/model.pkl", workdir)
    same("the model artifact's bytes (v0)", open(path, "rb").read().hex(), rec["model"])
    versions = client.search_model_versions("name = 'fraud-model'")
    v1 = [v for v in versions if v.run_id == run_id]
    same("registered versions of fraud-model from the training run", len(v1), 1)
    if v1:
        files = mlflow.artifacts.download_artifacts(f"models:/fraud-model/{v1[0].version}",
                                                    dst_path=tempfile.mkdtemp(dir=workdir))
        same("the registered version's bytes",
             open(os.path.join(files, "model.pkl"), "rb").read().hex(), rec["model"])

    if used:
        same("use_artifact's version", used["version"], "v0")
        same("use_artifact's type", used["type"], "model")
        same("use_artifact's metadata", used["metadata"], {"val_f1": rec["val_f1"]})
        same("downloaded bytes", used["bytes"], rec["model"])
        user = run_of(used["run_id"])
        same("the using run's inputs", json.loads(user.data.tags.get("wandb.used_artifacts", "[]")),
             ["plinth/fraud-detection/fraud-model:v0"])
    if relogged:
        same("the same bytes again: deduplicated to", relogged["same"], "v0")
        same("changed bytes: a new version", relogged["changed"], "v1")
        relog_run = client.search_runs([exp.experiment_id], "attributes.run_name = 'relog'")[0]
        path = client.download_artifacts(relog_run.info.run_id,
                                         "wandb-artifacts/fraud-model/v1/model.pkl", workdir)
        same("v1's bytes", open(path, "rb").read().hex(), relogged["changed_bytes"])
        best = client.get_model_version_by_alias("fraud-model", "best")
        same("the alias 'best' on the registered model", best.run_id, relog_run.info.run_id)
    return problems


if __name__ == "__main__":
    if sys.argv[1] == "use":
        use(sys.argv[2])
    elif sys.argv[1] == "relog":
        relog(sys.argv[2], sys.argv[3])
    else:
        base, files = sys.argv[2], sys.argv[3:]
        records = [json.load(open(f)) for f in files] + [None, None]
        problems = check(base, records[0], records[1], records[2],
                         tempfile.mkdtemp(dir=os.path.dirname(os.path.abspath(files[0]))))
        if problems:
            sys.exit("\n".join(problems))
