"""Batch scoring with Dask and Plinth: every partition scored by plinth's C++ scorer.

    python dask_batch_score.py MODEL INPUT OUTPUT

MODEL is anything plinth.load_model takes; INPUT a Parquet file, folder or glob (s3:// works
through Dask's fsspec); OUTPUT the Parquet folder to write: every input column plus the model's
outputs, as `plinth score` writes them. Model.predict releases the GIL, so Dask's default
threaded scheduler scores partitions on all cores at once, one model shared by the threads.
"""

import sys

import dask.dataframe as dd

import plinth


def score_partition(frame, location):
    # One thread per predict call: Dask runs one call per core already.
    scored = plinth.cached_model(location, threads=1).predict(frame)
    return frame.drop(columns=scored.columns, errors="ignore").join(scored)


def main(model, input_path, output_path):
    df = dd.read_parquet(input_path)
    meta = score_partition(df._meta, model)
    scored = df.map_partitions(score_partition, model, meta=meta)
    scored.to_parquet(output_path, write_index=False)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
