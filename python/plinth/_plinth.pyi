"""Type stubs of plinth._plinth, the C++ core of the plinth package (use plinth's functions)."""

from typing import Any, Dict, List, Mapping, Optional

import numpy as np

class Error(Exception):
    """An error from Plinth; ``code`` says which kind."""

    code: str  # invalid_input, not_found, corrupted, conflict, locked, permission, io, internal

class ValidationError(Error, ValueError):
    """Input that does not fit the model; ``errors`` lists the problems as /predict does."""

    errors: List[Dict[str, Any]]  # {"loc": [row?, column], "msg", "type", "ctx"?, "rows"?}

class Model:
    def __init__(self, location: str, threads: int = 0, engine: str = "compiled") -> None: ...
    def predict_stream(self, stream: object, on_invalid: str) -> Dict[str, Any]: ...
    def predict_matrix(self, matrix: np.ndarray, on_invalid: str) -> Dict[str, Any]: ...
    def info(self) -> Dict[str, Any]: ...

# reference, current: a path (str) or an Arrow C stream capsule; a reference str may name a model
# (models:/ or runs:/ URI, package folder, .onnx file), whose profile.json is then the reference.
def drift(
    reference: object,
    current: object,
    reference_name: str,
    current_name: str,
    columns: List[str],
    target: str,
    prediction: str,
    stattest: Mapping[str, str],
    threshold: Mapping[str, float],
    drift_share: float,
) -> str: ...
