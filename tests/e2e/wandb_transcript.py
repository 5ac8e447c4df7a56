"""Replays a recorded W&B SDK transcript (wandb_proxy.py's JSON lines, recorded by
wandb_transcript_record.sh) against `plinth server`, and checks that every answer has the
recorded shape: the same status, the same keys, the same JSON types (null stays null: an upload
URL the SDK must skip, an artifact not found), lists of the same length. Values the server makes
(run and artifact ids, signed URLs) are learned from the live answers as the replay goes and
substituted into later requests.

usage: wandb_transcript.py replay BASE TRANSCRIPT.jsonl
       wandb_transcript.py trim TRANSCRIPT.jsonl   shorten run files the replay does not need,
                                                   and downloads to their MD5
"""
import base64
import hashlib
import json
import sys
import urllib.error
import urllib.parse
import urllib.request


def kind(v):
    return "null" if v is None else type(v).__name__.replace("int", "number").replace(
        "float", "number")


def learn(rec, live, mapping):
    """Maps every recorded string to the live one where the server's answers differ."""
    if isinstance(rec, dict) and isinstance(live, dict):
        for k in rec.keys() & live.keys():
            learn(rec[k], live[k], mapping)
    elif isinstance(rec, list) and isinstance(live, list):
        for a, b in zip(rec, live):
            learn(a, b, mapping)
    elif isinstance(rec, str) and isinstance(live, str) and rec != live:
        mapping[rec] = live
        r, l = urllib.parse.urlsplit(rec), urllib.parse.urlsplit(live)
        if r.scheme in ("http", "https") and l.scheme in ("http", "https"):
            mapping[r.path + ("?" + r.query if r.query else "")] = \
                l.path + ("?" + l.query if l.query else "")


def substitute(v, mapping):
    if isinstance(v, dict):
        return {k: substitute(x, mapping) for k, x in v.items()}
    if isinstance(v, list):
        return [substitute(x, mapping) for x in v]
    if isinstance(v, str):
        return mapping.get(v, v)
    return v


def shape_problems(rec, live, where):
    if kind(rec) != kind(live):
        return [f"{where}: {kind(live)} where the recording has {kind(rec)}"]
    out = []
    if isinstance(rec, dict):
        if set(rec) != set(live):
            out.append(f"{where}: keys {sorted(set(live) ^ set(rec))} differ from the recording")
        for k in rec.keys() & live.keys():
            out += shape_problems(rec[k], live[k], f"{where}.{k}")
    elif isinstance(rec, list):
        if len(rec) != len(live):
            out.append(f"{where}: {len(live)} items where the recording has {len(rec)}")
        for i, (a, b) in enumerate(zip(rec, live)):
            out += shape_problems(a, b, f"{where}[{i}]")
    return out


def body_bytes(body):
    if body is None:
        return b""
    if isinstance(body, dict) and set(body) == {"base64"}:
        return base64.b64decode(body["base64"])
    if isinstance(body, dict) and set(body) == {"text"}:
        return body["text"].encode()
    return json.dumps(body).encode()


def replay(base, path):
    mapping, problems = {}, []
    lines = [json.loads(line) for line in open(path)]
    for n, ex in enumerate(lines, 1):
        target = mapping.get(ex["path"], ex["path"])
        request = substitute(ex["request"], mapping)
        req = urllib.request.Request(base + target, data=body_bytes(request) or None,
                                     method=ex["method"])
        req.add_header("Content-Type", "application/json")
        if ex["auth"]:
            key = "plinth-0123456789abcdefghij0123456789ABCDEFGHIJ"
            req.add_header("Authorization",
                           "Basic " + base64.b64encode(f"api:{key}".encode()).decode())
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, data, ctype = resp.status, resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            status, data, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
        what = f"#{n} {ex['method']} {ex['path'].split('?')[0]}"
        if isinstance(ex["request"], dict) and ex["request"].get("operationName"):
            what += " " + ex["request"]["operationName"]
        if status != ex["status"]:
            problems.append(f"{what}: HTTP {status}, recorded {ex['status']}: {data[:300]!r}")
            continue
        live = json.loads(data) if "json" in ctype and data else (
            {"base64": base64.b64encode(data).decode()} if data else None)
        rec = ex["response"]
        if isinstance(rec, dict) and set(rec) == {"md5"}:  # a download: the same bytes
            if hashlib.md5(data).hexdigest() != rec["md5"]:
                problems.append(f"{what}: downloaded bytes differ from the recording")
        elif isinstance(rec, dict) and set(rec) == {"text"}:  # a manifest, with the server's ids
            want = rec["text"]
            for old, new in mapping.items():
                want = want.replace(old, new)
            try:  # the replay re-encodes JSON bodies: compare manifests as JSON
                same = json.loads(data) == json.loads(want)
            except ValueError:
                same = data.decode(errors="replace") == want
            if not same:
                problems.append(f"{what}: the downloaded text differs from the recording")
        elif rec is not None:
            learn(rec, live, mapping)
            problems += shape_problems(rec, live, what)
    return len(lines), problems


def trim(path):
    """Run files (metadata, requirements, console) carry the recording machine's details and
    nothing the server reads: shortened to a placeholder. Artifact files keep their bytes
    (the server checks their MD5)."""
    out = []
    for line in open(path):
        ex = json.loads(line)
        if ex["method"] == "GET" and isinstance(ex["response"], dict) and \
                set(ex["response"]) == {"base64"}:
            ex["response"] = {"md5": hashlib.md5(base64.b64decode(
                ex["response"]["base64"])).hexdigest()}
        if ex["method"] == "PUT" and ex["path"].startswith("/wandb/upload/") and \
                not ex["path"].split("?")[0].endswith((".table.json", "config.yaml",
                                                       "wandb-summary.json")):
            ex["request"] = {"text": "(trimmed)"}
        out.append(json.dumps(ex, sort_keys=True))
    open(path, "w").write("\n".join(out) + "\n")


if __name__ == "__main__":
    if sys.argv[1] == "trim":
        trim(sys.argv[2])
        sys.exit(0)
    count, problems = replay(sys.argv[2], sys.argv[3])
    print(f"{count} requests replayed")
    if problems:
        sys.exit("\n".join(problems[:40]))
