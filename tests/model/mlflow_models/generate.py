"""Writes the MLflow model fixtures that tests/model/mlflow_flavors_test.cc scores, and the
predictions the libraries themselves made on the same rows (the test's oracle).

The fraud data comes from Plinth:
    plinth demo-data fraud --rows 3000 --seed 1 --out /tmp/fraud.csv
XGBoost 3.x and 2.x models, from throwaway virtual environments (the pinned tools hold 1.7):
    python3 -m venv /tmp/xgb3
    /tmp/xgb3/bin/pip install 'xgboost==3.1.*' pandas scikit-learn 'mlflow-skinny==3.7.*'
    /tmp/xgb3/bin/python generate.py xgboost /tmp/fraud.csv
    (the same with 'xgboost==2.1.*' in /tmp/xgb2 writes the xgb2_* models)
LightGBM models, with the pinned tools (lightgbm 4.7, mlflow 3.17):
    .venv-test/bin/python generate.py lightgbm /tmp/fraud.csv
Each run rewrites its own models, rows.csv and its half of predictions.json.
"""
import json
import os
import shutil
import sys

import numpy as np
import pandas as pd
from mlflow.models import infer_signature

HERE = os.path.dirname(os.path.abspath(__file__))
NUMERIC = ["amount", "hour_of_day", "day_of_week", "transaction_velocity", "distance_from_home"]


def load(path):
    d = pd.read_csv(path)
    rng = np.random.default_rng(7)
    train, rows = d.iloc[:2800].copy(), d.iloc[2800:].copy()
    # Missing values, in training (so splits learn a default direction) and in scoring.
    for frame, share in ((train, 0.05), (rows, 0.1)):
        for col in ["amount", "transaction_velocity", "distance_from_home"]:
            frame.loc[rng.random(len(frame)) < share, col] = np.nan
    rows.loc[rows.index[:5], "merchant_category"] = "pharmacy"  # unseen in training
    rows.loc[rows.index[5:8], "merchant_category"] = np.nan
    # Scoring rows are float32 values: Plinth reads them as float32, as XGBoost does, so
    # LightGBM (which splits on doubles) sees the same numbers.
    for col in NUMERIC:
        rows[col] = rows[col].astype(np.float32).astype(np.float64)
    cols = NUMERIC + ["merchant_category"]
    rows[cols].to_csv(os.path.join(HERE, "rows.csv"), index=False, float_format="%.9g")
    return train, rows


def save_predictions(part):
    path = os.path.join(HERE, "predictions.json")
    out = json.load(open(path)) if os.path.exists(path) else {}
    out.update(part)
    with open(path, "w") as f:
        json.dump(out, f, indent=0, sort_keys=True)
        f.write("\n")


def fresh(name):
    path = os.path.join(HERE, name)
    shutil.rmtree(path, ignore_errors=True)
    return path


def slim(path):
    # The Python environment files are not read by Plinth; keep the fixtures small.
    for f in ["conda.yaml", "python_env.yaml", "requirements.txt", "serving_input_example.json"]:
        if os.path.exists(os.path.join(path, f)):
            os.remove(os.path.join(path, f))


def xgboost_models(train, rows):
    import mlflow.xgboost
    import xgboost as xgb

    X, Xr = train[NUMERIC], rows[NUMERIC]
    codes = train.merchant_category.astype("category").cat.codes
    v = "xgb" + xgb.__version__.split(".")[0]
    out = {f"{v}_version": xgb.__version__}
    models = {
        f"{v}_binary": (xgb.XGBClassifier(n_estimators=20, max_depth=4), train.is_fraud),
        f"{v}_multiclass": (xgb.XGBClassifier(n_estimators=8, max_depth=3), codes),
    }
    for name, (model, y) in models.items():
        model.fit(X, y)
        # XGBoost before 3.0 asks for `_estimator_type`, which scikit-learn 1.6+ dropped.
        if not hasattr(model, "_estimator_type"):
            model._estimator_type = "classifier"
        proba = model.predict_proba(Xr)
        pred = proba[:, 1] if proba.shape[1] == 2 else proba
        for fmt in ["json", "ubj"]:
            path = fresh(f"{name}_{fmt}")
            mlflow.xgboost.save_model(model, path, model_format=fmt,
                                      signature=infer_signature(X, model.predict(X)))
            slim(path)
            out[f"{name}_{fmt}"] = pred.tolist()
    Xg = train[NUMERIC[1:]]
    reg = xgb.XGBRegressor(n_estimators=20, max_depth=4).fit(Xg, train.amount.fillna(0))
    for fmt in ["json", "ubj"]:
        path = fresh(f"{v}_regression_{fmt}")
        mlflow.xgboost.save_model(reg.get_booster(), path, model_format=fmt,
                                  signature=infer_signature(Xg, reg.predict(Xg)))
        slim(path)
        out[f"{v}_regression_{fmt}"] = reg.predict(rows[NUMERIC[1:]]).tolist()
    # An objective XGBoost 1.7 lacks (2.0+): a median regression.
    q = xgb.XGBRegressor(n_estimators=10, max_depth=3, objective="reg:quantileerror",
                         quantile_alpha=0.5).fit(Xg, train.amount.fillna(0))
    path = fresh(f"{v}_quantile_json")
    mlflow.xgboost.save_model(q.get_booster(), path, model_format="json",
                              signature=infer_signature(Xg, q.predict(Xg)))
    slim(path)
    out[f"{v}_quantile_json"] = q.predict(rows[NUMERIC[1:]]).tolist()
    save_predictions(out)


def lightgbm_models(train, rows):
    import lightgbm as lgb
    import mlflow.lightgbm

    cats = sorted(train.merchant_category.dropna().unique())

    def frame(d):
        x = d[NUMERIC + ["merchant_category"]].copy()
        x["merchant_category"] = pd.Categorical(x.merchant_category, categories=cats)
        return x

    X, Xr = frame(train), frame(rows)
    out = {"lightgbm_version": lgb.__version__}
    params = dict(n_estimators=20, num_leaves=15, min_child_samples=10, verbose=-1)
    # Binary with the categorical column and string labels: classes_ ["fraud", "legit"].
    labels = np.where(train.is_fraud == 1, "fraud", "legit")
    clf = lgb.LGBMClassifier(**params).fit(X, labels)
    path = fresh("lgb_binary_skops")
    mlflow.lightgbm.save_model(clf, path, signature=infer_signature(X, clf.predict(X)))
    slim(path)
    out["lgb_binary_skops"] = clf.predict_proba(Xr)[:, 1].tolist()
    # Multiclass on the numeric columns: merchant_category from the others.
    Xn = train[NUMERIC]
    multi = lgb.LGBMClassifier(**{**params, "n_estimators": 6}).fit(Xn, train.merchant_category)
    path = fresh("lgb_multiclass_skops")
    mlflow.lightgbm.save_model(multi, path, signature=infer_signature(Xn, multi.predict(Xn)))
    slim(path)
    out["lgb_multiclass_skops"] = multi.predict_proba(rows[NUMERIC]).tolist()
    # Boosters (text model.lgb): regression, random-forest mode, zero_as_missing.
    boosters = {
        "lgb_regression_booster": ({"objective": "regression"}, train.amount.fillna(0), NUMERIC[1:]),
        "lgb_rf_booster": ({"objective": "binary", "boosting": "rf", "bagging_fraction": 0.7,
                            "bagging_freq": 1, "feature_fraction": 0.8}, train.is_fraud, NUMERIC),
        "lgb_zero_missing_booster": ({"objective": "binary", "zero_as_missing": True},
                                     train.is_fraud, NUMERIC),
    }
    for name, (extra, y, cols) in boosters.items():
        p = {"num_leaves": 15, "min_data_in_leaf": 10, "verbose": -1, **extra}
        booster = lgb.train(p, lgb.Dataset(train[cols], y), num_boost_round=20)
        path = fresh(name)
        mlflow.lightgbm.save_model(booster, path,
                                   signature=infer_signature(train[cols], booster.predict(train[cols])))
        slim(path)
        out[name] = booster.predict(rows[cols]).tolist()
    save_predictions(out)


if __name__ == "__main__":
    which, data = sys.argv[1], sys.argv[2]
    train, rows = load(data)
    {"xgboost": xgboost_models, "lightgbm": lightgbm_models}[which](train, rows)
