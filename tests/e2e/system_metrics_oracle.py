"""Oracles for system_metrics_test.sh, run with the pinned tools' Python (psutil, mlflow).

watch PIDFILE GOFILE OUT: attaches psutil to the process whose pid appears in PIDFILE, creates
  GOFILE, and samples every 50 ms until the process ends: the tree's CPU seconds and RSS, the
  system's busy/total CPU time and used memory (psutil's, as MLflow's monitors read them).
ctrl-c OUT CMD...: runs CMD on a pseudo-terminal, presses Ctrl-C once it printed "ready" (the
  terminal signals its foreground process group, as a user's Ctrl-C does), records the exit code.
net: prints the bytes received over all interfaces (psutil.net_io_counters).
check TRACKING_URI DIR: waits for DIR/done, reads the runs back with the MLflow client and checks them against the
  watcher's samples; prints what is wrong and exits 1.
"""
import json
import os
import pty
import sys
import time

import psutil


def watch(pidfile, gofile, out):
    deadline = time.time() + 20
    while not os.path.exists(pidfile) and time.time() < deadline:
        time.sleep(0.01)
    proc = psutil.Process(int(open(pidfile).read()))
    samples = []
    open(gofile, "w").close()
    while True:
        try:
            tree = [proc] + proc.children(recursive=True)
            cpu = sum(sum(p.cpu_times()[:4]) for p in tree)
            rss = sum(p.memory_info().rss for p in tree)
            if proc.status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        sys_cpu = psutil.cpu_times()
        samples.append({"t": time.time(), "tree_cpu": cpu, "rss": rss,
                        "busy": psutil._cpu_busy_time(sys_cpu),
                        "total": psutil._cpu_tot_time(sys_cpu),
                        "mem_used": psutil.virtual_memory().used})
        time.sleep(0.05)
    json.dump(samples, open(out, "w"))


def ctrl_c(out, *cmd):
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], list(cmd))
    output = b""
    pressed = False
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
        if not pressed and b"ready" in output:
            os.write(fd, b"\x03")
            pressed = True
    _, status = os.waitpid(pid, 0)
    json.dump({"exit_code": os.waitstatus_to_exitcode(status), "pressed": pressed,
               "output": output.decode(errors="replace")}, open(out, "w"))


def at(samples, t, key):
    """`key`'s cumulative value at time t, interpolated between the watcher's samples."""
    for a, b in zip(samples, samples[1:]):
        if a["t"] <= t <= b["t"]:
            share = (t - a["t"]) / (b["t"] - a["t"]) if b["t"] > a["t"] else 0
            return a[key] + share * (b[key] - a[key])
    return None


def check(uri, work):
    import mlflow
    # MLflow loads its request-header plugins at the first REST call; feast's takes ~10 s to
    # import here, so load it now, while the commands run.
    import mlflow.tracking.request_header.registry  # noqa: F401
    from mlflow.system_metrics.metrics.cpu_monitor import CPUMonitor
    from mlflow.system_metrics.metrics.disk_monitor import DiskMonitor
    from mlflow.system_metrics.metrics.network_monitor import NetworkMonitor

    problems = []
    deadline = time.time() + 120
    while not os.path.exists(os.path.join(work, "done")) and time.time() < deadline:
        time.sleep(0.05)

    def expect(ok, what):
        if not ok:
            problems.append(what)

    # MLflow's own monitors name the metrics (the GPU monitor needs NVML, absent here).
    mlflow_names = set()
    for monitor in (CPUMonitor(), DiskMonitor(), NetworkMonitor()):
        monitor.collect_metrics()
        mlflow_names |= {"system/" + k for k in monitor.aggregate_metrics()}
    plinth_names = {"system/process_tree_rss_megabytes",
                    "system/process_tree_cpu_utilization_percentage"}

    client = mlflow.MlflowClient(uri)

    def run_named(experiment, name):
        exp = client.get_experiment_by_name(experiment)
        runs = client.search_runs([exp.experiment_id], f"attributes.run_name = '{name}'")
        if len(runs) != 1:
            print(f"FAIL: {len(runs)} runs named {name} in {experiment}, not 1")
            sys.exit(1)
        return runs[0]

    def histories(run):
        return {k: client.get_metric_history(run.info.run_id, k)
                for k in run.data.metrics if k.startswith("system/")}

    def check_steps(label, hist):
        steps = {k: [m.step for m in v] for k, v in hist.items()}
        for k, s in steps.items():
            expect(s == list(range(len(s))), f"{label}: {k} steps {s} are not 0, 1, 2, ...")
        by_step = {}
        for k, v in hist.items():
            for m in v:
                by_step.setdefault(m.step, set()).add(m.timestamp)
        expect(all(len(t) == 1 for t in by_step.values()),
               f"{label}: the metrics of one sample have different timestamps")

    # The burner: FAILED with its exit code, MLflow's names, values psutil agrees with.
    burn = run_named("sysmetrics", "burner")
    run_id = burn.info.run_id
    expect(burn.info.status == "FAILED", f"burner status {burn.info.status}")
    expect(burn.data.tags.get("plinth.exit_code") == "3", f"burner tags {burn.data.tags}")
    expect("system_metrics_workload.py burn" in burn.data.tags.get("plinth.command", ""),
           f"burner command tag {burn.data.tags.get('plinth.command')}")
    stdout = open(os.path.join(work, "burn.out")).read()
    expect(f"MLFLOW_RUN_ID={run_id}" in stdout and f"PLINTH_RUN_ID={run_id}" in stdout,
           f"the command was not given its run id: {stdout!r}")
    log = open(client.download_artifacts(run_id, "output.log", work)).read()
    expect("burning on stderr" in log and "held 300000000" in log, f"output.log: {log!r}")
    hist = histories(burn)
    expect(set(hist) == mlflow_names | plinth_names,
           f"burner metric names {sorted(hist)} != MLflow's {sorted(mlflow_names)} + "
           f"{sorted(plinth_names)}")
    check_steps("burner", hist)
    n = len(hist.get("system/process_tree_rss_megabytes", []))
    expect(n >= 6, f"only {n} samples of a 3 s+ command at 0.5 s")

    samples = json.load(open(os.path.join(work, "watch.json")))
    compared = {"rss": 0, "tree_cpu": 0, "cpu": 0, "mem": 0}
    for key in ("system/process_tree_rss_megabytes", "system/system_memory_usage_megabytes"):
        field = "rss" if "rss" in key else "mem_used"
        # The last sample comes after the command ended; the watcher stopped before that.
        for m in hist.get(key, [])[:-1]:
            t = m.timestamp / 1000
            near = [s[field] / 1e6 for s in samples if t - 0.15 <= s["t"] <= t + 0.15]
            if not near:
                continue
            slack = 2 if field == "rss" else 100
            compared["rss" if field == "rss" else "mem"] += 1
            expect(min(near) - slack <= m.value <= max(near) + slack,
                   f"{key} at step {m.step} = {m.value}, psutil saw {min(near):.1f}..{max(near):.1f}")
    rss_max = max((m.value for m in hist.get("system/process_tree_rss_megabytes", [])), default=0)
    expect(rss_max >= 300, f"process tree RSS peaked at {rss_max} MB, below the 300 MB held")
    # CPU: each sample against psutil's counters over the same window (clock ticks of 10 ms
    # make a 0.5 s window's share coarse, so windows get slack and the total must agree tightly).
    cpu_seconds = {"plinth": 0.0, "psutil": 0.0}
    for key, num, den, name in (
            ("system/process_tree_cpu_utilization_percentage", "tree_cpu", None, "tree_cpu"),
            ("system/cpu_utilization_percentage", "busy", "total", "cpu")):
        points = hist.get(key, [])
        for prev, cur in zip(points, points[1:]):
            t0, t1 = prev.timestamp / 1000, cur.timestamp / 1000
            a0, a1 = at(samples, t0, num), at(samples, t1, num)
            if a0 is None or a1 is None:
                continue
            if den:
                d0, d1 = at(samples, t0, den), at(samples, t1, den)
                if d1 <= d0:
                    continue
                want = 100 * (a1 - a0) / (d1 - d0)
            else:
                want = 100 * (a1 - a0) / (t1 - t0)
                cpu_seconds["plinth"] += cur.value / 100 * (t1 - t0)
                cpu_seconds["psutil"] += a1 - a0
            compared[name] += 1
            print(f"{key} step {cur.step}: plinth {cur.value}, psutil {want:.1f}")
            expect(abs(cur.value - want) <= 4 + 0.15 * want,
                   f"{key} at step {cur.step} = {cur.value}, psutil over the same "
                   f"{t1 - t0:.2f} s: {want:.1f}")
    expect(abs(cpu_seconds["plinth"] - cpu_seconds["psutil"]) <= 0.03 + 0.1 * cpu_seconds["psutil"],
           f"the process tree used {cpu_seconds['plinth']:.3f} CPU seconds by plinth's samples, "
           f"{cpu_seconds['psutil']:.3f} by psutil's")
    for name, count in compared.items():
        expect(count >= 3, f"only {count} {name} samples overlapped the watcher's")
    disk = psutil.disk_usage(os.sep)
    last_disk = hist["system/disk_usage_percentage"][-1].value
    expect(abs(last_disk - disk.percent) <= 1, f"disk {last_disk}% vs psutil {disk.percent}%")
    received = hist["system/network_receive_megabytes"][-1].value
    since = (psutil.net_io_counters().bytes_recv - int(open(os.path.join(work, "net0")).read())) / 1e6
    expect(20 <= received <= since + 0.1,
           f"received {received} MB; the command sent 20 MB, psutil saw {since:.1f} MB in all")

    ok = run_named("sysmetrics", "ok")
    expect(ok.info.status == "FINISHED" and ok.data.tags.get("plinth.exit_code") == "0",
           f"ok: {ok.info.status} {ok.data.tags}")

    # Ctrl-C: the command got one SIGINT, the run is KILLED, the exit code is the command's.
    ctrl = json.load(open(os.path.join(work, "ctrl-c.json")))
    expect(ctrl["pressed"], f"the interrupt command never said ready: {ctrl['output']!r}")
    expect(ctrl["exit_code"] == 130, f"Ctrl-C exit code {ctrl['exit_code']}: {ctrl['output']!r}")
    expect(open(os.path.join(work, "sigints")).read() == "1", "the command got SIGINT "
           f"{open(os.path.join(work, 'sigints')).read()} times, not once")
    killed = run_named("sysmetrics", "interrupted")
    expect(killed.info.status == "KILLED", f"interrupted status {killed.info.status}")
    expect(killed.data.tags.get("plinth.exit_code") == "130", f"interrupted {killed.data.tags}")
    expect(not histories(killed), "--system-metrics-interval 0 still logged system metrics")

    # `plinth repro` with the interval: the tracked run has the system metrics too.
    pipe = run_named("pipe", "repro")
    hist = histories(pipe)
    expect(pipe.info.status == "FINISHED" and pipe.data.metrics.get("acc") == 0.9,
           f"repro run {pipe.info.status} {pipe.data.metrics}")
    expect(set(hist) == mlflow_names | plinth_names, f"repro metric names {sorted(hist)}")
    check_steps("repro", hist)
    rss = max((m.value for m in hist.get("system/process_tree_rss_megabytes", [])), default=0)
    expect(rss >= 100, f"repro's process tree RSS peaked at {rss} MB; the stage held 100 MB")
    expect(len(hist.get("system/cpu_utilization_percentage", [])) >= 3,
           "fewer than 3 samples of a 1.2 s stage at 0.25 s")

    interrupted = run_named("pipe-int", "repro")
    ctrl = json.load(open(os.path.join(work, "repro-ctrl-c.json")))
    expect(ctrl["pressed"] and ctrl["exit_code"] == -2,
           f"repro after Ctrl-C: exit {ctrl['exit_code']}, {ctrl['output']!r}")
    expect(interrupted.info.status == "KILLED", f"Ctrl-C'd repro's run is {interrupted.info.status}")
    expect(client.get_experiment_by_name("typo") is None,
           "a command that cannot start recorded a run (experiment 'typo' exists)")

    for p in problems:
        print("FAIL:", p)
    sys.stdout.flush()
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "net":
        print(psutil.net_io_counters().bytes_recv)
    else:
        {"watch": watch, "ctrl-c": ctrl_c, "check": check}[mode](*args)
