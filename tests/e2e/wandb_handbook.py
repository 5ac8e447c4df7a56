"""The handbook's W&B training script (scikit-learn), unchanged but for its data: wandb.init
with config and tags, a per-epoch loop, a wandb.Table of feature importances, the model as a
`model` artifact, run.finish(). Run with WANDB_BASE_URL pointing at `plinth server` (or with
WANDB_MODE=offline, then `wandb sync`).

usage: wandb_handbook.py OUT.json
Writes what was logged (config, every history row, the table, the model file's bytes as hex, the
run id, the SDK's local run folder) to OUT.json for the checks in wandb_readback.py.
"""
import json
import os
import sys
import tempfile

import joblib
import pandas as pd
import wandb
from sklearn.datasets import make_classification
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.metrics import f1_score, log_loss, roc_auc_score
from sklearn.model_selection import train_test_split

out_path = sys.argv[1]
work = tempfile.mkdtemp(dir=os.path.dirname(os.path.abspath(out_path)))

X, y = make_classification(n_samples=600, n_features=6, n_informative=4, random_state=7)
features = ["amount", "hour", "merchant_risk", "distance", "velocity", "account_age"]
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.25, random_state=7)

config = {"model": "gradient_boosting", "n_estimators": 12, "learning_rate": 0.2,
          "max_depth": 3, "features": features, "data": {"rows": 600, "seed": 7}}
run = wandb.init(project="fraud-detection", config=config, tags=["baseline", "sklearn"],
                 name="gbt-baseline", notes="handbook chapter 4")
model = GradientBoostingClassifier(n_estimators=config["n_estimators"],
                                   learning_rate=config["learning_rate"],
                                   max_depth=config["max_depth"], random_state=7)
model.fit(X_train, y_train)

history = []
for epoch, (p_train, p_val) in enumerate(zip(model.staged_predict_proba(X_train),
                                             model.staged_predict_proba(X_val))):
    row = {"epoch": epoch, "train_loss": float(log_loss(y_train, p_train)),
           "val_loss": float(log_loss(y_val, p_val)),
           "val_auc": float(roc_auc_score(y_val, p_val[:, 1]))}
    wandb.log(row)
    history.append(row)

f1 = float(f1_score(y_val, model.predict(X_val)))
run.summary["val_f1"] = f1

rows = sorted(([f, float(i)] for f, i in zip(features, model.feature_importances_)),
              key=lambda r: -r[1])
table = wandb.Table(dataframe=pd.DataFrame(rows, columns=["feature", "importance"]))
run.log({"feature_importance": table})

model_path = os.path.join(work, "model.pkl")
joblib.dump(model, model_path)
artifact = wandb.Artifact("fraud-model", type="model", description="GBT baseline",
                          metadata={"val_f1": f1})
artifact.add_file(model_path)
run.log_artifact(artifact)
record = {"config": config, "history": history, "val_f1": f1, "table": rows,
          "model": open(model_path, "rb").read().hex(), "run_id": run.id, "files": run.dir, "model_path": model_path}
run.finish()

json.dump(record, open(out_path, "w"))
