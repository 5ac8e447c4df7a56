"""A W&B run that streams while `plinth server` restarts (tests/e2e/wandb_restart_test.sh):
logs steps 0-4, prints "phase1", waits for the file READY_FILE to appear (the test restarts
the server meanwhile), logs steps 5-9, sets a summary-only value and finishes. File_stream
sends every second, so history and summary travel in separate requests during the run."""
import os
import sys
import time

import wandb

ready = sys.argv[1]
run = wandb.init(project="restart", settings=wandb.Settings(
    x_file_stream_transmit_interval=1, x_file_stream_retry_wait_min_seconds=1,
    x_file_stream_retry_wait_max_seconds=2))
for i in range(5):
    wandb.log({"x": i * 1.5})
time.sleep(2)  # one transmit interval at least: these lines reach the first server
print("phase1", run.id, flush=True)
while not os.path.exists(ready):
    time.sleep(0.1)
for i in range(5, 10):
    wandb.log({"x": i * 1.5})
run.summary["best"] = 42.0
run.finish()
