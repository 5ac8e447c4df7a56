#!/usr/bin/env bash
# The model server fetches its own features: a package declaring
# `features: {service: user_features, entity_key: user_id}` is served with --feature-repo; a
# request carries the user id and the request-time fields, the rest comes from the online
# store. The joined row equals the historical (point-in-time) join at the same instant — shown
# by the prediction log and by scoring the same row sent in full — and an unknown user gets a
# clear 422.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
new_repo
trap 'stop_servers; rm -rf "$SCRATCH"' EXIT

"$PLINTH" -q demo-data fraud --rows 3000 --seed 1 --out train.csv
"$PLINTH" -q train --data train.csv --target is_fraud --threads 1 --out model >/dev/null
# The package declares where its user features come from (MLmodel, plinth flavor).
sed -i 's/^  plinth:$/  plinth:\n    features: {service: user_features, entity_key: user_id}/' model/MLmodel
grep -q "service: user_features" model/MLmodel || fail "could not declare features in MLmodel"

fraud_feature_repo fs train.csv

# Without the repository the package refuses to load, saying what to give.
expect_error 2 "--feature-repo" "$PLINTH" serve model --port 0
start_server "$SCRATCH/serve.log" model --feature-repo fs --log-predictions logs

users=$(cut -d, -f2 train.csv | tail -n +2 | sort -u | head -5)
rows=""
for u in $users; do
  req="{\"user_id\": \"$u\", \"amount\": 42.5, \"merchant_category\": \"online\", \"hour_of_day\": 3, \"day_of_week\": 2}"
  out=$(post /predict "$req")
  expect_eq "$(echo "$out" | head -1)" 200 "enriched /predict for $u"
  echo "$out" | tail -n +2 >"$SCRATCH/enriched-$u.json"
  rows+="$u,2030-01-01T00:00:00Z"$'\n'
done

# The oracle: the point-in-time join at the same instant (now; all events are in the past).
printf 'user_id,event_timestamp\n%s' "$rows" >entities.csv
"$PLINTH" features historical -c fs --entities "$PWD/entities.csv" --service user_features --out "$PWD/hist.csv" -q
while IFS=, read -r u ts velocity distance; do
  [ "$u" = user_id ] && continue
  full="{\"user_id\": \"$u\", \"amount\": 42.5, \"merchant_category\": \"online\", \"hour_of_day\": 3, \"day_of_week\": 2, \"transaction_velocity\": $velocity, \"distance_from_home\": $distance}"
  out=$(post /predict "$full")
  expect_eq "$(echo "$out" | tail -n +2 | "$PYTHON" -c 'import json,sys; d=json.load(sys.stdin); d.pop("model_version"); print(json.dumps(d, sort_keys=True))')" \
    "$("$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("model_version"); print(json.dumps(d, sort_keys=True))' "$SCRATCH/enriched-$u.json")" \
    "the enriched prediction for $u equals the one scored with the historical join's features"
done < <("$PYTHON" -c '
import csv, sys
for r in csv.DictReader(open("hist.csv")):
    print(",".join([r["user_id"], r["event_timestamp"], r["transaction_velocity"], r["distance_from_home"]]))')

# Unknown user, missing key: 422 naming them; nothing scored.
out=$(post /predict '{"user_id": "user_999999", "amount": 1.0, "merchant_category": "online", "hour_of_day": 3, "day_of_week": 2}')
expect_eq "$(echo "$out" | head -1)" 422 "unknown user"
expect_contains "$out" "user_999999" "the 422 names the user"
out=$(post /predict '{"amount": 1.0, "merchant_category": "online", "hour_of_day": 3, "day_of_week": 2}')
expect_eq "$(echo "$out" | head -1)" 422 "no entity key"
expect_contains "$out" "user_id" "the 422 names the entity key"

# A package that declares no features (one logged with mlflow.onnx, say) is given them at
# serve time: the same enriched answer.
cp -r model plain && sed -i '/service: user_features/d' plain/MLmodel
expect_error 2 "--entity-key" "$PLINTH" serve plain --port 0 --feature-repo fs \
  --feature-service user_features
first_pid=$SERVER_PID first_url=$URL
start_server "$SCRATCH/plain.log" plain --feature-repo fs --feature-service user_features \
  --entity-key user_id
u=$(echo "$users" | head -1)
out=$(post /predict "{\"user_id\": \"$u\", \"amount\": 42.5, \"merchant_category\": \"online\", \"hour_of_day\": 3, \"day_of_week\": 2}")
expect_eq "$(echo "$out" | head -1)" 200 "--feature-service enriches a package that declares none"
expect_eq "$(echo "$out" | tail -n +2 | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["probability"])')" \
  "$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["probability"])' "$SCRATCH/enriched-$u.json")" \
  "the same probability as the declared package's"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=$first_pid URL=$first_url

# The prediction log holds the joined rows (features read from the store).
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
log=$(ls logs/*.parquet | head -1)
"$PLINTH" -q table convert "$log" "$SCRATCH/log.csv"
"$PYTHON" - "$SCRATCH/log.csv" hist.csv <<'PY' || fail "the prediction log's joined rows differ from the historical join"
import csv, sys
hist = list(csv.DictReader(open(sys.argv[2])))
logged = list(csv.DictReader(open(sys.argv[1])))
assert len(logged) == 2 * len(hist), len(logged)
# The enriched requests came first, one per user in the order of the entity rows.
for r, h in zip(logged, hist):
    for f in ("transaction_velocity", "distance_from_home"):
        assert float(r[f]) == float(h[f]), (h["user_id"], f, r[f], h[f])
print("log ok")
PY
finish
