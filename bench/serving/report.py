"""Prints bench/serving.sh's table and ratios, and writes them as JSON.

    report.py RESULTS_TSV JSON_FILE|"" KEY=VALUE...

RESULTS_TSV has one line per measurement: server, connections, req/s, p50 ms, p99 ms,
requests, non-200 answers, socket errors, timeouts, the server's CPU time per request in
microseconds and the cores it kept busy (its whole process group, user + system). The KEY=VALUE pairs describe the run and
go into the JSON's "run" object.
"""

import json
import sys

TARGET_FASTAPI = 50.0   # plinth req/s / FastAPI (1 worker) req/s
TARGET_P99_MS = 5.0     # plinth p99 at 16 connections
TARGET_NGINX = 0.40     # plinth req/s / nginx req/s

PLINTH, FASTAPI, NGINX = "plinth serve", "fastapi+uvicorn 1w", "nginx fixed body"
FASTAPI_PANDAS = "fastapi+uvicorn 1w pandas"
PLINTH_BATCHED = "plinth serve batched"


def main(tsv, json_out, *meta):
    run = dict(m.split("=", 1) for m in meta)
    for k, v in run.items():
        if v.isdigit():
            run[k] = int(v)
    rows = []
    with open(tsv) as f:
        for line in f:
            s, c, rps, p50, p99, n, bad, se, to, cpu_us, cores = line.rstrip("\n").split("\t")
            rows.append({"server": s, "connections": int(c), "req_per_s": round(float(rps), 1),
                         "p50_ms": float(p50), "p99_ms": float(p99), "requests": int(n),
                         "non_200": int(bad), "socket_errors": int(se), "timeouts": int(to),
                         "server_cpu_us_per_req": float(cpu_us),
                         "server_cpu_cores": float(cores)})
    by = {(r["server"], r["connections"]): r for r in rows}
    conns = sorted({r["connections"] for r in rows})

    w = max([len("server")] + [len(r["server"]) for r in rows])
    head = "%-*s  %11s  %10s  %8s  %8s  %13s" % (w, "server", "connections", "req/s",
                                                   "p50 ms", "p99 ms", "CPU us/req")
    print(head)
    print("-" * len(head))
    for r in rows:
        print("%-*s  %11d  %10.0f  %8.3f  %8.3f  %13.1f" % (
            w, r["server"], r["connections"], r["req_per_s"], r["p50_ms"], r["p99_ms"],
            r["server_cpu_us_per_req"]))
    if run.get("skipped"):
        print("%-*s  %11s  %10s  %8s  %8s  %13s" % (w, run["skipped"], "-", "pending", "-",
                                                     "-", "-"))
    print()

    ratios = []
    for c in conns:
        p, n = by.get((PLINTH, c)), by.get((NGINX, c))
        for label, peer in (("plinth/FastAPI req/s", FASTAPI),
                            ("plinth/FastAPI+pandas", FASTAPI_PANDAS)):
            f = by.get((peer, c))
            if f:
                x = p["req_per_s"] / f["req_per_s"] if p else None
                ratios.append({"name": label, "connections": c,
                               "value": round(x, 2) if p else None,
                               "target": ">= %gx" % TARGET_FASTAPI,
                               "met": x >= TARGET_FASTAPI if p else None})
        if n:
            ratios.append({"name": "plinth/nginx req/s", "connections": c,
                           "value": round(p["req_per_s"] / n["req_per_s"], 3) if p else None,
                           "target": ">= %g%%" % (TARGET_NGINX * 100),
                           "met": (p["req_per_s"] / n["req_per_s"] >= TARGET_NGINX)
                           if p else None})
    # The same comparisons by CPU time per request: what each answer costs the server,
    # whatever share of the two cores the other processes left it.
    for c in conns:
        p = by.get((PLINTH, c))
        for label, peer in (("FastAPI/plinth CPU/req", FASTAPI),
                            ("FastAPI+pandas/plinth CPU", FASTAPI_PANDAS),
                            ("nginx/plinth CPU/req", NGINX)):
            f = by.get((peer, c))
            if p and f and p["server_cpu_us_per_req"] > 0:
                ratios.append({"name": label, "connections": c,
                               "value": round(f["server_cpu_us_per_req"]
                                              / p["server_cpu_us_per_req"], 3),
                               "target": None, "met": None})
    for c in conns:
        p, b = by.get((PLINTH, c)), by.get((PLINTH_BATCHED, c))
        if p and b:
            ratios.append({"name": "batched/unbatched req/s", "connections": c,
                           "value": round(b["req_per_s"] / p["req_per_s"], 2),
                           "target": None, "met": None})
    if 16 in conns:
        p = by.get((PLINTH, 16))
        ratios.append({"name": "plinth p99 ms", "connections": 16,
                       "value": p["p99_ms"] if p else None,
                       "target": "<= %g ms" % TARGET_P99_MS,
                       "met": p["p99_ms"] <= TARGET_P99_MS if p else None})
    for r in ratios:
        v = r["value"]
        if v is None:
            shown = "pending"
        elif r["name"].endswith("ms"):
            shown = "%.3f ms" % v
        elif r["name"].startswith("plinth/nginx"):
            shown = "%.1f%%" % (100 * v)
        else:
            shown = ("%.1fx" if v >= 10 else "%.2fx" if v >= 0.1 else "%.3fx") % v
        met = {None: "", True: "met", False: "NOT met"}[r["met"]]
        target = "  (target %s) %s" % (r["target"], met) if r["target"] else ""
        print("%-25s at %2d connections: %10s%s" % (r["name"], r["connections"], shown, target))

    if json_out:
        with open(json_out, "w") as f:
            json.dump({"run": run, "results": rows, "ratios": ratios}, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
