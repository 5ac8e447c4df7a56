"""evaluate: the exported ONNX model -- the file that is served -- on the later transactions.

Writes metrics.json (precision, recall, F1, ROC AUC at the threshold in params.yaml) and
confusion.csv (one row per test transaction) for `plinth metrics` and `plinth plots`.
"""
import json

import numpy as np
import onnxruntime as ort
import pandas as pd
import yaml
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

threshold = yaml.safe_load(open("params.yaml"))["evaluate"]["threshold"]
test = pd.read_csv("data/features/test.csv")
session = ort.InferenceSession("model/model.onnx")
feeds = {}
for i in session.get_inputs():
    column = test[i.name]
    kind = {"tensor(string)": object, "tensor(int64)": np.int64}.get(i.type, np.float32)
    feeds[i.name] = column.to_numpy().astype(kind).reshape(-1, 1)
probability = session.run(None, feeds)[1][:, 1]
predicted = (probability >= threshold).astype(int)
actual = test["is_fraud"].to_numpy()

metrics = {
    "precision": precision_score(actual, predicted, zero_division=0),
    "recall": recall_score(actual, predicted, zero_division=0),
    "f1": f1_score(actual, predicted, zero_division=0),
    "roc_auc": roc_auc_score(actual, probability),
    "fraud_rate": float(actual.mean()),
}
with open("metrics.json", "w") as f:
    json.dump({k: round(float(v), 6) for k, v in metrics.items()}, f, indent=2)
pd.DataFrame({"actual": actual, "predicted": predicted}).to_csv("confusion.csv", index=False)
print("evaluate: " + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
