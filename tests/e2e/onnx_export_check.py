"""Oracle for onnx_export_test.sh: onnxruntime scores the rows `plinth score` scored, through
the model `plinth export --format onnx` wrote, and the answers must agree.

usage: onnx_export_check.py INPUT.csv MODEL.onnx:PLINTH_OUTPUT.csv [...]

For each pair: onnx.checker.check_model(full_check=True) passes; the graph's inputs are the
package's input columns (double or string, [N, 1]) fed straight from INPUT.csv (null numbers as
NaN, null categories as ""); the label equals Plinth's on every row; probabilities (binary: the
second class; multiclass: one column per class) and regression values are within 1e-5 relative
of Plinth's. Prints one line per model; exits 1 on the first disagreement.
"""
import json
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd

RTOL = 1e-5


def feeds(model, data):
    out = {}
    for i in model.graph.input:
        elem = i.type.tensor_type.elem_type
        column = data[i.name]
        if elem == onnx.TensorProto.STRING:
            values = column.astype(object).where(column.notna(), "").astype(str)
            out[i.name] = values.to_numpy(dtype=object).reshape(-1, 1)
        elif elem == onnx.TensorProto.DOUBLE:
            out[i.name] = column.astype(np.float64).to_numpy().reshape(-1, 1)
        else:
            sys.exit(f"input {i.name}: unexpected element type {elem}")
    return out


def relative(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.abs(a - b) / np.maximum(np.abs(b), 1e-30)


def check(data, model_path, plinth_path):
    model = onnx.load(model_path)
    onnx.checker.check_model(model, full_check=True)
    meta = {p.key: p.value for p in model.metadata_props}
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    results = dict(zip(names, session.run(None, feeds(model, data))))
    # Plinth's output file: its input columns and its outputs, CSV as Plinth writes it.
    plinth = pd.read_csv(plinth_path, float_precision="round_trip", keep_default_na=False,
                         na_values=[""])
    task = meta["plinth.task"]
    label_name = names[0] if task == "regression" else next(
        n for n in names if results[n].ndim == 1)
    worst = 0.0
    if task == "regression":
        got = results[label_name].reshape(-1)
        worst = relative(got, plinth[label_name]).max()
        label_note = "values compared"
    else:
        labels = results[label_name].reshape(-1)
        want = plinth[label_name].astype(str).str.lower().to_numpy()
        got = np.array([str(v).lower() for v in labels])
        differ = np.flatnonzero(got != want)
        if len(differ):
            r = differ[0]
            sys.exit(f"{model_path}: label differs on {len(differ)} rows; row {r + 1}: "
                     f"onnxruntime {got[r]!r}, plinth {want[r]!r}")
        label_note = f"{len(labels)} labels equal"
        prob_name = next(n for n in names if n != label_name)
        probabilities = results[prob_name]
        classes = json.loads(meta["plinth.classes"])
        if task == "binary_classification":
            pairs = [(probabilities[:, 1], plinth[prob_name])]
        else:
            pairs = [(probabilities[:, k], plinth[f"{prob_name}_{c}"])
                     for k, c in enumerate(classes)]
        for got, want in pairs:
            worst = max(worst, relative(got, want).max())
    print(f"{model_path}: {len(data)} rows, {label_note}, max relative difference {worst:.2e}")
    if not worst <= RTOL:
        sys.exit(f"{model_path}: onnxruntime and plinth score differ by {worst:.2e} relative "
                 f"(> {RTOL})")


def main():
    data = pd.read_csv(sys.argv[1], float_precision="round_trip", keep_default_na=False,
                       na_values=[""])
    for pair in sys.argv[2:]:
        model_path, plinth_path = pair.split(":")
        check(data, model_path, plinth_path)


if __name__ == "__main__":
    main()
