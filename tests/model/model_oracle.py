"""Independent oracles for model packages, run by the e2e tests with Debian's python3 (xgboost
1.7, the library Plinth links; scikit-learn 1.2; pandas). Each mode exits 1 with a message on
stderr when the comparison fails; a blank, NaN or missing value or a missing row is a failure.

  model_oracle.py predictions PACKAGE INPUT SCORED...
      Builds the features from MLmodel's preprocessing with pandas, predicts with
      python3-xgboost on PACKAGE/model.json and checks every SCORED file's prediction columns
      against it to 1e-6. Prints the largest difference.
  model_oracle.py metrics PACKAGE INPUT SCORED METRICS_JSON
      Recomputes METRICS_JSON (from `plinth evaluate`) with scikit-learn on INPUT's labels and
      SCORED's predictions; checks to 1e-9. Prints the largest difference.
"""
import json
import math
import sys

import numpy as np
import pandas as pd
import yaml


class Mismatch(Exception):
    pass


def require(ok, message):
    """message: text, or a function giving it (when building it needs the failure)."""
    if not ok:
        raise Mismatch(message() if callable(message) else message)


def read(path):
    return pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(
        path, keep_default_na=True)


def mlmodel(path):
    with open(path + "/MLmodel") as f:
        return yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def package(path):
    return mlmodel(path)["flavors"]["plinth"]


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


def load_booster(pkg):
    import xgboost as xgb
    booster = xgb.Booster(params={"nthread": 1})
    booster.load_model(pkg + "/model.json")
    return booster


def xgb_predict(pkg, df):
    import xgboost as xgb
    pl = package(pkg)
    return pl, load_booster(pkg).predict(xgb.DMatrix(features(pl, df), missing=np.nan))


def prediction_columns(pl):
    if pl["task"] == "regression":
        return [pl["outputs"]["label"]]
    if pl["task"] == "binary_classification":
        return [pl["outputs"]["probability"]]
    return [pl["outputs"]["probability"] + "_" + str(c) for c in pl["classes"]]


def numbers(path, df, columns):
    """The columns of df as float64; a missing column, a blank, NaN or text fails naming it."""
    lacking = [c for c in columns if c not in df.columns]
    require(not lacking, f"{path}: no column {', '.join(lacking)} (has {', '.join(df.columns)})")
    out = np.empty((len(df), len(columns)))
    for j, c in enumerate(columns):
        v = pd.to_numeric(df[c], errors="coerce").values.astype(np.float64)
        bad = np.flatnonzero(~np.isfinite(v))
        require(len(bad) == 0, lambda: f"{path}: column {c} has {len(bad)} blank, NaN or "
                f"non-numeric value(s), the first in data row {bad[0] + 1}: {df[c].iloc[bad[0]]!r}")
        out[:, j] = v
    return out


def predictions(pkg, inp, *scored):
    require(scored, "no scored file to compare")
    df = read(inp)
    pl, expected = xgb_predict(pkg, df)
    expected = expected.reshape(len(df), -1).astype(np.float64)
    require(np.isfinite(expected).all(), f"python3-xgboost predicts NaN for {inp}")
    worst = 0.0
    for path in scored:
        out = read(path)
        require(len(out) == len(df), f"{path} has {len(out)} rows, {inp} has {len(df)}")
        got = numbers(path, out, prediction_columns(pl))
        require(got.shape == expected.shape, f"{path}: shape {got.shape}, expected {expected.shape}")
        diff = np.abs(got - expected)
        row, col = np.unravel_index(diff.argmax(), diff.shape)
        require(diff[row, col] <= 1e-6, f"{path} row {row + 1} {prediction_columns(pl)[col]}: "
                f"{got[row, col]!r}, python3-xgboost {expected[row, col]!r}")
        worst = max(worst, float(diff[row, col]))
    return f"{worst:.3g}"


def close(got, want, tol, what):
    """got and want are finite numbers within tol (absolute)."""
    require(isinstance(got, (int, float)) and not isinstance(got, bool) and math.isfinite(got),
            f"{what}: {got!r} is not a finite number")
    require(math.isfinite(want), f"{what}: the oracle's value is {want!r}")
    require(abs(got - want) <= tol, f"{what}: {got!r}, scikit-learn {want!r}")
    return abs(got - want)


def sklearn_metrics(pl, y, out, path):
    """scikit-learn's metrics of the predictions in `out` for the labels y."""
    from sklearn import metrics as m
    if pl["task"] == "regression":
        p = numbers(path, out, prediction_columns(pl))[:, 0]
        return {"rmse": m.mean_squared_error(y, p, squared=False),
                "mae": m.mean_absolute_error(y, p), "r2": m.r2_score(y, p)}
    classes = [str(c) for c in pl["classes"]]
    yi = np.array([classes.index(str(v)) for v in y])
    p = numbers(path, out, prediction_columns(pl))
    if pl["task"] == "binary_classification":
        p = p[:, 0]
        pred = (p >= pl["outputs"]["threshold"]).astype(int)
        return {"accuracy": m.accuracy_score(yi, pred),
                "precision": m.precision_score(yi, pred, zero_division=0),
                "recall": m.recall_score(yi, pred, zero_division=0),
                "f1": m.f1_score(yi, pred, zero_division=0),
                "roc_auc": m.roc_auc_score(yi, p),
                "pr_auc": m.average_precision_score(yi, p),
                "log_loss": m.log_loss(yi, p)}
    pred = p.argmax(axis=1)
    return {"accuracy": m.accuracy_score(yi, pred),
            "f1_macro": m.f1_score(yi, pred, average="macro",
                                   labels=list(range(len(classes))), zero_division=0),
            "log_loss": m.log_loss(yi, p, labels=list(range(len(classes))))}


def metrics(pkg, inp, scored, metrics_json):
    pl = package(pkg)
    df, out = read(inp), read(scored)
    require(len(out) == len(df), f"{scored} has {len(out)} rows, {inp} has {len(df)}")
    with open(metrics_json) as f:
        got = json.load(f)
    require(got.get("rows") == len(df), f"{metrics_json}: rows {got.get('rows')!r}, {len(df)} in {inp}")
    want = sklearn_metrics(pl, df[pl["target"]], out, scored)
    worst = max(close(got.get(k), v, 1e-9, f"{metrics_json} {k}") for k, v in want.items())
    return f"{worst:.3g}"


if __name__ == "__main__":
    modes = {"predictions": predictions, "metrics": metrics}
    try:
        print(modes[sys.argv[1]](*sys.argv[2:]))
    except Mismatch as e:
        print(f"model_oracle.py {sys.argv[1]}: {e}", file=sys.stderr)
        sys.exit(1)
