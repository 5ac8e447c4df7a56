"""plinth.drift returns the dict `plinth drift --json -` prints, for files, DataFrames and Arrow,
and against a model's reference profile."""

import json
import shutil
import subprocess

import pyarrow.parquet as pq
import pytest

import plinth
from conftest import PLINTH, plinth as run_plinth


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


def shifted_and_scored(data, xgb_package):
    """score.parquet with amount tripled, scored by `plinth score` (so it has the prediction)."""
    out = data / "shifted_scored.parquet"
    if not out.exists():
        shifted = pq.read_table(data / "score.parquet").to_pandas()
        shifted["amount"] = shifted["amount"] * 3
        shifted.to_parquet(data / "shifted_inputs.parquet")
        run_plinth("-q", "score", "--model", xgb_package, "--input",
                   data / "shifted_inputs.parquet", "--output", out)
    return out


def test_drift_against_a_model_profile_equals_the_cli(data, xgb_package):
    current = shifted_and_scored(data, xgb_package)
    expected = cli_report("--reference", xgb_package, "--current", current)
    # Every input of the model, and its prediction (the scored file has it).
    model = plinth.load_model(xgb_package)
    assert set(expected["columns"]) == set(model.input_columns) | {"fraud_probability"}
    assert expected["columns"]["fraud_probability"]["role"] == "prediction"
    assert expected["columns"]["amount"]["drifted"] is True
    assert expected["columns"]["amount"]["stattest"] == "jensenshannon"
    frame = pq.read_table(current).to_pandas()
    assert plinth.drift(model, frame) == expected
    assert plinth.drift(str(xgb_package), pq.read_table(current)) == expected
    assert plinth.drift(xgb_package, current) == expected

    options = ("--columns", "amount,merchant_category", "--stattest", "amount=psi",
               "--threshold", "merchant_category=0.05", "--drift-share", "0.6")
    expected = cli_report("--reference", xgb_package, "--current", current, *options)
    got = plinth.drift(model, frame, columns=["amount", "merchant_category"],
                       stattest={"amount": "psi"}, threshold={"merchant_category": 0.05},
                       drift_share=0.6)
    assert got == expected
    assert set(got["columns"]) == {"amount", "merchant_category"}
    assert got["columns"]["amount"]["stattest"] == "psi"


def test_drift_against_a_model_without_a_profile(data, xgb_package, onnx_model, tmp_path):
    frame = pq.read_table(data / "score.parquet").to_pandas()
    with pytest.raises(plinth.Error, match="pipeline.onnx has no reference profile") as caught:
        plinth.drift(plinth.load_model(onnx_model), frame)
    assert caught.value.code == "not_found"
    assert "plinth models import MODEL --reference-data" in str(caught.value)

    # A package without profile.json: the same words as the CLI's, naming the folder.
    bare = tmp_path / "bare"
    shutil.copytree(xgb_package, bare)
    (bare / "profile.json").unlink()
    with pytest.raises(plinth.Error) as caught:
        plinth.drift(str(bare), frame)
    done = subprocess.run([PLINTH, "drift", "--reference", bare, "--current",
                           data / "score.parquet"], capture_output=True, text=True)
    assert done.returncode == 3
    assert str(caught.value) in done.stderr
    assert f"{bare} has no reference profile (profile.json)" in str(caught.value)


def test_drift_against_a_model_bad_input(data, xgb_package):
    model = plinth.load_model(xgb_package)
    frame = pq.read_table(data / "score.parquet").to_pandas().drop(columns=["amount"])
    with pytest.raises(plinth.Error, match="column 'amount' \\(an input of the model\\) is not "
                       "in the current data") as caught:
        plinth.drift(model, frame)
    assert caught.value.code == "not_found"
    with pytest.raises(plinth.Error, match="ks needs the raw reference data"):
        plinth.drift(model, pq.read_table(data / "score.parquet"), stattest={"amount": "ks"})
    with pytest.raises(TypeError, match="not a Model"):
        plinth.drift(data / "score.parquet", model)
