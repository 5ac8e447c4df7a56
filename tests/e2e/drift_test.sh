#!/usr/bin/env bash
# `plinth drift` on generated fraud data: verdicts, the JSON shape, scores against scipy on the
# same files, --fail-on-drift, the HTML report in a real browser, and bad input.
source "$(dirname "$0")/lib.sh"
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/plinth-e2e.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH"
"$PLINTH" -q demo-data fraud --rows 3000 --seed 1 --out ref.csv
"$PLINTH" -q demo-data fraud --rows 2000 --seed 2 --out same.csv
"$PLINTH" -q demo-data fraud --rows 2000 --seed 3 --shift amount=4 --out shifted.csv
"$PLINTH" -q table convert shifted.csv shifted.parquet
cols=amount,merchant_category,hour_of_day,day_of_week,transaction_velocity,distance_from_home,is_fraud

out=$("$PLINTH" drift --reference ref.csv --current same.csv --columns $cols)
expect_contains "$out" "Dataset drift: not detected (0 of 7 columns drifted" "same distribution: no drift"
rc=0 && "$PLINTH" drift --reference ref.csv --current same.csv --columns $cols --fail-on-drift >/dev/null || rc=$?
expect_eq "$rc" "0" "--fail-on-drift exits 0 without drift"

# The shifted amount drifts; the same report from CSV and from Parquet.
"$PLINTH" drift --reference ref.csv --current shifted.csv --columns $cols --json - >csv.json
"$PLINTH" drift --reference ref.csv --current shifted.parquet --columns $cols --json - >pq.json
expect_eq "$(compact_json <pq.json)" "$(compact_json <csv.json)" "CSV and Parquet give the same report"
expect_eq "$("$PYTHON" -c '
import json, sys
d = json.load(open("csv.json"))
a = d["columns"]["amount"]
print(sorted(d), sorted(a), a["stattest"], a["column_type"], a["drifted"], d["number_of_drifted_columns"])
')" "['columns', 'dataset_drift', 'drift_share', 'number_of_columns', 'number_of_drifted_columns', 'share_of_drifted_columns'] ['column_type', 'current_rows', 'drifted', 'reference_rows', 'score', 'stattest', 'stattest_name', 'threshold'] wasserstein num True 1" \
  "JSON shape: wasserstein on amount (3000 reference rows), drifted"

# Scores equal scipy's on the same files (Evidently's formulas), to 1e-9.
"$PYTHON" - <<'PY' || fail "scores differ from scipy"
import csv, json, math
import numpy as np
from scipy import stats, spatial
def col(path, name):
    with open(path) as f:
        return [row[name] for row in csv.DictReader(f)]
ref, cur = "ref.csv", "shifted.csv"
d = json.load(open("csv.json"))["columns"]
r, c = np.array(col(ref, "amount"), float), np.array(col(cur, "amount"), float)
want = stats.wasserstein_distance(r, c) / max(np.std(r), 0.001)
assert math.isclose(d["amount"]["score"], want, rel_tol=1e-9), (d["amount"]["score"], want)
# merchant_category: categorical, 3000 reference rows -> Jensen-Shannon on category shares.
r, c = col(ref, "merchant_category"), col(cur, "merchant_category")
keys = sorted(set(r) | set(c))
p = np.array([r.count(k) / len(r) for k in keys]); q = np.array([c.count(k) / len(c) for k in keys])
want = spatial.distance.jensenshannon(p, q)
assert d["merchant_category"]["stattest"] == "jensenshannon"
assert math.isclose(d["merchant_category"]["score"], want, rel_tol=1e-9), (d["merchant_category"]["score"], want)
PY

rc=0 && "$PLINTH" drift --reference ref.csv --current shifted.csv --columns $cols --drift-share 0.1 \
  --fail-on-drift --html report.html --json report.json >text.out || rc=$?
expect_eq "$rc" "1" "--fail-on-drift exits 1 when the dataset drifted"
expect_contains "$(cat text.out)" "Dataset drift: DETECTED (1 of 7 columns drifted, share 0.143 >= 0.10)" "text verdict"
expect_contains "$(cat report.html)" "Dataset drift is detected" "HTML verdict"

# Overrides: the test and threshold per column.
out=$("$PLINTH" drift --reference ref.csv --current same.csv --columns amount --stattest amount=psi \
  --threshold amount=0.5 --json -)
expect_eq "$(echo "$out" | "$PYTHON" -c 'import json,sys; a=json.load(sys.stdin)["columns"]["amount"]; print(a["stattest"], a["threshold"])')" \
  "psi 0.5" "--stattest and --threshold apply"

# Prediction and target: drift of both, and classification quality against scikit-learn.
"$PYTHON" - <<'PY'
import csv, random
random.seed(0)
for name, source, noise in (("ref_pred.csv", "ref.csv", 0.1), ("cur_pred.csv", "same.csv", 0.3)):
    rows = list(csv.DictReader(open(source)))
    with open(name, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["amount", "is_fraud", "fraud_probability"])
        for r in rows:
            y = int(r["is_fraud"])
            p = min(1, max(0, (0.7 if y else 0.2) + random.gauss(0, noise)))
            w.writerow([r["amount"], y, round(p, 2)])  # rounded: ties for ROC AUC
PY
"$PLINTH" drift --reference ref_pred.csv --current cur_pred.csv --target is_fraud \
  --prediction fraud_probability --json - --html quality.html >quality.json
"$PYTHON" - <<'PY' || fail "quality differs from scikit-learn"
import csv, json, math
from sklearn import metrics
q = json.load(open("quality.json"))
assert q["columns"]["is_fraud"]["role"] == "target" and q["columns"]["fraud_probability"]["role"] == "prediction"
for side, path in (("reference", "ref_pred.csv"), ("current", "cur_pred.csv")):
    rows = list(csv.DictReader(open(path)))
    y = [int(r["is_fraud"]) for r in rows]
    s = [float(r["fraud_probability"]) for r in rows]
    p = [int(v >= 0.5) for v in s]
    want = {"accuracy": metrics.accuracy_score(y, p),
            "precision": metrics.precision_score(y, p, zero_division=0),
            "recall": metrics.recall_score(y, p, zero_division=0),
            "f1": metrics.f1_score(y, p, zero_division=0),
            "roc_auc": metrics.roc_auc_score(y, s)}
    got = q["quality"][side]
    for k, v in want.items():
        assert math.isclose(got[k], v, rel_tol=1e-12, abs_tol=1e-12), (side, k, got[k], v)
    assert got["rows"] == len(rows)
for k in ("accuracy", "f1", "roc_auc"):
    assert math.isclose(q["quality"]["change"][k], q["quality"]["current"][k] - q["quality"]["reference"][k])
PY
expect_contains "$(cat quality.html)" "Classification quality: fraud_probability against is_fraud" "quality in the HTML"
expect_error 2 "must be a 0/1 label" "$PLINTH" drift --reference ref_pred.csv --current cur_pred.csv \
  --target amount --prediction fraud_probability

# Against a model package's reference profile (profile.json's frozen bins) instead of data.
mkdir pkg
"$PYTHON" - <<'PY'
import csv, json
import numpy as np
rows = list(csv.DictReader(open("ref.csv")))
def numeric(name):
    v = np.array([float(r[name]) for r in rows])
    edges = np.histogram_bin_edges(v, bins="sturges")
    counts = [0] + np.histogram(v, edges)[0].tolist() + [0]
    return {"type": "numeric", "count": len(v), "null_count": 0, "bin_edges": edges.tolist(),
            "bin_counts": counts, "mean": v.mean(), "std": v.std()}
freq = {}
for r in rows:
    freq[r["merchant_category"]] = freq.get(r["merchant_category"], 0) + 1
profile = {"inputs": {"amount": numeric("amount"), "hour_of_day": numeric("hour_of_day"),
                      "merchant_category": {"type": "categorical", "count": len(rows),
                                            "null_count": 0, "frequencies": freq}}}
json.dump(profile, open("pkg/profile.json", "w"))
PY
out=$("$PLINTH" drift --reference pkg --current same.csv)
expect_contains "$out" "Dataset drift: not detected (0 of 3 columns drifted" "profile: same distribution"
"$PLINTH" drift --reference pkg --current shifted.csv --json - >profile.json.out
"$PYTHON" - <<'PY' || fail "profile-mode scores differ from numpy/scipy on the frozen bins"
import csv, json, math
import numpy as np
from scipy.spatial import distance
d = json.load(open("profile.json.out"))
p = json.load(open("pkg/profile.json"))["inputs"]["amount"]
cur = np.array([float(r["amount"]) for r in csv.DictReader(open("shifted.csv"))])
edges = np.array(p["bin_edges"])
inside = np.histogram(cur, edges)[0]
counts = [np.sum(cur < edges[0])] + inside.tolist() + [np.sum(cur > edges[-1])]
want = distance.jensenshannon(np.array(p["bin_counts"], float) / sum(p["bin_counts"]),
                              np.array(counts, float) / len(cur))
a = d["columns"]["amount"]
assert a["stattest"] == "jensenshannon" and a["drifted"], a
assert math.isclose(a["score"], want, rel_tol=1e-9), (a["score"], want)
# merchant_category: a profile of 3000 rows (> 1000) -> Jensen-Shannon on the category shares,
# a category unseen in training a bucket of its own.
freq = json.load(open("pkg/profile.json"))["inputs"]["merchant_category"]["frequencies"]
seen = {}
for r in csv.DictReader(open("shifted.csv")):
    seen[r["merchant_category"]] = seen.get(r["merchant_category"], 0) + 1
keys = sorted(set(freq) | set(seen))
want = distance.jensenshannon(np.array([freq.get(k, 0) for k in keys], float) / sum(freq.values()),
                              np.array([seen.get(k, 0) for k in keys], float) / sum(seen.values()))
m = d["columns"]["merchant_category"]
assert m["stattest"] == "jensenshannon" and m["threshold"] == 0.1, m
assert math.isclose(m["score"], want, rel_tol=1e-9), (m["score"], want)
assert m["drifted"] == (want >= 0.1), m
PY
expect_error 2 "needs the raw reference data" "$PLINTH" drift --reference pkg --current same.csv --stattest amount=ks
# ... and through the registry: models:/NAME/STAGE and models:/NAME@ALIAS.
export PLINTH_TRACKING_URI="sqlite:///$SCRATCH/mlruns.db"
run_id=$("$PLINTH" runs start -e drift-test)
"$PLINTH" artifacts log pkg >/dev/null
"$PLINTH" runs end >/dev/null
"$PLINTH" models register fraud-detector "runs:/$run_id/pkg" >/dev/null
"$PLINTH" models transition fraud-detector 1 Production >/dev/null
"$PLINTH" models alias fraud-detector champion 1 >/dev/null
for uri in models:/fraud-detector/Production models:/fraud-detector@champion; do
  expect_eq "$("$PLINTH" drift --reference "$uri" --current shifted.csv --json - | compact_json)" \
    "$(compact_json <profile.json.out)" "drift against $uri uses the registered package's profile"
done
expect_error 3 "fraud-detector" "$PLINTH" drift --reference models:/fraud-detector/Staging --current same.csv
unset PLINTH_TRACKING_URI
mkdir nopkg
expect_error 3 "nopkg has no reference profile (profile.json)" "$PLINTH" drift --reference nopkg --current same.csv

# The report in a real browser (no network): what a reader sees is the JSON report's content.
page=$(node "$PLINTH_SOURCE/tests/e2e/drift_report_page.js" "$SCRATCH/report.html" "$SCRATCH/report.png") ||
  fail "headless Chromium could not open the report"
printf '%s' "$page" >page.json
"$PYTHON" - <<'PY' || fail "the report page does not show the drift report"
import json
page, report = json.load(open("page.json")), json.load(open("report.json"))
assert page["external"] == [], page["external"]
assert page["verdict"] == "Dataset drift is detected. Dataset drift detection threshold is 0.10", page["verdict"]
assert page["headings"] == ["Data drift report", "Drift is detected for 14.29% of columns (1 out of 7)",
                            "Distributions"], page["headings"]
columns = sorted(report["columns"].items(), key=lambda kv: -kv[1]["score"])
want = [[name, c["column_type"], "Detected" if c["drifted"] else "Not Detected", c["stattest_name"],
         f"{c['score']:.6f}", f"{c['threshold']:.3f}"] for name, c in columns]
assert [r["cells"] for r in page["rows"]] == want, (page["rows"], want)
for r in page["rows"]:  # both sparklines drawn
    assert r["reference_bars"] > 0 and r["current_bars"] > 0, r
assert len(page["charts"]) == len(want), page["charts"]
for chart, (name, c) in zip(page["charts"], columns):
    assert chart["summary"].startswith(name + " \u2014 " + c["stattest_name"]), (chart, name)
    assert chart["open"] == c["drifted"], chart
    if chart["open"]:  # an open chart overlays reference and current bars
        assert chart["reference_bars"] > 0 and chart["current_bars"] > 0, chart
PY

# Bad input: each names the culprit and exits non-zero.
expect_error 3 "nope.csv" "$PLINTH" drift --reference nope.csv --current same.csv
expect_error 3 "column 'colour'" "$PLINTH" drift --reference ref.csv --current same.csv --columns colour
expect_error 2 "expected COLUMN=VALUE" "$PLINTH" drift --reference ref.csv --current same.csv --stattest ks
expect_error 2 "unknown stattest 'kss'" "$PLINTH" drift --reference ref.csv --current same.csv --columns amount --stattest amount=kss
expect_error 2 "does not apply" "$PLINTH" drift --reference ref.csv --current same.csv --columns merchant_category --stattest merchant_category=ks
expect_error 2 "is not a number" "$PLINTH" drift --reference ref.csv --current same.csv --threshold amount=high
expect_error 2 "--threshold names column 'amuont'" "$PLINTH" drift --reference ref.csv --current same.csv \
  --columns amount --threshold amuont=0.2
expect_error 2 "--stattest names column 'amuont'" "$PLINTH" drift --reference pkg --current same.csv \
  --stattest amuont=psi
expect_error 2 "timestamps" "$PLINTH" drift --reference ref.csv --current same.csv --columns event_timestamp
# Two files without a column in common: an error naming both files' columns, not "0 of 0".
printf 'a,b\n1,x\n2,y\n' >ab.csv
printf 'c,d\n1,x\n2,y\n' >cd.csv
expect_error 2 "no column is in both files: ab.csv has a, b; cd.csv has c, d" \
  "$PLINTH" drift --reference ab.csv --current cd.csv
printf 'when\n2026-01-01T00:00:00\n' >when.csv
expect_error 2 "no column of when.csv and when.csv can be tested: skipped when (timestamp)" \
  "$PLINTH" drift --reference when.csv --current when.csv
finish
