"""Bayesian search must reach the stated regret in fewer trials than random search.

Runs sweep_quality (40 seeds per method and function) and applies scipy's one-sided
Mann-Whitney U test to the trials-to-regret samples (a seed that never reached the regret
counts as budget + 1, which only favours random search's ties). Passes when p < 0.01 on both
Branin and Hartmann-6.
"""

import json
import statistics
import subprocess
import sys

from scipy.stats import mannwhitneyu

SEEDS = 40
ALPHA = 0.01


def main():
    out = subprocess.run([sys.argv[1], str(SEEDS)], check=True, capture_output=True, text=True)
    results = json.loads(out.stdout)
    failed = 0
    for name, r in results.items():
        bayes, rand = r["bayes"], r["random"]
        assert len(bayes) == len(rand) == SEEDS, (name, len(bayes), len(rand))
        test = mannwhitneyu(bayes, rand, alternative="less")
        ok = test.pvalue < ALPHA
        failed += not ok
        print(f"{name}: regret <= {r['regret']} within {r['budget']} trials; median trials "
              f"bayes {statistics.median(bayes)}, random {statistics.median(rand)} "
              f"(not reached: bayes {bayes.count(r['budget'] + 1)}, random "
              f"{rand.count(r['budget'] + 1)} of {SEEDS}); Mann-Whitney U={test.statistic:.1f} "
              f"one-sided p={test.pvalue:.2e} -> {'ok' if ok else 'FAIL'} (needs p < {ALPHA})")
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
