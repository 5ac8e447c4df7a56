"""`plinth drift` against Evidently's legacy Report with DataDriftPreset, the handbook's API.

Generates reference/current pairs (numerical and categorical columns, small and large samples,
NaNs, unseen categories, constant and identifier columns, every stattest both tools offer chosen
per column, target and prediction columns),
writes them as CSV or Parquet, runs `plinth drift --json -` on the files and Evidently on the
same files read by pandas, and compares per column the test, score (relative 1e-9), threshold,
type and verdict, and the dataset's verdict, count and share. Exits 1 on any difference.

Usage: evidently_oracle.py PLINTH SCRATCH_DIR
Run by tests/e2e/drift_evidently_test.sh with the pinned tools' Python (evidently 0.7.23).
"""
import json
import math
import os
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd

warnings.simplefilter("ignore")
from evidently.legacy.metric_preset import DataDriftPreset  # noqa: E402
from evidently.legacy.metrics import DataDriftTable  # noqa: E402
from evidently.legacy.pipeline.column_mapping import ColumnMapping  # noqa: E402
from evidently.legacy.report import Report  # noqa: E402

PLINTH, SCRATCH = sys.argv[1], sys.argv[2]
REL = 1e-9

NUM_TESTS = ["ks", "wasserstein", "jensenshannon", "psi", "kl_div", "hellinger", "anderson",
             "cramer_von_mises", "ed", "mannw", "t_test"]
CAT_TESTS = ["chisquare", "z", "jensenshannon", "psi", "kl_div", "hellinger"]
BINNED_TESTS = ["jensenshannon", "psi", "kl_div", "hellinger"]  # per-value buckets for <= 20 values
EQUAL_SIZE_CAT_TESTS = ["g_test", "fisher_exact"]  # scipy/Evidently refuse unequal sizes


def with_nans(rng, values, share):
    v = np.asarray(values, dtype=object if isinstance(values[0], str) else float).copy()
    if share:
        v[rng.random(len(v)) < share] = np.nan if v.dtype == float else None
    return v


def numeric_columns(rng, n, shift, nan):
    """Numerical columns of every shape that changes the automatic choice or a test's path."""
    return {
        "cont": with_nans(rng, rng.normal(shift, 1 + shift / 2, n), nan),
        "skewed": with_nans(rng, rng.lognormal(shift / 3, 1, n), nan),
        "int12": rng.integers(0, 12 + int(shift * 3), n),  # > 5 values, <= 20: buckets per value
        "int4": rng.integers(0, 4, n) if not shift else rng.choice(4, n, p=[.4, .3, .2, .1]),
        "int2": rng.choice(2, n, p=[.7, .3] if not shift else [.55, .45]),
        "ties": with_nans(rng, np.round(rng.normal(shift, 2, n)), nan),
        "const": np.full(n, 5.0),
    }


def categorical_columns(rng, n, shift, nan):
    letters = list("abcd") + (["e", "f"] if shift else [])  # unseen categories in current
    p = np.full(len(letters), 1 / len(letters))
    return {
        "letters": with_nans(rng, list(rng.choice(letters, n, p=p)), nan),
        "yesno": with_nans(rng, list(rng.choice(["no", "yes"], n, p=[.6 - shift / 10, .4 + shift / 10])), nan),
        "flag": rng.random(n) < 0.5 + shift / 20,
        "label": with_nans(rng, list(rng.choice(["x"], n)), 0),
    }


def frame(rng, n, shift, nan, equal_size_cats=False, identifier=False):
    cols = {}
    if identifier:  # all distinct (Evidently pads its counts one key at a time: slow if large)
        cols["c_id"] = [f"t{rng.integers(1 << 40)}" for _ in range(n)]
    num = numeric_columns(rng, n, shift, nan)
    cat = categorical_columns(rng, n, shift, nan)
    cols.update({f"n_{k}": v for k, v in num.items()})
    cols.update({f"c_{k}": v for k, v in cat.items()})
    # The same data under one more name per explicit test, tested with that test.
    for t in NUM_TESTS:
        cols[f"n_cont__{t}"] = num["cont"]
    for t in BINNED_TESTS:
        cols[f"n_int12__{t}"] = num["int12"]
    for t in CAT_TESTS:
        cols[f"c_letters__{t}"] = cat["letters"]
    cols["c_yesno__z"] = cat["yesno"]
    cols["c_flag__hellinger"] = cat["flag"]
    if equal_size_cats:
        binary = list(rng.choice(["no", "yes"], n, p=[.6 - shift / 10, .4 + shift / 10]))
        for t in EQUAL_SIZE_CAT_TESTS:
            cols[f"c_bin__{t}"] = binary
        cols["c_abc__g_test"] = list(rng.choice(list("abc"), n, p=[.5, .3 - shift / 10, .2 + shift / 10]))
    return pd.DataFrame(cols)


def explicit_tests(df):
    return {c: c.split("__")[1] for c in df.columns if "__" in c}


class Case:
    def __init__(self, name, ref, cur, fmt, drift_share=None, thresholds=None, tests=None,
                 target=None, prediction=None):
        self.name, self.ref, self.cur, self.fmt = name, ref, cur, fmt
        self.target, self.prediction = target, prediction
        self.drift_share = drift_share
        self.thresholds = thresholds or {}
        self.tests = explicit_tests(ref) if tests is None else tests


def cases():
    rng = np.random.default_rng(20261206)
    out = []
    # Small samples (<= 1000 reference rows after NaNs): KS, chi-square, Z; NaNs in both.
    out.append(Case("small, NaNs, shifted", frame(rng, 400, 0, 0.05, identifier=True),
                    frame(rng, 300, 0.4, 0.08, identifier=True), "csv"))
    out.append(Case("small, same distribution", frame(rng, 600, 0, 0.02), frame(rng, 500, 0, 0.0), "parquet",
                    drift_share=0.3))
    # Large samples: Wasserstein and Jensen-Shannon; KS explicitly on 3000 values (exact).
    out.append(Case("large, NaNs, shifted", frame(rng, 3000, 0, 0.03), frame(rng, 2000, 0.15, 0.03), "parquet"))
    out.append(Case("large, same distribution", frame(rng, 2500, 0, 0.0), frame(rng, 2200, 0, 0.01), "csv"))
    # Equal sizes: g_test and fisher_exact apply.
    out.append(Case("equal sizes", frame(rng, 500, 0, 0, True), frame(rng, 500, 0.3, 0, True), "csv",
                    thresholds={"c_bin__fisher_exact": 0.2, "n_cont__ks": 0.01, "c_letters": 0.5}))
    # The 1000-row boundary: 1000 reference rows -> small tests, 1001 -> large; NaNs count out.
    for n_ref, nan in ((1000, 0), (1001, 0), (1010, 0.02)):
        ref = frame(rng, n_ref, 0, 0)
        if nan:
            ref.loc[rng.choice(n_ref, 15, replace=False), ["n_cont", "c_letters"]] = np.nan
        out.append(Case(f"{n_ref} reference rows", ref, frame(rng, 700, 0.1, nan), "csv", tests={}))
    # Tiny samples: exact KS, Cramer-von Mises and Mann-Whitney paths.
    tiny_r, tiny_c = frame(rng, 15, 0, 0, identifier=True), frame(rng, 7, 1.0, 0, identifier=True)
    # (Evidently's own copy of the exact Cramer-von Mises p-value fails under numpy 2.)
    out.append(Case("tiny", tiny_r, tiny_c, "parquet",
                    tests={c: t for c, t in explicit_tests(tiny_r).items() if t != "cramer_von_mises"}))
    # KS beyond 10,000 values (asymptotic) and every numeric test on a large sample.
    big_r = pd.DataFrame({"x": rng.normal(0, 1, 12000)})
    big_c = pd.DataFrame({"x": rng.normal(0.03, 1, 9000)})
    for t in NUM_TESTS:
        big_r[f"x__{t}"], big_c[f"x__{t}"] = big_r["x"], big_c["x"]
    out.append(Case("12000 rows", big_r, big_c, "parquet", drift_share=0.9))
    # Target and prediction columns, typed by Evidently's task rules rather than as features.
    for n, fmt in ((300, "csv"), (1500, "parquet")):
        sides = []
        for shift in (0, 0.3):
            y = (rng.random(n) < 0.3 + shift / 3).astype(int)
            proba = np.clip(0.25 + 0.5 * y + rng.normal(0, 0.2, n), 0, 1).round(3)
            sides.append(pd.DataFrame({
                "y": y, "proba": proba, "label": (proba >= 0.5).astype(int),
                "y_with_nan": with_nans(rng, y, 0.05), "amount": rng.normal(shift, 1, n),
                "grade": rng.integers(0, 8, n), "price": rng.normal(10 + shift, 2, n)}))
        for target, prediction in (("y", "proba"), ("y", "label"), ("y_with_nan", "proba"),
                                   (None, "proba"), (None, "label"), (None, "price"), ("y", None),
                                   ("grade", None), ("price", None)):
            out.append(Case(f"{n} rows, target {target}, prediction {prediction}", sides[0], sides[1],
                            fmt, tests={}, target=target, prediction=prediction))
    return out


def write(case, side, df):
    path = os.path.join(SCRATCH, f"{case.name.replace(' ', '_').replace(',', '')}_{side}.{case.fmt}")
    if case.fmt == "csv":
        df.to_csv(path, index=False)
        return path, pd.read_csv(path)
    df.to_parquet(path, index=False)
    return path, pd.read_parquet(path)


def run_plinth(ref_path, cur_path, tests, thresholds, drift_share, columns=None, target=None,
               prediction=None):
    cmd = [PLINTH, "drift", "--reference", ref_path, "--current", cur_path, "--json", "-"]
    if target:
        cmd += ["--target", target]
    if prediction:
        cmd += ["--prediction", prediction]
    if columns:
        cmd += ["--columns", ",".join(columns)]
    for c, t in tests.items():
        cmd += ["--stattest", f"{c}={t}"]
    for c, v in thresholds.items():
        cmd += ["--threshold", f"{c}={v!r}"]
    if drift_share is not None:
        cmd += ["--drift-share", repr(drift_share)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr}")
    return json.loads(p.stdout)


def run_evidently(ref, cur, tests, thresholds, drift_share, target=None, prediction=None):
    kw = {"per_column_stattest": tests or None, "per_column_stattest_threshold": thresholds or None}
    if drift_share is not None:
        kw["drift_share"] = drift_share
    report = Report(metrics=[DataDriftPreset(**kw)])
    report.run(reference_data=ref, current_data=cur,
               column_mapping=ColumnMapping(target=target, prediction=prediction))
    metrics = {m["metric"]: m["result"] for m in report.as_dict()["metrics"]}
    return metrics["DatasetDriftMetric"], metrics["DataDriftTable"]


# Evidently computes the asymptotic Cramer-von Mises p-value as 1 - cdf with scipy's Bessel K
# (AMOS); Plinth's Bessel function differs in the last few bits, which 1 - cdf turns into an
# absolute difference near 1e-15. Every other score is compared relative to its size.
ABS_TOL = {"Cramer-von Mises": 1e-14}


def same_number(a, b, abs_tol=0.0):
    if a is None or b is None:
        return a is b
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= REL * max(abs(a), abs(b)) + abs_tol


def compare(label, ours, dataset, table):
    """Differences between plinth's JSON and Evidently's results, as lines."""
    diffs = []
    theirs = table["drift_by_columns"]
    for name in sorted(set(ours["columns"]) ^ set(theirs)):
        diffs.append(f"{label}: {name} tested by {'plinth' if name in ours['columns'] else 'Evidently'} only")
    for name in sorted(set(ours["columns"]) & set(theirs)):
        o, e = ours["columns"][name], theirs[name]
        for field, a, b in (("test", o["stattest_name"], e["stattest_name"]),
                            ("type", o["column_type"], e["column_type"]),
                            ("verdict", o["drifted"], e["drift_detected"])):
            if a != b:
                diffs.append(f"{label}: {name}: {field} {a!r}, Evidently {b!r}")
        tol = ABS_TOL.get(e["stattest_name"], 0.0)
        for field, a, b in (("score", o["score"], e["drift_score"]),
                            ("threshold", o["threshold"], e["stattest_threshold"])):
            if not same_number(a, b, tol):
                diffs.append(f"{label}: {name}: {field} {a!r}, Evidently {b!r}")
    for field, a, b in (("dataset_drift", ours["dataset_drift"], dataset["dataset_drift"]),
                        ("number_of_columns", ours["number_of_columns"], dataset["number_of_columns"]),
                        ("number_of_drifted_columns", ours["number_of_drifted_columns"],
                         dataset["number_of_drifted_columns"]),
                        ("drift_share", ours["drift_share"], dataset["drift_share"])):
        if a != b:
            diffs.append(f"{label}: {field} {a!r}, Evidently {b!r}")
    if not same_number(ours["share_of_drifted_columns"], dataset["share_of_drifted_columns"]):
        diffs.append(f"{label}: share_of_drifted_columns {ours['share_of_drifted_columns']!r}, "
                     f"Evidently {dataset['share_of_drifted_columns']!r}")
    return diffs


def check_alone(case, ref_path, cur_path, ref, cur, col, test):
    """One column and test in a DataDriftTable report of its own (the preset would run the test
    twice): TVD, whose 1000 permutations in Python take seconds, and empirical_mmd, whose
    permutations come from numpy's global generator, unseeded in Evidently: seeded with
    np.random.seed(0) right before, as Plinth seeds it."""
    ours = run_plinth(ref_path, cur_path, {col: test}, {}, None, [col])["columns"][col]
    np.random.seed(0)
    report = Report(metrics=[DataDriftTable(columns=[col], per_column_stattest={col: test})])
    report.run(reference_data=ref, current_data=cur)
    e = report.as_dict()["metrics"][0]["result"]["drift_by_columns"][col]
    if (ours["stattest_name"], ours["drifted"]) != (e["stattest_name"], e["drift_detected"]) or \
            not same_number(ours["score"], e["drift_score"]):
        return [f"{case.name}: {col} {test}: plinth {ours['score']} {ours['drifted']}, "
                f"Evidently {e['drift_score']} {e['drift_detected']}"]
    return []


def check_refusals(ref_path, cur_path, ref, cur):
    """A test named for a column of the wrong type: Evidently raises, plinth exits 2."""
    diffs = []
    for col, test in (("n_cont", "chisquare"), ("n_int4", "z"), ("c_letters", "ks"),
                      ("n_int2", "fisher_exact"), ("c_yesno", "wasserstein")):
        p = subprocess.run([PLINTH, "drift", "--reference", ref_path, "--current", cur_path,
                            "--columns", col, "--stattest", f"{col}={test}"], capture_output=True, text=True)
        try:
            run_evidently(ref[[col]], cur[[col]], {col: test}, {}, None)
            evidently = "accepted"
        except ValueError as e:
            evidently = "refused" if "isn't applicable" in str(e) else f"failed: {e}"
        ours = "refused" if p.returncode == 2 and "does not apply" in p.stderr else \
            f"exit {p.returncode}: {p.stderr.strip()}"
        if ours != evidently:
            diffs.append(f"{test} on {col}: plinth {ours}, Evidently {evidently}")
    return diffs


def main():
    diffs, columns, tests_seen = [], 0, set()
    for case in cases():
        ref_path, ref = write(case, "ref", case.ref)
        cur_path, cur = write(case, "cur", case.cur)
        ours = run_plinth(ref_path, cur_path, case.tests, case.thresholds, case.drift_share,
                          target=case.target, prediction=case.prediction)
        dataset, table = run_evidently(ref, cur, case.tests, case.thresholds, case.drift_share,
                                       case.target, case.prediction)
        found = compare(case.name, ours, dataset, table)
        diffs += found
        columns += len(table["drift_by_columns"])
        tests_seen |= {c["stattest"] for c in ours["columns"].values()}
        if case.name == "tiny":
            diffs += check_refusals(ref_path, cur_path, ref, cur)
        alone = [(c, "empirical_mmd") for c in ("n_cont", "n_int12", "n_ties")] \
            if len(ref) + len(cur) <= 800 and "n_cont" in ref else []
        if case.name == "equal sizes":
            alone += [("c_letters", "TVD"), ("c_flag", "TVD")]
        for col, test in alone:
            diffs += check_alone(case, ref_path, cur_path, ref, cur, col, test)
            tests_seen.add(test)
        columns += len(alone)
        # The comparison itself must catch a score off by more than the tolerance.
        if not found:
            name = sorted(ours["columns"])[0]
            ours["columns"][name]["score"] = ours["columns"][name]["score"] * (1 + 10 * REL) + 1e-300
            if not compare(case.name, ours, dataset, table):
                diffs.append(f"{case.name}: a perturbed score of {name} compared equal")
    missing = set(NUM_TESTS + CAT_TESTS + EQUAL_SIZE_CAT_TESTS + ["TVD", "empirical_mmd"]) - tests_seen
    if missing:
        diffs.append(f"tests never compared: {sorted(missing)}")
    for d in diffs:
        print("DIFF", d)
    print(f"{columns} columns compared, {len(diffs)} differences; tests: {', '.join(sorted(tests_seen))}")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
