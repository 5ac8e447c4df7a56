#!/usr/bin/env bash
# Issue 16's oracle: the models users bring, as ONNX files the real converters wrote, scored by
# `plinth score` and served by `plinth serve`, against onnxruntime on the same rows.
# tests/e2e/onnx_zoo.py trains them on generated fraud data (binary is_fraud, and a three-class
# tier) and records onnxruntime's answers: scikit-learn's forests, extra trees, gradient
# boosting (classic and histogram), logistic regression, MLP, a regressor of each tree kind, a
# Pipeline(ColumnTransformer(...)) with one input per column; XGBoost and LightGBM through
# onnxmltools; the handbook's PyTorch network as Debian's torch 1.13 exports it (Gemm, opset
# 17) and as the newer exporter writes it (MatMul + Add, opset 18). Tree models are scored on
# rows with missing values. Probabilities within 1e-5 relative, labels equal; the handbook's
# request answered like onnxruntime answers it; an operator Plinth does not run refused at load.
# ONNX_ZOO=DIR reuses the models and answers onnx_zoo.py wrote to DIR (skips the training);
# ONNX_ZOO_ROWS=1000000 scores a million rows instead of 3,000 (the issue's acceptance run).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
need_tools
HERE=$(cd "$(dirname "$0")" && pwd)
new_repo
trap 'stop_servers; chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT

if [ -n "${ONNX_ZOO:-}" ]; then  # a zoo onnx_zoo.py wrote before (to rerun the checks quickly)
  cp -r "$ONNX_ZOO" zoo
  torch_args=(--torch-weights zoo)
else
  "$PLINTH" -q demo-data fraud --rows 8000 --seed 1 --out train.csv
  "$PLINTH" -q demo-data fraud --rows "${ONNX_ZOO_ROWS:-3000}" --seed 2 --out score.csv
  if "$PYTHON" -c 'import torch' 2>/dev/null; then
    "$PYTHON" "$HERE/onnx_zoo_torch.py" --train train.csv --out zoo 2>torch.err ||
      { cat torch.err >&2; fail "the PyTorch network did not train or export"; }
    torch_args=(--torch-weights zoo)
  else
    fail "Debian's python3-torch is missing ($PYTHON): run scripts/setup.sh"
    torch_args=()
  fi
  "$TOOLS_PYTHON" "$HERE/onnx_zoo.py" --train train.csv --rows score.csv --out zoo "${torch_args[@]}" \
    2>zoo.err || { cat zoo.err >&2; fail "onnx_zoo.py failed"; finish; }
fi
mapfile -t MODELS < <("$TOOLS_PYTHON" -c 'import json, sys
for m in json.load(open(sys.argv[1]))["models"]: print(m["name"], m["input"], m["rows"])' zoo/manifest.json)
expect_eq "${#MODELS[@]}" "$(( ${#torch_args[@]} ? 26 : 22 ))" "models in the zoo"

# A model with one float tensor input takes the six handbook columns through a preprocessing
# file: the five numbers as they are, merchant_category as its index in the generator's list.
cat >zoo/preprocessing.yaml <<'YAML'
- {column: amount, kind: numeric}
- {column: merchant_category, kind: ordinal, categories: [grocery, gas, restaurant, online, electronics, travel, entertainment, health]}
- {column: hour_of_day, kind: numeric}
- {column: day_of_week, kind: numeric}
- {column: transaction_velocity, kind: numeric}
- {column: distance_from_home, kind: numeric}
YAML

# model NAME FORM: what plinth takes for the model: the .onnx itself when the graph names its
# columns, else a package `plinth models import` makes with the preprocessing above. A
# network's sigmoid or softmax output does not say it is a classifier: --task does.
model() {
  if [ "$2" = columns ]; then echo "zoo/$1.onnx"; return; fi
  local task=()
  case $1 in
    torch_*_binary) task=(--task binary_classification) ;;
    torch_*_multiclass) task=(--task multiclass_classification) ;;
  esac
  [ -d "pkg/$1" ] || "$PLINTH" -q models import "zoo/$1.onnx" --preprocessing zoo/preprocessing.yaml \
    "${task[@]}" --out "pkg/$1" >/dev/null 2>"pkg-$1.err" || { cat "pkg-$1.err" >&2; return 1; }
  echo "pkg/$1"
}

HANDBOOK='{"amount": 250.0, "merchant_category": "online", "hour_of_day": 3, "day_of_week": 5, "transaction_velocity": 8, "distance_from_home": 120.5}'
failed=()
for entry in "${MODELS[@]}"; do
  read -r name form rows <<<"$entry"
  # Batch scoring on the rows onnxruntime scored.
  if ! m=$(model "$name" "$form") ||
    ! "$PLINTH" -q score --model "$m" --input "zoo/$rows" --output "scored-$name.csv" --threads 2 \
      2>"score-$name.err"; then
    fail "$name: plinth score failed: $(cat "score-$name.err" 2>/dev/null)"; failed+=("$name")
  fi
  # The handbook's request to plinth serve.
  if m=$(model "$name" "$form") && start_server "serve-$name.log" "$m"; then
    out=$(post /predict "$HANDBOOK")
    if [ "${out%%$'\n'*}" = 200 ]; then
      printf '%s' "${out#*$'\n'}" >"served-$name.json"
    else
      fail "$name: /predict answered the handbook's request with $out"; failed+=("$name")
    fi
    kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null || true
  else
    fail "$name: plinth serve did not start"; failed+=("$name")
  fi
done
# Every answer against onnxruntime's (one Python process for all of them).
if ! "$TOOLS_PYTHON" "$HERE/onnx_zoo_check.py" all zoo . >check.out; then
  read -r -a differ <<<"$(sed -n 's/^differ: //p' check.out)"
  for name in "${differ[@]}"; do fail "$name: Plinth's answers differ from onnxruntime's"; done
  failed+=("${differ[@]}")
fi
cat check.out
expect_eq "$(grep -c ' equals onnxruntime' check.out)" \
  "$(( 2 * ${#MODELS[@]} ))" "answers compared with onnxruntime (a score and a request per model)"

# An operator Plinth does not run is refused at load, by score and by serve, naming the node,
# the operator, its domain and opset (Det: ONNX's matrix determinant, in no tabular converter).
"$TOOLS_PYTHON" - <<'PY'
from onnx import TensorProto, helper, save
x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, 4])
y = helper.make_tensor_value_info("score", TensorProto.FLOAT, [None])
shape = helper.make_tensor("shape", TensorProto.INT64, [3], [-1, 2, 2])
nodes = [helper.make_node("Reshape", ["input", "shape"], ["m"], name="to_matrices"),
         helper.make_node("Det", ["m"], ["score"], name="determinant_7")]
g = helper.make_graph(nodes, "det", [x], [y], initializer=[shape])
save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), "det.onnx")
PY
expect_error 2 "determinant_7" "$PLINTH" score --model det.onnx --input zoo/rows.csv --output det.csv
for needle in "Det" "ai.onnx" "17"; do
  expect_contains "$(cat "$SCRATCH/err")" "$needle" "the refusal names $needle"
done
[ ! -e det.csv ] || fail "a refused model left det.csv behind"
expect_error 2 "Det" "$PLINTH" serve det.onnx --port 0

declare -A bad=()
for name in "${failed[@]}"; do bad[$name]=1; done
passed=()
for entry in "${MODELS[@]}"; do
  read -r name _ <<<"$entry"
  [ -n "${bad[$name]:-}" ] || passed+=("$name")
done
echo "models equal to onnxruntime (${#passed[@]}): ${passed[*]}"
[ ${#bad[@]} = 0 ] || echo "models that differ or fail (${#bad[@]}): ${!bad[*]}" >&2

finish
