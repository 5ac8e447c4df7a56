#!/usr/bin/env bash
# plinth serve under hostile clients: body and header limits, slow clients cut off without
# holding the only worker thread, a connection cap, malformed HTTP, keep-alive, and a SIGTERM
# that lets the request in flight finish and exits 0.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
export OMP_WAIT_POLICY=PASSIVE
new_repo
trap 'stop_servers; rm -rf "$SCRATCH"' EXIT
train_fraud_model

# One worker thread, short timeouts, two connections at most.
start_server serve.log model --threads 1 --header-timeout 1 --body-timeout 1 \
  --max-connections 2 --body-limit 4096
"$PYTHON" - "$URL" <<'PY' || fail "limits, timeouts and the connection cap"
import json, socket, sys, time, urllib.request, urllib.error
host, port = sys.argv[1].split("//")[1].split(":")
port = int(port)
good = json.dumps({"amount": 25.0, "merchant_category": "gas", "hour_of_day": 3, "day_of_week": 5,
                   "transaction_velocity": 1, "distance_from_home": 2}).encode()

def connect():
    s = socket.create_connection((host, port), timeout=5)
    return s

def exchange(raw):
    s = connect()
    s.sendall(raw)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return data

def request(body, path="/predict"):
    req = urllib.request.Request(sys.argv[1] + path, data=body,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()

# Body over the limit: 413, and the server still answers.
status, body = request(b" " * 5000 + good)
assert status == 413 and b"4096" in body, (status, body)
assert request(good)[0] == 200

# Malformed HTTP: 400; a header over 16 KiB: 431.
assert exchange(b"GARBAGE\r\n\r\n").startswith(b"HTTP/1.1 400"), "garbage"
big = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n"
assert exchange(big).startswith(b"HTTP/1.1 431"), "big header"

# A client that sends half a header is cut off after the header timeout (1 s) ...
slow = connect()
slow.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\n")
started = time.time()
# ... and while it dawdles the one worker thread still serves others.
assert request(good)[0] == 200, "served while a slow client holds a connection"
assert slow.recv(100) == b"", "the slow client is disconnected"
waited = time.time() - started
assert 0.5 < waited < 3, waited
# Same for a body that never completes.
slow = connect()
slow.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             b"Content-Length: 500\r\n\r\n{\"amount\":")
assert slow.recv(100) == b"", "a stalled body is cut off"

# Keep-alive: two requests on one connection.
s = connect()
for _ in range(2):
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    head = s.recv(65536)
    assert head.startswith(b"HTTP/1.1 200"), head
s.close()

# The cap: two open connections, the third is answered 503 and closed.
a, b = connect(), connect()
a.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
assert a.recv(65536).startswith(b"HTTP/1.1 200")
reply = exchange(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
assert reply.startswith(b"HTTP/1.1 503"), reply
a.close(); b.close()
time.sleep(0.2)
assert request(good)[0] == 200, "served again once connections close"
PY

# SIGTERM while a request is in flight: the server stops accepting, closes idle connections,
# answers the request it is reading, and exits 0.
"$PYTHON" - "$URL" "$SERVER_PID" <<'PY' || fail "SIGTERM drains the request in flight"
import json, os, signal, socket, sys, time
host, port = sys.argv[1].split("//")[1].split(":")
pid = int(sys.argv[2])
body = json.dumps({"amount": 25.0, "merchant_category": "gas", "hour_of_day": 3, "day_of_week": 5,
                   "transaction_velocity": 1, "distance_from_home": 2}).encode()
idle = socket.create_connection((host, int(port)), timeout=5)
busy = socket.create_connection((host, int(port)), timeout=5)
busy.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
time.sleep(0.2)
os.kill(pid, signal.SIGTERM)
assert idle.recv(100) == b"", "the idle connection is closed"
try:
    socket.create_connection((host, int(port)), timeout=1).close()
    raise AssertionError("still accepting after SIGTERM")
except (ConnectionRefusedError, socket.timeout):
    pass
busy.sendall(body[10:])
reply = b""
while True:
    chunk = busy.recv(65536)
    if not chunk:
        break
    reply += chunk
assert reply.startswith(b"HTTP/1.1 200"), reply
assert b"Connection: close" in reply, reply
assert b"fraud_probability" in reply, reply
PY
rc=0
wait "$SERVER_PID" || rc=$?
expect_eq "$rc" "0" "plinth serve exits 0 after SIGTERM"

# `in` constraints: a model whose own training rows break them still starts (its example is
# training data), and refuses such values online, numbers and text alike.
cat >in.yaml <<'YAML'
train:
  n_estimators: 5
  constraints:
    merchant_category: {in: [gas, online]}
    day_of_week: {in: [1, 2]}
YAML
"$PLINTH" -q train --data train.csv --target is_fraud --threads 1 --params in.yaml:train --out listed >/dev/null
start_server listed.log listed
out=$(post /predict '{"amount": 5, "merchant_category": "travel", "hour_of_day": 1, "day_of_week": 5, "transaction_velocity": 1, "distance_from_home": 1}')
expect_eq "$out" '422
{"detail":[{"ctx":{"given":"travel","permitted":["gas","online"]},"loc":["body","merchant_category"],"msg":"unexpected value; permitted: \"gas\", \"online\"","type":"value_error.const"},{"ctx":{"given":5,"permitted":[1,2]},"loc":["body","day_of_week"],"msg":"unexpected value; permitted: 1, 2","type":"value_error.const"}]}' \
  "values outside an in list are refused"
expect_contains "$(post /predict '{"amount": 5, "merchant_category": "gas", "hour_of_day": 1, "day_of_week": 2, "transaction_velocity": 1, "distance_from_home": 1}')" "200" \
  "values in the lists are scored"

# A model that cannot load stops the start with a clear error.
mkdir broken && cp model/MLmodel broken/
expect_error 3 "model.json" "$PLINTH" serve broken --port 0
expect_error 3 "is neither a package folder" "$PLINTH" serve no-such-model --port 0
finish
