"""Plinth's metric sampling against MLflow's own code.

Usage: metric_sampling.py TRACKING_URI
Logs a 20,003-point history (repeated and unordered steps, NaNs, a spike) with the MLflow
client, then checks get-history-bulk-interval against MLflow's sampling function
(AbstractStore._evenly_spaced_indices over rows ordered by step, timestamp, value) and the UI's
downsampled endpoint's min/max buckets against a direct computation.
"""
import json
import math
import random
import sys
import urllib.request

from mlflow import MlflowClient
from mlflow.entities import Metric
from mlflow.store.tracking.abstract_store import AbstractStore

uri = sys.argv[1]
client = MlflowClient(uri)
exp = client.create_experiment("sampling")
run = client.create_run(exp).info.run_id
rng = random.Random(3)
points = []
for i in range(20003):
    step = rng.randrange(0, 15000)
    value = float("nan") if i % 997 == 0 else rng.gauss(0, 1) + (50.0 if i == 12345 else 0.0)
    points.append(Metric("loss", value, 1_700_000_000_000 + rng.randrange(0, 10**6), step))
for s in range(0, len(points), 1000):
    client.log_batch(run, metrics=points[s:s + 1000])

def get(path):
    return json.load(urllib.request.urlopen(uri + path))

def key(m):
    return (m.step, m.timestamp, math.isnan(m.value), 0.0 if math.isnan(m.value) else m.value)

ordered = sorted(points, key=key)
same = lambda a, b: (math.isnan(a) and math.isnan(b)) or a == b
for max_results in (1, 2, 7, 100, 2500):
    got = get(f"/api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids={run}&metric_key=loss&max_results={max_results}")["metrics"]
    want = [ordered[i] for i in AbstractStore._evenly_spaced_indices(len(ordered), max_results)]
    assert len(got) == len(want), (max_results, len(got), len(want))
    for g, w in zip(got, want):
        assert (g["step"], g["timestamp"]) == (w.step, w.timestamp), (max_results, g, w)
        assert same(float(g["value"]), w.value), (max_results, g, w)
    assert all(g["run_id"] == run for g in got)

# 10 points sampled to 7 land on halves (1.5, 4.5, 7.5): Python rounds them to even.
client.log_batch(run, metrics=[Metric("tiny", float(i), 1_700_000_000_000, i) for i in range(10)])
got = get(f"/api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids={run}&metric_key=tiny&max_results=7")["metrics"]
assert [g["step"] for g in got] == AbstractStore._evenly_spaced_indices(10, 7), got

# A step window, as the UI asks when zoomed.
window = [m for m in ordered if 1000 <= m.step <= 2000]
got = get(f"/api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids={run}&metric_key=loss&max_results=50&start_step=1000&end_step=2000")["metrics"]
want = [window[i] for i in AbstractStore._evenly_spaced_indices(len(window), 50)]
assert [(g["step"], g["timestamp"]) for g in got] == [(w.step, w.timestamp) for w in want]

d = get(f"/ajax-api/2.0/plinth/metrics/downsampled?run_id={run}&metric_key=loss&max_points=300")
idx = AbstractStore._evenly_spaced_indices(len(ordered), 300)
assert d["total"] == len(ordered) and d["step"] == [ordered[i].step for i in idx]
prev = 0
for j, k in enumerate(idx):
    bucket = [m.value for m in ordered[prev:k + 1] if not math.isnan(m.value)]
    prev = k + 1
    assert d["min"][j] == min(bucket) and d["max"][j] == max(bucket), (j, d["min"][j], min(bucket))
assert max(d["max"]) > 45, "the spike survives downsampling"
print("ok")
