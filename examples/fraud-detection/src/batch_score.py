"""batch_score: the handbook's nightly scoring job on Spark, with Plinth inside.

    python src/batch_score.py MODEL INPUT OUTPUT        (or: spark-submit src/batch_score.py ...)

MODEL is anything plinth.load_model takes: models:/fraud-detector/Production (through
MLFLOW_TRACKING_URI), a model folder, an .onnx file. INPUT is a Parquet file or folder of the
transactions with their user features -- s3a://lake/transactions/dt=2026-03-30/ for a lake --
or a CSV file; OUTPUT the Parquet folder to write: every input column plus the model's outputs
(label and probability), as `plinth score` writes them.

The handbook wraps mlflow.pyfunc in a pandas_udf. Here each Arrow batch Spark holds goes to
Plinth's C++ scorer through the Arrow C data interface (mapInArrow): no pandas conversion in
between, and the model is loaded once per Python worker, not once per partition.
"""

import os
import sys

import pyarrow as pa
from pyspark.sql import SparkSession
from pyspark.sql.pandas.types import from_arrow_schema
from pyspark.sql.types import StructType

import plinth


def score_partitions(location, threads):
    def score(batches):
        model = plinth.cached_model(location, threads=threads)
        for batch in batches:
            scored = model.predict(batch)
            names = [n for n in batch.schema.names if n not in scored.column_names]
            yield pa.RecordBatch.from_arrays(
                [batch.column(n) for n in names] + [c.combine_chunks() for c in scored.columns],
                names=names + scored.column_names)

    return score


def output_schema(df, location):
    """The input's columns (but those named like an output) and the model's outputs."""
    outputs = plinth.load_model(location, threads=1).predict(df.limit(0).toArrow())
    kept = [f for f in df.schema.fields if f.name not in outputs.column_names]
    return StructType(kept + from_arrow_schema(outputs.schema).fields)


def read(spark, path):
    if path.endswith(".csv"):
        return spark.read.csv(path, header=True, inferSchema=True)
    return spark.read.parquet(path)


def main(model, input_path, output_path, threads_per_task=1):
    spark = SparkSession.builder.appName("batch-scoring").getOrCreate()
    df = read(spark, input_path)
    scored = df.mapInArrow(score_partitions(model, threads_per_task), output_schema(df, model))
    scored.write.mode("overwrite").parquet(output_path)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:], threads_per_task=int(os.environ.get("PLINTH_THREADS_PER_TASK", "1")))
