"""The MLflow client's own loop, for bench/mlflow.sh: RUNS runs, each with 5 params and 5
metrics, through MLflow's fluent API against the tracking server at URI.

    python mlflow_client_loop.py URI RUNS [SERVER_PGID]

Prints one line "wall=S cpu=S server_cpu=S runs=N": the wall time of the loop, the CPU time
(user + system, every thread of this process) the client spent in it, and the CPU time the
server's process group (every worker; -1 without SERVER_PGID) spent meanwhile. The import of
mlflow, the experiment's creation and five warm-up runs before the loop are not timed. Checks at the end that the server holds RUNS runs, each
with its 5 params and 5 metrics, so a server that drops data cannot look fast.
"""

import os
import resource
import sys
import time


def cpu_seconds():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def group_cpu_seconds(pgid):
    """CPU time (user + system, with reaped children) of the processes in group pgid."""
    if pgid is None:
        return 0.0
    ticks = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # exited meanwhile
            continue
        if int(fields[2]) == pgid:
            ticks += sum(int(x) for x in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def main():
    if len(sys.argv) in (2, 3, 4) and sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    if len(sys.argv) not in (3, 4):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    uri, runs = sys.argv[1], int(sys.argv[2])
    pgid = int(sys.argv[3]) if len(sys.argv) == 4 else None
    import mlflow
    from mlflow.tracking import MlflowClient

    mlflow.set_tracking_uri(uri)
    # A few untimed runs first, in an experiment of their own: the client loads modules and
    # opens its connection on first use.
    mlflow.set_experiment(f"client-loop-warmup-{os.getpid()}-{time.time_ns()}")
    for i in range(5):
        with mlflow.start_run():
            mlflow.log_params({"p": i})
            mlflow.log_metrics({"m": i})
    exp = mlflow.set_experiment(f"client-loop-{os.getpid()}-{time.time_ns()}")
    server0, wall0, cpu0 = group_cpu_seconds(pgid), time.perf_counter(), cpu_seconds()
    for i in range(runs):
        with mlflow.start_run(run_name=f"run-{i}"):
            mlflow.log_params({f"p{k}": f"value-{i}-{k}" for k in range(5)})
            mlflow.log_metrics({f"m{k}": i * 0.001 + k for k in range(5)})
    wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
    server = group_cpu_seconds(pgid) - server0 if pgid is not None else -1

    found = MlflowClient(uri).search_runs([exp.experiment_id], max_results=max(runs, 1))
    bad = [r.info.run_id for r in found if len(r.data.params) != 5 or len(r.data.metrics) != 5]
    if len(found) != runs or bad:
        print(f"error: the server holds {len(found)} runs ({len(bad)} incomplete), "
              f"expected {runs} with 5 params and 5 metrics each", file=sys.stderr)
        return 1
    print(f"wall={wall:.4f} cpu={cpu:.4f} server_cpu={server:.4f} runs={runs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
