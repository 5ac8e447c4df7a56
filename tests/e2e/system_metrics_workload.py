"""Commands that system_metrics_test.sh runs under `plinth runs exec` (stdlib only).

burn PIDFILE GOFILE CODE: writes its pid, waits until the psutil watcher is attached (GOFILE),
  prints the run ids it was given, holds ~300 MB, sends 20 MB over loopback, burns one CPU for
  3 s and exits with CODE.
interrupt COUNTFILE: prints "ready", counts the SIGINTs it gets for a second after the first,
  writes the count and dies of SIGINT, as a Python program interrupted by Ctrl-C does.
"""
import os
import signal
import socket
import sys
import threading
import time


def loopback(size):
    server = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server.getsockname())
    peer, _ = server.accept()
    reader = threading.Thread(target=lambda: [None for _ in iter(lambda: peer.recv(1 << 16), b"")])
    reader.start()
    client.sendall(b"x" * size)
    client.close()
    reader.join()


def burn(pidfile, gofile, code):
    with open(pidfile + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.rename(pidfile + ".tmp", pidfile)
    deadline = time.time() + 20
    while not os.path.exists(gofile) and time.time() < deadline:
        time.sleep(0.01)
    print("MLFLOW_RUN_ID=" + os.environ.get("MLFLOW_RUN_ID", ""), flush=True)
    print("PLINTH_RUN_ID=" + os.environ.get("PLINTH_RUN_ID", ""), flush=True)
    sys.stderr.write("burning on stderr\n")
    data = b"\x01" * 300_000_000  # written, so resident
    loopback(20_000_000)
    start = time.time()
    while time.time() - start < 3:
        pass
    print("held", len(data), flush=True)
    sys.exit(int(code))


def interrupt(countfile):
    count = 0

    def on_sigint(*_):
        nonlocal count
        count += 1

    signal.signal(signal.SIGINT, on_sigint)
    print("ready", flush=True)
    while count == 0:
        time.sleep(0.01)
    time.sleep(1)
    with open(countfile, "w") as f:
        f.write(str(count))
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGINT)


if __name__ == "__main__":
    {"burn": burn, "interrupt": interrupt}[sys.argv[1]](*sys.argv[2:])
