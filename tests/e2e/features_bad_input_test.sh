#!/usr/bin/env bash
# Bad feature definitions and bad entity rows: each error names the file, line, object or
# value at fault and says what to do; a failed apply leaves the registry as it was.
source "$(dirname "$0")/lib.sh"
new_repo
mkdir -p feature_repo/data
cd feature_repo
printf 'project: bad_input\n' >feature_store.yaml
printf 'user_id,amount,event_timestamp\n1,10.5,2026-01-01T00:00:00Z\n1,20,2026-01-01T00:30:00Z\n' >data/tx.csv
cat >features.yaml <<'YAML'
kind: Entity
name: user
join_keys: [user_id]
---
kind: FileSource
name: tx
path: data/tx.csv
timestamp_field: event_timestamp
---
kind: FeatureView
name: spend
entities: [user]
ttl: 1d
source: tx
schema:
  - {name: amount, dtype: Float64}
YAML
cp features.yaml "$SCRATCH/good.yaml"
expect_error 3 "no feature_store.yaml in" "$PLINTH" features apply --repo data
"$PLINTH" features apply >/dev/null
registry=$(md5sum registry.json)

# Each bad definition: exit 2, an error naming it, and the registry untouched.
bad_definition() {  # sed-expression needle description
  sed "$1" "$SCRATCH/good.yaml" >features.yaml
  expect_error 2 "$2" "$PLINTH" features apply
  expect_eq "$(md5sum registry.json)" "$registry" "registry unchanged after: $3"
}
bad_definition 's/entities: \[user\]/entities: [customer]/' \
  "features.yaml:10: feature view 'spend' uses unknown entity 'customer'" "unknown entity"
bad_definition 's/name: amount/name: amont/' \
  "schema field 'amont' is not a column of source 'tx' (data/tx.csv; columns: user_id, amount, event_timestamp)" \
  "field missing from the source"
bad_definition 's/ttl: 1d/ttl: 1 day/' "feature view 'spend' ttl: '1 day' is not a duration" "bad ttl"
bad_definition 's/kind: FeatureView/kind: FeatureVeiw/' "features.yaml:10: unknown kind 'FeatureVeiw'" "unknown kind"
bad_definition 's/ttl: 1d/tll: 1d/' "FeatureView 'spend' has unknown key 'tll'" "misspelt key"
bad_definition 's|data/tx.csv|data/missing.csv|' "data/missing.csv' does not exist" "missing source file"
bad_definition 's/dtype: Float64/dtype: String/' "field 'amount' is declared String but source 'tx' holds float64" "wrong dtype"
cp "$SCRATCH/good.yaml" features.yaml
sed -n 1,3p "$SCRATCH/good.yaml" >more.yaml
expect_error 2 "more.yaml:1: duplicate entity name 'user' (also defined at features.yaml:1)" "$PLINTH" features apply
expect_eq "$(md5sum registry.json)" "$registry" "registry unchanged after a duplicate name"
rm more.yaml

# Bad requests and entity rows.
printf 'user_id,event_timestamp\n1,2026-01-01T01:00:00Z\n' >entities.csv
hist() { "$PLINTH" features historical --entities "$1" -o "$SCRATCH/out.csv" "${@:2}"; }
expect_error 3 "unknown feature 'amout' in feature view 'spend' (features: amount)" \
  hist entities.csv --features spend:amout
expect_error 3 "unknown feature view 'spnd' (defined: spend)" hist entities.csv --features spnd:amount
expect_error 3 "unknown feature service 'nope'" hist entities.csv --service nope
printf 'customer,event_timestamp\n1,2026-01-01T01:00:00Z\n' >customers.csv
expect_error 2 "customers.csv: join key column 'user_id' (needed by feature view 'spend') is missing" \
  hist customers.csv --features spend:amount
printf 'user_id,event_timestamp\n1,2026-01-01T01:00:00Z\n2,tomorrow\n' >when.csv
expect_error 2 "when.csv: column 'event_timestamp', row 2: 'tomorrow' is not a timestamp" \
  hist when.csv --features spend:amount
printf 'user_id,event_timestamp\nu1,2026-01-01T01:00:00Z\n' >text_keys.csv
expect_error 2 "join key column 'user_id' holds string but feature view 'spend' has int64 keys" \
  hist text_keys.csv --features spend:amount
printf 'user_id,amount,event_timestamp\n1,3,2026-01-01T01:00:00Z\n' >collide.csv
expect_error 2 "feature column 'amount' (spend:amount) collides" hist collide.csv --features spend:amount
[ ! -e "$SCRATCH/out.csv" ] || fail "a failed historical join left an output file"

hist entities.csv --features spend:amount >/dev/null
expect_eq "$(cat "$SCRATCH/out.csv")" "user_id,event_timestamp,amount
1,2026-01-01T01:00:00Z,20.0" "the good request still works"
finish
