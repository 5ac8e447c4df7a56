#!/usr/bin/env bash
# The acceptance path of tracking + models: a package from `plinth train`, logged to a run and
# registered, resolves by models:/NAME/Production and by alias to the same package, which
# scores and serves as the drift reference.
source "$(dirname "$0")/lib.sh"
export OMP_WAIT_POLICY=PASSIVE
new_repo
export PLINTH_TRACKING_URI="sqlite:///$WORK/mlruns.db"
"$PLINTH" -q demo-data fraud --rows 4000 --seed 1 --out train.csv
"$PLINTH" -q demo-data fraud --rows 2000 --seed 2 --out new.csv
run_id=$("$PLINTH" runs start -e fraud)
"$PLINTH" -q train --data train.csv --target is_fraud --threads 1 --run-id "$run_id" --out model
"$PLINTH" artifacts log model >/dev/null
"$PLINTH" runs end >/dev/null
"$PLINTH" models register fraud-detector "runs:/$run_id/model" >/dev/null
"$PLINTH" models transition fraud-detector 1 Production >/dev/null
"$PLINTH" models alias fraud-detector champion 1 >/dev/null

for uri in models:/fraud-detector/Production models:/fraud-detector@champion models:/fraud-detector/1; do
  dir=$("$PLINTH" models resolve "$uri")
  [ -f "$dir/MLmodel" ] && [ -f "$dir/profile.json" ] || fail "$uri resolves to a package ($dir)"
  expect_eq "$(cd "$dir" && find . -type f | sort | xargs md5sum)" \
    "$(cd model && find . -type f | sort | xargs md5sum)" "$uri is the trained package, byte for byte"
  expect_contains "$(cat "$dir/MLmodel")" "$run_id" "the registered package names its run"
done

# The registered package scores like the trained one and is a drift reference.
dir=$("$PLINTH" models resolve models:/fraud-detector/Production)
"$PLINTH" -q score --model model --input new.csv --output a.csv
"$PLINTH" -q score --model "$dir" --input new.csv --output b.csv
expect_eq "$(md5sum <b.csv)" "$(md5sum <a.csv)" "same predictions from the registry's copy"
out=$("$PLINTH" drift --reference models:/fraud-detector/Production --current new.csv)
expect_contains "$out" "Dataset drift: not detected" "the model's profile as the drift reference"
# Lineage in one command: train --register tracks the run (params, held-out metrics, the
# training data's md5 as a dataset input, the package) and registers version 2.
out=$("$PLINTH" train --data train.csv --target is_fraud --threads 1 --out model2 \
  --experiment fraud --register fraud-detector --json)
run2=$(echo "$out" | "$PYTHON" -c 'import json,sys; d=json.load(sys.stdin); print(d["run_id"]); assert d["registered_version"] == "2", d')
expect_contains "$(cat model2/MLmodel)" "$run2" "MLmodel names the tracked run"
shown=$("$PLINTH" runs show "$run2" --json)
"$PYTHON" - "$shown" "$(md5sum <train.csv | cut -c1-32)" <<'PY' || fail "the run records params, metrics and the data's md5"
import json, sys
run = json.loads(sys.argv[1])
run = run.get("run", run)
params = {p["key"]: p["value"] for p in run["data"].get("params", [])}
metrics = {m["key"]: m["value"] for m in run["data"].get("metrics", [])}
assert params["algorithm"] == "gbt" and params["target"] == "is_fraud", params
assert 0.5 < metrics["roc_auc"] <= 1, metrics
assert run["info"]["status"] == "FINISHED", run["info"]
digests = [d["dataset"]["digest"] for d in run["inputs"]["dataset_inputs"]]
assert sys.argv[2] in digests, digests
PY
dir=$("$PLINTH" models resolve models:/fraud-detector/2)
expect_eq "$(cd "$dir" && find . -type f | sort | xargs md5sum)" \
  "$(cd model2 && find . -type f | sort | xargs md5sum)" "version 2 is the package train --register wrote"
expect_error 2 "give one or the other" "$PLINTH" train --data train.csv --target is_fraud --out m3 \
  --run-id "$run2" --register fraud-detector
finish
