"""Computes each case of a drift-statistics test file with scipy 1.10 and numpy, the way
Evidently calls them (spec drift.md §1.5-1.6). Usage: scipy_oracle.py CASES.json OUT.json"""
import json
import sys
import warnings
from collections import Counter

import numpy as np
from scipy import stats
from scipy.spatial import distance

warnings.simplefilter("ignore")


def shares(ref, cur, fill):
    """Evidently's get_binned_data for a numeric column."""
    ref, cur = np.asarray(ref, float), np.asarray(cur, float)
    if len(np.unique(ref)) > 20:
        bins = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        rp = np.histogram(ref, bins)[0] / len(ref)
        cp = np.histogram(cur, bins)[0] / len(cur)
    else:
        keys = sorted(set(ref) | set(cur))
        rc, cc = Counter(ref), Counter(cur)
        rp = np.array([rc[k] / len(ref) for k in keys])
        cp = np.array([cc[k] / len(cur) for k in keys])
    if fill:
        for v in (rp, cp):
            m = v[v != 0].min()
            np.place(v, v == 0, m / 10**6 if m <= 0.0001 else 0.0001)
    return rp, cp


def cat_shares(rc, cc, fill):
    rp = np.asarray(rc, float) / sum(rc)
    cp = np.asarray(cc, float) / sum(cc)
    if fill:
        for v in (rp, cp):
            m = v[v != 0].min()
            np.place(v, v == 0, m / 10**6 if m <= 0.0001 else 0.0001)
    return rp, cp


def expand(counts):
    return [k for k, n in enumerate(counts) for _ in range(int(n))]


def tvd(rc, cc):
    def statistic(r, c):
        keys = sorted(set(r) | set(c))
        r, c = Counter(r), Counter(c)
        nr, nc = sum(r.values()), sum(c.values())
        return 0.5 * sum(abs(r[k] / nr - c[k] / nc) for k in keys)

    ref, cur = expand(rc), expand(cc)
    observed = statistic(ref, cur)
    np.random.seed(0)
    held = []
    for _ in range(1000):
        combined = ref + cur
        new_ref = np.random.choice(combined, len(ref), replace=False).tolist()
        new_cur = list((Counter(combined) - Counter(new_ref)).elements())
        held.append(statistic(new_ref, new_cur))
    return observed, sum(observed <= abs(np.array(held))) / len(held)


def hellinger_num(r, c):
    r, c = np.asarray(r, float), np.asarray(c, float)
    edges = np.histogram_bin_edges(np.unique(np.concatenate([r, c])), bins="sturges")
    hr = np.histogram(r, edges, density=True)[0]
    hc = np.histogram(c, edges, density=True)[0]
    w = (edges.max() - edges.min()) / (len(edges) - 1)
    bc = np.sum(np.sqrt(hr * hc)) * w
    return np.sqrt(1 - np.clip(bc, 0, 1))


def run(case):
    t, r, c = case["test"], case.get("r"), case.get("c")
    rc, cc = case.get("ref_counts"), case.get("cur_counts")
    if t == "ks":
        res = stats.ks_2samp(r, c)
        return [res.statistic, res.pvalue]
    if t == "kstwo_sf":
        return [stats.kstwo.sf(case["d"], case["n"])]
    if t == "wasserstein":
        w = stats.wasserstein_distance(r, c)
        return [w, w / max(np.std(r), 0.001)]
    if t == "energy":
        return [stats.energy_distance(r, c)]
    if t == "t_test":
        res = stats.ttest_ind(r, c)
        return [res.statistic, res.pvalue]
    if t == "mannw":
        res = stats.mannwhitneyu(r, c, alternative="less")
        return [res.statistic, res.pvalue]
    if t == "anderson":
        res = stats.anderson_ksamp([np.asarray(r), np.asarray(c)])
        return [res.statistic, res.significance_level]
    if t == "cvm":
        res = stats.cramervonmises_2samp(r, c)
        return [res.statistic, res.pvalue]
    if t == "binned":
        return [distance.jensenshannon(*shares(r, c, False)),
                float(np.sum((lambda a, b: (a - b) * np.log(a / b))(*shares(r, c, True)))),
                stats.entropy(*shares(r, c, True))]
    if t == "mmd":
        r, c = np.asarray(r, float), np.asarray(c, float)
        med = np.percentile((r[:, None] - r[None, :]) ** 2, 50, method="nearest")
        sigma = np.sqrt(0.5 * med) or np.sqrt(0.5)
        p = np.concatenate([r, c])
        k = np.exp(-(p[:, None] - p[None, :]) ** 2 / (2 * sigma**2))
        np.fill_diagonal(k, 0)
        nr, nc = len(r), len(c)
        return [k[:nr, :nr].sum() / (nr * (nr - 1)) + k[nr:, nr:].sum() / (nc * (nc - 1))
                - 2 * k[:nr, nr:].mean()]
    if t == "hellinger_num":
        return [hellinger_num(r, c)]
    if t == "chisquare":
        k = sum(cc) / sum(rc)
        res = stats.chisquare(cc, [x * k for x in rc])
        return [res.statistic, res.pvalue]
    if t == "z":
        ref, cur = np.array(expand(rc)), np.array(expand(cc))
        if len(set(ref)) == 1 and len(set(cur)) == 1 and ref[0] == cur[0]:
            return [1.0]
        p1, p2 = (ref != 0).mean(), (cur != 0).mean()
        n1, n2 = len(ref), len(cur)
        P = (p1 * n1 + p2 * n2) / (n1 + n2)
        z = (p1 - p2) / np.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2))
        return [2 * (1 - stats.norm.cdf(np.abs(z)))]
    if t == "g_test":
        res = stats.power_divergence(cc, rc, lambda_="log-likelihood")
        return [res.statistic, res.pvalue]
    if t == "fisher":
        table = [[cc[1], cc[0]], [rc[1], rc[0]]]
        return [stats.fisher_exact(table)[1]]
    if t == "tvd":
        return list(tvd(rc, cc))
    if t == "hellinger_cat":
        p, q = cat_shares(rc, cc, False)
        return [np.sqrt(1 - np.clip(np.sum(np.sqrt(p * q)), 0, 1))]
    if t == "cat_binned":
        return [distance.jensenshannon(*cat_shares(rc, cc, False)),
                float(np.sum((lambda a, b: (a - b) * np.log(a / b))(*cat_shares(rc, cc, True)))),
                stats.entropy(*cat_shares(rc, cc, True))]
    raise ValueError(f"unknown test {t}")


cases = json.load(open(sys.argv[1]))
def encode(x):
    x = float(x)
    return x if np.isfinite(x) else str(x)  # JSON has no inf or nan: "inf", "-inf", "nan"


json.dump([[encode(x) for x in run(case)] for case in cases], open(sys.argv[2], "w"))
