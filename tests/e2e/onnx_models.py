"""Models trained and converted the way the handbook's teams do it, and onnxruntime as oracle.

  build TRAIN_CSV DIR   writes into DIR:
      pipeline.onnx  Pipeline(ColumnTransformer(StandardScaler, OneHotEncoder, SimpleImputer),
                     RandomForestClassifier) through skl2onnx, one input per column (float,
                     string, int64 tensors [N, 1]), ZipMap probabilities, int64 labels;
      multi.onnx     a LogisticRegression pipeline predicting merchant_category from the other
                     five columns (string labels, 8 classes);
      regressor.onnx RandomForestRegressor of hour_of_day on the three float columns;
      mlp.onnx       MLPClassifier on one float tensor [N, 13] (standardized numbers and a
                     one-hot merchant_category), zipmap=False: label + probability tensor;
      mlp_preprocessing.yaml  those 13 features in MLmodel's preprocessing form.
  ort MODEL CSV OUT_CSV [PREPROCESSING_YAML]   onnxruntime's label and probabilities per row.
  compare SCORED_CSV ORT_CSV LABEL PROBABILITY   plinth score's output equals onnxruntime's.
  mlflow MODEL TRACKING_URI NAME [EXAMPLE_CSV]   logs MODEL with mlflow.onnx.log_model, registers it as NAME
                     and moves that version to Production (the real MLflow client).
"""
import json
import sys

import numpy as np
import pandas as pd

NUMERIC = ["amount", "transaction_velocity", "distance_from_home"]
INTEGER = ["hour_of_day", "day_of_week"]
COLUMNS = ["amount", "merchant_category", "hour_of_day", "day_of_week", "transaction_velocity",
           "distance_from_home"]


def pipeline_inputs(df):
    """The feeds of a one-input-per-column model, as skl2onnx declares them."""
    feeds = {}
    for c in COLUMNS:
        if c == "merchant_category":
            feeds[c] = df[c].astype(str).to_numpy().reshape(-1, 1)
        elif c in INTEGER:
            feeds[c] = df[c].astype(np.int64).to_numpy().reshape(-1, 1)
        else:
            feeds[c] = df[c].astype(np.float32).to_numpy().reshape(-1, 1)
    return feeds


def mlp_features(df, spec):
    cols = []
    for f in spec:
        if f["kind"] == "one_hot":
            for cat in f["categories"]:
                cols.append((df[f["column"]] == cat).astype(np.float32).to_numpy())
        else:
            x = df[f["column"]].astype(np.float64).to_numpy()
            cols.append(((x - f["mean"]) / f["scale"]).astype(np.float32))
    return np.stack(cols, axis=1).astype(np.float32)


def build(train_csv, out):
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType, StringTensorType

    df = pd.read_csv(train_csv)
    types = [(c, StringTensorType([None, 1]) if c == "merchant_category" else
              Int64TensorType([None, 1]) if c in INTEGER else FloatTensorType([None, 1]))
             for c in COLUMNS]

    def pipeline(target, features, classifier):
        parts = [("num", StandardScaler(), NUMERIC),
                 ("int", SimpleImputer(strategy="median"), INTEGER)]
        if "merchant_category" in features:
            parts.append(("cat", OneHotEncoder(handle_unknown="ignore"), ["merchant_category"]))
        pre = ColumnTransformer(parts)
        kept = [c for c in COLUMNS if c in features]
        pipe = Pipeline([("pre", pre), ("clf", classifier)])
        pipe.fit(df[kept], df[target])
        return to_onnx(pipe, initial_types=[t for t in types if t[0] in kept],
                       target_opset={"": 17, "ai.onnx.ml": 3})

    with open(f"{out}/pipeline.onnx", "wb") as f:
        forest = RandomForestClassifier(n_estimators=30, max_depth=8, random_state=0)
        f.write(pipeline("is_fraud", COLUMNS, forest).SerializeToString())
    with open(f"{out}/multi.onnx", "wb") as f:
        features = [c for c in COLUMNS if c != "merchant_category"]
        f.write(pipeline("merchant_category", features,
                         LogisticRegression(max_iter=500)).SerializeToString())

    regressor = Pipeline([("pre", ColumnTransformer([("num", StandardScaler(), NUMERIC)])),
                          ("reg", RandomForestRegressor(n_estimators=10, max_depth=6,
                                                        random_state=0))])
    regressor.fit(df[NUMERIC], df["hour_of_day"])
    with open(f"{out}/regressor.onnx", "wb") as f:
        f.write(to_onnx(regressor, initial_types=[t for t in types if t[0] in NUMERIC],
                        target_opset={"": 17, "ai.onnx.ml": 3}).SerializeToString())

    spec = []
    for c in ["amount", "hour_of_day", "day_of_week", "transaction_velocity",
              "distance_from_home"]:
        x = df[c].astype(np.float64)
        spec.append({"column": c, "kind": "standardized", "mean": float(x.mean()),
                     "scale": float(x.std(ddof=0)), "type": "long" if c in INTEGER else "double"})
    spec.insert(1, {"column": "merchant_category", "kind": "one_hot",
                    "categories": sorted(df["merchant_category"].unique().tolist())})
    X = mlp_features(df, spec)
    mlp = MLPClassifier(hidden_layer_sizes=(16, 8), max_iter=300, random_state=0)
    mlp.fit(X, df["is_fraud"])
    onx = to_onnx(mlp, X[:1], options={id(mlp): {"zipmap": False}},
                  target_opset={"": 17, "ai.onnx.ml": 3})
    with open(f"{out}/mlp.onnx", "wb") as f:
        f.write(onx.SerializeToString())
    with open(f"{out}/mlp_preprocessing.yaml", "w") as f:
        f.write("preprocessing:\n" + "".join(f"- {json.dumps(s)}\n" for s in spec))


def ort(model, csv, out, preprocessing=None):
    import onnxruntime as rt
    import yaml

    df = pd.read_csv(csv)
    sess = rt.InferenceSession(model, providers=["CPUExecutionProvider"])
    if preprocessing:
        spec = yaml.safe_load(open(preprocessing))["preprocessing"]
        feeds = {sess.get_inputs()[0].name: mlp_features(df, spec)}
    else:
        names = {i.name for i in sess.get_inputs()}
        feeds = {k: v for k, v in pipeline_inputs(df).items() if k in names}
    outputs = sess.run(None, feeds)
    if len(outputs) == 1:  # a regressor
        pd.DataFrame({"prediction": outputs[0][:, 0].astype(np.float64)}).to_csv(out, index=False)
        return
    label, proba = outputs
    if isinstance(proba, list):  # ZipMap
        classes = list(proba[0].keys())
        proba = np.array([[row[k] for k in classes] for row in proba])
    else:
        classes = list(range(proba.shape[1]))
    res = pd.DataFrame({"label": label})
    for k, c in enumerate(classes):
        res[f"p_{c}"] = proba[:, k].astype(np.float64)
    res.to_csv(out, index=False)


def log_to_mlflow(model, uri, name):
    import mlflow
    import onnx
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(uri)
    df = pd.read_csv(sys.argv[5]) if len(sys.argv) > 5 else None
    with mlflow.start_run():
        info = mlflow.onnx.log_model(onnx.load(model), name="model", registered_model_name=name,
                                     input_example=None if df is None else df[COLUMNS].head(3))
    client = MlflowClient()
    version = info.registered_model_version
    client.transition_model_version_stage(name, version, "Production")
    print(version)


def compare(scored, oracle, label, probability):
    """plinth score's output against onnxruntime's: labels equal, probabilities within 1e-5
    relative. Absolute 2.5e-7 (two float32 steps at 1.0) covers a small p that onnxruntime's
    stable sigmoid computes as 1 - q with q near 1: its exp and ours may differ in the last bit."""
    a, b = pd.read_csv(scored), pd.read_csv(oracle)
    assert len(a) == len(b), (len(a), len(b))
    if "prediction" in b.columns:
        np.testing.assert_allclose(a[label], b["prediction"], rtol=1e-5, atol=2.5e-7)
        print(f"{len(a)} predictions equal")
        return
    assert (a[label].astype(str) == b["label"].astype(str)).all(), "labels differ"
    classes = [c[2:] for c in b.columns if c.startswith("p_")]
    pairs = ([(probability, "p_" + classes[1])] if probability in a.columns else
             [(f"{probability}_{c}", "p_" + c) for c in classes])
    for mine, theirs in pairs:
        np.testing.assert_allclose(a[mine], b[theirs], rtol=1e-5, atol=2.5e-7, err_msg=mine)
    print(f"{len(a)} rows, {len(pairs)} probability columns equal")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "build":
        build(sys.argv[2], sys.argv[3])
    elif cmd == "ort":
        ort(*sys.argv[2:])
    elif cmd == "compare":
        compare(*sys.argv[2:])
    elif cmd == "mlflow":
        log_to_mlflow(*sys.argv[2:5])
