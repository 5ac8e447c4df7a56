"""Logs the UI benchmark's data into a tracking server over its REST API (the same bytes to
plinth server and to mlflow server): RUNS runs with 3 params and 2 metrics in experiment
"ui-bench"; one run "long" with a LONG-point metric "loss"; 20 runs "cmp-NN" with CMP points
each. Prints {"experiment_id", "long", "compare": [...]} as JSON.

Usage: ui_seed.py BASE_URL RUNS LONG CMP
"""
import json
import math
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor

base, runs, long_points, cmp_points = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])


def post(path, body):
    req = urllib.request.Request(f"{base}/api/2.0/mlflow/{path}", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.load(r)


exp = post("experiments/create", {"name": "ui-bench"})["experiment_id"]


def small_run(i):
    rid = post("runs/create", {"experiment_id": exp, "run_name": f"trial-{i:05d}",
                               "start_time": 1_700_000_000_000 + i})["run"]["info"]["run_id"]
    post("runs/log-batch", {"run_id": rid,
                            "params": [{"key": "max_depth", "value": str(4 + i % 5)},
                                       {"key": "learning_rate", "value": str(0.01 * (1 + i % 10))},
                                       {"key": "n_estimators", "value": str(100 * (1 + i % 3))}],
                            "metrics": [{"key": "auc", "value": 0.8 + (i * 7919 % 1000) / 10000,
                                         "timestamp": 1_700_000_000_000, "step": 0},
                                        {"key": "f1", "value": 0.7 + (i * 104729 % 1000) / 10000,
                                         "timestamp": 1_700_000_000_000, "step": 0}]})
    post("runs/update", {"run_id": rid, "status": "FINISHED", "end_time": 1_700_000_100_000})


def history(name, n, seed):
    rid = post("runs/create", {"experiment_id": exp, "run_name": name,
                               "start_time": 1_600_000_000_000})["run"]["info"]["run_id"]
    def batch(start):
        post("runs/log-batch", {"run_id": rid, "metrics": [
            {"key": "loss", "value": math.exp(-s / n * 4) + 0.01 * math.sin(s * seed),
             "timestamp": 1_700_000_000_000 + s, "step": s}
            for s in range(start, min(n, start + 1000))]})
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(batch, range(0, n, 1000)))
    post("runs/update", {"run_id": rid, "status": "FINISHED", "end_time": 1_700_000_100_000})
    return rid


with ThreadPoolExecutor(4) as pool:
    list(pool.map(small_run, range(runs)))
long_id = history("long", long_points, 1)
compare = [history(f"cmp-{k:02d}", cmp_points, k + 2) for k in range(20)]
print(json.dumps({"experiment_id": exp, "long": long_id, "compare": compare}))
