"""Feast's side of features_online_test.sh: writes random source files, the Feast definitions of
the same repository Plinth reads from YAML, applies them and materializes into Feast's SQLite
online store. Usage: features_online_feast.py REPO SEED START END"""
import sys
from datetime import timedelta

import numpy as np
import pandas as pd

repo, seed, start, end = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rng = np.random.default_rng(seed)
t0 = pd.Timestamp("2025-01-01T00:00:00Z")

# user_stats: several rows per user; (event, created) unique per user so the winner is defined.
n = 3000
users = rng.integers(1, 400, n)
event = t0 + pd.to_timedelta(rng.integers(0, 20 * 86400, n), unit="s")
created = event + pd.to_timedelta(rng.permutation(n), unit="s")
amount = rng.normal(50, 20, n).round(3)
amount[rng.random(n) < 0.1] = np.nan
city = rng.choice(["paris", "lyon", "nice", None], n)
pd.DataFrame({"user_id": users, "amount": amount, "tx_count": rng.integers(0, 100, n),
              "city": city, "vip": rng.random(n) < 0.3,
              "event_timestamp": event, "created": created}).to_parquet(f"{repo}/data/user_stats.parquet")
# user_profile: a second view of the same entity, from CSV-like parquet without created time.
m = 500
pd.DataFrame({"user_id": rng.integers(1, 400, m),
              "age": rng.integers(18, 90, m),
              "event_timestamp": t0 + pd.to_timedelta(rng.permutation(20 * 86400)[:m], unit="s")}
             ).to_parquet(f"{repo}/data/user_profile.parquet")

from feast import Entity, FeatureService, FeatureStore, FeatureView, Field, FileSource, PushSource
from feast.types import Bool, Float64, Int64, String

user = Entity(name="user", join_keys=["user_id"])
stats_src = FileSource(name="stats_src", path="data/user_stats.parquet",
                       timestamp_field="event_timestamp", created_timestamp_column="created")
stats_push = PushSource(name="stats_push", batch_source=stats_src)
profile_src = FileSource(name="profile_src", path="data/user_profile.parquet",
                         timestamp_field="event_timestamp")
stats = FeatureView(name="user_stats", entities=[user], ttl=timedelta(days=30), source=stats_push,
                    schema=[Field(name="amount", dtype=Float64), Field(name="tx_count", dtype=Int64),
                            Field(name="city", dtype=String), Field(name="vip", dtype=Bool)])
profile = FeatureView(name="user_profile", entities=[user], ttl=timedelta(days=0),
                      source=profile_src, schema=[Field(name="age", dtype=Int64)])
service = FeatureService(name="scoring", features=[stats[["amount", "city"]], profile])

store = FeatureStore(repo_path=repo)
store.apply([user, stats_src, stats_push, profile_src, stats, profile, service])
store.materialize(pd.Timestamp(start).to_pydatetime(), pd.Timestamp(end).to_pydatetime())
print("feast materialized")
