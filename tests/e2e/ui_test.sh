#!/usr/bin/env bash
# The web UI of `plinth server` in Debian's Chromium, network blocked except the server: runs
# logged by the real MLflow client appear; sorting, filtering (and a bad filter), paging and a
# shared link; a compare chart with one series per run; a run's charts and artifact previews; a
# stage transition and an alias change, confirmed in the page and visible through the REST API;
# the model's history from the audit log, as the REST API has it; a live run's chart growing.
# Screenshots are kept in build/test-artifacts/ui/.
source "$(dirname "$0")/tracking_lib.sh"
need_tools
new_repo
export NODE_PATH="$PLINTH_SOURCE/node_modules"
trap 'stop_server; [ -z "${live_pid:-}" ] || kill "$live_pid" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
start_server
shots=${PLINTH_TEST_ARTIFACTS:-$(dirname "$PLINTH")/test-artifacts}/ui
mkdir -p "$shots"

"$TOOLS_PYTHON" "$PLINTH_SOURCE/tests/e2e/ui_seed.py" "$BASE" "$SCRATCH/seed.json" >"$SCRATCH/seed.log" 2>&1 ||
  { cat "$SCRATCH/seed.log"; fail "seeding runs through the MLflow client"; }
"$TOOLS_PYTHON" "$PLINTH_SOURCE/tests/e2e/ui_live.py" "$BASE" "$(jq -r .experiment_id "$SCRATCH/seed.json")" \
  "$SCRATCH/live_run" "$SCRATCH/live_stop" >"$SCRATCH/live.log" 2>&1 &
live_pid=$!

report=$(node "$PLINTH_SOURCE/tests/e2e/ui.js" "$BASE" "$SCRATCH/seed.json" "$SCRATCH/live_run" "$shots") ||
  { fail "the browser walk failed: $report"; finish; }
echo "$report" >"$shots/report.json"
touch "$SCRATCH/live_stop"

# What the REST API says, to hold the page to.
call POST "$API/runs/search" "{\"experiment_ids\":[\"$(jq -r .experiment_id "$SCRATCH/seed.json")\"],\"order_by\":[\"metrics.auc DESC\"],\"max_results\":5}"
top_auc=$OUT
call GET "$API/model-versions/get?name=fraud-detector&version=2"
stage=$(field .model_version.current_stage)
call GET "$API/registered-models/alias?name=fraud-detector&alias=champion"
alias_version=$(field .model_version.version)
call GET "$BASE/api/2.0/plinth/audit?model=fraud-detector"
history=$OUT

"$PYTHON" - "$report" "$SCRATCH/seed.json" "$top_auc" "$stage" "$alias_version" "$history" <<'PY' || fail "the UI shows what the API holds: $report"
import json, sys
r = json.loads(sys.argv[1]); seed = json.load(open(sys.argv[2])); top = json.loads(sys.argv[3])
stage, alias_version = sys.argv[4], sys.argv[5]
entries = json.loads(sys.argv[6])["entries"]
shown = [(row[2], row[3]) for row in r["history"]]
logged = [(e["action"].replace("_", " "), e["object"]) for e in reversed(entries)]
assert shown == logged, (shown, logged)
assert shown[:2] == [("set alias", "fraud-detector@champion"), ("transition stage", "fraud-detector/2")], shown
assert "current_stage: " in r["history"][1][4] and r["history"][1][4].endswith("→ Production"), r["history"][1]
assert r["history"][0][1] == "anonymous" and "version: – → 1" in r["history"][0][4], r["history"][0]
fmt = lambda v: str(float(f"{v:.6g}"))
assert r["external"] == [], r["external"]
assert r["page_errors"] == [], r["page_errors"]
assert r["experiments"][:2] in (["churn", "fraud"], ["fraud", "churn"]) and "Default" in r["experiments"], r["experiments"]
assert r["first_page_rows"] == 50, r["first_page_rows"]
assert {"metrics.auc", "params.max_depth", "tags.team"} <= set(r["columns_offered"]), r["columns_offered"]
api_top = [fmt([m["value"] for m in run["data"]["metrics"] if m["key"] == "auc"][0]) for run in top["runs"]]
assert r["sorted_auc_desc"] == api_top, (r["sorted_auc_desc"], api_top)
aucs = sorted(run["auc"] for run in seed["runs"])
assert r["sorted_auc_asc"] == [fmt(a) for a in aucs[:5]], (r["sorted_auc_asc"], aucs[:5])
depth8 = sum(1 for run in seed["runs"] if run["max_depth"] == 8)
assert r["filtered_depths"] == ["8"] * depth8, (r["filtered_depths"], depth8)
assert r["link_rows"] == depth8, r["link_rows"]
assert "metrics.auc >>> 1" in r["bad_filter_error"] or "Invalid" in r["bad_filter_error"], r["bad_filter_error"]
assert r["paging"] == {"page1": 50, "page2": 10, "overlap": 0}, r["paging"]
assert r["back_to_page1"], "Previous returns to the first page"
c = r["compare"]
assert c["series"] == 3 and c["polylines"] == 3, c
assert set(c["differing"]) <= {"max_depth", "learning_rate", "n_estimators"} and c["differing"], c
assert c["canvases"] >= 2, c
assert sorted(r["run"]["params"]) == ["learning_rate", "max_depth", "n_estimators"], r["run"]
assert r["run"]["total_points"] == 20, r["run"]
assert '"threshold": 0.5' in r["run"]["json_preview"], r["run"]
assert r["run"]["image_width"] == 40, r["run"]
assert r["registered_link"].startswith("fraud-detector v1"), r["registered_link"]
assert "v2 Production" in r["models_page"] and "@champion" in r["models_page"], r["models_page"]
assert "fraud-detector" in r["confirm_text"] and "Production" in r["confirm_text"], r["confirm_text"]
assert stage == "Production", stage
assert alias_version == "1", alias_version
live = r["live"]
assert live["later"] > live["first"] >= 1 and live["same_page"] and live["indicator"] == 1, live
assert live["title"].startswith(f"loss ({live['later']:,} points"), live
PY
for s in experiments runs-sorted compare run registry live; do
  [ "$(stat -c %s "$shots/$s.png")" -gt 10000 ] || fail "screenshot $s is empty"
done
finish
