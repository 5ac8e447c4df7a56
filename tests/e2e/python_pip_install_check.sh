#!/usr/bin/env bash
# `pip install ./python` as a user runs it, into a throwaway virtual environment that sees the
# pinned tools (.venv-test, through a .pth file) but never writes into them; the installed
# package then scores a model like `plinth score`. The build reuses `make build`'s objects
# through ccache (same flags and paths), but still compiles nanobind and links on its own: on a
# loaded 2-core machine that took over 3 minutes, so this check is not part of `make test`
# (its name does not end in _test.sh). Run it after `make build`:
#   PLINTH=build/plinth PLINTH_SOURCE=$PWD bash tests/e2e/python_pip_install_check.sh
source "$(dirname "$0")/lib.sh"
need_tools
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/plinth-e2e.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH"
"$TOOLS_PYTHON" -m venv venv
tools_site=$("$TOOLS_PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
venv_site=$(venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$tools_site" >"$venv_site/pinned-tools.pth"
# No build isolation: scikit-build-core and nanobind come from the pinned tools, not the index.
if ! venv/bin/python -m pip install -q --no-build-isolation --no-deps "$PLINTH_SOURCE/python" \
  >pip.log 2>&1; then
  tail -30 pip.log >&2
  fail "pip install ./python"
fi
installed=$(venv/bin/python -c 'import plinth, os; print(os.path.dirname(plinth.__file__))' 2>&1)
expect_contains "$installed" "$venv_site/plinth" "the package is installed in the throwaway venv"
[ ! -e "$tools_site/plinth" ] || fail "pip wrote plinth into the pinned tools' environment"
[ -f "$venv_site/plinth/py.typed" ] || fail "the wheel lacks py.typed"
[ -f "$venv_site/plinth/_plinth.pyi" ] || fail "the wheel lacks the stubs"

"$PLINTH" -q demo-data fraud --rows 3000 --seed 1 --out train.parquet
"$PLINTH" -q demo-data fraud --rows 2000 --seed 2 --out new.parquet
"$PLINTH" -q train --data train.parquet --target is_fraud --threads 1 --out pkg
"$PLINTH" -q score --model pkg --input new.parquet --output scored.parquet
venv/bin/python - <<'PY' || fail "the installed package scores unlike plinth score"
import numpy as np, pyarrow.parquet as pq, plinth
got = plinth.load_model("pkg").predict(pq.read_table("new.parquet"))
expected = pq.read_table("scored.parquet")
for name in ("is_fraud", "fraud_probability"):
    np.testing.assert_array_equal(got[name].to_numpy(), expected[name].to_numpy())
PY
finish
