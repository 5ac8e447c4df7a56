#!/usr/bin/env bash
# plots show writes one self-contained HTML page: headless Chromium, with every network request
# blocked, shows the confusion-matrix heatmap with the counts of confusion.csv and the loss
# curve; plots diff overlays two revisions.
source "$(dirname "$0")/lib.sh"
new_repo
cp -r "$PLINTH_SOURCE/examples/pipeline/." .
"$PLINTH" repro -q
git add -A && git commit -qm "ran pipeline"

out=$("$PLINTH" plots show -o "$SCRATCH/plots")
expect_eq "$out" "file://$SCRATCH/plots/index.html" "plots show prints the page's URI"
page=$SCRATCH/plots/index.html
if grep -Eq '(src|href)=|https?:' "$page"; then fail "the page refers to something outside itself"; fi

report=$(node "$PLINTH_SOURCE/tests/e2e/plots_screenshot.js" "$page" "$SCRATCH/plots.png")
# Independent count of (actual, predicted) pairs in confusion.csv.
expected=$("$PYTHON" -c '
import csv, collections, json
rows = list(csv.DictReader(open("confusion.csv")))
c = collections.Counter((r["actual"], r["predicted"]) for r in rows)
labels = sorted({r["actual"] for r in rows} | {r["predicted"] for r in rows})
print(json.dumps({a + "/" + p: c[(a, p)] for a in labels for p in labels}, sort_keys=True))')
shown=$(printf '%s' "$report" | "$PYTHON" -c '
import json, sys
r = json.load(sys.stdin)
print(json.dumps({c["actual"] + "/" + c["predicted"]: c["count"] for c in r["cells"] if c["visible"]}, sort_keys=True))')
expect_eq "$shown" "$expected" "the browser shows a heatmap cell per (actual, predicted) with its count"
expect_eq "$(printf '%s' "$report" | "$PYTHON" -c '
import json, sys
r = json.load(sys.stdin)
fills = {c["fill"] for c in r["cells"]}
print(len(fills) > 1, r["lines"], r["external"], r["headings"])')" \
  "True [5] [] ['loss.csv', 'confusion.csv']" "cells are shaded by count; loss curve drawn; no network"
[ "$(stat -c %s "$SCRATCH/plots.png")" -gt 5000 ] || fail "screenshot is empty"
[ -z "${PLOTS_SCREENSHOT:-}" ] || cp "$SCRATCH/plots.png" "$PLOTS_SCREENSHOT"

# plots diff: the loss curve of HEAD and of the workspace after a param change, overlaid.
sed -i 's/n_estimators: 100/n_estimators: 200/' params.yaml
"$PLINTH" repro -q
"$PLINTH" plots diff -o "$SCRATCH/diff" >/dev/null
report=$(node "$PLINTH_SOURCE/tests/e2e/plots_screenshot.js" "$SCRATCH/diff/index.html" "$SCRATCH/diff.png")
expect_eq "$(printf '%s' "$report" | "$PYTHON" -c '
import json, sys
r = json.load(sys.stdin)
print(r["lines"], len(r["cells"]))')" "[5, 5] 8" "plots diff overlays both revisions (two curves, two heatmaps)"
expect_contains "$(cat "$SCRATCH/diff/index.html")" "HEAD: loss" "legend names the revision"

finish
