"""train: the handbook's GradientBoostingClassifier, tracked with MLflow, exported to ONNX.

Logs params, the training loss per boosting stage and the model to the MLflow tracking server
in MLFLOW_TRACKING_URI (`plinth server`), and registers the ONNX model as `fraud-detector`.
Run by `plinth repro -e fraud-detection`, it logs into the run Plinth opened for the pipeline
(MLFLOW_RUN_ID), so params, metrics, data hashes and the model land in one run.
"""
import os

import mlflow
import mlflow.onnx
import pandas as pd
import yaml
from mlflow.models import infer_signature
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType, Int64TensorType, StringTensorType
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

FEATURES = ["amount", "merchant_category", "hour_of_day", "day_of_week",
            "transaction_velocity", "distance_from_home",
            "txn_count_7d", "amount_mean_30d", "amount_max_30d"]
INTEGERS = {"hour_of_day", "day_of_week", "txn_count_7d"}

params = yaml.safe_load(open("params.yaml"))["train"]
train = pd.read_csv("data/features/train.csv")
X, y = train[FEATURES], train["is_fraud"]

model = Pipeline([
    ("encode", ColumnTransformer(
        [("category", OneHotEncoder(handle_unknown="ignore"), ["merchant_category"])],
        remainder="passthrough")),
    ("gbc", GradientBoostingClassifier(**params)),
])

# Under `plinth repro -e`, MLFLOW_RUN_ID names the pipeline's run and start_run() resumes it.
if "MLFLOW_RUN_ID" not in os.environ:
    mlflow.set_experiment("fraud-detection")
with mlflow.start_run():
    mlflow.log_params(params)
    model.fit(X, y)
    # The training loss after each boosting stage: a curve per run in the UI.
    losses = model.named_steps["gbc"].train_score_
    for step, loss in enumerate(losses):
        mlflow.log_metric("train_loss", float(loss), step=step)
    pd.DataFrame({"step": range(len(losses)), "loss": losses}).to_csv("train_loss.csv", index=False)

    types = [(c, StringTensorType([None, 1]) if c == "merchant_category" else
                 Int64TensorType([None, 1]) if c in INTEGERS else FloatTensorType([None, 1]))
             for c in FEATURES]
    onx = to_onnx(model, initial_types=types, target_opset={"": 17, "ai.onnx.ml": 3},
                  options={id(model): {"zipmap": False}})
    os.makedirs("model", exist_ok=True)
    with open("model/model.onnx", "wb") as f:
        f.write(onx.SerializeToString())
    # A signature, not an input example: MLflow would check an example against the graph's
    # [N, 1] column inputs with onnxruntime and warn.
    mlflow.onnx.log_model(onx, name="model", registered_model_name="fraud-detector",
                          signature=infer_signature(X.head(100)))
    print(f"train: {len(X)} rows, final training loss {losses[-1]:.4f}")
