#!/usr/bin/env bash
# with_onnx_cases.sh PYTHON TEST_BINARY [ARGS...]: writes the ONNX oracle cases (onnx_cases.py,
# onnxruntime's outputs) into a temporary folder and runs the test binary on them.
set -euo pipefail
python=$1
shift
if [ ! -x "$python" ]; then
  echo "FAIL: $python not found: run scripts/setup.sh to install requirements-test.txt" >&2
  exit 1
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/plinth-onnx-cases.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$python" "$(dirname "$0")/onnx_cases.py" "$dir"
PLINTH_ONNX_CASES=$dir "$@"
