#!/usr/bin/env bash
# The shipped Prometheus alert rules (deploy/ and the handbook example's) are valid, and fire (and stay quiet) as their unit tests say.
source "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || { echo "promtool is missing: run scripts/setup.sh" >&2; exit 1; }
cd "$PLINTH_SOURCE/deploy/prometheus"
out=$(promtool check rules alerts.yml 2>&1) || fail "promtool check rules: $out"
expect_contains "$out" "SUCCESS: 4 rules found" "all four alert rules load"
out=$(promtool test rules alerts_test.yml 2>&1) || fail "promtool test rules: $out"
expect_contains "$out" "SUCCESS" "alerts fire on drifted series and not on healthy ones"
# The handbook example's alerts: fraud rate spike, drift share, latency.
cd "$PLINTH_SOURCE/examples/fraud-detection/monitoring"
out=$(promtool check rules alerts.yml 2>&1) || fail "promtool check rules (example): $out"
expect_contains "$out" "SUCCESS: 3 rules found" "the example's three alert rules load"
out=$(promtool test rules alerts_test.yml 2>&1) || fail "promtool test rules (example): $out"
expect_contains "$out" "SUCCESS" "the example's alerts fire when they should and not before"
finish
