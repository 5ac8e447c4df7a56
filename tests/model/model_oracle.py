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
  model_oracle.py training DATA PARAMS_YAML PACKAGE:PROBE:SECTION...
      For each PACKAGE that `plinth train` wrote from DATA with PARAMS_YAML's SECTION, trains
      with python3-xgboost on the same rows, with the parameters as docs/models.md says Plinth
      applies them, and checks that both boosters are the same: tree count, depth, learner
      configuration, every tree, predictions. PROBE is a package trained on DATA with the same
      target and seed whose only feature is `transaction_id`, taken as ordinal: its categories
      name the rows of the training split. The fitted preprocessing (categories, means,
      scales) is checked against those rows too.
  model_oracle.py heldout PROBE DATA OUT
      Writes the rows of DATA outside PROBE's training split (the held-out rows) to OUT.
  model_oracle.py ladder LADDER_JSON LADDER_TEXT HELDOUT TARGET SCORED...
      Checks `plinth baseline --json` and the table `plinth baseline` prints for the same data:
      one rung per SCORED file, in order. SCORED is DIR/ALGO.csv, HELDOUT scored by the package
      DIR/ALGO that `plinth train --algo ALGO` wrote with the baseline's options. Each rung's
      model size is that package's, its roc_auc and f1 are scikit-learn's on those predictions
      (1e-9), and the table shows the same rungs (levels 0, 1, ...) with the same numbers.
"""
import json
import math
import os
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


# --- training ----------------------------------------------------------------------------------

# docs/models.md: the defaults per algorithm, and the keys of a params section that are Plinth's
# own rather than XGBoost parameters.
DEFAULTS = {
    "gbt": {"n_estimators": 100, "max_depth": 6, "eta": 0.1},
    "rf": {"n_estimators": 100, "max_depth": 8, "subsample": 0.8, "colsample_bynode": 0.8},
    "linear": {"n_estimators": 100, "eta": 0.5, "lambda": 0},
}
PLINTH_KEYS = {"algo", "algorithm", "task", "features", "rule", "categorical", "standardize",
               "missing", "threshold", "outputs", "constraints"}
SKLEARN_NAMES = {"learning_rate": "eta", "reg_lambda": "lambda", "reg_alpha": "alpha"}


def training_rows(probe, data):
    """The rows of DATA (in file order) that PROBE's training split held."""
    spec = [f for f in package(probe)["preprocessing"] if f["column"] == "transaction_id"]
    require(len(spec) == 1 and spec[0]["kind"] == "ordinal",
            f"{probe} is not a probe: its one feature must be transaction_id, ordinal")
    ids = set(str(c) for c in spec[0]["categories"])
    df = read(data)
    inside = df.transaction_id.astype(str).isin(ids)
    require(inside.sum() == len(ids), f"{probe} names {len(ids)} rows, {inside.sum()} in {data}")
    return df, inside.values


def expected_task(y):
    if pd.api.types.is_float_dtype(y):
        return "regression"
    return "binary_classification" if y.nunique() == 2 else "multiclass_classification"


def xgb_params(section, task, num_class):
    """The booster parameters and rounds docs/models.md promises for a params section."""
    algo = section.get("algo", section.get("algorithm", "gbt"))
    user = {SKLEARN_NAMES.get(k, k): v for k, v in section.items() if k not in PLINTH_KEYS}
    p = {**DEFAULTS[algo], **user}
    rounds = int(p.pop("n_estimators"))
    p.update({"nthread": 1, "seed": 42, "verbosity": 0})
    p["objective"] = {"binary_classification": "binary:logistic",
                      "multiclass_classification": "multi:softprob",
                      "regression": "reg:squarederror"}[task]
    if task == "multiclass_classification":
        p["num_class"] = num_class
    if algo == "rf":
        p.update({"num_parallel_tree": rounds, "eta": 1})
        rounds = 1
    if algo == "linear":
        p.update({"booster": "gblinear", "updater": "coord_descent"})
    return algo, p, rounds


def tree_depth(tree):
    left, right = tree["left_children"], tree["right_children"]
    depth, stack = 0, [(0, 0)]
    while stack:
        node, d = stack.pop()
        depth = max(depth, d)
        if left[node] != -1:
            stack += [(left[node], d + 1), (right[node], d + 1)]
    return depth


def first_difference(a, b, where=""):
    if type(a) is not type(b):
        return f"{where}: {a!r} vs {b!r}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{where}/{k}: only in {'plinth' if k in a else 'python3-xgboost'}"
            d = first_difference(a[k], b[k], f"{where}/{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{where}: {len(a)} entries vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{where}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{where}: {a!r} vs {b!r}"


def check_fit(pl, train):
    for f in pl["preprocessing"]:
        x = train[f["column"]]
        if f["kind"] in ("one_hot", "ordinal"):
            want = sorted(set(x.dropna().astype(str)))
            require([str(c) for c in f["categories"]] == want,
                    f"categories of {f['column']} are not the training split's")
        elif f["kind"] == "standardized":
            v = x.astype(np.float64).dropna().values
            for name, want in (("mean", v.mean()), ("scale", v.std())):
                require(abs(f[name] - want) <= 1e-12 * abs(want),
                        f"{name} of {f['column']}: {f[name]!r}, numpy {want!r}")


def training(data, params_yaml, *models):
    with open(params_yaml) as f:
        sections = yaml.safe_load(f)
    out, failed = [], []
    for model in models:
        pkg, probe, section = model.split(":")
        try:
            out.append(f"{pkg}: {train_like_plinth(pkg, probe, data, sections[section])}")
        except Mismatch as e:
            failed.append(f"{pkg}: {e}")
    require(not failed, lambda: "\n  ".join([""] + failed))
    return "\n".join(out)


def train_like_plinth(pkg, probe, data, section):
    import xgboost as xgb
    pl = package(pkg)
    df, inside = training_rows(probe, data)
    train = df[inside]
    y = train[pl["target"]]
    task = expected_task(df[pl["target"]])
    require(pl["task"] == task, f"task {pl['task']}, expected {task}")
    check_fit(pl, train)
    classes = sorted(df[pl["target"]].dropna().unique())
    labels = y.values.astype(np.float64) if task == "regression" else np.array(
        [classes.index(v) for v in y], dtype=np.float64)
    algo, params, rounds = xgb_params(section, task, len(classes))
    dtrain = xgb.DMatrix(features(pl, train), label=labels, missing=np.nan)
    ours = xgb.train(params, dtrain, num_boost_round=rounds)
    theirs = load_booster(pkg)

    got = json.loads(bytes(theirs.save_raw("json")))["learner"]
    want = json.loads(bytes(ours.save_raw("json")))["learner"]
    summary = []
    if algo != "linear":
        trees = got["gradient_booster"]["model"]["trees"]
        per_round = (len(classes) if task == "multiclass_classification" else 1) * (
            params.get("num_parallel_tree", 1))
        require(len(trees) == rounds * per_round,
                f"{len(trees)} trees, expected {rounds} rounds x {per_round}")
        depth = max(tree_depth(t) for t in trees)
        require(depth == params["max_depth"], f"deepest tree {depth}, max_depth {params['max_depth']}")
        summary.append(f"{len(trees)} trees, depth {depth}")
    # The booster's configuration as the library reports it for each model file.
    for part in ("learner_model_param", "objective"):
        d = first_difference(json.loads(theirs.save_config())["learner"][part],
                             json.loads(ours.save_config())["learner"][part], part)
        require(d is None, f"configuration differs: {d}")
    for model in (got, want):
        model.pop("attributes", None)
    d = first_difference(got, want, "learner")
    require(d is None, f"model.json differs from python3-xgboost's model at {d}")
    x = xgb.DMatrix(features(pl, df), missing=np.nan)
    diff = float(np.abs(theirs.predict(x) - ours.predict(x)).max())
    require(diff == 0, f"predictions differ by up to {diff}")
    return ", ".join(summary + [f"{inside.sum()} training rows, identical model"])


# --- the baseline ladder -----------------------------------------------------------------------

def heldout(probe, data, out):
    df, inside = training_rows(probe, data)
    df[~inside].to_csv(out, index=False)
    return f"{(~inside).sum()} held-out rows"


def ladder(ladder_json, ladder_text, heldout_csv, target, *scored):
    from sklearn import metrics as m
    with open(ladder_json) as f:
        rungs = json.load(f)
    y = read(heldout_csv)[target]
    classes = sorted(y.unique())
    require(len(classes) == 2, "the ladder oracle covers binary targets")
    yi = np.array([classes.index(v) for v in y])
    names = [os.path.basename(p).rsplit(".", 1)[0] for p in scored]
    require([r.get("algorithm") for r in rungs] == names,
            f"rungs {[r.get('algorithm') for r in rungs]}, expected {names}")
    worst = 0.0
    for rung, path in zip(rungs, scored):
        pkg = os.path.splitext(path)[0]
        pl = package(pkg)
        # The same model as `plinth train --algo` trains: the same size.
        size = len(pl["params"]["rule"]) if pl["flavor"] == "rules" else os.path.getsize(
            pkg + "/model.json")
        require(rung.get("model_bytes") == size,
                f"{rung['algorithm']}: model_bytes {rung.get('model_bytes')!r}, {pkg} has {size}")
        out = read(path)
        require(len(out) == len(y), f"{path} has {len(out)} rows, {heldout_csv} {len(y)}")
        p = numbers(path, out, [pl["outputs"]["probability"]])[:, 0]
        name = rung["algorithm"]
        require(rung.get("metric") == "roc_auc", f"{name}: metric {rung.get('metric')!r}")
        worst = max(worst, close(rung.get("value"), m.roc_auc_score(yi, p), 1e-9, f"{name} roc_auc"),
                    close(rung.get("f1"), m.f1_score(yi, (p >= 0.5).astype(int)), 1e-9, f"{name} f1"))
    # The table: a header, then level, algorithm, metric, value and f1 of each rung in order.
    with open(ladder_text) as f:
        lines = f.read().splitlines()
    require(lines[0].split()[:5] == ["level", "algorithm", "metric", "value", "f1"],
            f"{ladder_text} header: {lines[0]!r}")
    want = [[str(i), r["algorithm"], r["metric"], f"{r['value']:.4f}", f"{r['f1']:.4f}",
             str(r["model_bytes"])] for i, r in enumerate(rungs)]
    got = [line.split()[:5] + line.split()[6:7] for line in lines[1:]]
    require(got == want, f"{ladder_text} rows {got}, expected {want}")
    return f"{worst:.3g}"


if __name__ == "__main__":
    modes = {"predictions": predictions, "metrics": metrics, "training": training,
             "heldout": heldout, "ladder": ladder}
    try:
        print(modes[sys.argv[1]](*sys.argv[2:]))
    except Mismatch as e:
        print(f"model_oracle.py {sys.argv[1]}: {e}", file=sys.stderr)
        sys.exit(1)
