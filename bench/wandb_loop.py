"""One run of STEPS steps x METRICS metrics against the tracking server at URL, for
bench/wandb.sh, through one of three clients:

    python wandb_loop.py wandb  URL STEPS METRICS SERVER_PGID   the W&B SDK: wandb.log per step
    python wandb_loop.py mlflow URL STEPS METRICS SERVER_PGID   MLflow: mlflow.log_metrics per step
    python wandb_loop.py batch  URL STEPS METRICS SERVER_PGID   MLflow: log_batch, 1,000 per call

Prints one line "wall=S init=S log=S finish=S server_cpu=S points=N": the whole run's wall
time (init to finish returned), the start (wandb.init / start_run), the logging loop, the time
from the last log call to finish() returning, and the CPU time the server's process group spent
over the whole run. The import of the client is not timed. Checks at the end, through the MLflow
client, that the server holds every point of every metric, so a server that drops data cannot
look fast.
"""
import os
import sys
import time


def group_cpu_seconds(pgid):
    ticks = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            ticks += sum(int(x) for x in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def main():
    mode, url, steps, metrics, pgid = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
        int(sys.argv[4]), int(sys.argv[5])
    keys = [f"m{k:02d}" for k in range(metrics)]
    import mlflow
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    client = MlflowClient(url)
    if mode == "wandb":
        import wandb
    server0, t0 = group_cpu_seconds(pgid), time.perf_counter()
    if mode == "wandb":
        run = wandb.init(project=f"bench-{os.getpid()}", config={"steps": steps})
        exp_name, run_key = f"plinth/bench-{os.getpid()}", ("wandb.run_id", run.id)
    else:
        mlflow.set_tracking_uri(url)
        exp_name = f"bench-{mode}-{os.getpid()}"
        mlflow.set_experiment(exp_name)
        run = mlflow.start_run()
        run_key = None
    t1 = time.perf_counter()
    if mode == "wandb":
        for i in range(steps):
            wandb.log({k: i * 0.001 + j for j, k in enumerate(keys)})
    elif mode == "mlflow":
        for i in range(steps):
            mlflow.log_metrics({k: i * 0.001 + j for j, k in enumerate(keys)}, step=i)
    else:
        now = int(time.time() * 1000)
        batch = []
        for i in range(steps):
            for j, k in enumerate(keys):
                batch.append(Metric(k, i * 0.001 + j, now, i))
                if len(batch) == 1000:
                    client.log_batch(run.info.run_id, metrics=batch)
                    batch = []
        if batch:
            client.log_batch(run.info.run_id, metrics=batch)
    t2 = time.perf_counter()
    if mode == "wandb":
        run.finish()
    else:
        mlflow.end_run()
    t3 = time.perf_counter()
    server = group_cpu_seconds(pgid) - server0

    exp = client.get_experiment_by_name(exp_name)
    found = client.search_runs([exp.experiment_id])
    if run_key:
        found = [r for r in found if r.data.tags.get(run_key[0]) == run_key[1]]
    run_id = found[0].info.run_id
    points = sum(len(client.get_metric_history(run_id, k)) for k in (keys[0], keys[-1]))
    if points != 2 * steps:
        print(f"error: the server holds {points} points of {keys[0]} and {keys[-1]}, "
              f"expected {2 * steps}", file=sys.stderr)
        return 1
    print(f"wall={t3 - t0:.3f} init={t1 - t0:.3f} log={t2 - t1:.3f} finish={t3 - t2:.3f} "
          f"server_cpu={server:.3f} points={steps * metrics}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
