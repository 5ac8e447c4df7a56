#!/usr/bin/env bash
# Models: train every flavor and task, score with the compiled engine and with XGBoost, and
# check predictions against python3-xgboost (1e-6 over 10,000 rows), metrics against
# scikit-learn (1e-9) and the trained boosters against python3-xgboost's training; streaming
# and sharded scoring; the baseline ladder against scikit-learn; bad input.
source "$(dirname "$0")/lib.sh"
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/plinth-e2e.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH"
export OMP_WAIT_POLICY=PASSIVE
ORACLE="$PLINTH_SOURCE/tests/model/model_oracle.py"
# Debian's pandas reads no Parquet: Parquet outputs are checked through `plinth table convert`.
to_csv() { "$PLINTH" -q table convert "$1" "${1%.parquet}.csv"; }
"$PLINTH" -q demo-data fraud --rows 12000 --seed 1 --out train.parquet
"$PLINTH" -q demo-data fraud --rows 10000 --seed 2 --out score.csv
cat >params.yaml <<'YAML'
gbt:
  n_estimators: 60
  max_depth: 5
  learning_rate: 0.2
  constraints:
    amount: {gt: 0}
    hour_of_day: {ge: 0, le: 23}
rf:
  algo: rf
  n_estimators: 30
linear:
  algo: linear
  categorical: ordinal
  learning_rate: 0.3
multiclass:
  n_estimators: 15
  features: [amount, hour_of_day, transaction_velocity, distance_from_home]
regression:
  n_estimators: 20
  features: [merchant_category, hour_of_day, transaction_velocity, distance_from_home]
rules:
  algo: rules
  rule: amount > 500 and (hour_of_day >= 0 and hour_of_day <= 5) or merchant_category == 'online' and distance_from_home > 200
# Names the rows of the training split: the categories of an ordinal feature are the values
# seen in training (the split depends only on the data, the target and the seed).
probe:
  features: [transaction_id]
  categorical: ordinal
  n_estimators: 1
YAML

# name target: train, score with both engines, evaluate, and ask the oracles.
check_model() {
  local name=$1 target=$2
  "$PLINTH" -q train --data train.parquet --target "$target" --params params.yaml:"$name" \
    --threads 1 --out "pkg_$name" || { fail "train $name"; return; }
  "$PLINTH" -q score --model "pkg_$name" --input score.csv --output "compiled_$name.csv" \
    --threads 2 2>/dev/null || fail "score $name"
  "$PLINTH" -q score --model "pkg_$name" --input score.csv --output "xgboost_$name.parquet" \
    --engine xgboost --threads 1 2>/dev/null || fail "score $name with xgboost"
  to_csv "xgboost_$name.parquet"
  "$PLINTH" -q evaluate --model "pkg_$name" --data score.csv --out "eval_$name" ||
    fail "evaluate $name"
  "$PYTHON" "$ORACLE" predictions "pkg_$name" score.csv "compiled_$name.csv" \
    "xgboost_$name.csv" >/dev/null || fail "$name: predictions differ from python3-xgboost"
  "$PYTHON" "$ORACLE" metrics "pkg_$name" score.csv "compiled_$name.csv" \
    "eval_$name/metrics.json" >/dev/null || fail "$name: metrics differ from scikit-learn"
}
check_model gbt is_fraud
check_model rf is_fraud
check_model linear is_fraud
check_model multiclass merchant_category
check_model regression amount

# Training: python3-xgboost, given the same rows, features and parameters (as docs/models.md
# says Plinth applies them), trains the same boosters: n_estimators, max_depth, the learning
# rate and the algorithm's defaults reach XGBoost.
to_csv train.parquet
for target in is_fraud merchant_category amount; do
  "$PLINTH" -q train --data train.parquet --target $target --params params.yaml:probe --threads 1 \
    --out "probe_$target"
done
"$PYTHON" "$ORACLE" training train.csv params.yaml pkg_gbt:probe_is_fraud:gbt \
  pkg_rf:probe_is_fraud:rf pkg_linear:probe_is_fraud:linear \
  pkg_multiclass:probe_merchant_category:multiclass pkg_regression:probe_amount:regression ||
  fail "plinth train and python3-xgboost train different models"

# The package: MLflow's xgboost flavor next to Plinth's, and the files the spec lists.
for f in MLmodel model.json profile.json input_example.json metrics.json; do
  [ -f "pkg_gbt/$f" ] || fail "package lacks $f"
done
expect_eq "$("$PYTHON" -c '
import json, yaml
m = yaml.safe_load(open("pkg_gbt/MLmodel"))
pl = m["flavors"]["plinth"]
print(m["flavors"]["xgboost"]["model_format"], pl["task"], pl["outputs"]["probability"],
      pl["constraints"]["hour_of_day"], [s["name"] for s in json.loads(m["signature"]["outputs"])])
p = json.load(open("pkg_gbt/profile.json"))
a = p["inputs"]["amount"]
print(sorted(a), len(a["bin_counts"]) == len(a["bin_edges"]) + 1, sum(a["bin_counts"]),
      sorted(p["inputs"]["merchant_category"]["frequencies"])[:2], p["prediction"]["name"])
')" "json binary_classification fraud_probability {'ge': 0, 'le': 23} ['is_fraud', 'fraud_probability']
['bin_counts', 'bin_edges', 'count', 'mean', 'null_count', 'quantiles', 'std', 'type'] True 9600 ['electronics', 'entertainment'] fraud_probability" \
  "MLmodel and profile.json shapes"
expect_eq "$(head -1 eval_gbt/confusion_matrix.csv) $(head -1 eval_gbt/roc.csv)" \
  "actual,predicted fpr,tpr,threshold" "evaluation files"

"$PLINTH" -q train --data train.parquet --target is_fraud --params params.yaml:rules --out pkg_run \
  --run-id 8a7b6c5d4e3f4a2b9c8d7e6f5a4b3c2d
expect_contains "$(cat pkg_run/MLmodel)" "run_id: 8a7b6c5d4e3f4a2b9c8d7e6f5a4b3c2d" "--run-id is lineage"
expect_contains "$(cat pkg_run/MLmodel)" "md5: $(md5sum <train.parquet | cut -c1-32)" "training data md5"

# Rules: the expression scores 0/1; the same rows as a Python evaluation of the rule.
"$PLINTH" -q train --data train.parquet --target is_fraud --params params.yaml:rules --out pkg_rules
"$PLINTH" -q score --model pkg_rules --input score.csv --output rules.csv 2>/dev/null
expect_eq "$("$PYTHON" -c '
import pandas as pd
d, s = pd.read_csv("score.csv"), pd.read_csv("rules.csv")
r = ((d.amount > 500) & (d.hour_of_day >= 0) & (d.hour_of_day <= 5)) | ((d.merchant_category == "online") & (d.distance_from_home > 200))
print((r.astype(int).values == s.is_fraud.values).all(), s.fraud_probability.isin([0, 1]).all())
')" "True True" "rules flavor evaluates like pandas"

# Streaming and shards: 10 row groups; two shards cover every row exactly once.
"$PLINTH" -q table convert score.csv groups.parquet --row-group-rows 1000
"$PLINTH" -q score --model pkg_gbt --input groups.parquet --output all.parquet 2>/dev/null
"$PLINTH" -q score --model pkg_gbt --input groups.parquet --output shard0.parquet --shard 0/2 2>/dev/null
"$PLINTH" -q score --model pkg_gbt --input groups.parquet --output shard1.parquet --shard 1/2 2>/dev/null
for f in all shard0 shard1; do to_csv $f.parquet; done
expect_eq "$("$PYTHON" -c '
import pandas as pd
a = pd.read_csv("all.csv")
s = pd.concat([pd.read_csv("shard0.csv"), pd.read_csv("shard1.csv")])
s = s.sort_values("transaction_id").reset_index(drop=True)
a = a.sort_values("transaction_id").reset_index(drop=True)
print(len(a), len(pd.read_csv("shard0.csv")), a.equals(s))
')" "10000 5000 True" "two shards score every row once"
# A directory of files: shards take whole files, in name order.
mkdir parts
"$PYTHON" -c '
import pandas as pd
d = pd.read_csv("score.csv")
for i, start in enumerate([0, 3000, 7000]):
    d.iloc[start:[3000, 7000, 10000][i]].to_csv(f"parts/part-{i}.csv", index=False)
'
"$PLINTH" -q score --model pkg_gbt --input parts --output parts0.csv --shard 0/2 2>/dev/null
"$PLINTH" -q score --model pkg_gbt --input parts --output parts1.csv --shard 1/2 2>/dev/null
expect_eq "$("$PYTHON" -c '
import pandas as pd
a = pd.read_csv("all.csv").sort_values("transaction_id").reset_index(drop=True)
p0, p1 = pd.read_csv("parts0.csv"), pd.read_csv("parts1.csv")
s = pd.concat([p0, p1]).sort_values("transaction_id").reset_index(drop=True)
print(len(p0), len(p1), a.equals(s))
')" "6000 4000 True" "shards of a directory take whole files and cover every row once"
out=$("$PLINTH" score --model pkg_gbt --input groups.parquet --output groups.csv --json 2>/dev/null)
expect_contains "$out" '"batches": 10' "one batch per row group"

# The ladder: each rung is the model `plinth train --algo` trains on the same split, and its
# held-out roc_auc and f1 are scikit-learn's on that model's held-out predictions.
"$PLINTH" baseline --data train.parquet --target is_fraud --threads 1 >ladder.txt
"$PLINTH" baseline --data train.parquet --target is_fraud --threads 1 --json >ladder.json
"$PYTHON" "$ORACLE" heldout probe_is_fraud train.csv heldout.csv >/dev/null
mkdir ladder
for algo in rules linear gbt; do
  "$PLINTH" -q train --data train.parquet --target is_fraud --algo $algo --threads 1 \
    --out "ladder/$algo"
  "$PLINTH" -q score --model "ladder/$algo" --input heldout.csv --output "ladder/$algo.csv" 2>/dev/null
done
"$PYTHON" "$ORACLE" ladder ladder.json ladder.txt heldout.csv is_fraud ladder/rules.csv \
  ladder/linear.csv ladder/gbt.csv >/dev/null || fail "the baseline ladder's numbers"

# Bad input, each with a clear message.
"$PYTHON" -c '
import pandas as pd
d = pd.read_csv("score.csv")
d.drop(columns=["amount", "hour_of_day"]).to_csv("lacking.csv", index=False)
d.assign(amount=d.amount.astype(str).where(d.index != 3, "lots")).to_csv("text.csv", index=False)
d.assign(is_fraud=0).to_csv("one_class.csv", index=False)
d.assign(merchant_category=d.merchant_category.where(d.index % 100 != 0, "crypto")).to_csv("unknown.csv", index=False)
d.assign(hour_of_day=d.hour_of_day.where(d.index != 41, 24)).to_csv("bad_hour.csv", index=False)
d.head(0).to_csv("empty.csv", index=False)
'
expect_error 3 "target column 'fraud' is not in train.parquet" \
  "$PLINTH" train --data train.parquet --target fraud --out bad
expect_error 2 "column 'amount' in text.csv must be numeric but holds 'lots' at row 4" \
  "$PLINTH" train --data text.csv --target is_fraud --out bad
expect_error 2 "has one class ('0'); a classifier needs examples of at least two classes" \
  "$PLINTH" train --data one_class.csv --target is_fraud --out bad
expect_error 2 "empty.csv has no rows" "$PLINTH" train --data empty.csv --target is_fraud --out bad
expect_error 3 "lacking.csv lacks the columns amount, hour_of_day that the model's signature needs" \
  "$PLINTH" score --model pkg_gbt --input lacking.csv --output x.csv
expect_error 2 "bad_hour.csv row 42: column 'hour_of_day' = 24 breaks the model's constraint (ge 0 and le 23)" \
  "$PLINTH" score --model pkg_gbt --input bad_hour.csv --output x.csv
"$PLINTH" -q score --model pkg_gbt --input bad_hour.csv --output skipped.csv --on-invalid skip 2>err.txt
expect_contains "$(cat err.txt)" "1 row outside the model's constraints skipped" "--on-invalid skip warns"
"$PLINTH" -q score --model pkg_gbt --input bad_hour.csv --output nulled.csv --on-invalid null 2>/dev/null
expect_eq "$("$PYTHON" -c '
import pandas as pd
s, n = pd.read_csv("skipped.csv"), pd.read_csv("nulled.csv")
print(len(s), (s.hour_of_day == 24).sum(), len(n), n.fraud_probability.isna().sum(), n.fraud_probability.isna().idxmax())
')" "9999 0 10000 1 41" "--on-invalid skip drops the row, null keeps it without a prediction"
expect_error 2 "rule 'amount >> 5': at character 9 expected a number or a quoted string" \
  "$PLINTH" train --data train.parquet --target is_fraud --algo rules --params <(printf 'r:\n  rule: amount >> 5\n'):r --out bad
expect_error 5 "already exists" "$PLINTH" train --data train.parquet --target is_fraud --out pkg_gbt
expect_error 3 "no model package at nowhere" "$PLINTH" score --model nowhere --input score.csv --output x.csv
"$PLINTH" score --model pkg_gbt --input unknown.csv --output unknown_scored.csv >/dev/null 2>err.txt ||
  fail "scoring unknown categories"
expect_contains "$(cat err.txt)" "100 unknown categories in column 'merchant_category' scored as \"other\"" \
  "unknown categories are counted"
[ ! -e x.csv ] || fail "a failed score left its output behind"
[ ! -e bad ] || fail "a failed train left a package behind"

finish
