"""Logs and registers models with the real MLflow client against `plinth server` (argv: tracking
URI, training CSV, scoring CSV, output folder), the way the handbook's teams do in a notebook,
and writes what the libraries themselves predict for the scoring rows (the oracle):
  fraud-xgb-json, fraud-xgb-ubj  XGBClassifier on the numeric columns (model_format json / ubj)
  fraud-lgb                      LGBMClassifier with merchant_category as a pandas categorical
                                 (MLflow's default skops format)
  fraud-sklearn                  a scikit-learn LogisticRegression (refused by Plinth)
Each registered version 1 is moved to Production and aliased "champion" by the client.
"""
import sys

import lightgbm as lgb
import mlflow
import mlflow.lightgbm
import mlflow.sklearn
import mlflow.xgboost
import numpy as np
import pandas as pd
import xgboost as xgb
from mlflow import MlflowClient
from mlflow.models import infer_signature
from sklearn.linear_model import LogisticRegression

uri, train_csv, score_csv, out = sys.argv[1:5]
mlflow.set_tracking_uri(uri)
mlflow.set_experiment("byo-models")
NUMERIC = ["amount", "hour_of_day", "day_of_week", "transaction_velocity", "distance_from_home"]
train, rows = pd.read_csv(train_csv), pd.read_csv(score_csv)
cats = sorted(train.merchant_category.unique())


def with_category(d):
    x = d[NUMERIC + ["merchant_category"]].copy()
    x["merchant_category"] = pd.Categorical(x.merchant_category, categories=cats)
    return x


client = MlflowClient()


def promote(name):
    client.transition_model_version_stage(name, "1", "Production")
    client.set_registered_model_alias(name, "champion", "1")


with mlflow.start_run():
    X = train[NUMERIC]
    xgbc = xgb.XGBClassifier(n_estimators=30, max_depth=4).fit(X, train.is_fraud)
    # XGBoost 1.7.4 (pinned) asks the estimator for `_estimator_type`, which scikit-learn 1.9
    # no longer defines; without it XGBClassifier.save_model raises TypeError.
    xgbc._estimator_type = "classifier"
    signature = infer_signature(X, xgbc.predict(X))
    for fmt in ["json", "ubj"]:
        mlflow.xgboost.log_model(xgbc, name=f"xgb-{fmt}", model_format=fmt, signature=signature,
                                 input_example=X.head(3), registered_model_name=f"fraud-xgb-{fmt}")
        promote(f"fraud-xgb-{fmt}")
    np.savetxt(f"{out}/xgb.txt", xgbc.predict_proba(rows[NUMERIC])[:, 1], fmt="%.17g")

    Xc = with_category(train)
    lgbc = lgb.LGBMClassifier(n_estimators=30, num_leaves=15, verbose=-1).fit(Xc, train.is_fraud)
    mlflow.lightgbm.log_model(lgbc, name="lgb", signature=infer_signature(Xc, lgbc.predict(Xc)),
                              input_example=Xc.head(3), registered_model_name="fraud-lgb")
    promote("fraud-lgb")
    np.savetxt(f"{out}/lgb.txt", lgbc.predict_proba(with_category(rows))[:, 1], fmt="%.17g")

    sk = LogisticRegression(max_iter=200).fit(X, train.is_fraud)
    mlflow.sklearn.log_model(sk, name="sk", registered_model_name="fraud-sklearn")
    promote("fraud-sklearn")
