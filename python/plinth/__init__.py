"""Plinth from Python: load a model package, score DataFrames and Arrow tables, test drift.

The scoring and the statistics are Plinth's C++ code, the same that ``plinth score``,
``plinth serve`` and ``plinth drift`` run: a model gives the same predictions here as from the
command line, and ``drift`` the same report as ``plinth drift --json``.

    >>> import plinth
    >>> model = plinth.load_model("models:/fraud-detector/Production")
    >>> scored = model.predict(df)            # a DataFrame of is_fraud, fraud_probability
    >>> report = plinth.drift("reference.parquet", df)
    >>> report = plinth.drift(model, df)      # against the training data's profile
    >>> report["dataset_drift"]
"""

from __future__ import annotations

import functools
import json
import os
from typing import Any, Dict, Mapping, Optional, Sequence, Union

from . import _plinth

__all__ = ["Error", "Model", "ValidationError", "cached_model", "drift", "load_model"]
__version__ = "0.1.0"

Error = _plinth.Error
ValidationError = _plinth.ValidationError


def _arrow_stream(data: Any) -> Any:
    """An Arrow C stream capsule for any object that offers one, or a record batch's arrays."""
    if hasattr(data, "__arrow_c_stream__"):
        return data.__arrow_c_stream__()
    if hasattr(data, "__arrow_c_array__"):
        import pyarrow as pa

        return pa.table(data).__arrow_c_stream__()
    raise TypeError(
        f"cannot score a {type(data).__module__}.{type(data).__name__}: give a pandas DataFrame, "
        "a pyarrow Table or RecordBatch (or any object with __arrow_c_stream__), or a 2-D numpy "
        "array of the model's inputs in order"
    )


class Model:
    """A model package loaded for scoring: its preprocessing, its model and its outputs.

    Create one with :func:`load_model`. A Model is safe to share between threads; ``predict``
    releases the GIL and scores on ``threads`` cores.
    """

    def __init__(self, core: Any) -> None:
        self._core = core
        info = core.info()
        #: Folder the package was read from (a models:/ URI resolved to its local copy).
        self.path: str = info["path"]
        #: Registered model name and version behind a models:/ URI ("" for a path).
        self.name: str = info["name"]
        self.version: str = info["version"]
        #: "xgboost", "lightgbm", "onnx" or "rules".
        self.flavor: str = info["flavor"]
        #: "binary_classification", "multiclass_classification" or "regression".
        self.task: str = info["task"]
        #: Which engine scores: "compiled", "xgboost", "onnx" or "rules".
        self.engine: str = info["engine"]
        self.threads: int = info["threads"]
        #: Input columns the model needs, in signature order.
        self.input_columns: list = list(info["inputs"])
        #: Columns ``predict`` returns: the label, then the probabilities (classification).
        self.output_columns: list = list(info["outputs"])
        #: Class labels in class-index order (classification).
        self.classes: list = list(info["classes"])

    def __repr__(self) -> str:
        return (
            f"<plinth.Model {self.flavor} {self.task} from {self.path!r}, "
            f"engine {self.engine}, {self.threads} threads>"
        )

    def predict(self, data: Any, *, on_invalid: str = "error") -> Any:
        """Scores every row of ``data`` as ``plinth score`` does.

        ``data``: a pandas DataFrame, a pyarrow Table or RecordBatch (or any object with
        ``__arrow_c_stream__``: polars, DuckDB results, ...), read through the Arrow C data
        interface; or a 2-D float numpy array whose columns are ``input_columns`` in order.
        Extra columns are ignored.

        Returns the same kind of thing: for a DataFrame, a DataFrame of ``output_columns``
        with the input's index; for Arrow input, a pyarrow Table of them; for a numpy array,
        the scores as XGBoost's ``predict`` gives them (the positive class's probability for a
        binary model, rows × classes for a multiclass one, values for regression).

        ``on_invalid``: a row whose value breaks the package's declared constraints raises
        ValidationError (``"error"``), is left out (``"skip"``; a DataFrame keeps the other rows'
        index), or gets null predictions (``"null"``).

        Raises ValidationError (a ValueError) naming every input column the data lacks, or the
        column, row and constraint a value breaks, with /predict's error list in ``errors``;
        plinth.Error for other bad input (a numeric input holding text, an Arrow type Plinth
        cannot score).
        """
        import numpy as np

        if isinstance(data, np.ndarray):
            matrix = np.ascontiguousarray(data, dtype=np.float64)
            if matrix.ndim == 1:
                matrix = matrix.reshape(1, -1)
            result = self._core.predict_matrix(matrix, on_invalid)
            scores = result["scores"]
            if result["invalid"] is not None:
                scores = scores.copy()
                scores[result["invalid"].astype(bool)] = np.nan
            return scores[:, 0] if scores.ndim == 2 and scores.shape[1] == 1 else scores
        result = self._core.predict_stream(_arrow_stream(data), on_invalid)
        columns = result["columns"]
        invalid = result["invalid"]
        if _is_pandas(data):
            import pandas as pd

            index = data.index if result["kept"] is None else data.index[result["kept"]]
            frame = pd.DataFrame(columns, index=index)
            if invalid is not None:  # nullable dtypes, pd.NA where the row broke a constraint
                mask = invalid.astype(bool)
                nullable = {"f": "Float64", "i": "Int64", "b": "boolean"}
                for name in frame.columns:
                    column = frame[name].astype(nullable.get(frame[name].dtype.kind, object))
                    column[mask] = pd.NA
                    frame[name] = column
            return frame
        import pyarrow as pa

        mask = None if invalid is None else invalid.astype(bool)
        return pa.table({
            name: pa.array(values, mask=mask, type=pa.string() if isinstance(values, list) else None)
            for name, values in columns.items()
        })


def _is_pandas(data: Any) -> bool:
    return type(data).__module__.startswith("pandas") and hasattr(data, "index")


def load_model(
    location: Union[str, "os.PathLike[str]"], *, threads: Optional[int] = None,
    engine: str = "compiled",
) -> Model:
    """Loads a model for scoring.

    ``location``: a model package folder (``plinth train`` writes one; an MLflow model folder
    with the xgboost, lightgbm or onnx flavor), a ``.onnx`` file, or a URI the registry
    resolves: ``models:/NAME/VERSION``, ``models:/NAME/STAGE``, ``models:/NAME@ALIAS``,
    ``runs:/RUN_ID/PATH``. URIs are looked up as every plinth command looks them up: in
    ``$PLINTH_TRACKING_URI``, else ``$MLFLOW_TRACKING_URI`` (a ``plinth server`` URL, or a
    ``sqlite:///`` or ``postgresql://`` database), else ``mlruns.db`` at the project root;
    artifacts on a server are downloaded under ``.plinth/artifacts/``. A server with logins is
    signed in to with MLflow's variables, as the CLI does: ``MLFLOW_TRACKING_USERNAME`` and
    ``MLFLOW_TRACKING_PASSWORD``, else ``MLFLOW_TRACKING_TOKEN``; an https server's certificate
    is checked against ``MLFLOW_TRACKING_SERVER_CERT_PATH`` (else ``PLINTH_CA_BUNDLE``,
    ``REQUESTS_CA_BUNDLE``, ..., the system's CAs), unless ``MLFLOW_TRACKING_INSECURE_TLS`` is
    true.

    ``threads``: cores ``predict`` uses (default: all). ``engine``: ``"compiled"`` (Plinth's
    tree engine; falls back to XGBoost for what it cannot compile) or ``"xgboost"``.

    Raises plinth.Error naming the file or field at fault, or what the registry does not know;
    with ``code`` ``"permission"`` naming the variables to set when the server refuses.
    """
    return Model(_plinth.Model(os.fspath(location), threads or 0, engine))


@functools.lru_cache(maxsize=None)
def _cached(location: str, threads: int, engine: str) -> Model:
    return load_model(location, threads=threads or None, engine=engine)


def cached_model(
    location: Union[str, "os.PathLike[str]"], *, threads: Optional[int] = None,
    engine: str = "compiled",
) -> Model:
    """:func:`load_model`, once per process for each location, threads and engine.

    For code that an engine calls once per partition or task in long-lived worker processes
    (Spark's mapInArrow and pandas_udf, Dask, Ray): the first call in a worker loads the model,
    later ones return the same Model. A models:/ URI is resolved on the first call only, so a
    worker keeps the version it started with.
    """
    return _cached(os.fspath(location), threads or 0, engine)


def _drift_side(data: Any) -> Any:
    if isinstance(data, Model):
        return data.path
    if isinstance(data, (str, os.PathLike)):
        return os.fspath(data)
    return _arrow_stream(data)


def _side_name(side: Any, default: str) -> str:
    if isinstance(side, Model):
        return f"models:/{side.name}/{side.version}" if side.name else side.path
    return os.fspath(side) if isinstance(side, (str, os.PathLike)) else default


def drift(
    reference: Any,
    current: Any,
    *,
    columns: Optional[Sequence[str]] = None,
    target: Optional[str] = None,
    prediction: Optional[str] = None,
    stattest: Optional[Mapping[str, str]] = None,
    threshold: Optional[Mapping[str, float]] = None,
    drift_share: float = 0.5,
) -> Dict[str, Any]:
    """Tests ``current`` against ``reference`` for drift; returns the report as a dict.

    The dict is the one ``plinth drift --reference R --current C --json -`` prints, key for
    key: ``dataset_drift``, ``share_of_drifted_columns``, ``number_of_drifted_columns``,
    ``number_of_columns``, ``drift_share`` and ``columns`` (per column: ``stattest``,
    ``score``, ``threshold``, ``drifted``, ``column_type``, ``role``), and ``quality`` when
    ``target`` and ``prediction`` are both given with reference data.

    ``reference``: data (a CSV or Parquet file path or folder, a pandas DataFrame, Arrow data:
    pyarrow Table, anything with ``__arrow_c_stream__``), with Evidently's default tests and
    thresholds; or a model, whose reference profile (``profile.json``, the training data's
    frozen bins, which ``plinth train`` stores in the package) is the reference: a
    :class:`Model`, a ``models:/NAME/VERSION|STAGE``, ``models:/NAME@ALIAS`` or
    ``runs:/RUN_ID/PATH`` URI (resolved as :func:`load_model` resolves it), or a package folder.
    Against a model, every input is tested, and the prediction when ``current`` has its column.

    ``current``: data, as for ``reference``. ``columns``: which to test (default: every column
    both have, or every input of the model). ``stattest``: ``{column: test}`` (ks, chisquare,
    z, wasserstein, psi, jensenshannon, ...). ``threshold``: ``{column: value}``.
    ``drift_share``: share of drifted columns at which the dataset drifts.

    Raises plinth.Error naming a column that is missing or typed differently on the two sides,
    or the model when it has no reference profile (saying how to make one).
    """
    if isinstance(current, Model):
        raise TypeError("current must be data (a file, DataFrame or Arrow data), not a Model")
    text = _plinth.drift(
        _drift_side(reference), _drift_side(current), _side_name(reference, "the reference"),
        _side_name(current, "the current data"), list(columns or []), target or "",
        prediction or "", dict(stattest or {}),
        {k: float(v) for k, v in (threshold or {}).items()}, float(drift_share),
    )
    return json.loads(text)
