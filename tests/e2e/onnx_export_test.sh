#!/usr/bin/env bash
# `plinth export --format onnx`: packages of every algorithm and task, with one-hot, ordinal,
# standardized numbers and declared missing defaults, exported and scored by onnxruntime (the
# pinned venv) on rows with missing numbers, missing and unknown categories; onnxruntime's
# labels equal `plinth score`'s and its probabilities and values are within 1e-5 relative; the
# files pass onnx.checker.check_model(full_check=True). A registry URI exports too; a tampered
# comparison fails; bad input is refused with nothing written.
source "$(dirname "$0")/lib.sh"
need_tools
new_repo
export OMP_WAIT_POLICY=PASSIVE
export PLINTH_TRACKING_URI="sqlite:///$WORK/mlruns.db"
CHECK="$PLINTH_SOURCE/tests/e2e/onnx_export_check.py"
"$PLINTH" -q demo-data fraud --rows 6000 --seed 1 --out train.parquet
"$PLINTH" -q demo-data fraud --rows 3000 --seed 2 --out clean.csv
# Rows with what an edge caller sends: missing numbers (also where a default is declared),
# missing categories and a category never seen in training.
"$TOOLS_PYTHON" - <<'PY'
import numpy as np, pandas as pd
d = pd.read_csv("clean.csv", float_precision="round_trip", keep_default_na=False, na_values=[""])
d.loc[::7, "amount"] = np.nan
d.loc[3::11, "distance_from_home"] = np.nan
d.loc[5::13, "transaction_velocity"] = np.nan
d.loc[1::17, "merchant_category"] = np.nan
d.loc[2::19, "merchant_category"] = "spaceship"
d.to_csv("score.csv", index=False)
PY
cat >params.yaml <<'YAML'
gbt:            # binary, one-hot, a missing default, constraints (metadata only)
  n_estimators: 40
  max_depth: 5
  missing: {amount: 100000}
  constraints:
    hour_of_day: {ge: 0, le: 23}
gbt_ordinal:    # standardized numbers with a default, ordinal codes, a threshold
  n_estimators: 30
  standardize: true
  categorical: ordinal
  missing: {distance_from_home: 100000}
  threshold: 0.3
rf:
  algo: rf
  n_estimators: 20
linear:         # gblinear, standardized, one-hot
  algo: linear
  missing: {amount: 100000}
multiclass:     # string labels
  n_estimators: 12
  features: [amount, hour_of_day, transaction_velocity, distance_from_home]
multiclass_linear:
  algo: linear
  features: [amount, hour_of_day, transaction_velocity, distance_from_home]
regression:
  n_estimators: 25
  features: [merchant_category, hour_of_day, transaction_velocity, distance_from_home]
  missing: {hour_of_day: 12}
regression_linear:
  algo: linear
  features: [merchant_category, hour_of_day, transaction_velocity, distance_from_home]
rules:
  algo: rules
  rule: amount > 500 and merchant_category == 'online'
YAML

pairs=()
for spec in gbt:is_fraud gbt_ordinal:is_fraud rf:is_fraud linear:is_fraud \
  multiclass:merchant_category multiclass_linear:merchant_category regression:amount \
  regression_linear:amount; do
  name=${spec%%:*} target=${spec#*:}
  "$PLINTH" -q train --data train.parquet --target "$target" --params params.yaml:"$name" \
    --threads 1 --out "pkg_$name" || { fail "train $name"; continue; }
  "$PLINTH" -q score --model "pkg_$name" --input score.csv --output "plinth_$name.csv" \
    --threads 1 2>/dev/null || fail "score $name"
  "$PLINTH" -q export --format onnx "pkg_$name" "$name.onnx" 2>/dev/null || fail "export $name"
  pairs+=("$name.onnx:plinth_$name.csv")
done
out=$("$TOOLS_PYTHON" "$CHECK" score.csv "${pairs[@]}") ||
  fail "onnxruntime scores an exported package unlike plinth score: $out"
echo "$out"
expect_eq "$(echo "$out" | grep -c 'max relative difference')" 8 "eight exported models checked"

# The graph: named inputs, Plinth's output names, opsets, metadata; the summary says the same.
summary=$("$PLINTH" export --format onnx pkg_gbt gbt_again.onnx --json 2>notes.txt)
expect_contains "$(cat notes.txt)" "constraints (hour_of_day) are not in the graph" \
  "export notes that constraints do not travel"
expect_eq "$(cmp gbt.onnx gbt_again.onnx && echo same)" same "export is deterministic"
"$TOOLS_PYTHON" - "$summary" <<'PY' || fail "the exported graph's interface and metadata"
import json, sys, onnx
s = json.loads(sys.argv[1])
m = onnx.load("gbt.onnx")
opsets = {o.domain or "ai.onnx": o.version for o in m.opset_import}
assert opsets == {"ai.onnx": 17, "ai.onnx.ml": 3} == s["opsets"], (opsets, s["opsets"])
ins = {i.name: i.type.tensor_type.elem_type for i in m.graph.input}
assert ins["amount"] == onnx.TensorProto.DOUBLE and ins["merchant_category"] == onnx.TensorProto.STRING, ins
assert [o.name for o in m.graph.output] == ["is_fraud", "fraud_probability"] == [o["name"] for o in s["outputs"]]
assert s["nodes"] == len(m.graph.node) and s["bytes"] == len(open("gbt.onnx", "rb").read())
ops = {n.op_type for n in m.graph.node}
assert {"OneHotEncoder", "Imputer", "TreeEnsembleRegressor", "Concat"} <= ops and "ZipMap" not in ops, ops
meta = {p.key: p.value for p in m.metadata_props}
assert json.loads(meta["plinth.classes"]) == ["0", "1"] and meta["plinth.task"] == "binary_classification"
assert json.loads(meta["plinth.constraints"]) == {"hour_of_day": {"ge": 0, "le": 23}}, meta
assert [i["name"] for i in json.loads(meta["plinth.inputs"])] == list(ins), meta
PY

# The comparison can fail: one probability off by 1e-4 relative is caught.
"$TOOLS_PYTHON" - <<'PY'
import pandas as pd
d = pd.read_csv("plinth_gbt.csv", float_precision="round_trip", keep_default_na=False, na_values=[""])
d.loc[4, "fraud_probability"] *= 1 + 1e-4
d.to_csv("tampered.csv", index=False)
PY
if out=$("$TOOLS_PYTHON" "$CHECK" score.csv gbt.onnx:tampered.csv 2>&1); then
  fail "a probability off by 1e-4 relative passed the comparison: $out"
fi
expect_contains "$out" "differ by" "the tampered comparison names the difference"

# A registered package exports by its models:/ URI.
"$PLINTH" -q train --data train.parquet --target is_fraud --params params.yaml:gbt --threads 1 \
  --out pkg_registered --experiment fraud --register fraud-detector >/dev/null
"$PLINTH" models transition fraud-detector 1 Production >/dev/null
"$PLINTH" -q export --format onnx models:/fraud-detector/Production registered.onnx 2>/dev/null ||
  fail "export models:/fraud-detector/Production"
"$PLINTH" -q score --model pkg_registered --input score.csv --output plinth_registered.csv \
  2>/dev/null
"$TOOLS_PYTHON" "$CHECK" score.csv registered.onnx:plinth_registered.csv >/dev/null ||
  fail "the registry's package exported from its URI scores like plinth score"

# Bad input: each refused, naming what is wrong, with no file left behind.
"$PLINTH" -q train --data train.parquet --target is_fraud --params params.yaml:rules --out pkg_rules
expect_error 2 "it is a rules package" "$PLINTH" export --format onnx pkg_rules rules.onnx
[ ! -e rules.onnx ] || fail "a refused rules export left rules.onnx"
expect_error 2 "unknown export format 'tflite'" "$PLINTH" export --format tflite pkg_gbt x.tflite
[ ! -e x.tflite ] || fail "an unknown format left a file"
expect_error 3 "no model package at nowhere" "$PLINTH" export --format onnx nowhere x.onnx
cp -r pkg_regression pkg_poisson
sed -i 's/"reg:squarederror"/"count:poisson"/' pkg_poisson/model.json
expect_error 2 "pkg_poisson/model.json: objective 'count:poisson'" \
  "$PLINTH" export --format onnx pkg_poisson poisson.onnx
[ ! -e poisson.onnx ] || fail "a refused objective left poisson.onnx"
touch not_a_dir
expect_error 3 "not_a_dir/model.onnx" "$PLINTH" export --format onnx pkg_gbt not_a_dir/model.onnx
expect_eq "$(ls -a | grep -c '\.tmp' || true)" 0 "no temporary file left behind"
finish
