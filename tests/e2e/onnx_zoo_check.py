"""Compares Plinth's answers with onnxruntime's (onnx_zoo.py's output) for onnx_zoo_test.sh.

  onnx_zoo_check.py score ZOO NAME SCORED.csv     `plinth score`'s output on the model's rows
  onnx_zoo_check.py serve ZOO NAME RESPONSE.json  `plinth serve`'s answer to the handbook request
  onnx_zoo_check.py all ZOO DIR                   every DIR/scored-NAME.csv and served-NAME.json

Plinth names a plain ONNX model's outputs `label` and `probability` (one column, the second
class's, for two classes; `probability_<class>` per class otherwise), or `prediction` for a
regressor; /predict gives a binary 0/1 label as false/true (as for native packages).
Probabilities and predictions must agree within 1e-5 relative (the models' float32
arithmetic; 1e-6 absolute near zero, where onnxruntime's approximate Sigmoid is off by up to
1e-7), labels exactly. Prints one line per answer; on a difference, names the model, the row, the
column and both numbers, ends with "differ: NAME ..." and exits 1.
"""
import json
import os
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_zoo import oracle_arrays  # noqa: E402

REL, ABS = 1e-5, 1e-6


def plinth_columns(task, classes, frame):
    """The columns of Plinth's answer that hold what onnxruntime's values hold, in order."""
    if task == "regression":
        return ["prediction"]
    if classes == 2:
        return ["probability"]
    return sorted((c for c in frame.columns if str(c).startswith("probability_")),
                  key=lambda c: int(c.split("_")[-1]) if c.split("_")[-1].isdigit() else c)


def compare(name, task, labels, values, frame):
    """frame: Plinth's answers. Returns the differences, worst first."""
    columns = plinth_columns(task, values.shape[1], frame)
    missing = [c for c in columns + ([] if labels is None else ["label"]) if c not in frame]
    if missing or not columns:
        return [f"{name}: no column {missing or 'probability_*'} in Plinth's answer: "
                f"{list(frame.columns)}"]
    want = values[:, 1:] if columns == ["probability"] else values
    if want.shape[1] != len(columns):
        return [f"{name}: Plinth gives {len(columns)} probability columns ({', '.join(columns)}), "
                f"onnxruntime {want.shape[1]}"]
    got = frame[columns].to_numpy(np.float64)
    diff = np.abs(got - want)
    bad = ~((diff <= REL * np.maximum(np.abs(got), np.abs(want)) + ABS) |
            (np.isnan(got) & np.isnan(want)))
    out = []
    for i, j in zip(*np.nonzero(bad)):
        out.append((diff[i, j], f"{name}: row {i} {columns[j]}: plinth {got[i, j]!r}, "
                                f"onnxruntime {want[i, j]!r}"))
    out.sort(reverse=True)
    out = [line for _, line in out]
    if labels is not None:
        got_labels = frame["label"].map(lambda v: str(int(v)) if isinstance(v, bool) else str(v))
        for i in np.nonzero(got_labels.to_numpy() != labels)[0]:
            out.append(f"{name}: row {i} label: plinth {got_labels[i]!r}, "
                       f"onnxruntime {labels[i]!r}")
    return out


def check(zoo, entry, mode, answer):
    """The differences of one answer file from onnxruntime's, and the rows compared."""
    name = entry["name"]
    if mode == "score":
        expected = np.load(os.path.join(zoo, name + ".expected.npz"))
        labels = expected["labels"] if "labels" in expected else None
        values = expected["values"]
        frame = pd.read_csv(answer, dtype={"label": str}, keep_default_na=False,
                            na_values=[""])
    else:
        labels, values = oracle_arrays(entry["task"], entry["handbook"])
        got = json.load(open(answer))
        rows = got["predictions"] if isinstance(got, dict) and "predictions" in got else got
        rows = rows if isinstance(rows, list) else [rows]
        frame = pd.DataFrame([dict(flatten(r)) for r in rows])
        if "label" in frame:
            frame["label"] = frame["label"].astype(object)
    if len(frame) != len(values):
        return [f"{name}: plinth answered {len(frame)} rows, onnxruntime {len(values)}"], 0
    return compare(name, entry["task"], labels, values, frame), len(frame)


def main():
    mode, zoo = sys.argv[1:3]
    models = json.load(open(os.path.join(zoo, "manifest.json")))["models"]
    if mode == "all":  # every model's answers in DIR: scored-NAME.csv and served-NAME.json
        answers = sys.argv[3]
        jobs = [(m, kind, os.path.join(answers, f))
                for m in models for kind, f in (("score", f"scored-{m['name']}.csv"),
                                                ("serve", f"served-{m['name']}.json"))]
        jobs = [j for j in jobs if os.path.exists(j[2])]
    else:
        jobs = [(next(m for m in models if m["name"] == sys.argv[3]), mode, sys.argv[4])]
    failed = []
    for entry, kind, answer in jobs:
        bad, rows = check(zoo, entry, kind, answer)
        for line in bad[:5]:
            print(line, file=sys.stderr)
        if bad:
            print(f"{entry['name']}: {kind}: {len(bad)} differences from onnxruntime",
                  file=sys.stderr)
            failed.append(entry["name"])
        else:
            print(f"{entry['name']}: {kind} equals onnxruntime on {rows} rows")
    if failed:
        print("differ: " + " ".join(dict.fromkeys(failed)))
        sys.exit(1)


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
