"""Plinth's ONNX tree kernels against onnxruntime (and tl2cgen for XGBoost), same model files,
same rows, same threads, measured in one run, alternating.

  onnx_trees.py --bench build/onnx_tree_bench --plinth build/plinth [--rows 1000000]
                [--threads 1] [--runs 3] [--models rf,gb,hgb,xgb] [--dir /tmp]

Run with the pinned tools' python (.venv-test). Makes fraud rows with `plinth demo-data fraud`
(numeric columns and the merchant category's code, 10% of distance_from_home missing), trains
on 50,000 of them: RandomForestClassifier (100 trees, unlimited depth), GradientBoosting
(100 trees, depth 3), HistGradientBoosting (100 iterations) via skl2onnx, XGBClassifier
(300 trees, depth 8) via onnxmltools; scores --rows other rows. onnxruntime: one
InferenceSession per model (intra_op_num_threads = --threads), batch = one run() over every
row, single = one run() per row. Plinth: onnx_tree_bench on the same .onnx file and rows
(batch in 4096-row chunks over the threads, single = one kernel call per row). tl2cgen: the
same XGBoost booster compiled to a shared library by gcc, predict() over every row (DMatrix
built beforehand). Prints one JSON line per model with rows/s, µs per row and the ratios.
"""
import argparse
import atexit
import json
import os
import shutil
import subprocess
import tempfile
import time

import numpy as np
import pandas as pd

p = argparse.ArgumentParser()
p.add_argument("--bench", required=True)
p.add_argument("--plinth", required=True)
p.add_argument("--rows", type=int, default=1000000)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--runs", type=int, default=3)
p.add_argument("--models", default="rf,gb,hgb,xgb")
p.add_argument("--dir", default="/tmp")
args = p.parse_args()
work = tempfile.mkdtemp(prefix="plinth-onnx-trees.", dir=args.dir)
atexit.register(shutil.rmtree, work, ignore_errors=True)


def features(csv):
    df = pd.read_csv(csv)
    cols = ["amount", "hour_of_day", "day_of_week", "transaction_velocity", "distance_from_home"]
    x = df[cols].astype(np.float32)
    x["merchant"] = df["merchant_category"].astype("category").cat.codes.astype(np.float32)
    x = x.to_numpy(np.float32)
    x[np.random.default_rng(0).random(len(x)) < 0.1, 4] = np.nan
    return np.ascontiguousarray(x), df["is_fraud"].to_numpy()


subprocess.run([args.plinth, "-q", "demo-data", "fraud", "--rows", "50000", "--seed", "1",
                "--out", work + "/train.csv"], check=True)
subprocess.run([args.plinth, "-q", "demo-data", "fraud", "--rows", str(args.rows), "--seed", "2",
                "--out", work + "/score.csv"], check=True)
x_train, y_train = features(work + "/train.csv")
x, _ = features(work + "/score.csv")
x.tofile(work + "/rows.f32")
F = x.shape[1]


def ints_not_bools():
    """skl2onnx 1.20 hands scikit-learn 1.9's HistGradientBoosting missing-go-left flags to
    onnx.helper as numpy booleans, which it refuses for an ints attribute: make them ints."""
    import skl2onnx.common._container as container
    make_node = container.make_node

    def patched(*a, **kw):
        for k, v in kw.items():
            if isinstance(v, list) and any(isinstance(e, (bool, np.bool_)) for e in v):
                kw[k] = [int(e) for e in v]
        return make_node(*a, **kw)

    container.make_node = patched


def train(name):
    from skl2onnx import to_onnx
    from sklearn.ensemble import (GradientBoostingClassifier, HistGradientBoostingClassifier,
                                  RandomForestClassifier)
    if name == "xgb":
        import xgboost
        from onnxmltools.convert import convert_xgboost
        from onnxmltools.convert.common.data_types import FloatTensorType
        est = xgboost.XGBClassifier(n_estimators=300, max_depth=8, learning_rate=0.05,
                                    nthread=args.threads).fit(x_train, y_train)
        return est, convert_xgboost(est, initial_types=[("X", FloatTensorType([None, F]))],
                                    target_opset=15)
    est = {"rf": RandomForestClassifier(n_estimators=100, n_jobs=2, random_state=0),
           "gb": GradientBoostingClassifier(n_estimators=100, random_state=0),
           "hgb": HistGradientBoostingClassifier(max_iter=100, random_state=0)}[name]
    fit_x = np.nan_to_num(x_train) if name in ("rf", "gb") else x_train
    est.fit(fit_x, y_train)
    return est, to_onnx(est, x_train[:1], options={id(est): {"zipmap": False}},
                        target_opset={"": 17, "ai.onnx.ml": 3})


def onnxruntime_times(path, xs):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    t0 = time.perf_counter()
    sess.run(None, {name: xs})
    batch = time.perf_counter() - t0
    n = min(20000, len(xs))
    t0 = time.perf_counter()
    for r in range(n):
        sess.run(None, {name: xs[r:r + 1]})
    return batch, (time.perf_counter() - t0) / n


def tl2cgen_time(est, xs):
    import tl2cgen
    import treelite
    lib = work + "/xgb.so"
    if not os.path.exists(lib):
        model = treelite.frontend.from_xgboost(est.get_booster())
        tl2cgen.export_lib(model, toolchain="gcc", libpath=lib, params={"parallel_comp": 8})
    pred = tl2cgen.Predictor(lib, nthread=args.threads)
    dmat = tl2cgen.DMatrix(xs, dtype="float32")
    t0 = time.perf_counter()
    pred.predict(dmat)
    return time.perf_counter() - t0


ints_not_bools()
for name in args.models.split(","):
    est, model = train(name)
    path = "%s/%s.onnx" % (work, name)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    best = {"ort_batch": 1e300, "ort_single": 1e300, "tl2cgen": 1e300}
    plinth = None
    for _ in range(args.runs):  # alternating: onnxruntime, plinth, tl2cgen
        b, s = onnxruntime_times(path, x)
        best["ort_batch"], best["ort_single"] = min(best["ort_batch"], b), min(best["ort_single"], s)
        out = subprocess.run([args.bench, path, work + "/rows.f32", str(F), str(args.threads), "1"],
                             check=True, capture_output=True, text=True).stdout
        r = json.loads(out)
        if plinth is None or r["batch_rows_per_s"] > plinth["batch_rows_per_s"]:
            plinth = dict(plinth or {}, batch_rows_per_s=r["batch_rows_per_s"])
        plinth["single_row_us"] = min(plinth.get("single_row_us", 1e300), r["single_row_us"])
        if name == "xgb":
            best["tl2cgen"] = min(best["tl2cgen"], tl2cgen_time(est, x))
    line = {"model": name, "rows": len(x), "threads": args.threads,
            "plinth_rows_per_s": round(plinth["batch_rows_per_s"]),
            "onnxruntime_rows_per_s": round(len(x) / best["ort_batch"]),
            "batch_ratio": round(plinth["batch_rows_per_s"] * best["ort_batch"] / len(x), 2),
            "plinth_single_row_us": round(plinth["single_row_us"], 2),
            "onnxruntime_single_row_us": round(best["ort_single"] * 1e6, 2),
            "single_row_ratio": round(best["ort_single"] * 1e6 / plinth["single_row_us"], 2)}
    if name == "xgb":
        line["tl2cgen_rows_per_s"] = round(len(x) / best["tl2cgen"])
        line["tl2cgen_ratio"] = round(plinth["batch_rows_per_s"] * best["tl2cgen"] / len(x), 2)
    print(json.dumps(line), flush=True)
