"""Captures procfs text for system_metrics_test.cc and what psutil computes from it.

Run once with the pinned tools' Python (.venv-test/bin/python tests/experiments/make_proc_fixture.py):
it starts a small process tree (sh -> a busy Python loop and a sleep), copies /proc/stat,
/proc/meminfo, /proc/net/dev and the tree's (and two unrelated processes') stat and statm files
twice, half a second and 3 MB of loopback traffic apart, into proc_fixture/a and proc_fixture/b (plus two made-up /proc/stat in c and d), then points psutil at each copy
(psutil.PROCFS_PATH) and writes the values MLflow's monitors would compute to expected.json.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time

import psutil

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "proc_fixture")


def copy(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with open(src, "rb") as f:
        data = f.read()
    with open(dst, "wb") as f:
        f.write(data)


def snapshot(name, pids):
    root = os.path.join(OUT, name)
    for f in ("stat", "meminfo", "net/dev"):
        copy(f"/proc/{f}", os.path.join(root, f))
    for pid in pids:
        for f in ("stat", "statm"):
            copy(f"/proc/{pid}/{f}", os.path.join(root, str(pid), f))
    return root


def loopback_traffic(size):
    """Sends `size` bytes to ourselves over TCP, so the network counters move."""
    server = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server.getsockname())
    peer, _ = server.accept()
    client.sendall(b"x" * size)
    client.close()
    while peer.recv(1 << 16):
        pass
    peer.close()
    server.close()


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    tree = subprocess.Popen(
        ["sh", "-c", f"{sys.executable} -c 'while True: pass' & sleep 30 & wait"])
    time.sleep(0.5)
    members = [tree.pid] + [c.pid for c in psutil.Process(tree.pid).children(recursive=True)]
    pids = members + [1, os.getpid()]
    a = snapshot("a", pids)
    loopback_traffic(3_000_000)
    time.sleep(0.5)
    b = snapshot("b", pids)
    tree.kill()
    for c in members[1:]:
        os.kill(c, 9)

    def at(path):
        psutil.PROCFS_PATH = path
        cpu = psutil.cpu_times()
        net = psutil.net_io_counters(nowrap=False)
        mem = psutil.virtual_memory()
        root = psutil.Process(tree.pid)
        procs = [root] + root.children(recursive=True)
        rss = sum(p.memory_info().rss for p in procs)
        ticks = sum(sum(p.cpu_times()[:4]) for p in procs)
        return cpu, net, mem, sorted(p.pid for p in procs), rss, ticks

    cpu_a, net_a, _, _, _, ticks_a = at(a)
    cpu_b, net_b, mem_b, tree_b, rss_b, ticks_b = at(b)

    def percent(t1, t2):
        busy = psutil._cpu_busy_time(t2) - psutil._cpu_busy_time(t1)
        total = psutil._cpu_tot_time(t2) - psutil._cpu_tot_time(t1)
        return round(busy / total * 100, 1)

    # A busy machine leaves idle, iowait and guest unchanged; two made-up lines move them all.
    made_up = {}
    for name, line in (("c", "cpu  100 20 30 400 50 6 7 8 9 10"),
                       ("d", "cpu  200 25 60 500 90 7 9 12 30 15")):
        os.makedirs(os.path.join(OUT, name))
        with open(os.path.join(OUT, name, "stat"), "w") as f:
            f.write(line + "\ncpu0 0 0 0 0 0 0 0 0 0 0\nbtime 1\n")
        psutil.PROCFS_PATH = os.path.join(OUT, name)
        made_up[name] = psutil.cpu_times()
    expected = {
        "root_pid": tree.pid,
        "tree_pids": tree_b,
        "cpu_utilization_percentage": percent(cpu_a, cpu_b),
        "made_up_cpu_utilization_percentage": percent(made_up["c"], made_up["d"]),
        "system_memory_usage_megabytes": round(mem_b.used / 1e6, 1),
        "system_memory_usage_percentage": round(mem_b.used / mem_b.total * 100, 1),
        "network_receive_megabytes": net_b.bytes_recv / 1e6 - net_a.bytes_recv / 1e6,
        "network_transmit_megabytes": net_b.bytes_sent / 1e6 - net_a.bytes_sent / 1e6,
        "process_tree_rss_bytes": rss_b,
        "process_tree_cpu_seconds_a": ticks_a,
        "process_tree_cpu_seconds_b": ticks_b,
        "clock_ticks_per_second": os.sysconf("SC_CLK_TCK"),
        "page_size": os.sysconf("SC_PAGE_SIZE"),
    }
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
