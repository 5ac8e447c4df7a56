#!/usr/bin/env bash
# Installs every Debian package Plinth needs to build, test and run its demo.
# Idempotent: packages already present are skipped, so a second run does nothing.
set -euo pipefail

# The one list. Add a package here, with the reason in the commit that adds it.
packages=(
  # build
  cmake ninja-build g++ ccache pkg-config git clang-format
  # libraries
  libssl-dev libsqlite3-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
  libgit2-dev libspdlog-dev libfmt-dev
  # remotes (S3 over HTTP)
  libcurl4-openssl-dev
  # Boost: Beast/Asio for the HTTP server, Math for the drift tests (Debian's 1.74; never
  # libboost1.81-dev, see TOOLCHAIN.md); the PostgreSQL store's client library, and a
  # PostgreSQL server for its tests
  libboost-dev libpq-dev postgresql
  # team servers: Argon2id password hashes, SHA-256 token hashes, constant-time compares
  libsodium-dev
  # tables (Parquet metadata and codecs; libbrotli-dev because pyarrow and polars offer
  # BROTLI pages and users' files use it)
  libthrift-dev thrift-compiler libsnappy-dev libzstd-dev liblz4-dev zlib1g-dev libbrotli-dev
  # models: training and reference prediction through XGBoost's C API (Debian's 1.7)
  libxgboost-dev
  # ONNX models: Debian's libonnx (protobuf classes, checker) and the protobuf it needs
  libonnx-dev libprotobuf-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev python3
  # tracking server tests: curl drives the REST API, jq reads its answers
  curl jq
  # benchmark peers
  awscli
  # promtool checks and unit-tests the Prometheus alert rules in deploy/prometheus
  prometheus
  # statistics oracles for the drift tests (Debian's scipy 1.10, used by tests only)
  python3-scipy python3-numpy
  # classification-quality oracle (scikit-learn's metrics, used by tests only)
  python3-sklearn
  # prediction oracle for the model tests, and the Python peer in bench/models.sh; the model
  # oracle reads MLmodel with PyYAML
  python3-xgboost python3-yaml
  # the handbook's PyTorch network, exported to ONNX by Debian's torch 1.13 (legacy exporter)
  python3-torch
  # the feature store's online store and its tests: hiredis is the client, redis-server the
  # real server the tests start on loopback
  libhiredis-dev redis-server
  # the Python package's extension module (python/, built with nanobind) needs Python's headers
  python3-dev
  # pyspark's local Spark ([scale]: the handbook's batch job with plinth inside) runs on Java 17
  openjdk-17-jre-headless
  # oracle for CSV parsing and column statistics, and the peer in bench/tables.sh
  python3-pandas
  # browser tests: generated HTML reports are rendered in headless Chromium
  chromium
  # FastAPI + uvicorn: the oracle for plinth serve's 422 bodies (tests/e2e/serve_test.sh; their
  # Depends suffice, no Recommends) and the handbook's reference server in bench/serving.sh,
  # where wrk drives the servers and nginx with a fixed body is the HTTP ceiling
  python3-fastapi python3-uvicorn wrk nginx
  # the virtual environment for the real tools (requirements-test.txt), when python3 is Debian's
  python3-venv
)
# Node.js and npm run the S3 test server and the Parquet cross-check reader. The machines ship
# Node 20 with npm; a bare Debian 12 gets Debian's.
command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# playwright-core (the browser tests' driver) needs Node 20; Debian 12's own is 18.
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: warning: Node.js $node_major found; the browser tests (the plots page and" \
    "plinth serve's /docs) need Node 20 or newer (e.g. from NodeSource); everything else" \
    "works with Node 18" >&2
fi

# npm packages (the UI build and test tools), exactly as package-lock.json pins them. Skipped
# when the lockfile has not changed since the last install.
cd "$(dirname "$0")/.."
if ! cmp -s package-lock.json node_modules/.plinth-installed-lock 2>/dev/null; then
  echo "setup: installing npm packages (the UI build: vite, typescript, preact, uplot;" \
    "test tools: s3rver, hyparquet, playwright-core)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  cp package-lock.json node_modules/.plinth-installed-lock
fi

# The real tools (MLflow, DVC, Evidently, Feast, pyarrow, polars, onnxruntime, ...) that tests
# and benchmarks run beside Plinth, exactly as requirements-test.txt pins them (with hashes),
# in .venv-test/; the oldest W&B SDK the [wandb] tests drive, in .venv-wandb-0.19/. Tests find
# their interpreters as PLINTH_TOOLS_PYTHON and PLINTH_WANDB_OLD_PYTHON. Each is skipped when its
# pins have not changed since the last install. Debian's own python3-* oracles stay apart
# (TOOLCHAIN.md).
pip_version=26.3
install_venv() { # VENV REQUIREMENTS
  local venv=$1 requirements=$2
  if cmp -s "$requirements" "$venv/.plinth-installed-requirements" 2>/dev/null; then
    return
  fi
  echo "setup: installing the pinned Python tools of $requirements into $venv" \
    "(a few minutes the first time)"
  local start
  start=$(date +%s)
  # A venv without pip (python3 -m venv stopped in ensurepip) is made again, not reused.
  if ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
    rm -rf "$venv"
    if ! python3 -m venv "$venv"; then
      rm -rf "$venv"
      echo "setup: error: 'python3 -m venv $venv' failed: install python3-venv and run" \
        "scripts/setup.sh again" >&2
      exit 1
    fi
  fi
  local log="$venv/pip-install.log"
  # pip 23 (Python 3.11's) refuses a hashed requirement that another one names with extras.
  if ! "$venv/bin/python" -m pip install --disable-pip-version-check -q "pip==$pip_version" >"$log" 2>&1 ||
    ! "$venv/bin/python" -m pip install --disable-pip-version-check --no-input \
      --require-hashes -r "$requirements" >"$log" 2>&1; then
    # pip names the package it stopped at on its ERROR lines (and on "Failed building wheel").
    echo "setup: error: pip could not install $requirements into $venv:" >&2
    grep -A2 -E "^ERROR|Failed building wheel for" "$log" | head -n 6 | sed 's/^/setup:   /' >&2 || true
    echo "setup: the full log is $log; fix the pin in ${requirements%.txt}.in, regenerate" \
      "$requirements (the command is in ${requirements%.txt}.in) and run scripts/setup.sh again" >&2
    exit 1
  fi
  cp "$requirements" "$venv/.plinth-installed-requirements"
  echo "setup: $venv installed in $(( $(date +%s) - start )) s"
}
install_venv .venv-test requirements-test.txt
install_venv .venv-wandb-0.19 requirements-wandb-0.19.txt
