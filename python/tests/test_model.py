"""plinth.load_model and Model.predict against `plinth score` on the same model and rows."""

import json
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import plinth
from conftest import PLINTH, plinth as run_plinth, scored_by_cli


def assert_outputs_equal(got, expected, columns):
    for name in columns:
        np.testing.assert_array_equal(np.asarray(got[name]), np.asarray(expected[name]),
                                      err_msg=name)


def test_xgboost_pandas_equals_plinth_score(data, xgb_package):
    expected = scored_by_cli(xgb_package, data / "score.parquet", data / "scored.parquet")
    model = plinth.load_model(xgb_package)
    assert model.input_columns[:2] == ["amount", "merchant_category"]
    assert model.output_columns == ["is_fraud", "fraud_probability"]
    df = pq.read_table(data / "score.parquet").to_pandas()
    df.index = df.index + 1000  # the result keeps the input's index
    got = model.predict(df)
    assert isinstance(got, pd.DataFrame)
    assert list(got.columns) == ["is_fraud", "fraud_probability"]
    assert list(got.index[:2]) == [1000, 1001]
    assert len(got) == 20000
    assert_outputs_equal(got, expected.to_pandas(), model.output_columns)
    assert 0 < got["is_fraud"].sum() < len(got)


def test_arrow_inputs_equal_plinth_score(data, xgb_package):
    expected = scored_by_cli(xgb_package, data / "score.parquet", data / "scored_arrow.parquet")
    model = plinth.load_model(xgb_package, threads=2)
    table = pq.read_table(data / "score.parquet")
    # Several chunks, a slice with an offset, a dictionary-encoded category column.
    chunked = pa.concat_tables([table.slice(0, 7000), table.slice(7000)])
    for given in (table, chunked, table.combine_chunks().to_batches()[0]):
        got = model.predict(given)
        assert isinstance(got, pa.Table)
        assert_outputs_equal(got.to_pandas(), expected.to_pandas(), model.output_columns)
    sliced = model.predict(table.slice(5, 100))
    assert_outputs_equal(sliced.to_pandas(), expected.slice(5, 100).to_pandas(),
                         model.output_columns)
    encoded = table.set_column(table.schema.get_field_index("merchant_category"),
                               "merchant_category",
                               table["merchant_category"].dictionary_encode())
    assert_outputs_equal(model.predict(encoded).to_pandas(), expected.to_pandas(),
                         model.output_columns)


def test_polars_through_the_arrow_stream(data, xgb_package):
    pl = pytest.importorskip("polars")
    expected = scored_by_cli(xgb_package, data / "score.parquet", data / "scored_pl.parquet")
    got = plinth.load_model(xgb_package).predict(pl.read_parquet(data / "score.parquet"))
    assert_outputs_equal(got.to_pandas(), expected.to_pandas(), ["is_fraud", "fraud_probability"])


def test_numpy_matrix_equals_plinth_score(data):
    (data / "numeric.yaml").write_text(
        "numeric:\n  n_estimators: 40\n  features: [amount, hour_of_day, transaction_velocity,"
        " distance_from_home]\n")
    run_plinth("-q", "train", "--data", data / "train.parquet", "--target", "is_fraud",
               "--params", f"{data / 'numeric.yaml'}:numeric", "--threads", 1,
               "--out", data / "numeric_pkg")
    expected = scored_by_cli(data / "numeric_pkg", data / "score.parquet",
                             data / "scored_numeric.parquet")
    model = plinth.load_model(data / "numeric_pkg")
    df = pq.read_table(data / "score.parquet").to_pandas()
    matrix = df[model.input_columns].to_numpy(dtype=np.float64)
    got = model.predict(matrix)
    assert got.shape == (20000,)
    np.testing.assert_array_equal(got, expected["fraud_probability"].to_numpy())
    with pytest.raises(plinth.Error, match=r"4 inputs \(amount, hour_of_day"):
        model.predict(matrix[:, :3])


def test_numpy_refused_for_a_categorical_input(xgb_package):
    model = plinth.load_model(xgb_package)
    with pytest.raises(plinth.Error, match="'merchant_category' is categorical"):
        model.predict(np.zeros((3, len(model.input_columns))))


def test_missing_column_is_a_validation_error_naming_it(data, xgb_package):
    df = pq.read_table(data / "score.parquet").to_pandas().drop(columns=["hour_of_day"])
    model = plinth.load_model(xgb_package)
    with pytest.raises(plinth.ValidationError) as caught:
        model.predict(df)
    assert isinstance(caught.value, ValueError)
    assert caught.value.errors == [
        {"loc": ["hour_of_day"], "msg": "field required", "type": "value_error.missing"}]
    assert "hour_of_day\n  field required" in str(caught.value)
    with pytest.raises(plinth.ValidationError, match="distance_from_home"):
        model.predict(pa.table({"amount": [1.0]}))


def serve_answer(package, rows):
    """POST rows to /predict of `plinth serve PACKAGE`; returns (status, body)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([PLINTH, "serve", str(package), "--port", str(port), "--host",
                               "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/predict",
                                         data=json.dumps(rows).encode(),
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.status, json.load(r)
        except urllib.error.HTTPError as e:
            return e.code, json.load(e)
    finally:
        server.terminate()
        server.wait()


def test_constraint_errors_say_what_predict_says(data, xgb_package):
    df = pq.read_table(data / "score.parquet").to_pandas().head(50).copy()
    df.loc[3, "amount"] = -5.0
    df.loc[7, "amount"] = -1.0
    df.loc[9, "hour_of_day"] = 30
    model = plinth.load_model(xgb_package)
    with pytest.raises(plinth.ValidationError) as caught:
        model.predict(df)
    errors = caught.value.errors
    assert [e["loc"] for e in errors] == [[3, "amount"], [9, "hour_of_day"]]
    assert errors[0]["rows"] == 2
    assert "amount (row 3)\n  ensure this value is greater than 0" in str(caught.value)
    # The oracle: what `plinth serve`'s /predict answers for the same rows.
    inputs = model.input_columns
    rows = json.loads(df[inputs].iloc[[3, 9]].to_json(orient="records"))
    status, body = serve_answer(xgb_package, rows)
    assert status == 422
    for mine, served in zip(errors, body["detail"]):
        assert served["loc"][-1] == mine["loc"][1]
        assert (served["msg"], served["type"], served.get("ctx")) == (
            mine["msg"], mine["type"], mine.get("ctx"))

    skipped = model.predict(df, on_invalid="skip")
    assert list(skipped.index) == [i for i in df.index if i not in (3, 7, 9)]
    df.to_parquet(data / "invalid.parquet")
    expected = scored_by_cli_with(xgb_package, data / "invalid.parquet",
                                  data / "invalid_scored.parquet", "skip")
    assert_outputs_equal(skipped, expected.to_pandas(), model.output_columns)
    nulled = model.predict(df, on_invalid="null")
    assert len(nulled) == 50
    assert nulled["fraud_probability"].isna().tolist() == [i in (3, 7, 9) for i in range(50)]
    with pytest.raises(plinth.Error, match="on_invalid='maybe'"):
        model.predict(df, on_invalid="maybe")


def scored_by_cli_with(model, data_file, out, on_invalid):
    run_plinth("-q", "score", "--model", model, "--input", data_file, "--output", out,
               "--on-invalid", on_invalid)
    return pq.read_table(out)


def test_predict_releases_the_gil(data, xgb_package):
    model = plinth.load_model(xgb_package, threads=1)
    big = pq.read_table(data / "score.parquet")
    big = pa.concat_tables([big] * 10)  # 200,000 rows: a few hundred milliseconds
    counts = []
    stop = threading.Event()

    def spin():
        n = 0
        while not stop.is_set():
            n += 1
            if n % 1000 == 0:
                counts.append(time.perf_counter())

    thread = threading.Thread(target=spin)
    thread.start()
    time.sleep(0.05)
    start = time.perf_counter()
    model.predict(big)
    end = time.perf_counter()
    stop.set()
    thread.join()
    during = [t for t in counts if start < t < end]
    # With the GIL held the other thread could run only before and after the C++ part (switch
    # intervals of 5 ms); released, it keeps counting all through predict. Measured in quarters
    # of predict's time, since a loaded machine may starve the thread now and then.
    took = end - start
    assert took > 0.1
    middle = [t for t in during if start + took / 4 < t < end - took / 4]
    assert during and during[0] - start < took / 4 and middle, (
        f"predict took {took:.3f} s; the other thread ran {len(during)}k loops in it, "
        f"{len(middle)}k in its middle half")


def test_onnx_pipeline_equals_plinth_score(data, onnx_model):
    expected = scored_by_cli(onnx_model, data / "score.parquet", data / "scored_onnx.parquet")
    model = plinth.load_model(onnx_model)
    assert model.flavor == "onnx"
    got = model.predict(pq.read_table(data / "score.parquet").to_pandas())
    label, probability = model.output_columns[:2]
    assert_outputs_equal(got, expected.to_pandas(), model.output_columns)
    assert got[probability].between(0, 1).all()


def test_registry_uri_from_mlflow_tracking_uri(data, xgb_package, monkeypatch):
    env = dict(os.environ, MLFLOW_TRACKING_URI=f"sqlite:///{data / 'mlruns.db'}")
    env.pop("PLINTH_TRACKING_URI", None)
    subprocess.run([PLINTH, "-q", "train", "--data", str(data / "train.parquet"), "--target",
                    "is_fraud", "--params", f"{data / 'params.yaml'}:gbt", "--threads", "1",
                    "--out", str(data / "registered"), "--register", "fraud-detector"],
                   cwd=data, env=env, check=True, capture_output=True)
    monkeypatch.chdir(data)
    monkeypatch.delenv("PLINTH_TRACKING_URI", raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", env["MLFLOW_TRACKING_URI"])
    model = plinth.load_model("models:/fraud-detector/1")
    assert (model.name, model.version) == ("fraud-detector", "1")
    expected = plinth.load_model(data / "registered").predict(pq.read_table(data / "score.parquet"))
    got = model.predict(pq.read_table(data / "score.parquet"))
    assert got.equals(expected)
    with pytest.raises(plinth.Error, match="no-such-model") as caught:
        plinth.load_model("models:/no-such-model/1")
    assert caught.value.code == "not_found"


def test_bad_locations_and_inputs(data, xgb_package, tmp_path):
    with pytest.raises(plinth.Error, match="nowhere") as caught:
        plinth.load_model(tmp_path / "nowhere")
    assert caught.value.code in ("not_found", "invalid_input")
    model = plinth.load_model(xgb_package)
    with pytest.raises(TypeError, match="cannot score a builtins.dict"):
        model.predict({"amount": [1.0]})
    listed = pa.table({c: pa.array([[1.0]]) for c in model.input_columns})
    with pytest.raises(plinth.Error, match="column 'amount' has Arrow type '\\+l'"):
        model.predict(listed)
    texty = pq.read_table(data / "score.parquet").to_pandas().head(5)
    texty["amount"] = "lots"
    with pytest.raises(plinth.Error, match="amount"):
        model.predict(texty)
    empty = model.predict(pq.read_table(data / "score.parquet").slice(0, 0))
    assert empty.num_rows == 0
