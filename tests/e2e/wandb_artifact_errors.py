"""Bad artifact requests through the W&B protocol, as a broken or hostile client could send
them (tests/e2e/wandb_artifact_errors_test.sh): each is refused with a message naming what is
wrong, and the artifact still commits once the right bytes arrive.

usage: wandb_artifact_errors.py BASE     prints problems and exits 1, or prints "ok"
"""
import base64
import hashlib
import json
import sys
import urllib.error
import urllib.request

BASE = sys.argv[1]
problems = []


def call(method, url, body=None, raw=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url if url.startswith("http") else BASE + url, data=data,
                                 method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def gql(field, args, variables):
    return call("POST", "/graphql", {"query": f"mutation M{args} {{ {field} }}",
                                     "variables": variables})[1]


def expect(what, got, want_status, needle):
    status, body = got
    text = json.dumps(body)
    if status != want_status or needle not in text:
        problems.append(f"{what}: HTTP {status} {text[:300]}, want {want_status} with {needle!r}")


def expect_error(what, answer, needle):
    errors = answer.get("errors") or [{}]
    if needle not in errors[0].get("message", ""):
        problems.append(f"{what}: {json.dumps(answer)[:300]}, want an error with {needle!r}")


gql("upsertBucket(input: $input) { bucket { id } }", "($input: UpsertBucketInput!)",
    {"input": {"name": "r1", "modelName": "p"}})
content = b"model bytes"
md5 = base64.b64encode(hashlib.md5(content).digest()).decode()
manifest = {"version": 1, "contents": {"m.bin": {"digest": md5, "size": len(content)}}}
digest = hashlib.md5(f"wandb-artifact-manifest-v1\nm.bin:{md5}\n".encode()).hexdigest()
create = ("createArtifact(input: $input) { artifact { id state } }",
          "($input: CreateArtifactInput!)")
commit = ("commitArtifact(input: $input) { artifact { id versionIndex } }",
          "($input: CommitArtifactInput!)")
answer = gql(*create, {"input": {"projectName": "p", "runName": "r1",
                                 "artifactCollectionName": "m", "artifactTypeName": "model",
                                 "digest": digest}})
aid = answer["data"]["createArtifact"]["artifact"]["id"]
expect_error("commit before the manifest", gql(*commit, {"input": {"artifactID": aid}}),
             "was not uploaded")
expect_error("an unknown artifact id", gql(*commit, {"input": {"artifactID": "nope"}}),
             "no W&B artifact with id 'nope'")
expect_error("a name with '/'", gql(*create, {"input": {
    "projectName": "p", "runName": "r1", "artifactCollectionName": "../x",
    "artifactTypeName": "model", "digest": digest}}), "Invalid W&B artifact name '../x'")
expect_error("an artifact of no run", gql(*create, {"input": {
    "projectName": "p", "runName": "nosuch", "artifactCollectionName": "m",
    "artifactTypeName": "model", "digest": digest}}), "no W&B run nosuch")
files = gql("createArtifactFiles(input: $input) { files { edges { node { uploadUrl } } } }",
            "($input: CreateArtifactFilesInput!)",
            {"input": {"artifactFiles": [{"artifactID": aid, "name": "m.bin", "md5": md5}]}})
url = files["data"]["createArtifactFiles"]["files"]["edges"][0]["node"]["uploadUrl"]
expect("other bytes than the URL's MD5", call("PUT", url, raw=b"other bytes"), 400,
       "this URL is for a file with MD5")
expect("a URL for another file", call("PUT", url.replace(hashlib.md5(content).hexdigest(),
                                                        hashlib.md5(b"x").hexdigest()),
                                      raw=b"x"), 403, "signature is wrong")
expect("the right bytes", call("PUT", url, raw=content), 200, "")
man = gql("createArtifactManifest(input: $input) { artifactManifest { file { uploadUrl } } }",
          "($input: CreateArtifactManifestInput!)", {"input": {"artifactID": aid}})
murl = man["data"]["createArtifactManifest"]["artifactManifest"]["file"]["uploadUrl"]
other = {"version": 1, "contents": dict(manifest["contents"], extra={"digest": md5, "size": 1})}
expect("a manifest of other contents", call("PUT", murl, body=other), 400,
       "was created with digest")
expect("a manifest that is not JSON", call("PUT", murl, raw=b"nope"), 400, "not a JSON object")
expect("the manifest", call("PUT", murl, body=manifest), 200, "")
done = gql(*commit, {"input": {"artifactID": aid}})
if (done.get("data") or {}).get("commitArtifact", {}).get("artifact", {}).get("versionIndex") != 0:
    problems.append(f"the commit after the right uploads: {json.dumps(done)[:300]}")
if problems:
    sys.exit("\n".join(problems))
print("ok")
