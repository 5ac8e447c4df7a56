"""data_prep: check the raw transactions and split them by time into train and test.

A time split, not a random one: the model is judged on transactions later than any it learned
from, as it will be in production.
"""
import os
import sys

import pandas as pd
import yaml

COLUMNS = ["transaction_id", "user_id", "event_timestamp", "amount", "merchant_category",
           "hour_of_day", "day_of_week", "transaction_velocity", "distance_from_home", "is_fraud"]

params = yaml.safe_load(open("params.yaml"))["data_prep"]
df = pd.read_csv("data/transactions.csv")
missing = [c for c in COLUMNS if c not in df.columns]
if missing:
    sys.exit(f"data/transactions.csv lacks the columns {missing}")
before = len(df)
df = df.dropna(subset=["user_id", "event_timestamp", "amount", "is_fraud"])
df = df[df.amount > 0].drop_duplicates("transaction_id")
print(f"data_prep: {len(df)} of {before} transactions kept, fraud rate {df.is_fraud.mean():.4f}")

df = df.sort_values("event_timestamp", kind="stable")
cut = int(len(df) * (1 - params["test_size"]))
os.makedirs("data/prepared", exist_ok=True)
# The entity rows of the feature store's point-in-time join: who, when, and what the request
# itself carries; feature_engineering adds the user's windows as of each transaction.
keep = [c for c in COLUMNS if c != "transaction_id"]
df[keep].iloc[:cut].to_csv("data/prepared/train.csv", index=False)
df[keep].iloc[cut:].to_csv("data/prepared/test.csv", index=False)
