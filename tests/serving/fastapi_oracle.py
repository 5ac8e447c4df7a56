"""The handbook's FastAPI validation, generated from a package's signature: the oracle for
plinth serve's 422 bodies (tests/e2e/serve_test.sh). Debian's python3-fastapi 0.92 with
pydantic 1.10, served by uvicorn.

  fastapi_oracle.py PACKAGE PORT

POST /predict takes one object (the handbook's endpoint), POST /predict_batch a list of them;
both answer {} when the body is valid, so only their 422 bodies matter.
"""
import json
import sys
from typing import List

import uvicorn
import yaml
from fastapi import FastAPI
from pydantic import Field, create_model

package, port = sys.argv[1], int(sys.argv[2])
with open(package + "/MLmodel") as f:
    mlmodel = yaml.safe_load(f)
constraints = mlmodel["flavors"]["plinth"].get("constraints", {})
python_type = {"double": float, "long": int, "string": str, "boolean": bool}
fields = {}
for column in json.loads(mlmodel["signature"]["inputs"]):
    bounds = {k: v for k, v in constraints.get(column["name"], {}).items()
              if k in ("gt", "ge", "lt", "le")}
    fields[column["name"]] = (python_type[column["type"]], Field(..., **bounds))
Transaction = create_model("Transaction", **fields)

app = FastAPI()


@app.post("/predict")
def predict(transaction: Transaction):
    return {}


@app.post("/predict_batch")
def predict_batch(transactions: List[Transaction]):
    return {}


uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
