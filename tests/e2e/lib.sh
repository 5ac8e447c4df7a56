# Shared helpers for end-to-end tests. Each test script sources this, then runs the built
# binary ($PLINTH) in a fresh temporary git repository.
set -euo pipefail

PLINTH=${PLINTH:?set PLINTH to the plinth binary}
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.invalid
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.invalid
failures=0
checks=0    # checks run: expect_* calls and failures (a `cond || fail` that passes is not seen)
skipped=0   # checks that could not run here (skip)
# A Python interpreter for independent oracles (stdlib only: hashlib, json).
PYTHON=$(command -v /usr/bin/python3 || command -v python3)
# The real tools pinned in requirements-test.txt (mlflow, dvc, evidently, pyarrow, polars, ...):
# scripts/setup.sh installs them in a virtual environment; PLINTH_TOOLS_PYTHON is its python,
# and the tools' own commands (dvc, mlflow) sit next to it in TOOLS_BIN.
TOOLS_PYTHON=${PLINTH_TOOLS_PYTHON:-${PLINTH_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}/.venv-test/bin/python}
TOOLS_BIN=$(dirname "$TOOLS_PYTHON")
# need_tools: stops the test (a failure, not a skip) when the pinned environment is missing.
need_tools() {
  [ -x "$TOOLS_PYTHON" ] && return 0
  echo "FAIL: $TOOLS_PYTHON not found: run scripts/setup.sh to install requirements-test.txt" >&2
  exit 1
}

# Creates and enters a temporary repository (git + plinth init), removed on exit.
new_repo() {
  SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/plinth-e2e.XXXXXX")
  trap 'chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
  WORK=$SCRATCH/repo
  mkdir "$WORK"
  cd "$WORK"
  git init -q
  "$PLINTH" init -q
}

# free_port: a TCP port on loopback that nothing listens on now.
free_port() {
  "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_s3rver: an S3 API on loopback (s3rver from npm), bucket `bucket`, keys S3RVER/S3RVER,
# objects kept in $SCRATCH/s3. Sets S3_PORT (kept when started again after stop_s3rver) and
# s3_pid; the caller's EXIT trap calls stop_s3rver.
s3_pid=""
start_s3rver() {
  local s3rver="$PLINTH_SOURCE/node_modules/s3rver/bin/s3rver.js"
  [ -f "$s3rver" ] || { echo "FAIL: s3rver is not installed: run scripts/setup.sh" >&2; exit 1; }
  S3_PORT=${S3_PORT:-$(free_port)}
  mkdir -p "$SCRATCH/s3"
  node --openssl-legacy-provider "$s3rver" -d "$SCRATCH/s3" -a 127.0.0.1 -p "$S3_PORT" \
    --configure-bucket bucket --silent >>"$SCRATCH/s3rver.log" 2>&1 &
  s3_pid=$!
  for _ in $(seq 1 100); do
    (echo >"/dev/tcp/127.0.0.1/$S3_PORT") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "FAIL: s3rver did not start: $(cat "$SCRATCH/s3rver.log")" >&2
  exit 1
}
stop_s3rver() {
  [ -n "$s3_pid" ] || return 0
  kill -9 "$s3_pid" 2>/dev/null || true
  wait "$s3_pid" 2>/dev/null || true
  s3_pid=""
}

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
  checks=$((checks + 1))
}

# skip REASON: a check that cannot run on this machine says so and counts as skipped; finish
# reports the count, and a script whose every check was skipped exits 77 (ctest: skipped).
skip() {
  echo "SKIPPED: $*"
  skipped=$((skipped + 1))
}

expect_eq() {  # actual expected description
  checks=$((checks + 1))
  if [ "$1" != "$2" ]; then
    fail "$3"
    echo "--- expected:" >&2; printf '%s\n' "$2" >&2
    echo "--- actual:" >&2; printf '%s\n' "$1" >&2
  fi
}

expect_contains() {  # haystack needle description
  checks=$((checks + 1))
  case "$1" in
    *"$2"*) ;;
    *) fail "$3: '$2' not in: $1" ;;
  esac
}

# expect_error CODE NEEDLE CMD...: the command exits with CODE and stderr mentions NEEDLE.
expect_error() {
  local code=$1 needle=$2
  shift 2
  local rc=0
  "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || rc=$?
  if [ "$rc" != "$code" ]; then
    fail "'$*' exited $rc, expected $code; stderr: $(cat "$SCRATCH/err")"
  fi
  expect_contains "$(cat "$SCRATCH/err")" "$needle" "stderr of '$*'"
}

# A fingerprint of the workspace and cache (not .git, not .dvc/tmp), to prove a failed
# command changed nothing.
tree_state() {
  find . -path ./.git -prune -o -path ./.dvc/tmp -prune -o -print0 | sort -z |
    xargs -0 stat -c '%n %s %a %F' | md5sum
  find . -path ./.git -prune -o -path ./.dvc/tmp -prune -o -type f -print0 | sort -z |
    xargs -0 -r md5sum | md5sum
}

# Every object in the cache hashes to its name; prints offenders.
cache_consistent() {
  local bad=0
  while IFS= read -r -d '' f; do
    local name=${f#.dvc/cache/files/md5/}
    name=${name/\//}
    name=${name%.dir}
    [ "$(md5sum <"$f" | cut -c1-32)" = "$name" ] || { echo "bad object $f" >&2; bad=1; }
  done < <(find .dvc/cache/files/md5 -mindepth 2 -maxdepth 2 -type f -regextype egrep \
             -regex '.*/[0-9a-f]{2}/[0-9a-f]{30}(\.dir)?' -print0 2>/dev/null)
  return $bad
}

# kill_after DELAY CMD...: runs CMD in the background and kills it with SIGKILL after DELAY
# seconds (if it is still running), to simulate a crash at that point. KILLED_STATUS is CMD's
# exit status: 137 when the kill interrupted it.
kill_after() {
  local delay=$1
  shift
  "$@" &
  local pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null || true
  KILLED_STATUS=0
  wait "$pid" 2>/dev/null || KILLED_STATUS=$?
}

# JSON on stdin printed compactly (no spaces), for comparing with expected text.
compact_json() {
  "$PYTHON" -c 'import json, sys; print(json.dumps(json.load(sys.stdin), separators=(",", ":")))'
}

# fraud_feature_repo DIR CSV: a feature repository in DIR over the fraud transactions in CSV
# (view user_behaviour: transaction_velocity and distance_from_home by user_id; service
# user_features), applied and materialized into its SQLite online store.
fraud_feature_repo() {
  local dir=$1
  mkdir -p "$dir/data" && cp "$2" "$dir/data/transactions.csv"
  cat >"$dir/feature_store.yaml" <<'YAML'
project: fraud
registry: data/registry.db
online_store: {type: sqlite, path: data/online.db}
YAML
  cat >"$dir/features.yaml" <<'YAML'
kind: Entity
name: user
join_keys: [user_id]
value_type: String
---
kind: FileSource
name: transactions
path: data/transactions.csv
timestamp_field: event_timestamp
---
kind: FeatureView
name: user_behaviour
entities: [user]
source: transactions
schema:
  - {name: transaction_velocity, dtype: Float64}
  - {name: distance_from_home, dtype: Float64}
---
kind: FeatureService
name: user_features
features: [user_behaviour]
YAML
  "$PLINTH" features apply -c "$dir" -q >/dev/null
  "$PLINTH" features materialize 2000-01-01T00:00:00 now -c "$dir" -q >/dev/null
}

finish() {
  local skips=""
  [ "$skipped" = 0 ] || skips=", $skipped skipped (see SKIPPED above)"
  if [ "$failures" -gt 0 ]; then
    echo "$failures check(s) failed$skips" >&2
    exit 1
  fi
  if [ "$checks" = 0 ] && [ "$skipped" -gt 0 ]; then
    echo "every check was skipped ($skipped)"
    exit 77
  fi
  echo "all checks passed$skips"
}

