"""A recording proxy between the `wandb` SDK and `plinth server`: forwards every request and
writes one JSON line per exchange (method, path, request body, status, response body) to OUT.
Used once per SDK version to record a transcript (tests/e2e/wandb_transcript.py capture).

usage: wandb_proxy.py LISTEN_PORT UPSTREAM_BASE OUT.jsonl
"""
import base64
import http.client
import json
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, upstream, out_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
target = urllib.parse.urlsplit(upstream)
lock = threading.Lock()
out = open(out_path, "a")


def body_value(raw, content_type):
    if not raw:
        return None
    if "json" in content_type:
        try:
            return json.loads(raw)
        except ValueError:
            pass
    try:
        return {"text": raw.decode()}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(raw).decode()}


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("host", "content-length", "connection",
                                        "accept-encoding")}
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
        conn.request(self.command, self.path, raw,
                     dict(headers, Host=self.headers.get("Host", "")))
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        if self.path.startswith("/sdk/otel"):
            return  # the SDK's own telemetry: timing-dependent, not part of the protocol
        record = {"method": self.command, "path": self.path,
                  "auth": bool(self.headers.get("Authorization")),
                  "request": body_value(raw, self.headers.get("Content-Type", "json")),
                  "status": resp.status,
                  "response": body_value(data, resp.getheader("Content-Type", ""))}
        with lock:
            out.write(json.dumps(record, sort_keys=True) + "\n")
            out.flush()

    do_GET = do_POST = do_PUT = do_HEAD = forward


ThreadingHTTPServer(("127.0.0.1", port), Proxy).serve_forever()
