"""The ONNX model zoo for the oracle test and the benchmark: models trained on the fraud data by
the real libraries and written to ONNX by the real converters (skl2onnx, onnxmltools), as users
make them. Run it with the pinned tools' python (.venv-test): scikit-learn, xgboost, lightgbm,
skl2onnx, onnxmltools, onnx, onnxruntime.

  python onnx_zoo.py --train train.csv --rows rows.csv --out DIR [--torch-weights DIR/torch]

writes DIR/NAME.onnx for every model, DIR/rows.csv and DIR/rows_nan.csv (the rows to score: the
same transactions, the second with missing values in the numeric columns), and
DIR/manifest.json: per model its file, task, input form, operators, the rows file it is scored
on, and onnxruntime's answer to the handbook's request; onnxruntime's answers on the rows are in
DIR/NAME.expected.npz (labels, and probabilities or values). They are the oracle the test
compares `plinth score` and `plinth serve` with. The PyTorch network comes from
onnx_zoo_torch.py (Debian's torch 1.13); given its weights, this script also builds the newer
exporter's form (opset 18, MatMul + Add) from the same weights with the onnx helper.
"""
import argparse
import json
import os
import sys

import numpy as np
import pandas as pd

NUMERIC = ["amount", "hour_of_day", "day_of_week", "transaction_velocity", "distance_from_home"]
COLUMNS = ["amount", "merchant_category", "hour_of_day", "day_of_week", "transaction_velocity",
           "distance_from_home"]
# The tensor models' merchant_category feature: the category's index in this list (the order
# of plinth's fraud generator). Pipelines take the string itself.
CATEGORIES = ["grocery", "gas", "restaurant", "online", "electronics", "travel", "entertainment",
              "health"]
# The handbook's request (POST /predict): every model's answer to it is in the manifest.
HANDBOOK = {"amount": 250.0, "merchant_category": "online", "hour_of_day": 3, "day_of_week": 5,
            "transaction_velocity": 8, "distance_from_home": 120.5}
# Columns that get missing values in rows_nan.csv (and in the training data of the models that
# learn a direction for missing values).
NAN_COLUMNS = ["amount", "transaction_velocity", "distance_from_home"]


def tier(frame):
    """The multiclass target: 0 a small legitimate payment, 1 a large legitimate one, 2 fraud."""
    return np.where(frame["is_fraud"] == 1, 2, np.where(frame["amount"] < 50, 0, 1)).astype(np.int64)


def risk(frame):
    """The regression target: a continuous risk score."""
    return (np.log1p(frame["amount"]) * (1 + frame["transaction_velocity"]) +
            frame["distance_from_home"] / 20 + 3 * frame["is_fraud"]).to_numpy(np.float32)


def with_nan(frame, seed, share=0.05):
    out = frame.copy()
    rng = np.random.default_rng(seed)
    for column in NAN_COLUMNS:
        out.loc[rng.random(len(out)) < share, column] = np.nan
    return out


def tensor(frame):
    """The six handbook columns as one float32 matrix, merchant_category as its index."""
    codes = frame["merchant_category"].map({c: i for i, c in enumerate(CATEGORIES)})
    cols = [frame[c] if c != "merchant_category" else codes for c in COLUMNS]
    return np.column_stack([np.asarray(c, dtype=np.float64) for c in cols]).astype(np.float32)


def columns_feed(frame):
    """The per-column inputs of a pipeline converted by skl2onnx: [N,1] tensors."""
    feed = {}
    for c in COLUMNS:
        if c == "merchant_category":
            feed[c] = frame[c].to_numpy(object).reshape(-1, 1)
        elif c in ("hour_of_day", "day_of_week"):
            feed[c] = frame[c].to_numpy(np.int64).reshape(-1, 1)
        else:
            feed[c] = frame[c].to_numpy(np.float32).reshape(-1, 1)
    return feed


def sklearn_models(seed):
    from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor,
                                  GradientBoostingClassifier, GradientBoostingRegressor,
                                  HistGradientBoostingClassifier, HistGradientBoostingRegressor,
                                  RandomForestClassifier, RandomForestRegressor)
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    # (name, estimator, task, trained with missing values)
    # The random forest is realistic (100 deep trees): it is the benchmark's forest too.
    return [
        ("rf_binary", RandomForestClassifier(n_estimators=100, max_depth=14, min_samples_leaf=2,
                                             n_jobs=2, random_state=seed), "binary", False),
        ("rf_multiclass", RandomForestClassifier(n_estimators=20, max_depth=8, n_jobs=2,
                                                 random_state=seed), "multiclass", False),
        ("extratrees_binary", ExtraTreesClassifier(n_estimators=20, max_depth=8, n_jobs=2,
                                                   random_state=seed), "binary", False),
        ("extratrees_multiclass", ExtraTreesClassifier(n_estimators=20, max_depth=8, n_jobs=2,
                                                       random_state=seed), "multiclass", False),
        ("gb_binary", GradientBoostingClassifier(n_estimators=100, max_depth=3,
                                                 random_state=seed), "binary", False),
        ("gb_multiclass", GradientBoostingClassifier(n_estimators=20, max_depth=3,
                                                     random_state=seed), "multiclass", False),
        ("hgb_binary", HistGradientBoostingClassifier(max_iter=30, max_depth=5,
                                                      random_state=seed), "binary", True),
        ("hgb_multiclass", HistGradientBoostingClassifier(max_iter=20, max_depth=4,
                                                          random_state=seed), "multiclass", True),
        ("logreg_binary", make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)),
         "binary", False),
        ("logreg_multiclass", make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)),
         "multiclass", False),
        ("mlp_binary", make_pipeline(StandardScaler(), MLPClassifier(
            hidden_layer_sizes=(64, 32), max_iter=30, random_state=seed)), "binary", False),
        ("mlp_multiclass", make_pipeline(StandardScaler(), MLPClassifier(
            hidden_layer_sizes=(32,), activation="tanh", max_iter=30, random_state=seed)),
         "multiclass", False),
        ("rf_regressor", RandomForestRegressor(n_estimators=20, max_depth=8, n_jobs=2,
                                               random_state=seed), "regression", False),
        ("extratrees_regressor", ExtraTreesRegressor(n_estimators=20, max_depth=8, n_jobs=2,
                                                     random_state=seed), "regression", False),
        ("gb_regressor", GradientBoostingRegressor(n_estimators=30, max_depth=3,
                                                   random_state=seed), "regression", False),
        ("hgb_regressor", HistGradientBoostingRegressor(max_iter=30, max_depth=5,
                                                        random_state=seed), "regression", True),
    ]


def target(frame, task):
    if task == "binary":
        return frame["is_fraud"].to_numpy(np.int64)
    if task == "multiclass":
        return tier(frame)
    return risk(frame)


def pipeline(task, seed):
    """Pipeline(ColumnTransformer(SimpleImputer+StandardScaler, StandardScaler, OneHotEncoder),
    classifier) on the raw columns: skl2onnx makes one input per column."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    pre = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), NAN_COLUMNS),
        ("time", StandardScaler(), ["hour_of_day", "day_of_week"]),
        ("cat", OneHotEncoder(handle_unknown="ignore"), ["merchant_category"]),
    ])
    clf = (GradientBoostingClassifier(n_estimators=30, max_depth=3, random_state=seed)
           if task == "binary" else LogisticRegression(max_iter=500))
    return Pipeline([("pre", pre), ("clf", clf)])


def patch_skl2onnx():
    """skl2onnx 1.20 passes HistGradientBoosting's missing-goes-left flags as Python bools, which
    onnx 1.23's make_attribute refuses ("Expected an int, got a boolean"): hand it ints."""
    from skl2onnx.common import tree_ensemble
    original = tree_ensemble.add_node
    if getattr(original, "patched", False):
        return

    def add_node(*args, **kwargs):
        if "nodes_missing_value_tracks_true" in kwargs:
            kwargs["nodes_missing_value_tracks_true"] = int(kwargs["nodes_missing_value_tracks_true"])
        return original(*args, **kwargs)

    add_node.patched = True
    tree_ensemble.add_node = add_node


def to_onnx_sklearn(model, name):
    patch_skl2onnx()
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType
    return to_onnx(model, initial_types=[("input", FloatTensorType([None, len(COLUMNS)]))],
                   target_opset={"": 17, "ai.onnx.ml": 3})


def to_onnx_pipeline(model):
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType, StringTensorType
    types = []
    for c in COLUMNS:
        if c == "merchant_category":
            types.append((c, StringTensorType([None, 1])))
        elif c in ("hour_of_day", "day_of_week"):
            types.append((c, Int64TensorType([None, 1])))
        else:
            types.append((c, FloatTensorType([None, 1])))
    return to_onnx(model, initial_types=types, target_opset={"": 17, "ai.onnx.ml": 3})


def boosters(seed):
    import lightgbm
    import xgboost
    return [
        ("xgboost_binary", xgboost.XGBClassifier(n_estimators=100, max_depth=6, learning_rate=0.1,
                                                 n_jobs=2, random_state=seed), "binary"),
        ("xgboost_multiclass", xgboost.XGBClassifier(n_estimators=20, max_depth=4, n_jobs=2,
                                                     random_state=seed), "multiclass"),
        ("lightgbm_binary", lightgbm.LGBMClassifier(n_estimators=50, num_leaves=31, n_jobs=2,
                                                    random_state=seed, verbose=-1), "binary"),
        ("lightgbm_multiclass", lightgbm.LGBMClassifier(n_estimators=20, num_leaves=15, n_jobs=2,
                                                        random_state=seed, verbose=-1),
         "multiclass"),
    ]


def to_onnx_booster(model, name):
    from onnxmltools import convert_lightgbm, convert_xgboost
    from onnxmltools.convert.common.data_types import FloatTensorType
    types = [("input", FloatTensorType([None, len(COLUMNS)]))]
    if name.startswith("xgboost"):
        return convert_xgboost(model, initial_types=types, target_opset=15)
    return convert_lightgbm(model, initial_types=types, target_opset=15)


def torch_matmul_form(weights_file, task):
    """The newer torch exporter's form of the same network: opset 18, IR 10, Linear as
    MatMul (the weight transposed into the initializer) + Add."""
    from onnx import TensorProto, helper, numpy_helper
    w = np.load(weights_file)
    layers = sorted({k.split(".")[0] for k in w.files}, key=lambda s: int(s[1:]))
    nodes, inits = [], []
    x = "input"
    for i, layer in enumerate(layers):
        weight = w[f"{layer}.weight"].T.astype(np.float32)
        bias = w[f"{layer}.bias"].astype(np.float32)
        inits += [numpy_helper.from_array(np.ascontiguousarray(weight), f"{layer}_weight_t"),
                  numpy_helper.from_array(bias, f"{layer}_bias")]
        nodes.append(helper.make_node("MatMul", [x, f"{layer}_weight_t"], [f"{layer}_mm"],
                                      name=f"node_MatMul_{i}"))
        nodes.append(helper.make_node("Add", [f"{layer}_mm", f"{layer}_bias"], [f"{layer}_out"],
                                      name=f"node_Add_{i}"))
        x = f"{layer}_out"
        if i + 1 < len(layers):
            nodes.append(helper.make_node("Relu", [x], [f"relu_{i}"], name=f"node_Relu_{i}"))
            x = f"relu_{i}"
    out_dim = w[f"{layers[-1]}.bias"].shape[0]
    if task == "binary":
        nodes.append(helper.make_node("Sigmoid", [x], ["output"], name="node_Sigmoid"))
    else:
        nodes.append(helper.make_node("Softmax", [x], ["output"], axis=1, name="node_Softmax"))
    graph = helper.make_graph(
        nodes, "main_graph",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", len(COLUMNS)])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", out_dim])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)],
                              producer_name="pytorch", producer_version="2.9.0")
    model.ir_version = 10
    return model


def run_onnxruntime(path, feed):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    outputs = session.run(None, feed)
    result = {}
    for meta, value in zip(session.get_outputs(), outputs):
        if isinstance(value, list):  # ZipMap: a sequence of maps
            keys = sorted(value[0].keys()) if value else []
            result[meta.name] = {"zipmap_keys": [k if isinstance(k, str) else int(k) for k in keys],
                                 "values": [[float(m[k]) for k in keys] for m in value]}
        else:
            array = np.asarray(value)
            if array.dtype == object:
                result[meta.name] = [str(v) for v in array.reshape(-1)]
            else:
                result[meta.name] = array.reshape(len(array), -1).tolist() \
                    if array.ndim > 1 else array.tolist()
    return result


def oracle_arrays(task, answer):
    """onnxruntime's outputs as (labels or None, rows x columns float64): class probabilities
    ([1 - p, p] for a network's single sigmoid output, whose label is then p > 0.5; a softmax's
    label is its arg max) or a regressor's values."""
    labels, values = None, None
    for value in answer.values():
        if isinstance(value, dict):  # ZipMap
            values = value["values"]
        elif value and isinstance(value[0], list):
            values = value
        else:
            labels = value
    values = np.asarray(values, dtype=np.float64)
    if task == "regression":
        return None, values
    if values.shape[1] == 1:
        values = np.column_stack([1 - values[:, 0], values[:, 0]])
        labels = (values[:, 1] > 0.5).astype(np.int64)
    elif labels is None:  # a network's softmax: the label is the most probable class
        labels = values.argmax(axis=1)
    return np.asarray([str(v) for v in labels]), values


def write_model(out, name, onx):
    path = os.path.join(out, name + ".onnx")
    with open(path + ".tmp", "wb") as f:
        f.write(onx.SerializeToString())
    os.replace(path + ".tmp", path)
    return path


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--train", required=True, help="fraud data to train on (plinth demo-data fraud)")
    p.add_argument("--rows", required=True, help="fraud data to score (the oracle's rows)")
    p.add_argument("--out", required=True, help="folder for the models and the manifest")
    p.add_argument("--torch-weights", help="folder with onnx_zoo_torch.py's output")
    p.add_argument("--only", help="comma-separated model names (default: all)")
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    only = set(args.only.split(",")) if args.only else None
    want = lambda name: only is None or name in only

    train = pd.read_csv(args.train)
    train_nan = with_nan(train, args.seed)
    rows = pd.read_csv(args.rows)[COLUMNS]
    rows_nan = with_nan(rows, args.seed + 1)
    rows.to_csv(os.path.join(args.out, "rows.csv"), index=False)
    rows_nan.to_csv(os.path.join(args.out, "rows_nan.csv"), index=False, na_rep="")
    feeds = {"rows.csv": rows, "rows_nan.csv": rows_nan}

    manifest_path = os.path.join(args.out, "manifest.json")
    manifest = []
    if only and os.path.exists(manifest_path):  # --only refreshes some models, keeps the rest
        with open(manifest_path) as f:
            manifest = [m for m in json.load(f)["models"] if m["name"] not in only]

    def record(name, onx, task, form, rows_file, model=None):
        path = write_model(args.out, name, onx)
        frame = feeds[rows_file]
        feed = {"input": tensor(frame)} if form == "tensor" else columns_feed(frame)
        expected = run_onnxruntime(path, feed)
        labels, values = oracle_arrays(task, expected)
        if model is not None:  # how far the graph is from the library's answer, rows without NaN
            ok = ~frame[NAN_COLUMNS].isna().any(axis=1).to_numpy()
            ok[20000:] = False  # a sample is enough
            x = tensor(frame)[ok] if form == "tensor" else frame[ok]
            native = model.predict(x) if task == "regression" else model.predict_proba(x)
            gap = np.abs(values[ok].reshape(native.shape) - native).max()
            print(f"{name}: onnxruntime vs {type(model).__name__}: max difference {gap:.2g}",
                  file=sys.stderr)
        arrays = {"values": values} if labels is None else {"values": values, "labels": labels}
        np.savez(os.path.join(args.out, name + ".expected.npz"), **arrays)
        one = pd.DataFrame([HANDBOOK])
        handbook = run_onnxruntime(
            path, {"input": tensor(one)} if form == "tensor" else columns_feed(one))
        ops = sorted({(n.domain or "ai.onnx") + ":" + n.op_type for n in onx.graph.node})
        manifest.append({"name": name, "file": name + ".onnx", "task": task, "input": form,
                         "rows": rows_file, "operators": ops, "handbook": handbook,
                         "opsets": {o.domain or "ai.onnx": o.version for o in onx.opset_import}})
        print(f"{name}: {len(onx.graph.node)} nodes, {', '.join(ops)}", file=sys.stderr)

    for name, model, task, nan in sklearn_models(args.seed):
        if not want(name):
            continue
        model.fit(tensor(train_nan if nan else train), target(train, task))
        # Trees route a missing value by their own rule: score them on rows with NaN too.
        trees = not name.startswith(("logreg", "mlp"))
        record(name, to_onnx_sklearn(model, name), task, "tensor",
               "rows_nan.csv" if trees else "rows.csv", model)

    for task in ("binary", "multiclass"):
        name = f"pipeline_{task}"
        if want(name):
            model = pipeline(task, args.seed)
            model.fit(train_nan[COLUMNS], target(train, task))
            record(name, to_onnx_pipeline(model), task, "columns", "rows_nan.csv", model)

    for name, model, task in boosters(args.seed):
        if want(name):
            model.fit(tensor(train_nan), target(train, task))
            record(name, to_onnx_booster(model, name), task, "tensor", "rows_nan.csv", model)
            if name.startswith("xgboost"):  # the native file too (tl2cgen compiles it)
                model.get_booster().save_model(os.path.join(args.out, name + ".json"))

    if args.torch_weights:
        import onnx
        for task in ("binary", "multiclass"):
            gemm = f"torch_gemm_{task}"
            if want(gemm):
                record(gemm, onnx.load(os.path.join(args.torch_weights, gemm + ".onnx")), task,
                       "tensor", "rows.csv")
            matmul = f"torch_matmul_{task}"
            if want(matmul):
                record(matmul, torch_matmul_form(
                    os.path.join(args.torch_weights, f"torch_{task}.npz"), task), task, "tensor",
                    "rows.csv")

    with open(manifest_path, "w") as f:
        json.dump({"columns": COLUMNS, "categories": CATEGORIES, "models": manifest}, f, indent=1)


if __name__ == "__main__":
    main()
