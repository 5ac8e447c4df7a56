#!/usr/bin/env bash
# ONNX tree operators (TreeEnsembleClassifier, TreeEnsembleRegressor, ml opset 5 TreeEnsemble)
# on Plinth's tree kernels against onnxruntime: scikit-learn forests and boosted trees via
# skl2onnx (NaN inputs for HistGradientBoosting), XGBoost and LightGBM via onnxmltools, and
# hand-built nodes for the binary rule, every post_transform and aggregate, ==/!=/set splits and
# double input (tests/model/onnx_tree_oracle.py). Scores within 1e-5 relative, labels equal
# (a row whose two labels' scores tie exactly may take either).
source "$(dirname "$0")/lib.sh"
need_tools
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/plinth-e2e.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
PLINTH_SOURCE=${PLINTH_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
CHECK=$(dirname "$PLINTH")/tests/onnx_tree_check
[ -x "$CHECK" ] || { echo "FAIL: $CHECK not built" >&2; exit 1; }
"$TOOLS_PYTHON" "$PLINTH_SOURCE/tests/model/onnx_tree_oracle.py" "$SCRATCH" 2>&1 |
  grep -v VerifyOutputSizes || fail "the oracle script failed"
out=$("$CHECK" "$SCRATCH") || fail "tree kernels differ from onnxruntime"
echo "$out"
expect_contains "$out" "agree with onnxruntime" "the check ran"
expect_contains "$out" ", 0 differ" "every tree node agrees"
finish
