"""An S3 front that checks AWS Signature V4 with botocore, then forwards to s3rver.

s3rver checks access keys but not V4 signatures, so a test that must prove Plinth signs
correctly (and that a wrong secret is refused) talks to s3rver through this proxy. botocore,
the AWS SDK for Python, recomputes each request's signature from the method, path, query,
signed headers and x-amz-date; a request whose signature differs gets S3's 403
SignatureDoesNotMatch, as AWS would answer it.

usage: sigv4_verify_proxy.py LISTEN_PORT UPSTREAM_PORT ACCESS_KEY SECRET [hold-complete]
Prints "ready" once listening; appends "ok METHOD PATH" or "bad ..." per request to stderr.
With hold-complete, a request completing a multipart upload is never forwarded ("holding" is
logged): a test kills the client then, when every part is stored but the object is not.
"""
import http.client
import http.server
import re
import sys
import time

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

LISTEN, UPSTREAM, ACCESS_KEY, SECRET = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
HOLD_COMPLETE = sys.argv[5:] == ["hold-complete"]
AUTH = re.compile(
    r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/aws4_request,\s*"
    r"SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$")


def problem(handler, body):
    """Why the request's signature is wrong, or None when botocore agrees with it."""
    m = AUTH.match(handler.headers.get("Authorization", ""))
    if not m:
        return "no AWS4-HMAC-SHA256 Authorization header"
    key, _, region, signed, signature = m.groups()
    if key != ACCESS_KEY:
        return f"unknown access key {key}"
    headers = {name: handler.headers.get(name, "") for name in signed.split(";")}
    request = AWSRequest(method=handler.command, url="http://" + headers["host"] + handler.path,
                         headers=headers, data=body)
    request.context["timestamp"] = headers["x-amz-date"]
    auth = S3SigV4Auth(Credentials(ACCESS_KEY, SECRET), "s3", region)
    expected = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)),
                              request)
    return None if expected == signature else "signature mismatch"


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_any(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        why = problem(self, body)
        print(("bad " + why + " " if why else "ok ") + self.command + " " + self.path,
              file=sys.stderr, flush=True)
        if why:
            code = "InvalidAccessKeyId" if why.startswith("unknown") else "SignatureDoesNotMatch"
            out = (f"<?xml version=\"1.0\"?><Error><Code>{code}</Code><Message>{why}"
                   "</Message></Error>").encode()
            self.send_response(403)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(out)
            return
        if HOLD_COMPLETE and self.command == "POST" and "uploadId=" in self.path:
            print("holding " + self.path, file=sys.stderr, flush=True)
            time.sleep(3600)
        upstream = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
        upstream.request(self.command, self.path, body=body or None, headers=headers)
        r = upstream.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "content-length", "date",
                                 "server"):
                self.send_header(k, v)
        length = r.getheader("Content-Length") if self.command == "HEAD" else str(len(data))
        self.send_header("Content-Length", length or "0")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        upstream.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", LISTEN), Proxy)
server.daemon_threads = True
print("ready", flush=True)
server.serve_forever()
