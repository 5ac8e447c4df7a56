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
finish
