"""Peers for bench/features.sh, run with the pinned tools' Python (pandas, pyarrow, feast).

  generate DIR FEATURE_ROWS ENTITY_ROWS KEYS SEED   data + feature_store.yaml + both definitions
  merge_asof DIR OUT     pandas: read, sort, merge_asof by key with the ttl, restore order, write
  feast DIR OUT          Feast get_historical_features(...).to_df() with the file offline store

Each peer prints the wall seconds and the CPU seconds (all threads) of its timed part (reading
the files through writing the result; imports and Feast's apply are not timed).
"""
import sys
import time

import numpy as np
import pandas as pd

FEATURES = ["stats:f1", "stats:f2", "stats:f3"]
TTL = pd.Timedelta("7d")

PLINTH_DEFS = """kind: Entity
name: user
join_keys: [user_id]
---
kind: FileSource
name: stats_source
path: data/stats.parquet
timestamp_field: event_timestamp
created_timestamp_column: created
---
kind: FeatureView
name: stats
entities: [user]
ttl: 7d
source: stats_source
schema:
  - {name: f1, dtype: Float64}
  - {name: f2, dtype: Float64}
  - {name: f3, dtype: Int64}
"""

FEAST_DEFS = """from datetime import timedelta
from feast import Entity, FeatureView, Field, FileSource
from feast.types import Float64, Int64
user = Entity(name="user", join_keys=["user_id"])
source = FileSource(name="stats_source", path="data/stats.parquet",
                    timestamp_field="event_timestamp", created_timestamp_column="created")
stats = FeatureView(name="stats", entities=[user], ttl=timedelta(days=7), source=source,
                    schema=[Field(name="f1", dtype=Float64), Field(name="f2", dtype=Float64),
                            Field(name="f3", dtype=Int64)])
OBJECTS = [user, source, stats]
"""


def generate(d, n_features, n_entities, keys, seed):
    rng = np.random.default_rng(seed)
    base = np.datetime64("2026-01-01T00:00:00", "ns")
    span = 90 * 86400
    ts = base + rng.integers(0, span, n_features).astype("timedelta64[s]")
    created = ts + rng.integers(0, 3600, n_features).astype("timedelta64[s]")
    pd.DataFrame({"user_id": rng.integers(0, keys, n_features),
                  "f1": rng.random(n_features), "f2": rng.normal(size=n_features),
                  "f3": rng.integers(0, 1000, n_features),
                  "event_timestamp": pd.to_datetime(ts, utc=True),
                  "created": pd.to_datetime(created, utc=True)}).to_parquet(
        f"{d}/data/stats.parquet", index=False, row_group_size=1 << 20)
    ets = base + rng.integers(0, span, n_entities).astype("timedelta64[s]")
    pd.DataFrame({"user_id": rng.integers(0, keys + keys // 20, n_entities),
                  "event_timestamp": pd.to_datetime(ets, utc=True)}).to_parquet(
        f"{d}/entities.parquet", index=False)
    with open(f"{d}/feature_store.yaml", "w") as f:
        f.write("project: bench\nprovider: local\nregistry: data/registry.db\n"
                "offline_store:\n  type: file\nentity_key_serialization_version: 3\n")
    with open(f"{d}/features.yaml", "w") as f:
        f.write(PLINTH_DEFS)
    with open(f"{d}/feast_repo.py", "w") as f:
        f.write(FEAST_DEFS)


def merge_asof(d, out):
    start, cpu = time.perf_counter(), time.process_time()
    src = pd.read_parquet(f"{d}/data/stats.parquet")
    ent = pd.read_parquet(f"{d}/entities.parquet")
    # Ties on the event time go to the later created row: sort by (ts, created) so that
    # merge_asof's "last matching row" is that one.
    src = src.sort_values(["event_timestamp", "created"], kind="stable")
    q = ent.assign(_row=np.arange(len(ent))).sort_values("event_timestamp", kind="stable")
    m = pd.merge_asof(q, src.drop(columns=["created"]).rename(columns={"event_timestamp": "_ts"}),
                      left_on="event_timestamp", right_on="_ts", by="user_id",
                      direction="backward", tolerance=TTL)
    m = m.sort_values("_row").drop(columns=["_row", "_ts"]).reset_index(drop=True)
    m.to_parquet(out, index=False)
    print(f"{time.perf_counter() - start:.3f} {time.process_time() - cpu:.3f}")


def feast(d, out):
    sys.path.insert(0, d)
    import feast_repo
    from feast import FeatureStore
    store = FeatureStore(repo_path=d)
    store.apply(feast_repo.OBJECTS)
    start, cpu = time.perf_counter(), time.process_time()
    ent = pd.read_parquet(f"{d}/entities.parquet")
    df = store.get_historical_features(entity_df=ent, features=FEATURES).to_df()
    df.to_parquet(out, index=False)
    print(f"{time.perf_counter() - start:.3f} {time.process_time() - cpu:.3f}")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "generate":
        generate(args[0], *map(int, args[1:]))
    elif cmd == "merge_asof":
        merge_asof(*args)
    else:
        feast(*args)
