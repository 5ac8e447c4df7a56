#!/usr/bin/env bash
# Drift benchmark: `plinth drift` against a Python script doing the same work with pandas and
# scipy (what Evidently calls under the hood), in the same run, on the same files:
# ROWS rows × 20 columns of reference and of current data (CSV), 14 numeric and 6 categorical,
# half of them shifted. Both read the two CSV files, drop missing values, choose each column's
# test as Evidently does (> 1000 rows: Wasserstein for numbers, Jensen-Shannon for categories),
# and compute it. Target: plinth >= 10x faster.
#
# Usage: make bench-drift   (or PLINTH=/abs/plinth bench/drift.sh)
# Environment: PLINTH, BENCH_DIR [/tmp], ROWS [1000000], RUNS [3 plinth runs; 1 Python run].
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PLINTH=${PLINTH:-$here/../build/plinth}
BENCH_DIR=${BENCH_DIR:-/tmp}
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
PY=/usr/bin/python3  # Debian's, which sees python3-scipy and python3-pandas
[ -x "$PLINTH" ] || { echo "bench: build plinth first (make build) or set PLINTH" >&2; exit 1; }
work=$(mktemp -d "$BENCH_DIR/plinth-bench-drift.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

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

cat >peer.py <<'PY'
import sys, time
import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import distance
start = time.perf_counter()
ref, cur = pd.read_csv("reference.csv"), pd.read_csv("current.csv")
drifted = 0
for col in ref.columns:
    r, c = ref[col].dropna(), cur[col].dropna()
    if pd.api.types.is_float_dtype(r):
        score = stats.wasserstein_distance(r, c) / max(np.std(r), 0.001)
        drifted += score >= 0.1
    else:
        keys = sorted(set(r.unique()) | set(c.unique()))
        rc, cc = r.value_counts(), c.value_counts()
        p = np.array([rc.get(k, 0) / len(r) for k in keys])
        q = np.array([cc.get(k, 0) / len(c) for k in keys])
        drifted += distance.jensenshannon(p, q) >= 0.1
print(f"{time.perf_counter() - start:.3f} {drifted}")
PY

seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); "$PY" -c "print(f'{$e - $s:.3f}')"; }
best=""
for _ in $(seq 1 "$RUNS"); do
  t=$(seconds "$PLINTH" -q drift --reference reference.csv --current current.csv)
  best=$("$PY" -c "print(min(x for x in [$t, ${best:-$t}]))")
done
peer=$("$PY" peer.py)
peer_t=${peer% *}
plinth_drifted=$("$PLINTH" drift --reference reference.csv --current current.csv --json - |
  "$PY" -c 'import json,sys; print(json.load(sys.stdin)["number_of_drifted_columns"])')
echo "machine: $(nproc) cores, $(uname -r); scipy $("$PY" -c 'import scipy; print(scipy.__version__)'), pandas $("$PY" -c 'import pandas; print(pandas.__version__)')"
echo "data: 2 CSV files of $ROWS rows x 20 columns ($(du -h reference.csv | cut -f1) each)"
echo "drifted columns: plinth $plinth_drifted, python ${peer#* }"
"$PY" -c "print(f'drift report  plinth {$best:7.2f} s   python (pandas+scipy) {$peer_t:7.2f} s   ratio {$peer_t / $best:5.1f}x')"
