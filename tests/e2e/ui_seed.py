"""Logs the runs the UI test looks at, through the real MLflow client against plinth server.

Usage: ui_seed.py TRACKING_URI OUT.json
60 runs in experiment "fraud" (params max_depth, learning_rate, n_estimators; metrics auc and
f1 with 20-step histories), one with artifacts (text, JSON, PNG), a registered model with two
versions. Writes the run ids and the expected facts the browser test compares against.
"""
import json
import random
import sys

import mlflow
from mlflow import MlflowClient

uri, out = sys.argv[1], sys.argv[2]
mlflow.set_tracking_uri(uri)
client = MlflowClient(uri)
rng = random.Random(7)
exp = client.create_experiment("fraud")
client.create_experiment("churn")
runs = []
for i in range(60):
    run = client.create_run(exp, run_name=f"trial-{i:02d}")
    rid = run.info.run_id
    depth = rng.choice([4, 6, 8])
    lr = rng.choice([0.05, 0.1, 0.3])
    params = [mlflow.entities.Param("max_depth", str(depth)),
              mlflow.entities.Param("learning_rate", str(lr)),
              mlflow.entities.Param("n_estimators", str(100 + 50 * (i % 3)))]
    final = round(0.8 + 0.15 * rng.random(), 6)
    metrics = []
    for step in range(20):
        v = final * (1 - 0.5 * 0.8 ** step)
        metrics.append(mlflow.entities.Metric("auc", v, 1_700_000_000_000 + step * 1000, step))
        metrics.append(mlflow.entities.Metric("f1", v * 0.9, 1_700_000_000_000 + step * 1000, step))
    client.log_batch(rid, metrics=metrics, params=params,
                     tags=[mlflow.entities.RunTag("team", "risk" if i % 2 else "payments")])
    client.set_terminated(rid)
    runs.append({"run_id": rid, "max_depth": depth, "auc": metrics[-2].value})

art = runs[0]["run_id"]
import os, tempfile, struct, zlib
d = tempfile.mkdtemp()
open(os.path.join(d, "notes.txt"), "w").write("trained on 2026-03-30 data\n")
json.dump({"auc": runs[0]["auc"], "threshold": 0.5}, open(os.path.join(d, "metrics.json"), "w"))
def png(w, h):
    raw = b"".join(b"\x00" + bytes([200, 30, 30]) * w for _ in range(h))
    chunk = lambda t, b: struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(os.path.join(d, "confusion.png"), "wb").write(png(40, 30))
for f in ("notes.txt", "metrics.json", "confusion.png"):
    client.log_artifact(art, os.path.join(d, f))

client.create_registered_model("fraud-detector")
for r in runs[:2]:
    client.create_model_version("fraud-detector", f"runs:/{r['run_id']}/model", r["run_id"])
json.dump({"experiment_id": exp, "runs": runs, "artifact_run": art}, open(out, "w"))
