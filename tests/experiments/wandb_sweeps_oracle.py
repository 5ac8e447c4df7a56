"""Writes wandb_sweeps_cases.json: what W&B's own sweep engine answers, for sweep_test.cc.

The oracle is the `sweeps` package from W&B's open-source repository (github.com/wandb/sweeps,
commit b1dfc5f95e7fa179519718e92371d1423c116893): the engine behind `wandb sweep` and the
local controller of the `wandb` SDK. It needs numpy<2, so it runs in a throwaway venv:

    python3 -m venv /tmp/sweeps-oracle/venv
    /tmp/sweeps-oracle/venv/bin/pip install "numpy<2" scipy PyYAML scikit_learn jsonschema \
        jsonref pydantic
    git -C SWEEPS_CHECKOUT archive HEAD src | tar -x -C /tmp/sweeps-oracle
    PYTHONPATH=/tmp/sweeps-oracle/src /tmp/sweeps-oracle/venv/bin/python \
        tests/experiments/wandb_sweeps_oracle.py > tests/experiments/wandb_sweeps_cases.json

Cases: parameter type inference and defaults, bad configurations (W&B refuses them too),
grid enumeration order, every distribution's ppf at fixed quantiles, and Hyperband stopping
decisions on constructed and random learning curves.
"""

import json
import random
import sys

import numpy as np
import sweeps
from sweeps import SweepRun, RunState
from sweeps.config import SweepConfig
from sweeps.grid_search import grid_search_next_runs
from sweeps.hyperband_stopping import hyperband_stop_runs
from sweeps.params import HyperParameter, HyperParameterSet

DELIM = HyperParameterSet.NESTING_DELIMITER


def plain(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, np.ndarray):
        return [plain(x) for x in v.tolist()]
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    return v


TYPE_NAMES = {
    HyperParameter.CONSTANT: "constant",
    HyperParameter.CATEGORICAL: "categorical",
    HyperParameter.CATEGORICAL_PROB: "categorical_w_probabilities",
    HyperParameter.INT_UNIFORM: "int_uniform",
    HyperParameter.UNIFORM: "uniform",
    HyperParameter.LOG_UNIFORM_V2: "log_uniform_values",
    HyperParameter.INV_LOG_UNIFORM_V2: "inv_log_uniform_values",
    HyperParameter.Q_UNIFORM: "q_uniform",
    HyperParameter.Q_LOG_UNIFORM_V2: "q_log_uniform_values",
    HyperParameter.NORMAL: "normal",
    HyperParameter.Q_NORMAL: "q_normal",
    HyperParameter.LOG_NORMAL: "log_normal",
    HyperParameter.Q_LOG_NORMAL: "q_log_normal",
    HyperParameter.BETA: "beta",
    HyperParameter.Q_BETA: "q_beta",
}

PARAMS = {
    "ints": {"min": 1, "max": 10},
    "floats": {"min": 0.5, "max": 2.0},
    "mixed": {"min": 1, "max": 2.5},
    "explicit_uniform": {"distribution": "uniform", "min": 1, "max": 3},
    "cat": {"values": ["a", "b", 3, 1.5, True]},
    "cat_explicit": {"distribution": "categorical", "values": [1, 2]},
    "cat_prob": {"values": [1, 2, 3], "probabilities": [0.2, 0.5, 0.3]},
    "const": {"value": 7},
    "const_list": {"value": [1, 2]},
    "logu": {"distribution": "log_uniform_values", "min": 1e-5, "max": 0.1},
    "invlogu": {"distribution": "inv_log_uniform_values", "min": 0.01, "max": 10.0},
    "qlogu": {"distribution": "q_log_uniform_values", "min": 1, "max": 1000, "q": 5},
    "qu_default": {"distribution": "q_uniform", "min": 0, "max": 10},
    "qu_int": {"distribution": "q_uniform", "min": 0, "max": 10, "q": 2},
    "qu_float": {"distribution": "q_uniform", "min": 0.1, "max": 1.0, "q": 0.3},
    "normal": {"distribution": "normal"},
    "normal_set": {"distribution": "normal", "mu": 2.0, "sigma": 0.5},
    "qnormal": {"distribution": "q_normal", "mu": 10, "sigma": 3, "q": 2},
    "lognormal": {"distribution": "log_normal", "mu": 0.5, "sigma": 0.3},
    "qlognormal": {"distribution": "q_log_normal", "mu": 1, "sigma": 1, "q": 0.5},
    "beta": {"distribution": "beta", "a": 2, "b": 5},
    "qbeta": {"distribution": "q_beta", "a": 0.5, "b": 0.5, "q": 0.1},
    "int_explicit": {"distribution": "int_uniform", "min": -3, "max": 3},
}

BAD_CONFIGS = [
    {"method": "grd", "parameters": {"a": {"values": [1]}}},
    {"parameters": {"a": {"values": [1]}}},
    {"method": "random", "parameters": {"a": {"min": 5, "max": 1}}},
    {"method": "random", "parameters": {"a": {"distribution": "uniformm", "min": 0, "max": 1}}},
    {"method": "random", "parameters": {"a": {"distribution": "int_uniform", "min": 0.5, "max": 3}}},
    {"method": "random", "parameters": {"a": {"values": []}}},
    {"method": "random", "parameters": {"a": {"min": 0, "max": 1, "foo": 2}}},
    {"method": "random", "parameters": {"a": {"distribution": "log_uniform", "min": -5, "max": 0}}},
    {"method": "random", "parameters": {"a": {"distribution": "log_uniform_values", "min": 0, "max": 1}}},
    {"method": "random", "parameters": {"a": {"values": [1, 2], "probabilities": [0.5, 0.2]}}},
    {"method": "random", "parameters": {"a": {"distribution": "q_uniform", "min": 0, "max": 1, "q": 0}}},
    {"method": "random", "parameters": {"a": {"distribution": "normal", "sigma": -1}}},
    {"method": "random", "metric": {"name": "x", "goal": "up"}, "parameters": {"a": {"value": 1}}},
    {"method": "random", "metric": {"name": "m"}, "parameters": {"a": {"value": 1}}, "early_terminate": {"type": "median"}},
    {"method": "random", "metric": {"name": "m"}, "parameters": {"a": {"value": 1}}, "early_terminate": {"type": "hyperband", "eta": 1, "min_iter": 2}},
    {"method": "random", "metric": {"name": "m"}, "parameters": {"a": {"value": 1}}, "early_terminate": {"type": "hyperband", "min_iter": 0}},
    {"method": "random", "metric": {"name": "m"}, "parameters": {"a": {"value": 1}}, "early_terminate": {"type": "hyperband"}},
    {"method": "random", "metric": {"name": "m"}, "parameters": {"a": {"value": 1}}, "early_terminate": {"type": "hyperband", "min_iter": 3, "foo": 1}},
    {"method": "random", "parameters": {"a": {"value": 1}}, "bogus": 1},
    {"method": "random", "parameters": {"1a": {"value": 1}}},
    {"method": "random", "parameters": {}},
    {"method": "random", "metric": {"goal": "minimize"}, "parameters": {"a": {"value": 1}}},
]

GRIDS = [
    {"b": {"values": [1, 2, 3]}, "a": {"values": ["x", "y"]}, "c": {"value": 0.5}},
    {"lr": {"distribution": "q_uniform", "min": 0.1, "max": 1.0, "q": 0.3},
     "depth": {"distribution": "int_uniform", "min": 2, "max": 4}},
    {"q": {"distribution": "q_uniform", "min": 0, "max": 10, "q": 3}},
    {"q": {"distribution": "q_uniform", "min": 0, "max": 3}},
    {"q": {"distribution": "q_uniform", "min": 0.0, "max": 0.7, "q": 0.1}},
    {"dup": {"values": [1, 1.0, 2, "2", 1]}, "Z": {"values": [True, False]}},
    {"train": {"parameters": {"lr": {"values": [0.1, 0.01]}, "epochs": {"values": [5, 10]}}},
     "model": {"values": ["a", "b"]}},
    {"x_y": {"values": [1, 2]}, "x.z": {"values": [3, 4]}, "X": {"values": [5]}},
]

HB_CONFIGS = [
    {"type": "hyperband", "min_iter": 1, "eta": 2},
    {"type": "hyperband", "min_iter": 3},
    {"type": "hyperband", "min_iter": 2, "eta": 3, "strict": False},
    {"type": "hyperband", "max_iter": 27, "s": 3, "eta": 3},
    {"type": "hyperband", "max_iter": 5, "eta": 2, "s": 2},
    {"type": "hyperband", "min_iter": 2, "eta": 2.5},
]


def flat_values(config, names):
    out = []
    for name in names:
        keys = name.split(DELIM)
        v = config[keys[0]]["value"]
        for k in keys[1:]:
            v = v[k]
        out.append(plain(v))
    return out


def main():
    cases = {"source": "github.com/wandb/sweeps@b1dfc5f95e7fa179519718e92371d1423c116893"}

    # Parameter types and filled defaults, one parameter at a time.
    inferred = []
    for name, cfg in PARAMS.items():
        hp = HyperParameter(name, cfg)
        filled = {k: plain(v) for k, v in hp.config.items() if k != "distribution"}
        inferred.append({"name": name, "config": cfg, "type": TYPE_NAMES[hp.type],
                         "filled": filled})
    cases["inferred"] = inferred

    # Configurations W&B refuses; Plinth must refuse them too.
    bad = []
    for cfg in BAD_CONFIGS:
        try:
            SweepConfig(cfg)
            if "early_terminate" in cfg:
                hyperband_stop_runs([], cfg)
        except Exception as e:  # noqa: BLE001 - any refusal counts
            err = str(e).splitlines()[0]
        else:
            err = None
        bad.append({"config": cfg, "wandb_error": err})
    cases["bad"] = bad

    # Grid enumeration, in order.
    grids = []
    for params in GRIDS:
        cfg = {"method": "grid", "parameters": params}
        names = [p.name for p in HyperParameterSet.from_config(params)]
        runs = grid_search_next_runs([], cfg, n=10000)
        points = [flat_values(r.config, names) for r in runs if r is not None]
        grids.append({"config": cfg, "names": [n.replace(DELIM, ".") for n in names],
                      "points": points})
    cases["grids"] = grids

    # ppf at fixed quantiles (random search draws ppf(uniform)).
    xs = [1e-9, 0.001, 0.05, 0.1, 0.25, 0.3333, 0.5, 0.6, 0.75, 0.9, 0.95, 0.999, 1 - 1e-9]
    ppf = []
    for name, cfg in PARAMS.items():
        hp = HyperParameter(name, cfg)
        ppf.append({"name": name, "config": cfg, "x": xs,
                    "values": [plain(hp.ppf(np.float64(x))) for x in xs]})
    cases["ppf"] = ppf

    # Hyperband: which running runs W&B stops.
    rng = random.Random(7)
    hb = []
    doc_example = [
        ("finished", [10, 9]), ("running", [10, 10]), ("running", [10, 8, 8]),
        ("running", [10, 7, 7]), ("finished", [10, 6, 6]),
    ]
    for et in HB_CONFIGS:
        for goal in ("minimize", "maximize"):
            for trial in range(6):
                if trial == 0:
                    runs = doc_example
                else:
                    runs = []
                    for _ in range(rng.randint(3, 14)):
                        length = rng.randint(0, 30)
                        start = rng.uniform(1, 10)
                        rate = rng.uniform(0.8, 1.0)
                        h = [round(start * rate ** i + rng.gauss(0, 0.3), 3) for i in range(length)]
                        if h and rng.random() < 0.2:
                            h[rng.randrange(len(h))] = float("nan")
                        runs.append((rng.choice(["running", "running", "finished"]), h))
                sweep_runs = [
                    SweepRun(name=str(i), state=RunState(state),
                             history=[{"loss": v} for v in h])
                    for i, (state, h) in enumerate(runs)
                ]
                cfg = {"method": "grid", "metric": {"name": "loss", "goal": goal},
                       "early_terminate": et, "parameters": {"a": {"values": [1]}}}
                stopped = hyperband_stop_runs(sweep_runs, cfg)
                hb.append({
                    "early_terminate": et, "goal": goal,
                    "runs": [{"state": s, "history": [None if v != v else v for v in h]}
                             for s, h in runs],
                    "stopped": sorted(int(r.name) for r in stopped),
                })
    cases["hyperband"] = hb
    json.dump(cases, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
