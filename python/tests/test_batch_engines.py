"""The handbook's Spark job and the Dask example give `plinth score`'s output.

Spark runs for real: local[2] from the pinned pyspark on the machine's Java, the job started as
a user starts it (its own process, its own JVM). 200,000 rows in 4 Parquet files keep the test
near a minute; bench/python.sh runs the same job on 10,000,000 rows.
"""

import os
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from conftest import SOURCE, plinth as run_plinth

EXAMPLES = SOURCE / "python" / "examples"
# The handbook's Spark job lives with the handbook's project.
SPARK_JOB = SOURCE / "examples" / "fraud-detection" / "src" / "batch_score.py"
FILES, ROWS_PER_FILE = 4, 50_000


@pytest.fixture(scope="module")
def lake(data):
    folder = data / "lake"
    folder.mkdir()
    for i in range(FILES):
        run_plinth("-q", "demo-data", "fraud", "--rows", ROWS_PER_FILE, "--seed", 10 + i,
                   "--out", data / f"part-{i}.parquet")
        # Spark reads no nanosecond timestamps (PARQUET_TYPE_ILLEGAL): the lake holds micros,
        # as Spark itself writes them.
        pq.write_table(pq.read_table(data / f"part-{i}.parquet"), folder / f"part-{i}.parquet",
                       coerce_timestamps="us")
    return folder


@pytest.fixture(scope="module")
def oracle(lake, xgb_package, data):
    run_plinth("-q", "score", "--model", xgb_package, "--input", lake, "--output",
               data / "lake_scored.parquet")
    return sort(pq.read_table(data / "lake_scored.parquet"))


def sort(table):
    # Each file numbers its transactions from 1: the inputs order the rows completely.
    keys = ["transaction_id", "user_id", "amount", "hour_of_day", "distance_from_home",
            "transaction_velocity"]
    return table.sort_by([(k, "ascending") for k in keys])


def assert_same_scores(got, expected):
    assert got.num_rows == expected.num_rows == FILES * ROWS_PER_FILE
    got = sort(got)
    for name in ("transaction_id", "user_id", "amount", "is_fraud", "fraud_probability"):
        np.testing.assert_array_equal(got[name].to_numpy(), expected[name].to_numpy(),
                                      err_msg=name)


def test_spark_job_equals_plinth_score(lake, oracle, xgb_package, data):
    out = data / "spark_out"
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable,
               SPARK_LOCAL_IP="127.0.0.1", PYARROW_IGNORE_TIMEZONE="1")
    job = subprocess.run(
        [sys.executable, SPARK_JOB, xgb_package, lake, out],
        env=env, capture_output=True, text=True, timeout=600)
    assert job.returncode == 0, job.stderr[-4000:]
    assert_same_scores(ds.dataset(out, format="parquet").to_table(), oracle)


def test_dask_job_equals_plinth_score(lake, oracle, xgb_package, data):
    sys.path.insert(0, str(EXAMPLES))
    try:
        import dask_batch_score
    finally:
        sys.path.pop(0)
    out = data / "dask_out"
    dask_batch_score.main(str(xgb_package), str(lake), str(out))
    assert_same_scores(ds.dataset(out, format="parquet").to_table(), oracle)
