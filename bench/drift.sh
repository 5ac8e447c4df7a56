#!/usr/bin/env bash
# Drift benchmark: `plinth drift` against Evidently's Report with DataDriftPreset (the legacy
# API, evidently.legacy), in the same run, alternating, on the same files: ROWS rows x 20
# columns of reference and of current data (CSV), 14 numeric and 6 categorical, half of them
# shifted, 1% missing values in one column. Target: plinth >= 30x faster.
#
# What is timed. plinth: the whole `plinth drift --json FILE` process (reading both CSV files,
# the tests, the JSON report). Evidently: inside one Python process, pandas.read_csv of both
# files plus Report.run and as_dict() (the report's results); the imports (several seconds)
# are not timed. Both pick the same test per column (Wasserstein for numbers, Jensen-Shannon
# for categories at these sizes) and must agree on the drifted columns.
#
# Usage: make bench-drift   (or PLINTH=/abs/plinth bench/drift.sh)
# Environment: PLINTH, PLINTH_TOOLS_PYTHON [.venv-test/bin/python, from scripts/setup.sh],
#   BENCH_DIR [/tmp], ROWS [1000000], RUNS [3 plinth runs], PEER_RUNS [1 Evidently run].
# Smoke run (~30 s, most of it Evidently's import): ROWS=20000 RUNS=1
set -euo pipefail
die() { echo "bench: error: $*" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
PLINTH=${PLINTH:-$here/../build/plinth}
PY=${PLINTH_TOOLS_PYTHON:-$here/../.venv-test/bin/python}
BENCH_DIR=${BENCH_DIR:-/tmp}
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
PEER_RUNS=${PEER_RUNS:-1}
for v in ROWS RUNS PEER_RUNS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[ -x "$PLINTH" ] || die "build plinth first (make build) or set PLINTH"
[ -x "$PY" ] || die "no Python with evidently at '$PY': run scripts/setup.sh (or set PLINTH_TOOLS_PYTHON)"
PLINTH=$(cd "$(dirname "$PLINTH")" && pwd)/$(basename "$PLINTH")
work=$(mktemp -d "$BENCH_DIR/plinth-bench-drift.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

echo "plinth drift vs Evidently: $PLINTH"
echo "machine: $(nproc) cores, $(uname -r), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "peer: $("$PY" -c 'import evidently, pandas, numpy, scipy, sys; print(f"evidently {evidently.__version__}, pandas {pandas.__version__}, numpy {numpy.__version__}, scipy {scipy.__version__}, Python {sys.version.split()[0]}")')"

"$PY" - "$ROWS" <<'PY'
import sys
import numpy as np
import pandas as pd
n = int(sys.argv[1])
cats = ["grocery", "gas", "online", "travel", "restaurant", "electronics", "health", "other"]
def make(seed, shift):
    rng = np.random.default_rng(seed)
    cols = {}
    for i in range(14):
        mu = shift if i % 2 == 0 else 0.0
        cols[f"num_{i:02d}"] = np.round(rng.normal(mu, 1.0 + i / 10, n), 4)
    for i in range(6):
        p = np.ones(len(cats)) / len(cats)
        if shift and i % 2 == 0:
            p = np.linspace(1, 3, len(cats)); p /= p.sum()
        cols[f"cat_{i}"] = rng.choice(cats, n, p=p)
    df = pd.DataFrame(cols)
    df.loc[rng.choice(n, n // 100, replace=False), "num_01"] = np.nan  # some missing values
    return df
make(1, 0.0).to_csv("reference.csv", index=False)
make(2, 0.3).to_csv("current.csv", index=False)
PY
cat reference.csv current.csv >/dev/null

cat >peer.py <<'PY'
import json, sys, time
import pandas as pd
from evidently.legacy.metric_preset import DataDriftPreset
from evidently.legacy.report import Report
start = time.perf_counter()
ref, cur = pd.read_csv("reference.csv"), pd.read_csv("current.csv")
read = time.perf_counter()
report = Report(metrics=[DataDriftPreset()])
report.run(reference_data=ref, current_data=cur)
result = report.as_dict()
end = time.perf_counter()
table = next(m["result"] for m in result["metrics"] if m["metric"] == "DataDriftTable")
drifted = sorted(c for c, v in table["drift_by_columns"].items() if v["drift_detected"])
print(f"seconds={end - start:.3f} read={read - start:.3f} report={end - read:.3f} drifted={','.join(drifted)}")
PY

field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }
best='' peer_best='' peer_line=''
for (( i = 1; i <= RUNS || i <= PEER_RUNS; i++ )); do
  if (( i <= RUNS )); then
    s=$(date +%s.%N)
    "$PLINTH" -q drift --reference reference.csv --current current.csv --json plinth.json >/dev/null
    e=$(date +%s.%N)
    t=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }')
    echo "run $i: plinth ${t}s"
    best=$(min "$best" "$t")
  fi
  if (( i <= PEER_RUNS )); then
    out=$("$PY" peer.py 2>peer.err) || { cat peer.err >&2; die "the Evidently report failed"; }
    echo "run $i: evidently $out"
    p=$(field seconds "$out")
    [ "$(min "$peer_best" "$p")" = "$p" ] && peer_best=$p peer_line=$out
  fi
done
plinth_drifted=$("$PY" -c '
import json
cols = json.load(open("plinth.json"))["columns"]
print(",".join(sorted(c for c, v in cols.items() if v["drifted"])))')
peer_drifted=$(field drifted "$peer_line")
echo "data: 2 CSV files of $ROWS rows x 20 columns ($(du -h reference.csv | cut -f1) each)"
echo "drifted columns: plinth $plinth_drifted"
echo "                 evidently $peer_drifted"
[ "$plinth_drifted" = "$peer_drifted" ] || die "plinth and Evidently disagree on the drifted columns"
echo "evidently's time: read_csv $(field read "$peer_line") s, Report.run + as_dict $(field report "$peer_line") s"
awk -v p="$best" -v e="$peer_best" 'BEGIN {
  r = e / p
  printf "drift report  plinth %7.2f s   evidently %7.2f s   ratio %5.1fx   target >= 30x %s\n", p, e, r, (r >= 30 ? "MET" : "MISSED") }'
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
