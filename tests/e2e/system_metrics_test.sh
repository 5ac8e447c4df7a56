#!/usr/bin/env bash
# System metrics under MLflow's names. `plinth runs exec` runs a command that holds ~300 MB and
# burns a CPU for 3 s, sampled every 0.5 s, while psutil (MLflow's own source of these numbers)
# watches the same process; the MLflow client then reads the run from `plinth server` and the
# values must match psutil's over the same windows. Also: exit codes and statuses (FAILED with
# the code, FINISHED, KILLED on a terminal's Ctrl-C with the command signalled once), stdin and
# stdout passing through, and `plinth repro --system-metrics-interval`.
source "$(dirname "$0")/tracking_lib.sh"
need_tools
new_repo
trap 'stop_server; rm -rf "$SCRATCH"' EXIT
HERE=$PLINTH_SOURCE/tests/e2e
ORACLE=("$TOOLS_PYTHON" "$HERE/system_metrics_oracle.py")
WORKLOAD=("$PYTHON" "$HERE/system_metrics_workload.py")
export MLFLOW_DISABLE_TELEMETRY=true MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false PYTHONWARNINGS=ignore MLFLOW_HTTP_REQUEST_MAX_RETRIES=0
start_server
export PLINTH_TRACKING_URI=$BASE
W=$SCRATCH
# The check imports mlflow (seconds) while the commands run, then waits for $W/done.
"${ORACLE[@]}" check "$BASE" "$W" >"$W/check.out" 2>&1 &
checker=$!

"${ORACLE[@]}" net >"$W/net0"
"${ORACLE[@]}" watch "$W/pid" "$W/go" "$W/watch.json" &
watcher=$!
rc=0
timeout 60 "$PLINTH" runs exec -e sysmetrics -n burner --system-metrics-interval 0.5 -- \
  "${WORKLOAD[@]}" burn "$W/pid" "$W/go" 3 >"$W/burn.out" 2>"$W/burn.err" || rc=$?
wait "$watcher"
expect_eq "$rc" 3 "runs exec exits with the command's exit code"
expect_contains "$(cat "$W/burn.err")" "burning on stderr" "the command's stderr stays on stderr"
expect_contains "$(cat "$W/burn.err")" "FAILED (exit code 3)" "runs exec says how the run ended"
case "$(cat "$W/burn.out")" in *"burning on stderr"* | *"plinth:"*)
  fail "stdout holds more than the command's stdout: $(cat "$W/burn.out")" ;; esac

out=$(echo "from stdin" | "$PLINTH" runs exec -e sysmetrics -n ok -- cat 2>/dev/null)
expect_eq "$out" "from stdin" "stdin reaches the command and its stdout comes back"

"${ORACLE[@]}" ctrl-c "$W/ctrl-c.json" "$PLINTH" runs exec -e sysmetrics -n interrupted \
  --system-metrics-interval 0 -- "${WORKLOAD[@]}" interrupt "$W/sigints"

expect_error 127 "cannot run 'no-such-program'" "$PLINTH" runs exec -e typo -- no-such-program
expect_error 2 "--system-metrics-interval" "$PLINTH" runs exec --system-metrics-interval -1 -- true
expect_error 2 "--system-metrics-interval" "$PLINTH" repro --system-metrics-interval x

# A pipeline stage that holds 100 MB for 1.2 s, reproduced with system metrics every 0.25 s, and
# one that waits for Ctrl-C.
cat >stage.py <<'PY'
import json, time
data = b"\x01" * 100_000_000
start = time.time()
while time.time() - start < 1.2:
    pass
json.dump({"acc": 0.9}, open("metrics.json", "w"))
PY
cat >dvc.yaml <<YAML
stages:
  burn:
    cmd: $PYTHON stage.py
    deps: [stage.py]
    metrics: [{metrics.json: {cache: false}}]
  wait:
    cmd: $PYTHON -c "import time; print('ready', flush=True); time.sleep(30)"
YAML
"$PLINTH" repro -e pipe --system-metrics-interval 0.25 burn >/dev/null
# Ctrl-C during a tracked repro: the run ends KILLED instead of staying RUNNING.
"${ORACLE[@]}" ctrl-c "$W/repro-ctrl-c.json" "$PLINTH" repro -e pipe-int wait

touch "$W/done"
wait "$checker" || fail "the runs as the MLflow client reads them: $(cat "$W/check.out")"
finish
