"""The handbook's W&B loop with the real `wandb` SDK against `plinth server`, read back with the
real MLflow client from the same server (tests/e2e/wandb_client_test.sh).

usage: wandb_client.py log OUT.json       run the loop twice (WANDB_BASE_URL set), the second
                                         ending with exit code 1; record what was logged and
                                         where the SDK kept its files
       wandb_client.py check BASE OUT.json compare the MLflow runs with the record; prints the
                                         MLflow run id of the first
"""
import json
import math
import os
import sys


def disk_now():
    """MLflow's own disk figures for this moment (its system-metrics monitor, on "/")."""
    from mlflow.system_metrics.metrics.disk_monitor import DiskMonitor

    monitor = DiskMonitor()
    monitor.collect_metrics()
    return {k: v[0] for k, v in monitor.metrics.items()}


def log_run(failing):
    import wandb

    config = {"n_estimators": 200, "learning_rate": 0.1, "use_smote": True,
              "model": {"type": "xgboost", "max_depth": 6}, "features": ["amount", "hour"]}
    disk = [disk_now()]
    run = wandb.init(project="fraud", config=config, tags=["baseline", "xgb"],
                     name="handbook-loop", notes="first try")
    history = []
    for epoch in range(12):
        row = {"loss": 0.7 * math.exp(-0.3 * epoch), "auc": 0.6 + 0.03 * epoch,
               "val": {"precision": 0.5 + epoch / 100}}
        wandb.log(row)
        history.append(row)
    run.summary["best_auc"] = 0.93
    files = run.dir
    url = run.url
    run_id = run.id
    run.finish(exit_code=1 if failing else 0)
    disk.append(disk_now())
    return {"config": config, "history": history, "run_id": run_id, "files": files,
            "failing": failing, "url": url, "disk": disk}


def flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out.update(flatten(v, prefix + k + "."))
        else:
            out[prefix + k] = v
    return out


def check(client, rec, workdir):
    exp = client.get_experiment_by_name("plinth/fraud")
    assert exp is not None, "no experiment plinth/fraud"
    runs = client.search_runs([exp.experiment_id],
                              filter_string=f"tags.`wandb.run_id` = '{rec['run_id']}'")
    assert len(runs) == 1, f"{len(runs)} runs for W&B run {rec['run_id']}"
    run = runs[0]
    problems = []

    def same(what, got, want):
        if got != want:
            problems.append(f"{what}: got {got!r}, want {want!r}")

    same("status", run.info.status, "FAILED" if rec["failing"] else "FINISHED")
    same("run name", run.info.run_name, "handbook-loop")
    # Params: the config flattened with dots; strings as they are, other values as JSON.
    want_params = {k: v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))
                   for k, v in flatten(rec["config"]).items()}
    same("params", run.data.params, want_params)
    tags = run.data.tags
    same("W&B tags", {k for k in ("baseline", "xgb") if k in tags}, {"baseline", "xgb"})
    same("notes", tags.get("mlflow.note.content"), "first try")
    # Every point of every logged key, stepped by _step (the position of the log call).
    for key in ("loss", "auc", "val.precision"):
        want = [(step, flatten(row)[key]) for step, row in enumerate(rec["history"])]
        got = sorted((m.step, m.value) for m in client.get_metric_history(run.info.run_id, key))
        same(f"history of {key}", got, want)
    # The summary as the SDK itself wrote it locally is what the MLflow run's latest values say.
    summary = json.load(open(os.path.join(rec["files"], "wandb-summary.json")))
    want_latest = {k: float(v) for k, v in flatten(summary).items()
                   if not k.startswith("_") and isinstance(v, (int, float))}
    got_latest = {k: v for k, v in run.data.metrics.items() if not k.startswith("system/")}
    same("latest values (the SDK's wandb-summary.json)", got_latest, want_latest)
    # The SDK's disk samples (taken while the run ran) in MLflow's units: what MLflow's own
    # monitor measured just before and after, within 0.5% (the disk is shared; GiB taken for
    # MB would be 7.4% off, MiB 4.9%).
    for key in ("disk_usage_megabytes", "disk_usage_percentage"):
        low, high = sorted(d[key] for d in rec["disk"])
        got = [m.value for m in client.get_metric_history(run.info.run_id, "system/" + key)]
        if not got or not all(low * 0.995 <= v <= high * 1.005 for v in got):
            problems.append(f"system/{key}: {got} outside MLflow's {low}..{high} (+-0.5%)")
    # Run files came through the signed upload URLs, byte for byte.
    for name in ("config.yaml", "wandb-metadata.json"):
        local = open(os.path.join(rec["files"], name), "rb").read()
        path = client.download_artifacts(run.info.run_id, name, workdir)
        same(f"uploaded {name}", open(path, "rb").read(), local)
    return run.info.run_id, problems


if __name__ == "__main__":
    if sys.argv[1] == "log":
        json.dump([log_run(False), log_run(True)], open(sys.argv[2], "w"))
    else:
        from mlflow.tracking import MlflowClient

        client = MlflowClient(sys.argv[2])
        records = json.load(open(sys.argv[3]))
        workdir = os.path.dirname(sys.argv[3])
        results = [check(client, rec, workdir) for rec in records]
        print(results[0][0])
        problems = [p for _, ps in results for p in ps]
        if problems:
            sys.exit("\n".join(problems))
