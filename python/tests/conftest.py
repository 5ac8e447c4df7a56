"""Fixtures: fraud data from `plinth demo-data`, an XGBoost package from `plinth train`, an
ONNX pipeline from scikit-learn through skl2onnx, and `plinth score`'s outputs on them, the
oracle the package's predictions must equal."""

import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

SOURCE = Path(os.environ.get("PLINTH_SOURCE", Path(__file__).resolve().parents[2]))
PLINTH = os.environ.get("PLINTH", str(SOURCE / "build" / "plinth"))

PARAMS = """\
gbt:
  n_estimators: 60
  max_depth: 5
  learning_rate: 0.2
  constraints:
    amount: {gt: 0}
    hour_of_day: {ge: 0, le: 23}
"""


def plinth(*args, cwd=None):
    """Runs the plinth binary; returns its stdout."""
    done = subprocess.run([PLINTH, *map(str, args)], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise AssertionError(f"plinth {' '.join(map(str, args))} failed: {done.stderr}")
    return done.stdout


@pytest.fixture(scope="session")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("plinth-python")


@pytest.fixture(scope="session")
def data(work):
    """train.parquet (12,000 rows), score.parquet (20,000 rows), as CSV too."""
    plinth("-q", "demo-data", "fraud", "--rows", 12000, "--seed", 1, "--out", work / "train.parquet")
    plinth("-q", "demo-data", "fraud", "--rows", 20000, "--seed", 2, "--out", work / "score.parquet")
    plinth("-q", "table", "convert", work / "train.parquet", work / "train.csv")
    return work


@pytest.fixture(scope="session")
def xgb_package(data):
    (data / "params.yaml").write_text(PARAMS)
    plinth("-q", "train", "--data", data / "train.parquet", "--target", "is_fraud", "--params",
           f"{data / 'params.yaml'}:gbt", "--threads", 1, "--out", data / "pkg")
    return data / "pkg"


@pytest.fixture(scope="session")
def onnx_model(data):
    """skl2onnx's Pipeline(ColumnTransformer, RandomForestClassifier): one input per column."""
    out = data / "onnx"
    out.mkdir()
    subprocess.run([sys.executable, SOURCE / "tests" / "e2e" / "onnx_models.py", "build",
                    data / "train.csv", out], check=True, capture_output=True)
    return out / "pipeline.onnx"


def scored_by_cli(model, data_file, out):
    """`plinth score`'s output as a pyarrow Table."""
    plinth("-q", "score", "--model", model, "--input", data_file, "--output", out)
    return pq.read_table(out)
