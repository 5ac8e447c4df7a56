#!/usr/bin/env bash
# pyarrow and polars, the pinned versions from requirements-test.txt, as the oracles for
# Plinth's Parquet and CSV, both ways: files Plinth writes read the same in pyarrow and polars
# (values, types, codecs, dictionaries, statistics), and files pyarrow and polars write with
# their options for flat schemas read the same in Plinth. The checks are in
# tables_arrow_oracle.py, which prints one line per failed check.
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
need_tools
new_repo

"$TOOLS_PYTHON" "$HERE/tables_arrow_oracle.py" "$PLINTH" "$SCRATCH/oracle" ||
  fail "pyarrow or polars disagree with Plinth (see above)"

finish
