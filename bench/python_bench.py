"""The Python package against its peers (bench/python.sh runs it; see docs/benchmarks.md).

  model DATA OUT                 trains the benchmark's XGBoost model (TREES trees, depth DEPTH)
                                 on DATA's numeric columns and saves it with mlflow.xgboost, the
                                 one model every contender scores
  predict MODEL DATA ROUNDS      Model.predict vs XGBoost's Booster.predict vs
                                 mlflow.pyfunc's predict on the same rows, interleaved; prints
                                 JSON lines
  spark MODEL INPUT OUT ROUNDS ORACLE
                                 the Spark job with Plinth inside (mapInArrow) vs the handbook's
                                 pandas_udf with mlflow.pyfunc vs Spark reading and writing the
                                 same data without scoring, and with the batches sent through
                                 Python and back unchanged (what any scorer's job, and any
                                 Python scorer's, costs at least), same session, interleaved; prints JSON lines, then
                                 checks Plinth's output against ORACLE (`plinth score`'s)
"""

import json
import os
import sys
import time
from typing import Iterator, Tuple

FEATURES = ["amount", "hour_of_day", "day_of_week", "transaction_velocity", "distance_from_home"]
THREADS = int(os.environ.get("THREADS", "2"))


def emit(**fields):
    print(json.dumps(fields), flush=True)


def train(data, out):
    import mlflow.xgboost
    import pandas as pd
    import xgboost as xgb
    from mlflow.models import infer_signature

    df = pd.read_parquet(data, columns=FEATURES + ["is_fraud"])
    # The Booster, not the XGBClassifier: xgboost 1.7's scikit-learn wrapper cannot save itself
    # under scikit-learn >= 1.6 (`_estimator_type` undefined); mlflow.pyfunc then returns the
    # positive class's probability, as Plinth's numpy predict does.
    booster = xgb.train(
        {"objective": "binary:logistic", "max_depth": int(os.environ.get("DEPTH", "6")),
         "eta": 0.1, "nthread": THREADS, "tree_method": "hist"},
        xgb.DMatrix(df[FEATURES], label=df["is_fraud"]),
        num_boost_round=int(os.environ.get("TREES", "300")))
    sample = df[FEATURES].head(100)
    mlflow.xgboost.save_model(booster, out, model_format="json",
                              signature=infer_signature(sample, booster.predict(xgb.DMatrix(sample))))


def timed(fn):
    """Wall seconds, and CPU seconds of this process's threads (on a shared machine the wall
    time also counts waiting for a core)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - start, time.process_time() - cpu, result


def predict(model_dir, data, rounds):
    import mlflow.pyfunc
    import numpy as np
    import pandas as pd
    import xgboost as xgb

    import plinth

    df = pd.read_parquet(data, columns=FEATURES)
    rows = len(df)
    ours = plinth.load_model(model_dir, threads=THREADS)
    theirs = xgb.Booster()
    theirs.load_model(os.path.join(model_dir, "model.json"))  # what mlflow.xgboost saved
    theirs.set_param({"nthread": THREADS})
    pyfunc = mlflow.pyfunc.load_model(model_dir)
    # Same model, same answers: Plinth's probabilities against XGBoost's own.
    diff = np.max(np.abs(ours.predict(df.to_numpy()) - theirs.predict(xgb.DMatrix(df))))
    emit(check="probabilities", max_abs_diff=float(diff), rows=rows)
    contenders = {
        "plinth": lambda: ours.predict(df),
        "plinth_numpy": lambda: ours.predict(df.to_numpy()),
        "xgboost": lambda: theirs.predict(xgb.DMatrix(df, nthread=THREADS)),
        "mlflow_pyfunc": lambda: pyfunc.predict(df),
    }
    for r in range(rounds):
        for name, fn in contenders.items():
            seconds, cpu, _ = timed(fn)
            emit(bench="predict", contender=name, round=r, rows=rows, seconds=seconds,
                 rows_per_s=rows / seconds, cpu_seconds=cpu)


def spark(model_dir, input_path, out, rounds, oracle):
    import pandas as pd
    from pyspark.sql import SparkSession
    from pyspark.sql.functions import pandas_udf

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples", "fraud-detection",
                                    "src"))
    import batch_score

    spark_session = (SparkSession.builder.appName("plinth-bench")
                     .config("spark.sql.execution.arrow.maxRecordsPerBatch", "10000")
                     .getOrCreate())
    df = spark_session.read.parquet(input_path)
    rows = df.count()

    def plinth_job(path):
        schema = batch_score.output_schema(df, model_dir)
        df.mapInArrow(batch_score.score_partitions(model_dir, 1), schema) \
            .write.mode("overwrite").parquet(path)

    def mlflow_job(path):
        # The handbook's job: mlflow.pyfunc inside a pandas_udf, in the iterator form Spark's
        # documentation gives for models, so the model loads once per partition, not per batch.
        @pandas_udf("double")
        def predict_udf(batches: Iterator[Tuple[pd.Series, ...]]) -> Iterator[pd.Series]:
            import mlflow.pyfunc

            model = mlflow.pyfunc.load_model(model_dir)
            for columns in batches:
                frame = pd.concat(columns, axis=1)
                frame.columns = FEATURES
                yield pd.Series(model.predict(frame))

        df.withColumn("fraud_probability", predict_udf(*FEATURES)).write.mode("overwrite").parquet(path)

    def spark_only(path):
        df.write.mode("overwrite").parquet(path)

    def python_round_trip(path):
        df.mapInArrow(lambda batches: batches, df.schema).write.mode("overwrite").parquet(path)

    jobs = {"plinth_mapInArrow": plinth_job, "mlflow_pandas_udf": mlflow_job,
            "spark_without_scoring": spark_only, "spark_python_round_trip": python_round_trip}
    for r in range(rounds):
        for name, job in jobs.items():
            seconds, _, _ = timed(lambda: job(os.path.join(out, name)))
            emit(bench="spark", contender=name, round=r, rows=rows, seconds=seconds,
                 rows_per_s=rows / seconds)
    spark_session.stop()
    same_as_plinth_score(os.path.join(out, "plinth_mapInArrow"), oracle)


def same_as_plinth_score(spark_out, oracle):
    """Stops the benchmark unless the Spark job's rows equal `plinth score`'s, row for row."""
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    # Each file numbers its transactions from 1: these columns order the rows completely.
    keys = [(k, "ascending") for k in ("transaction_id", "user_id", "amount", "hour_of_day",
                                       "distance_from_home", "transaction_velocity")]
    got = ds.dataset(spark_out, format="parquet").to_table().sort_by(keys)
    expected = pq.read_table(oracle).sort_by(keys)
    if got.num_rows != expected.num_rows:
        sys.exit(f"spark: {got.num_rows} rows, plinth score {expected.num_rows}")
    for name in expected.column_names:
        a, b = got[name], expected[name]
        if not a.cast(b.type).equals(b):
            sys.exit(f"spark: column {name} differs from plinth score's")
    emit(check="spark output equals plinth score", rows=got.num_rows,
         columns=len(expected.column_names))


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ("model", "predict", "spark"):
        sys.exit(__doc__)
    command, args = sys.argv[1], sys.argv[2:]
    if command == "model":
        train(*args)
    elif command == "predict":
        predict(args[0], args[1], int(args[2]))
    else:
        spark(args[0], args[1], args[2], int(args[3]), args[4])
