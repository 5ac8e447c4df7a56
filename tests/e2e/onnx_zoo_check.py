"""Compares Plinth's answers with onnxruntime's (onnx_zoo.py's manifest) for onnx_zoo_test.sh.

  onnx_zoo_check.py score ZOO NAME SCORED.csv     `plinth score`'s output on the model's rows
  onnx_zoo_check.py serve ZOO NAME RESPONSE.json  `plinth serve`'s answer to the handbook request

Plinth names a plain ONNX model's outputs `label` and `probability` (one column, the second
class's, for two classes; `probability_<class>` per class otherwise), or `prediction` for a
regressor; /predict gives a binary 0/1 label as false/true (as for native packages).
Probabilities and predictions must agree within 1e-5 relative (the models' float32
arithmetic; 1e-6 absolute near zero), labels exactly. Prints one line per model; exits 1 on a
difference, naming the model, the row, the column and both numbers.
"""
import csv
import json
import math
import os
import sys

REL, ABS = 1e-5, 1e-6


def oracle(zoo, name):
    manifest = json.load(open(os.path.join(zoo, "manifest.json")))
    entry = next(m for m in manifest["models"] if m["name"] == name)
    return entry


def split(task, answer):
    """onnxruntime's outputs as (labels or None, rows x classes probabilities or values)."""
    labels, probs = None, None
    for value in answer.values():
        if isinstance(value, dict):  # ZipMap
            probs = value["values"]
        elif value and isinstance(value[0], list):
            probs = value
        else:
            labels = value
    if task == "regression":
        return None, probs
    if probs and len(probs[0]) == 1:  # a network's single sigmoid output: P(class 1)
        probs = [[1 - p[0], p[0]] for p in probs]
        labels = [int(p[1] > 0.5) for p in probs]
    return labels, probs


def close(a, b):
    return abs(a - b) <= REL * max(abs(a), abs(b)) + ABS or (math.isnan(a) and math.isnan(b))


def compare(name, task, labels, probs, rows):
    """rows: Plinth's answers as dicts of column -> text. Returns the differences."""
    bad = []
    classes = len(probs[0]) if probs else 0
    for i, row in enumerate(rows):
        if task == "regression":
            want = {"prediction": probs[i][0]}
        elif classes == 2:
            want = {"probability": probs[i][1]}
        else:
            keys = sorted(k for k in row if k.startswith("probability_"))
            if len(keys) != classes:
                return [f"{name}: {len(keys)} probability columns ({', '.join(keys)}), "
                        f"onnxruntime gives {classes}"]
            want = dict(zip(keys, probs[i]))
        for column, expected in want.items():
            if column not in row:
                return [f"{name}: no column '{column}' in Plinth's answer: {sorted(row)}"]
            got = float(row[column])
            if not close(got, expected):
                bad.append(f"{name}: row {i} {column}: plinth {got!r}, onnxruntime {expected!r}")
        if labels is not None and task != "regression":
            if "label" not in row:
                return [f"{name}: no column 'label' in Plinth's answer: {sorted(row)}"]
            got = row["label"]
            if isinstance(got, bool):  # /predict answers a 0/1 label as JSON's false/true
                got = int(got)
            if str(got) != str(labels[i]):
                bad.append(f"{name}: row {i} label: plinth {row['label']!r}, "
                           f"onnxruntime {labels[i]!r}")
    return bad


def main():
    mode, zoo, name, answer = sys.argv[1:5]
    entry = oracle(zoo, name)
    if mode == "score":
        expected = json.load(open(os.path.join(zoo, name + ".expected.json")))
        with open(answer, newline="") as f:
            rows = list(csv.DictReader(f))
    else:
        expected = entry["handbook"]
        got = json.load(open(answer))
        rows = got["predictions"] if isinstance(got, dict) and "predictions" in got else got
        rows = rows if isinstance(rows, list) else [rows]
        rows = [{k: v for k, v in flatten(r)} for r in rows]
    labels, probs = split(entry["task"], expected)
    if len(rows) != len(probs):
        sys.exit(f"{name}: plinth answered {len(rows)} rows, onnxruntime {len(probs)}")
    bad = compare(name, entry["task"], labels, probs, rows)
    for line in bad[:5]:
        print(line, file=sys.stderr)
    if bad:
        sys.exit(f"{name}: {len(bad)} differences from onnxruntime")
    print(f"{name}: {mode} equals onnxruntime on {len(rows)} rows")


def flatten(row):
    """A served answer's fields; a per-class probability object becomes probability_<class>."""
    for k, v in row.items():
        if isinstance(v, dict):
            for c, p in v.items():
                yield f"{k}_{c}", p
        else:
            yield k, v


if __name__ == "__main__":
    main()
