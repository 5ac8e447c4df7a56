"""Independent oracles for model packages, run by tests/e2e/models_test.sh with Debian's
python3 (xgboost 1.7, scikit-learn 1.2, pandas).

  model_oracle.py predictions PACKAGE INPUT SCORED...
      Builds the features from MLmodel's preprocessing with pandas, predicts with
      python3-xgboost on PACKAGE/model.json and checks every SCORED file's prediction columns
      against it to 1e-6. Prints the largest difference.
  model_oracle.py metrics PACKAGE INPUT SCORED METRICS_JSON
      Recomputes METRICS_JSON (from `plinth evaluate`) with scikit-learn on INPUT's labels and
      SCORED's predictions; checks to 1e-9. Prints the largest difference.
"""
import json
import sys

import numpy as np
import pandas as pd
import yaml


def read(path):
    return pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(
        path, keep_default_na=True)


def package(path):
    with open(path + "/MLmodel") as f:
        return yaml.safe_load(f)["flavors"]["plinth"]


def features(pl, df):
    cols = []
    for f in pl["preprocessing"]:
        x = df[f["column"]]
        kind = f["kind"]
        if kind == "one_hot":
            for c in f["categories"]:
                v = (x.astype(str) == str(c)).astype(np.float64)
                v[x.isna()] = np.nan
                cols.append(v.values)
        elif kind == "ordinal":
            cats = {str(c): i for i, c in enumerate(f["categories"])}
            cols.append(np.array([np.nan if pd.isna(v) else cats.get(str(v), len(cats))
                                  for v in x], dtype=np.float64))
        else:
            v = x.astype(np.float64).values.copy()
            if "missing" in f:
                v[np.isnan(v)] = f["missing"]
            if kind == "standardized":
                v = (v - f["mean"]) / f["scale"]
            cols.append(v)
    return np.column_stack(cols).astype(np.float32)


def xgb_predict(pkg, df):
    import xgboost as xgb
    pl = package(pkg)
    booster = xgb.Booster(params={"nthread": 1})
    booster.load_model(pkg + "/model.json")
    return pl, booster.predict(xgb.DMatrix(features(pl, df), missing=np.nan))


def prediction_columns(pl):
    if pl["task"] == "regression":
        return [pl["outputs"]["label"]]
    if pl["task"] == "binary_classification":
        return [pl["outputs"]["probability"]]
    return [pl["outputs"]["probability"] + "_" + str(c) for c in pl["classes"]]


def predictions(pkg, inp, *scored):
    df = read(inp)
    pl, expected = xgb_predict(pkg, df)
    expected = expected.reshape(len(df), -1)
    worst = 0.0
    for path in scored:
        got = read(path)[prediction_columns(pl)].values
        assert got.shape == expected.shape, (path, got.shape, expected.shape)
        worst = max(worst, float(np.abs(got - expected).max()))
    print(f"{worst:.3g}")
    return worst <= 1e-6


def metrics(pkg, inp, scored, metrics_json):
    from sklearn import metrics as m
    pl = package(pkg)
    df, out = read(inp), read(scored)
    with open(metrics_json) as f:
        got = json.load(f)
    y = df[pl["target"]]
    if pl["task"] == "regression":
        p = out[pl["outputs"]["label"]].values
        want = {"rmse": m.mean_squared_error(y, p, squared=False),
                "mae": m.mean_absolute_error(y, p), "r2": m.r2_score(y, p)}
    elif pl["task"] == "binary_classification":
        classes = [str(c) for c in pl["classes"]]
        yi = np.array([classes.index(str(v)) for v in y])
        p = out[pl["outputs"]["probability"]].values
        pred = (p >= pl["outputs"]["threshold"]).astype(int)
        want = {"accuracy": m.accuracy_score(yi, pred),
                "precision": m.precision_score(yi, pred, zero_division=0),
                "recall": m.recall_score(yi, pred, zero_division=0),
                "f1": m.f1_score(yi, pred, zero_division=0),
                "roc_auc": m.roc_auc_score(yi, p),
                "pr_auc": m.average_precision_score(yi, p),
                "log_loss": m.log_loss(yi, p)}
    else:
        classes = [str(c) for c in pl["classes"]]
        yi = np.array([classes.index(str(v)) for v in y])
        p = out[prediction_columns(pl)].values
        pred = p.argmax(axis=1)
        want = {"accuracy": m.accuracy_score(yi, pred),
                "f1_macro": m.f1_score(yi, pred, average="macro",
                                       labels=list(range(len(classes))), zero_division=0),
                "log_loss": m.log_loss(yi, p, labels=list(range(len(classes))))}
    worst = max(abs(got[k] - v) for k, v in want.items())
    assert got["rows"] == len(df)
    print(f"{worst:.3g}")
    return worst <= 1e-9


if __name__ == "__main__":
    ok = {"predictions": predictions, "metrics": metrics}[sys.argv[1]](*sys.argv[2:])
    sys.exit(0 if ok else 1)
