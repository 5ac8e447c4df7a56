#!/usr/bin/env bash
# Point-in-time training sets and windowed aggregates against oracles made elsewhere: Feast's
# own get_historical_features (file offline store, a Feast repository written here), the
# spec's reference join (pandas merge_asof) and pandas rolling windows, on random data with
# 100,000 entity rows, ties, gaps beyond the ttl and duplicates.
source "$(dirname "$0")/lib.sh"
need_tools
ORACLE="$(dirname "$0")/features_oracle.py"
new_repo
mkdir -p feature_repo/data
cd feature_repo
"$TOOLS_PYTHON" "$ORACLE" generate "$PWD" 17 100000

# The same definitions, applied by Plinth from features.yaml.
"$PLINTH" features apply >"$SCRATCH/apply.out"
expect_contains "$(cat "$SCRATCH/apply.out")" "Created feature view user_transactions" "apply"
expect_eq "$("$PLINTH" features plan)" "No changes to registry" "plan after apply"

# Feast, then Plinth, on the same files.
"$TOOLS_PYTHON" "$ORACLE" feast "$PWD" "$SCRATCH/feast.parquet" >"$SCRATCH/feast.log" 2>&1 ||
  { cat "$SCRATCH/feast.log" >&2; fail "Feast's get_historical_features failed"; }
"$PLINTH" features historical --entities entities.parquet --full-feature-names \
  --features user_stats:conv_rate,user_stats:trips,user_stats:tier \
  --features merchant_stats:risk,merchant_stats:category --out "$SCRATCH/plinth.parquet" >/dev/null
if "$TOOLS_PYTHON" "$ORACLE" compare "$PWD" "$SCRATCH/feast.parquet" "$SCRATCH/plinth.parquet" \
  >"$SCRATCH/compare.out"; then
  checks=$((checks + 1))
  cat "$SCRATCH/compare.out"
else
  cat "$SCRATCH/compare.out" >&2
  fail "training set differs from Feast's / the reference join"
fi

# Windowed aggregates as of each entity row against pandas rolling windows.
aggs=user_transactions:txn_count_1h,user_transactions:amount_sum_24h
aggs=$aggs,user_transactions:amount_mean_24h,user_transactions:amount_std_24h
aggs=$aggs,user_transactions:amount_min_7d,user_transactions:amount_max_7d
aggs=$aggs,user_transactions:amount_last_1h
"$PLINTH" features historical --entities entities.parquet --features "$aggs" \
  --out "$SCRATCH/aggregates.parquet" >/dev/null
if "$TOOLS_PYTHON" "$ORACLE" rolling "$PWD" "$SCRATCH/aggregates.parquet" >"$SCRATCH/rolling.out"; then
  checks=$((checks + 1))
  cat "$SCRATCH/rolling.out"
else
  cat "$SCRATCH/rolling.out" >&2
  fail "windowed aggregates differ from pandas rolling"
fi
finish
