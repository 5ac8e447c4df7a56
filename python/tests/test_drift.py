"""plinth.drift returns the dict `plinth drift --json -` prints, for files, DataFrames and Arrow."""

import json

import pyarrow.parquet as pq
import pytest

import plinth
from conftest import plinth as run_plinth


def cli_report(*args):
    return json.loads(run_plinth("drift", *args, "--json", "-"))


def test_drift_dict_equals_the_cli_report(data):
    reference, current = data / "train.parquet", data / "score.parquet"
    expected = cli_report("--reference", reference, "--current", current)
    assert expected["number_of_columns"] > 5
    assert plinth.drift(str(reference), current) == expected
    frames = plinth.drift(pq.read_table(reference).to_pandas(), pq.read_table(current))
    assert frames == expected


def test_drift_options_equal_the_cli_flags(data):
    reference, current = data / "train.parquet", data / "score.parquet"
    # A shifted current set, so that some columns drift.
    shifted = pq.read_table(current).to_pandas()
    shifted["amount"] = shifted["amount"] * 3
    shifted.to_parquet(data / "shifted.parquet")
    expected = cli_report("--reference", reference, "--current", data / "shifted.parquet",
                          "--columns", "amount,hour_of_day,merchant_category",
                          "--stattest", "amount=psi", "--threshold", "hour_of_day=0.2",
                          "--drift-share", "0.3")
    got = plinth.drift(pq.read_table(reference).to_pandas(), shifted,
                       columns=["amount", "hour_of_day", "merchant_category"],
                       stattest={"amount": "psi"}, threshold={"hour_of_day": 0.2},
                       drift_share=0.3)
    assert got == expected
    assert got["columns"]["amount"]["drifted"] is True
    assert got["columns"]["amount"]["stattest"] == "psi"


def test_drift_errors_name_the_column(data):
    frame = pq.read_table(data / "score.parquet").to_pandas()
    with pytest.raises(plinth.Error, match="nope"):
        plinth.drift(frame, frame, columns=["nope"])
    with pytest.raises(plinth.Error, match="amount"):
        plinth.drift(frame, frame.assign(amount="text"), columns=["amount"])
