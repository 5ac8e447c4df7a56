"""Oracles for the feature-store end-to-end tests, run with the pinned tools' Python.

  generate REPO SEED N     random data + the same definitions for Feast (feast_repo.py) and
                           Plinth (features.yaml), and entity rows (REPO/entities.parquet)
  feast REPO OUT           Feast's own get_historical_features(...).to_df() -> OUT (parquet)
  compare REPO FEAST PLINTH  Plinth's training set against Feast's, row by row
  rolling REPO PLINTH      Plinth's windowed aggregates against pandas rolling windows
"""
import sys

import numpy as np
import pandas as pd

FEATURES = ["user_stats:conv_rate", "user_stats:trips", "user_stats:tier",
            "merchant_stats:risk", "merchant_stats:category"]
AGGREGATES = {  # name: (function, column, window)
    "txn_count_1h": ("count", None, "1h"),
    "amount_sum_24h": ("sum", "amount", "24h"),
    "amount_mean_24h": ("mean", "amount", "24h"),
    "amount_std_24h": ("std", "amount", "24h"),
    "amount_min_7d": ("min", "amount", "7d"),
    "amount_max_7d": ("max", "amount", "7d"),
    "amount_last_1h": ("last", "amount", "1h"),
}

FEAST_DEFS = '''
from datetime import timedelta
from feast import Entity, FeatureView, Field, FileSource, ValueType
from feast.types import Float64, Int64, String

user = Entity(name="user", join_keys=["user_id"], value_type=ValueType.INT64)
merchant = Entity(name="merchant", join_keys=["merchant_id"], value_type=ValueType.STRING)
user_source = FileSource(name="user_source", path="data/user_stats.parquet",
                         timestamp_field="event_timestamp", created_timestamp_column="created")
merchant_source = FileSource(name="merchant_source", path="data/merchant_stats.parquet",
                             timestamp_field="ts", field_mapping={"risk_score": "risk"})
user_stats = FeatureView(name="user_stats", entities=[user], ttl=timedelta(days=1),
    schema=[Field(name="conv_rate", dtype=Float64), Field(name="trips", dtype=Int64),
            Field(name="tier", dtype=String)], source=user_source)
merchant_stats = FeatureView(name="merchant_stats", entities=[merchant], ttl=timedelta(0),
    schema=[Field(name="risk", dtype=Float64), Field(name="category", dtype=String)],
    source=merchant_source)
OBJECTS = [user, merchant, user_source, merchant_source, user_stats, merchant_stats]
'''

PLINTH_DEFS = '''kind: Entity
name: user
join_keys: [user_id]
value_type: INT64
---
kind: Entity
name: merchant
join_keys: [merchant_id]
value_type: STRING
---
kind: FileSource
name: user_source
path: data/user_stats.parquet
timestamp_field: event_timestamp
created_timestamp_column: created
---
kind: FileSource
name: merchant_source
path: data/merchant_stats.parquet
timestamp_field: ts
field_mapping: {risk_score: risk}
---
kind: FileSource
name: transactions
path: data/transactions.parquet
timestamp_field: event_timestamp
---
kind: FeatureView
name: user_stats
entities: [user]
ttl: 1d
schema:
  - {name: conv_rate, dtype: Float64}
  - {name: trips, dtype: Int64}
  - {name: tier, dtype: String}
source: user_source
---
kind: FeatureView
name: merchant_stats
entities: [merchant]
ttl: 0
schema:
  - {name: risk, dtype: Float64}
  - {name: category, dtype: String}
source: merchant_source
---
kind: FeatureView
name: user_transactions
entities: [user]
source: transactions
aggregations:
'''

FEATURE_STORE_YAML = '''project: plinth_e2e
provider: local
registry: data/registry.db
online_store:
  type: sqlite
  path: data/online.db
offline_store:
  type: file
entity_key_serialization_version: 3
'''

DAY = 86400


def minutes(rng, n, lo_days, hi_days):
    """Times on a minute grid (so windows and ttls often end exactly on an event)."""
    m = rng.integers(lo_days * 1440, hi_days * 1440, n)
    return pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(m, unit="m")


def generate(repo, seed, n_entities):
    rng = np.random.default_rng(seed)
    base = pd.Timestamp("2026-01-01", tz="UTC")
    # user_stats: ~40 rows per user over 30 days (gaps beyond the 1d ttl), ties on the event
    # time broken by `created`, and exact duplicate rows.
    n = 40_000
    users = rng.integers(1, 1001, n)
    ts = minutes(rng, n, 0, 30)
    created = ts + pd.to_timedelta(rng.integers(0, 3600, n), unit="s")
    us = pd.DataFrame({"user_id": users, "conv_rate": rng.random(n).round(6),
                       "trips": rng.integers(0, 500, n),
                       "tier": rng.choice(["gold", "silver", "bronze"], n),
                       "event_timestamp": ts, "created": created})
    ties = us.sample(frac=0.1, random_state=seed).copy()
    ties["created"] = ties["created"] + pd.to_timedelta(rng.integers(1, 7200, len(ties)), unit="s")
    ties["conv_rate"] = rng.random(len(ties)).round(6)
    ties["trips"] = rng.integers(0, 500, len(ties))
    dups = us.sample(frac=0.02, random_state=seed + 1)
    us = pd.concat([us, ties, dups]).sample(frac=1, random_state=seed + 2).reset_index(drop=True)
    us.to_parquet(f"{repo}/data/user_stats.parquet", index=False)
    # merchant_stats: string keys, no created column, so event times are unique per merchant.
    rows = []
    for m in range(300):
        k = int(rng.integers(5, 80))
        t = rng.choice(30 * 1440, k, replace=False)
        rows.append(pd.DataFrame({"merchant_id": f"m{m}", "minute": t}))
    ms = pd.concat(rows, ignore_index=True)
    ms["ts"] = base + pd.to_timedelta(ms.pop("minute") * 60, unit="s")
    ms["risk_score"] = rng.random(len(ms)).round(4)
    ms.loc[rng.random(len(ms)) < 0.03, "risk_score"] = np.nan
    ms["category"] = rng.choice(["food", "travel", "games", "fuel"], len(ms))
    ms = ms.sample(frac=1, random_state=seed + 3).reset_index(drop=True)
    ms.to_parquet(f"{repo}/data/merchant_stats.parquet", index=False)
    # transactions for the windowed aggregates: bursts and quiet spells, some null amounts.
    n_tx = 120_000
    tx = pd.DataFrame({"user_id": rng.integers(1, 1001, n_tx),
                       "event_timestamp": minutes(rng, n_tx, 0, 30),
                       "amount": (rng.exponential(40, n_tx)).round(2)})
    burst = tx.sample(frac=0.2, random_state=seed + 4).copy()
    burst["event_timestamp"] += pd.to_timedelta(rng.integers(0, 30, len(burst)), unit="m")
    tx = pd.concat([tx, burst]).sample(frac=1, random_state=seed + 5).reset_index(drop=True)
    tx.loc[rng.random(len(tx)) < 0.05, "amount"] = np.nan
    tx.to_parquet(f"{repo}/data/transactions.parquet", index=False)
    # entity rows: unknown users/merchants, times before any data, ~2% duplicated rows.
    k = n_entities * 98 // 100
    ent = pd.DataFrame({"user_id": rng.integers(1, 1051, k),
                        "merchant_id": [f"m{i}" for i in rng.integers(0, 310, k)],
                        "event_timestamp": minutes(rng, k, -1, 31),
                        "label": rng.integers(0, 2, k)})
    # Feast's file store deduplicates on (user_id, event_timestamp) after joining the first
    # view, dropping rows that differ only in merchant; such rows are kept out of the data.
    ent = ent.drop_duplicates(["user_id", "event_timestamp"]).reset_index(drop=True)
    extra = ent.sample(n=n_entities - len(ent), random_state=seed + 6).copy()
    extra["label"] = 1 - extra["label"]
    ent = pd.concat([ent, extra]).sample(frac=1, random_state=seed + 7).reset_index(drop=True)
    ent.to_parquet(f"{repo}/entities.parquet", index=False)
    with open(f"{repo}/feature_store.yaml", "w") as f:
        f.write(FEATURE_STORE_YAML)
    with open(f"{repo}/feast_repo.py", "w") as f:
        f.write(FEAST_DEFS)
    with open(f"{repo}/features.yaml", "w") as f:
        f.write(PLINTH_DEFS)
        for name, (fn, col, window) in AGGREGATES.items():
            fn = "stddev" if fn == "std" else fn
            column = f", column: {col}" if col else ""
            f.write(f"  - {{function: {fn}{column}, window: {window}, name: {name}}}\n")


def feast(repo, out):
    sys.path.insert(0, repo)
    import feast_repo
    from feast import FeatureStore
    store = FeatureStore(repo_path=repo)
    store.apply(feast_repo.OBJECTS)
    ent = pd.read_parquet(f"{repo}/entities.parquet")
    df = store.get_historical_features(entity_df=ent, features=FEATURES,
                                       full_feature_names=True).to_df()
    df.to_parquet(out, index=False)


def same(a, b):
    if pd.isna(a) and pd.isna(b):
        return True
    if pd.isna(a) or pd.isna(b):
        return False
    return a == b


def reference(ent, src, key, ts_col, created_col, ttl, columns, prefix):
    """The spec's reference join, by pandas merge_asof: per entity row the source row with the
    greatest (event time, created, file order) in [t - ttl, t]."""
    s = src.assign(_row=np.arange(len(src)))
    s = s.sort_values([ts_col] + ([created_col] if created_col else []) + ["_row"], kind="stable")
    s = s.rename(columns={ts_col: "_ts"})[[key, "_ts"] + columns]
    q = ent[[key, "event_timestamp"]].assign(_q=np.arange(len(ent)))
    q = q.sort_values("event_timestamp", kind="stable")
    m = pd.merge_asof(q, s, left_on="event_timestamp", right_on="_ts", by=key,
                      direction="backward", tolerance=ttl)
    m = m.sort_values("_q").reset_index(drop=True)
    return m.rename(columns={c: prefix + c for c in columns})


def compare(repo, feast_out, plinth_out):
    ent = pd.read_parquet(f"{repo}/entities.parquet")
    fe = pd.read_parquet(feast_out)
    pl = pd.read_parquet(plinth_out)
    us = pd.read_parquet(f"{repo}/data/user_stats.parquet")
    ms = pd.read_parquet(f"{repo}/data/merchant_stats.parquet").rename(columns={"risk_score": "risk"})
    problems = []
    # Plinth keeps every entity row, in order, with its columns untouched.
    if len(pl) != len(ent):
        problems.append(f"Plinth has {len(pl)} rows, the entity file {len(ent)}")
    for c in ent.columns:
        if not pl[c].reset_index(drop=True).equals(ent[c]):
            problems.append(f"entity column {c} changed (values or order)")
    feature_cols = [c for c in fe.columns if c not in ent.columns]
    if list(pl.columns) != list(ent.columns) + feature_cols:
        problems.append(f"columns: Plinth {list(pl.columns)}, Feast {list(ent.columns) + feature_cols}")
    for c in feature_cols:
        if c in pl.columns and pl[c].dtype != fe[c].dtype:
            problems.append(f"column {c}: Plinth dtype {pl[c].dtype}, Feast {fe[c].dtype}")
    if problems:
        return problems
    # 1. Plinth against the reference semantics on every row.
    ref_u = reference(ent, us, "user_id", "event_timestamp", "created", pd.Timedelta("1d"),
                      ["conv_rate", "trips", "tier"], "user_stats__")
    ref_m = reference(ent, ms, "merchant_id", "ts", None, None, ["risk", "category"],
                      "merchant_stats__")
    for ref, cols in ((ref_u, feature_cols[:3]), (ref_m, feature_cols[3:])):
        for c in cols:
            a, b = pl[c].reset_index(drop=True), ref[c]
            bad = ~((a == b) | (a.isna() & b.isna()))
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                problems.append(f"{c}: {int(bad.sum())} rows differ from the reference join, e.g. row {i}: "
                                f"Plinth {a[i]}, reference {b[i]}")
    # 2. Plinth against Feast. Feast's file store deduplicates (keys, time) and reorders, so
    # rows are matched by that key.
    key = ["user_id", "merchant_id", "event_timestamp"]
    if fe.duplicated(key).any():
        problems.append("Feast returned duplicate (keys, event_timestamp) rows")
    m = pl.assign(_i=np.arange(len(pl))).merge(fe, on=key, how="left", suffixes=("", "_feast"),
                                                 indicator=True)
    if len(m) != len(pl):
        problems.append("Feast rows matched more than one Plinth row")
    kept = m["_merge"] == "both"
    user_cols, merchant_cols = feature_cols[:3], feature_cols[3:]

    def equal(c):
        a, b = m[c], m[c + "_feast"]
        return (a == b) | (a.isna() & b.isna())

    # Feast's file store drops an entity row whose key has source rows but none within
    # [t - ttl, t]; Plinth keeps it with nulls for that view.
    no_user = m["user_id"].isin(set(us["user_id"])) & m[user_cols].isna().all(axis=1)
    no_merchant = m["merchant_id"].isin(set(ms["merchant_id"])) & m[merchant_cols].isna().all(axis=1)
    bad_drops = m[~kept & ~(no_user | no_merchant)]
    for row in bad_drops.head(5).itertuples(index=False):
        problems.append(f"Feast dropped the row {row}, but Plinth found features for it")
    user_ok = pd.concat([equal(c) for c in user_cols], axis=1).all(axis=1)
    merchant_ok = pd.concat([equal(c) for c in merchant_cols], axis=1).all(axis=1)
    for i in np.flatnonzero(kept & ~merchant_ok)[:5]:
        problems.append(f"merchant features differ from Feast's at row {m['_i'][i]}: {m.iloc[i].to_dict()}")
    # Equal event times: Feast's (unstable) sorts may pick any of the tied rows; it must at
    # least pick one of them.
    by_user_ts = us.groupby(["user_id", "event_timestamp"])
    ties = 0
    for i in np.flatnonzero(kept & ~user_ok):
        j = m["_i"][i]
        tied = by_user_ts.get_group((m["user_id"][i], ref_u["_ts"][j])) if not pd.isna(ref_u["_ts"][j]) else us[:0]
        pick = [m[c + "_feast"][i] for c in user_cols]
        if len(tied) > 1 and any(list(t) == pick for t in
                                 tied[["conv_rate", "trips", "tier"]].itertuples(index=False)):
            ties += 1
        else:
            problems.append(f"user features differ from Feast's at row {j}: Plinth "
                            f"{[m[c][i] for c in user_cols]}, Feast {pick}")
    matched, dropped = int((kept & user_ok & merchant_ok).sum()), int((~kept).sum())
    found = len(m.loc[kept, key].drop_duplicates())
    if len(fe) != found:
        problems.append(f"{len(fe) - found} Feast rows have no Plinth row")
    print(f"compared {len(pl)} rows with the reference join and Feast: {matched} equal to Feast's, "
          f"{dropped} dropped by Feast's file store (Plinth: nulls), {ties} ties on the event time "
          f"that Feast broke against its created-timestamp rule")
    return problems[:20]


def rolling(repo, plinth_out):
    ent = pd.read_parquet(f"{repo}/entities.parquet")
    tx = pd.read_parquet(f"{repo}/data/transactions.parquet")
    pl = pd.read_parquet(plinth_out)
    # Events and queries in one frame, sorted by (user, time, events before queries), so that
    # pandas' rolling window (t - w, t] at a query row holds exactly the events up to t.
    events = tx.assign(one=1.0, kind=0, q=-1)
    queries = ent[["user_id", "event_timestamp"]].assign(amount=np.nan, one=np.nan, kind=1,
                                                         q=np.arange(len(ent)))
    both = pd.concat([events, queries], ignore_index=True)
    both = both.sort_values(["user_id", "event_timestamp", "kind"], kind="stable").reset_index(drop=True)
    is_query = both["kind"].to_numpy() == 1
    expected = {}
    for name, (fn, col, window) in AGGREGATES.items():
        if fn == "last":
            continue
        column = "one" if col is None else col
        r = both.groupby("user_id", sort=False).rolling(window, on="event_timestamp")[column]
        values = getattr(r, "count" if fn == "count" else fn)().to_numpy()
        # groupby(sort=False) on user-sorted rows keeps the row order.
        v = pd.Series(values[is_query], index=both.loc[is_query, "q"].to_numpy()).sort_index()
        if fn in ("count", "sum"):
            v = v.fillna(0)
        expected[name] = v.to_numpy()
    # last: the latest event with a non-null amount in (t - 1h, t], by merge_asof.
    valid = tx.dropna(subset=["amount"]).sort_values("event_timestamp", kind="stable")
    q = ent[["user_id", "event_timestamp"]].assign(q=np.arange(len(ent))).sort_values("event_timestamp")
    last = pd.merge_asof(q, valid.rename(columns={"event_timestamp": "ets"}), left_on="event_timestamp",
                         right_on="ets", by="user_id", direction="backward")
    last.loc[last["ets"] <= last["event_timestamp"] - pd.Timedelta("1h"), "amount"] = np.nan
    expected["amount_last_1h"] = last.sort_values("q")["amount"].to_numpy()
    problems = []
    for name, want in expected.items():
        got = pl[name].to_numpy(dtype=float)
        both_nan = np.isnan(got) & np.isnan(want)
        close = np.isclose(got, want, rtol=1e-9, atol=1e-9) | both_nan
        if not close.all():
            i = int(np.flatnonzero(~close)[0])
            problems.append(f"{name}: {int((~close).sum())} rows differ from pandas, e.g. row {i}: "
                            f"Plinth {got[i]}, pandas {want[i]} (user {ent.user_id[i]}, t {ent.event_timestamp[i]})")
    counts = pl["txn_count_1h"].to_numpy()
    print(f"aggregates: {len(pl)} rows x {len(expected)} checked against pandas rolling; "
          f"{int((counts > 0).sum())} rows with events in the last hour, max {int(counts.max())}")
    return problems


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "generate":
        generate(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "feast":
        feast(sys.argv[2], sys.argv[3])
    else:
        found = compare(*sys.argv[2:5]) if cmd == "compare" else rolling(*sys.argv[2:4])
        for p in found:
            print("MISMATCH:", p)
        sys.exit(1 if found else 0)
