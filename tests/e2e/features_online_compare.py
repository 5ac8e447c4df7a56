"""Sends each request of a JSON list to two feature servers and reports any difference in
status or parsed JSON. Usage: features_online_compare.py URL_A URL_B REQUESTS.json
Each request is {"path": "/get-online-features", "body": {...}}. Exit 1 on a difference.

Feast orders the features of one view by iterating a Python set (utils._group_feature_refs), so
that order changes with PYTHONHASHSEED; responses are compared as join keys first (in order),
then name -> column."""
import json
import sys
import urllib.error
import urllib.request


def normalized(response):
    if not isinstance(response, dict) or "metadata" not in response:
        return response
    names = response["metadata"]["feature_names"]
    keys = [n for n in names if n in join_keys]
    return {"join_keys_first": names[:len(keys)] == keys and keys,
            "columns": dict(zip(names, response["results"]))}


def call(base, path, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            text = r.read().decode()
            return r.status, normalized(json.loads(text)) if text else None
    except urllib.error.HTTPError as e:
        return e.code, None


a, b, requests = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
join_keys = {"user_id"}
bad = 0
for req in requests:
    ra, rb = call(a, req["path"], req["body"]), call(b, req["path"], req["body"])
    if ra != rb:
        bad += 1
        print(f"DIFFERENT for {json.dumps(req)}:\n  {a}: {json.dumps(ra)[:2000]}\n"
              f"  {b}: {json.dumps(rb)[:2000]}", file=sys.stderr)
print(f"{len(requests) - bad}/{len(requests)} requests answered identically")
sys.exit(1 if bad else 0)
