"""Logs one point of metric "loss" every 0.1 s to a new RUNNING run, for the live-chart test,
until STOP_FILE appears (or three minutes pass).

Usage: ui_live.py TRACKING_URI EXPERIMENT_ID RUN_ID_FILE STOP_FILE
"""
import os
import sys
import time

from mlflow import MlflowClient

uri, exp, id_file, stop_file = sys.argv[1:5]
client = MlflowClient(uri)
run = client.create_run(exp, run_name="live")
client.log_metric(run.info.run_id, "loss", 1.0, step=0)
open(id_file, "w").write(run.info.run_id)
end = time.time() + 180
step = 1
while time.time() < end and not os.path.exists(stop_file):
    client.log_metric(run.info.run_id, "loss", 1.0 / (1 + step), step=step)
    step += 1
    time.sleep(0.1)
client.set_terminated(run.info.run_id)
