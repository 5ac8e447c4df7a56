#!/usr/bin/env bash
# `pip install ./python` as a user runs it, into a throwaway virtual environment that sees the
# pinned tools (.venv-test, through a .pth file) but never writes into them. What the user gets:
# the package from the wheel (not build/python), its version, the stubs and py.typed, pip's
# metadata, an extension module that needs nothing from the build folder, and scores equal to
# `plinth score`'s.
#
# Fast because nothing is compiled twice: scikit-build-core builds in BUILD-python, a folder
# next to the main build's (so a repeat install is incremental), with the main build's compiler
# and ccache (CMake's launcher). With ccache's default settings the command lines hold absolute
# paths and match from any folder; with a base_dir set, ccache rewrites them relative to the
# build folder, so only a folder at the main build's depth matches — hence next to it. And
# scikit-build-core would set CXX to Python's own (g++ rather than CMake's c++), which ccache
# hashes by name.
source "$(dirname "$0")/lib.sh"
need_tools
if ! command -v ccache >/dev/null; then
  skip "no ccache: pip install ./python would compile every library again (about 30 min on 2 busy cores)"
  finish
fi
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/plinth-e2e.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
MAIN_BUILD=$(cd "$(dirname "$PLINTH")" && pwd)
WHEEL_BUILD=$MAIN_BUILD-python
cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$MAIN_BUILD/CMakeCache.txt" 2>/dev/null || true)
cd "$SCRATCH"
# Without its own pip (ensurepip takes 20 s under load): the pinned tools' pip, importable
# through the .pth, installs into the venv it runs in.
"$TOOLS_PYTHON" -m venv --without-pip venv
tools_site=$("$TOOLS_PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
venv_site=$(venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$tools_site" >"$venv_site/pinned-tools.pth"
unset PYTHONPATH  # the installed package, never the main build's build/python

# No build isolation: scikit-build-core and nanobind come from the pinned tools, not the index.
# One install at a time per build folder (flock), for parallel runs of this test.
mkdir -p "$WHEEL_BUILD"
start=$(date +%s)
if ! env ${cxx:+CXX=$cxx} flock "$WHEEL_BUILD/install.lock" venv/bin/python -m pip install -v \
  --no-build-isolation --no-deps --no-cache-dir --config-settings=build-dir="$WHEEL_BUILD" \
  "$PLINTH_SOURCE/python" >pip.log 2>&1; then
  tail -30 pip.log >&2
  fail "pip install ./python"
  finish
fi
echo "pip install ./python: $(($(date +%s) - start)) s," \
  "$(grep -c 'Building CXX' pip.log || true) files compiled (ccache hits included)"

info=$(venv/bin/python - <<'PY'
import json, os, plinth
print(json.dumps({"file": plinth.__file__, "version": plinth.__version__,
                  "module": plinth._plinth.__file__}))
PY
)
pkg=$venv_site/plinth
expect_eq "$(jq -r .file <<<"$info")" "$pkg/__init__.py" "import plinth finds the installed package"
module=$(jq -r .module <<<"$info")
expect_contains "$module" "$pkg/_plinth." "the extension module is the wheel's"
[ ! -e "$tools_site/plinth" ] || fail "pip wrote plinth into the pinned tools' environment"
for f in py.typed _plinth.pyi __init__.py; do
  [ -f "$pkg/$f" ] || fail "the wheel lacks plinth/$f"
done
checks=$((checks + 1))
cmp -s "$pkg/_plinth.pyi" "$PLINTH_SOURCE/python/plinth/_plinth.pyi" || fail "the stubs differ from python/plinth"

# Version: one number in pyproject.toml, plinth.__version__ and pip's metadata.
declared=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$PLINTH_SOURCE/python/pyproject.toml")
expect_eq "$(jq -r .version <<<"$info")" "$declared" "plinth.__version__ is pyproject.toml's"
show=$(venv/bin/python -m pip show -f plinth)
expect_contains "$show" "Name: plinth" "pip show names the package"
expect_contains "$show" "Version: $declared" "pip show gives the version"
expect_contains "$show" "Location: $venv_site" "pip show gives the venv"
expect_contains "$show" "Requires: numpy, pyarrow" "pip show lists the dependencies"
expect_contains "$show" "plinth/_plinth.pyi" "pip's record lists the stubs"
expect_contains "$show" "plinth/py.typed" "pip's record lists py.typed"

# The module links the C++ libraries statically: no path into a build folder, nothing missing.
deps=$(ldd "$module")
checks=$((checks + 1))
! grep -q "not found" <<<"$deps" || fail "the module misses libraries: $(grep 'not found' <<<"$deps")"
checks=$((checks + 1))
! readelf -d "$module" | grep -q "$MAIN_BUILD" || fail "the module points into $MAIN_BUILD"

"$PLINTH" -q demo-data fraud --rows 3000 --seed 1 --out train.parquet
"$PLINTH" -q demo-data fraud --rows 2000 --seed 2 --out new.parquet
"$PLINTH" -q train --data train.parquet --target is_fraud --threads 1 --out pkg
"$PLINTH" -q score --model pkg --input new.parquet --output scored.parquet
checks=$((checks + 1))
venv/bin/python - <<'PY' || fail "the installed package scores unlike plinth score"
import numpy as np, pyarrow.parquet as pq, plinth
got = plinth.load_model("pkg").predict(pq.read_table("new.parquet"))
expected = pq.read_table("scored.parquet")
assert got.num_rows == expected.num_rows == 2000
for name in ("is_fraud", "fraud_probability"):
    np.testing.assert_array_equal(got[name].to_numpy(), expected[name].to_numpy())
PY
finish
