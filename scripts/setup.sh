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
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev python3
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
