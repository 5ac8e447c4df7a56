"""Sanity checks for bench/serving.sh: every server scores like `plinth score`.

    check.py rows PACKAGE EXAMPLE_JSON OUT_JSON OUT_CSV
        The rows every server is checked on: the benchmark's example body, the package's
        input_example.json rows (the six request fields), and the example with an unknown
        merchant_category. Written as a JSON list and as a CSV for `plinth score`.
    check.py model PACKAGE ROWS_JSON SCORED_CSV
        The FastAPI server's own code (Transaction, FraudModel, both feature paths) scores
        each row without rounding; it must agree with `plinth score` to 1e-5.
    check.py http URL ROWS_JSON SCORED_CSV PACKAGE
        POSTs each row to URL (…/predict); each answer must be 200 with the handbook's
        shape, the probability within rounding to 4 decimals (+1e-5) of `plinth score`'s
        and the label on the same side of the threshold.

Exits non-zero with a message on the first disagreement.
"""

import csv
import json
import math
import os
import sys
import urllib.error
import urllib.request

import yaml

FIELDS = {"amount": float, "merchant_category": str, "hour_of_day": int,
          "day_of_week": int, "transaction_velocity": float, "distance_from_home": float}


def fail(msg):
    print("check: " + msg, file=sys.stderr)
    sys.exit(1)


def outputs(package):
    with open(os.path.join(package, "MLmodel")) as f:
        return yaml.safe_load(f)["flavors"]["plinth"]["outputs"]


def scored(path, package):
    col = outputs(package)["probability"]
    with open(path, newline="") as f:
        return [float(r[col]) for r in csv.DictReader(f)]


def make_rows(package, example_json, out_json, out_csv):
    with open(example_json) as f:
        example = json.load(f)
    rows = [example]
    with open(os.path.join(package, "input_example.json")) as f:
        ex = json.load(f)
    for values in ex["data"]:
        d = dict(zip(ex["columns"], values))
        rows.append({k: t(d[k]) for k, t in FIELDS.items()})
    unknown = dict(example)
    unknown["merchant_category"] = "not-a-category-seen-in-training"
    rows.append(unknown)
    with open(out_json, "w") as f:
        json.dump(rows, f)
    with open(out_csv, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(FIELDS))
        w.writeheader()
        w.writerows(rows)
    print("check: %d rows" % len(rows))


def check_model(package, rows_json, scored_csv):
    os.environ["PLINTH_MODEL"] = package
    os.environ["FEATURES"] = "pandas"  # imports pandas, so both feature paths can be checked
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import fastapi_server as srv
    with open(rows_json) as f:
        rows = json.load(f)
    want = scored(scored_csv, package)
    if len(want) != len(rows):
        fail("plinth score wrote %d rows for %d" % (len(want), len(rows)))
    worst = 0.0
    for i, (row, p) in enumerate(zip(rows, want)):
        t = srv.Transaction(**row)
        for how in ("features", "features_frame"):
            q = srv.model.predict_proba(getattr(srv.model, how)(t.dict()))
            worst = max(worst, abs(p - q))
            if abs(p - q) > 1e-5:
                fail("row %d: FastAPI's model (%s) gives %.7f, plinth score %.7f"
                     % (i, how, q, p))
    print("check: FastAPI's model (numpy and pandas features) agrees with plinth score on"
          " %d rows (max diff %.1e)" % (len(rows), worst))


def check_http(url, rows_json, scored_csv, package):
    out = outputs(package)
    with open(rows_json) as f:
        rows = json.load(f)
    want = scored(scored_csv, package)
    for i, (row, p) in enumerate(zip(rows, want)):
        req = urllib.request.Request(url, data=json.dumps(row).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                status, body = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read()
        if status != 200:
            fail("%s row %d: HTTP %d %s" % (url, i, status, body[:300]))
        ans = json.loads(body)
        keys = {out["label"], out["probability"], "model_version"}
        if not isinstance(ans, dict) or set(ans) != keys:
            fail("%s row %d: answer %s, expected the keys %s" % (url, i, body[:300],
                                                               sorted(keys)))
        q = ans[out["probability"]]
        if not isinstance(q, (int, float)) or abs(q - p) > 5e-5 + 1e-5:
            fail("%s row %d: probability %r, plinth score %.7f" % (url, i, q, p))
        if ans[out["label"]] is not (p >= float(out["threshold"])):
            fail("%s row %d: %s %r for probability %.7f" % (url, i, out["label"],
                                                            ans[out["label"]], p))
        if not isinstance(ans["model_version"], str) or not ans["model_version"]:
            fail("%s row %d: model_version %r" % (url, i, ans["model_version"]))
    print("check: %s answers %d rows like plinth score" % (url, len(rows)))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"rows": make_rows, "model": check_model, "http": check_http}[cmd](*args)
