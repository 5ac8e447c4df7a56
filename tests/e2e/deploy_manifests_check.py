"""Checks the Dockerfile and Kubernetes manifests of a Plinth checkout against each other.

Usage: deploy_manifests_check.py ROOT   (ROOT holds Dockerfile, .dockerignore and deploy/k8s/)
Prints one "FAIL: ..." line per problem and exits 1 if there was any. deploy_manifests_test.sh
runs it on the repository, then on broken copies to prove each check can fail.
       deploy_manifests_check.py ROOT --runtime-packages
Prints the packages the Dockerfile's runtime stage installs, one per line.
"""
import json
import os
import re
import shlex
import sys

import yaml

ROOT = sys.argv[1]
K8S = os.path.join(ROOT, "deploy", "k8s")
PORT = 8000
failures = []


def fail(msg):
    failures.append(msg)


def get(obj, *keys, default=None):
    for k in keys:
        if isinstance(obj, dict) and k in obj:
            obj = obj[k]
        elif isinstance(obj, list) and isinstance(k, int) and k < len(obj):
            obj = obj[k]
        else:
            return default
    return obj


# --- Dockerfile -------------------------------------------------------------------------------

def dockerfile_instructions(path):
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    out, pending = [], ""
    with open(path) as f:
        for line in f:
            stripped = line.strip()
            if not pending and (not stripped or stripped.startswith("#")):
                continue
            if stripped.startswith("#"):
                continue  # a comment inside a continued instruction
            if stripped.endswith("\\"):
                pending += stripped[:-1] + " "
                continue
            text = pending + stripped
            pending = ""
            word, _, rest = text.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def exec_form(args):
    """The JSON exec form as a list, or None for the shell form."""
    try:
        value = json.loads(args)
    except ValueError:
        return None
    return value if isinstance(value, list) else None


def check_dockerfile():
    path = os.path.join(ROOT, "Dockerfile")
    if not os.path.exists(path):
        fail("Dockerfile is missing")
        return {}
    instructions = dockerfile_instructions(path)
    stages = []  # each: {"name", "base", "instructions"}
    for word, args in instructions:
        if word == "FROM":
            m = re.match(r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$", args, re.IGNORECASE)
            if not m:
                fail(f"Dockerfile: cannot read 'FROM {args}'")
                continue
            stages.append({"base": m.group(1), "name": m.group(2), "instructions": []})
        elif stages:
            stages[-1]["instructions"].append((word, args))
    if len(stages) < 2:
        fail(f"Dockerfile: {len(stages)} FROM line(s); a multi-stage build needs a build stage "
             "and a runtime stage")
        return {}
    build, runtime = stages[0], stages[-1]
    if not build["name"]:
        fail("Dockerfile: the build stage has no name (FROM ... AS build)")
    if not build["base"].startswith("debian:12"):
        fail(f"Dockerfile: build stage base is {build['base']}, expected debian:12")
    if runtime["base"] != "debian:12-slim":
        fail(f"Dockerfile: runtime base is {runtime['base']}, expected debian:12-slim")

    build_runs = " ".join(a for w, a in build["instructions"] if w == "RUN")
    if not re.search(r"--target\s+plinth\b", build_runs):
        fail("Dockerfile: the build stage does not build only the plinth target (--target plinth)")
    if "CMAKE_BUILD_TYPE=Release" not in build_runs:
        fail("Dockerfile: the build stage does not build Release")

    copies = [a for w, a in runtime["instructions"] if w == "COPY"]
    if build["name"] and not any(f"--from={build['name']}" in c for c in copies):
        fail(f"Dockerfile: the runtime stage copies nothing --from={build['name']}")

    def last(word):
        found = [a for w, a in runtime["instructions"] if w == word]
        return found[-1] if found else None

    user = last("USER")
    uid = None
    if user is None:
        fail("Dockerfile: the runtime stage has no USER: it would run as root")
    else:
        name = user.split(":")[0]
        if name in ("root", "0"):
            fail(f"Dockerfile: USER {user} is root")
        elif not name.isdigit():
            fail(f"Dockerfile: USER {user} is a name; give the numeric uid so that Kubernetes' "
                 "runAsNonRoot can verify it")
        else:
            uid = int(name)

    exposed = " ".join(a for w, a in runtime["instructions"] if w == "EXPOSE").split()
    if str(PORT) not in exposed and f"{PORT}/tcp" not in exposed:
        fail(f"Dockerfile: the runtime stage does not EXPOSE {PORT}")

    health = last("HEALTHCHECK")
    if health is None:
        fail("Dockerfile: no HEALTHCHECK")
    else:
        m = re.search(r"\bCMD\s+(.*)$", health)
        command = m.group(1) if m else ""
        if not re.search(rf"https?://(127\.0\.0\.1|localhost):{PORT}/health\b", command):
            fail(f"Dockerfile: HEALTHCHECK does not request http://127.0.0.1:{PORT}/health: "
                 f"{health}")
        argv = exec_form(command) or shlex.split(command)
        tool = os.path.basename(argv[0]) if argv else ""
        installed = " ".join(a for w, a in runtime["instructions"] if w == "RUN")
        if tool == "curl" and not re.search(r"apt-get install[^&;]*\bcurl\b", installed):
            fail("Dockerfile: HEALTHCHECK runs curl, which the runtime stage does not install")

    entrypoint = exec_form(last("ENTRYPOINT") or "")
    if entrypoint != ["plinth", "serve"]:
        fail(f"Dockerfile: ENTRYPOINT is {last('ENTRYPOINT')}, expected [\"plinth\",\"serve\"]")
    cmd = exec_form(last("CMD") or "") or []
    if not cmd or cmd[0] != "/models/model":
        fail(f"Dockerfile: CMD does not start with the model path /models/model: {cmd}")
    if option(cmd, "--host") != "0.0.0.0":
        fail(f"Dockerfile: CMD does not listen on --host 0.0.0.0: {cmd}")
    if option(cmd, "--port") != str(PORT):
        fail(f"Dockerfile: CMD does not use --port {PORT}: {cmd}")

    ignore = os.path.join(ROOT, ".dockerignore")
    if not os.path.exists(ignore):
        fail(".dockerignore is missing")
    else:
        lines = [l.strip() for l in open(ignore) if l.strip() and not l.startswith("#")]
        if "*" not in lines and not any(l.strip("/") in (".git", "**/.git") for l in lines):
            fail(".dockerignore neither starts from '*' nor excludes .git")
        if "*" in lines and "!src" not in [l.rstrip("/") for l in lines]:
            fail(".dockerignore excludes everything but does not let src/ in")
    return {"uid": uid}


def option(argv, name):
    for i, a in enumerate(argv):
        if a == name and i + 1 < len(argv):
            return str(argv[i + 1])
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


# --- Kubernetes -------------------------------------------------------------------------------

EXPECTED = {
    "Deployment": "apps/v1",
    "Service": "v1",
    "HorizontalPodAutoscaler": "autoscaling/v2",
    "Job": "batch/v1",
}


def load_manifests():
    docs = {}
    files = sorted(f for f in os.listdir(K8S) if f.endswith((".yaml", ".yml")))
    for name in files:
        with open(os.path.join(K8S, name)) as f:
            try:
                loaded = [d for d in yaml.safe_load_all(f) if d is not None]
            except yaml.YAMLError as e:
                fail(f"{name}: not valid YAML: {e}")
                continue
        for d in loaded:
            if not isinstance(d, dict):
                fail(f"{name}: a document is not a mapping")
                continue
            for field in ("apiVersion", "kind"):
                if field not in d:
                    fail(f"{name}: a document has no {field}")
            kind = d.get("kind")
            if kind != "Kustomization" and not get(d, "metadata", "name"):
                fail(f"{name}: {kind} has no metadata.name")
            if kind in EXPECTED and d.get("apiVersion") != EXPECTED[kind]:
                fail(f"{name}: {kind} has apiVersion {d.get('apiVersion')}, "
                     f"expected {EXPECTED[kind]}")
            docs.setdefault(kind, []).append((name, d))
    for kind in EXPECTED:
        if len(docs.get(kind, [])) != 1:
            fail(f"deploy/k8s: {len(docs.get(kind, []))} {kind} objects, expected 1")
    return files, docs


def port_matches(port, container):
    """Whether a probe's or Service's port names the container's PORT (by number or name)."""
    names = {p.get("name") for p in container.get("ports", []) if p.get("containerPort") == PORT}
    return port == PORT or (isinstance(port, str) and port in names)


def seconds(value):
    return int(value) if str(value).isdigit() else None


def check_deployment(name, d, image):
    spec = get(d, "spec", default={})
    selector = get(spec, "selector", "matchLabels", default={})
    labels = get(spec, "template", "metadata", "labels", default={})
    if not selector:
        fail(f"{name}: Deployment has no spec.selector.matchLabels")
    for k, v in selector.items():
        if labels.get(k) != v:
            fail(f"{name}: selector label {k}={v} is not on the pod template ({labels})")
    pod = get(spec, "template", "spec", default={})
    containers = pod.get("containers", [])
    serving = [c for c in containers
               if any(p.get("containerPort") == PORT for p in c.get("ports", []))]
    if len(serving) != 1:
        fail(f"{name}: {len(serving)} containers with containerPort {PORT}, expected 1")
        return labels, pod
    c = serving[0]
    args = [str(a) for a in c.get("args", [])]
    if option(args, "--port") != str(PORT):
        fail(f"{name}: container args do not pass --port {PORT} (the containerPort): {args}")
    if option(args, "--host") != "0.0.0.0":
        fail(f"{name}: container args do not listen on --host 0.0.0.0: {args}")

    for probe, path in (("readinessProbe", "/ready"), ("livenessProbe", "/health")):
        http = get(c, probe, "httpGet")
        if not http:
            fail(f"{name}: container has no {probe}.httpGet")
            continue
        if http.get("path") != path:
            fail(f"{name}: {probe} path is {http.get('path')}, expected {path}")
        if not port_matches(http.get("port"), c):
            fail(f"{name}: {probe} port {http.get('port')} is not the containerPort {PORT}")

    for kind in ("requests", "limits"):
        res = get(c, "resources", kind, default={})
        for r in ("cpu", "memory"):
            if r not in res:
                fail(f"{name}: resources.{kind}.{r} is not set")

    pod_sc, c_sc = pod.get("securityContext", {}), c.get("securityContext", {})
    non_root = c_sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))
    if non_root is not True:
        fail(f"{name}: runAsNonRoot is not true")
    run_as = c_sc.get("runAsUser", pod_sc.get("runAsUser"))
    if run_as == 0:
        fail(f"{name}: runAsUser is 0 (root)")
    if image.get("uid") is not None and run_as is not None and run_as != image["uid"]:
        fail(f"{name}: runAsUser {run_as} differs from the image's USER {image['uid']}")

    grace = pod.get("terminationGracePeriodSeconds")
    pre_stop = get(c, "lifecycle", "preStop", "exec", "command", default=[])
    sleep = seconds(pre_stop[-1]) if len(pre_stop) >= 2 and "sleep" in pre_stop[0] else 0
    if not isinstance(grace, int):
        fail(f"{name}: terminationGracePeriodSeconds is not set")
    elif grace < (sleep or 0) + 10:
        fail(f"{name}: terminationGracePeriodSeconds {grace} leaves under 10 s to drain after "
             f"the {sleep} s preStop sleep")

    annotations = get(spec, "template", "metadata", "annotations", default={})
    if str(annotations.get("prometheus.io/scrape")) != "true":
        fail(f"{name}: pod template lacks the annotation prometheus.io/scrape: \"true\"")
    if str(annotations.get("prometheus.io/port")) != str(PORT):
        fail(f"{name}: prometheus.io/port is {annotations.get('prometheus.io/port')}, "
             f"expected \"{PORT}\"")
    if annotations.get("prometheus.io/path") != "/metrics":
        fail(f"{name}: prometheus.io/path is {annotations.get('prometheus.io/path')}")

    env = {e.get("name") for e in c.get("env", [])}
    if args and re.match(r"(models|runs):/", args[0]) and "PLINTH_TRACKING_URI" not in env:
        fail(f"{name}: serves {args[0]} but sets no PLINTH_TRACKING_URI to resolve it")

    volumes = {v.get("name") for v in pod.get("volumes", [])}
    for m in c.get("volumeMounts", []):
        if m.get("name") not in volumes:
            fail(f"{name}: volumeMount {m.get('name')} has no volume")
    if get(c, "securityContext", "readOnlyRootFilesystem") and not any(
            m.get("mountPath") == "/tmp" for m in c.get("volumeMounts", [])):
        fail(f"{name}: the root filesystem is read-only but /tmp is not a writable volume")
    return labels, pod


def check_service(name, s, labels, container):
    selector = get(s, "spec", "selector", default={})
    if not selector:
        fail(f"{name}: Service has no selector")
    for k, v in selector.items():
        if labels.get(k) != v:
            fail(f"{name}: Service selects {k}={v}, which the Deployment's pods do not carry")
    ports = get(s, "spec", "ports", default=[])
    if not any(p.get("port") == 80 for p in ports):
        fail(f"{name}: Service has no port 80")
    for p in ports:
        if not port_matches(p.get("targetPort", p.get("port")), container):
            fail(f"{name}: Service targetPort {p.get('targetPort')} is not the containerPort "
                 f"{PORT}")


def check_hpa(name, h, deployment, container):
    deployment_name = get(deployment, "metadata", "name")
    ref = get(h, "spec", "scaleTargetRef", default={})
    if ref.get("kind") != "Deployment" or ref.get("name") != deployment_name:
        fail(f"{name}: HPA scales {ref.get('kind')}/{ref.get('name')}, "
             f"expected Deployment/{deployment_name}")
    if ref.get("apiVersion") != "apps/v1":
        fail(f"{name}: HPA scaleTargetRef.apiVersion is {ref.get('apiVersion')}")
    if "replicas" in get(deployment, "spec", default={}):
        fail(f"{name}: the HPA scales a Deployment that sets spec.replicas, which every "
             "`kubectl apply` would reset")
    lo, hi = get(h, "spec", "minReplicas", default=1), get(h, "spec", "maxReplicas")
    if not isinstance(hi, int) or lo > hi:
        fail(f"{name}: HPA replicas min {lo} max {hi} are not a range")
    cpu = [m for m in get(h, "spec", "metrics", default=[])
           if m.get("type") == "Resource" and get(m, "resource", "name") == "cpu"]
    if not cpu:
        fail(f"{name}: HPA has no CPU resource metric")
    elif get(cpu[0], "resource", "target", "type") == "Utilization" and not get(
            container, "resources", "requests", "cpu"):
        fail(f"{name}: HPA targets CPU utilization but the container requests no CPU")


def check_kustomization(files, docs):
    # A Job runs once per `kubectl create`; applying it with the serving stack would not rerun it.
    jobs = {name for name, _ in docs.get("Job", [])}
    for name, k in docs.get("Kustomization", []):
        listed = set(k.get("resources", []))
        for f in listed - set(files):
            fail(f"{name}: lists {f}, which does not exist")
        for f in listed & jobs:
            fail(f"{name}: lists the Job {f}, which `kubectl apply -k` would not run again")
        for f in set(files) - listed - jobs - {name}:
            fail(f"{name}: does not list {f}")


JOB_INDEX_FIELD = "metadata.annotations['batch.kubernetes.io/job-completion-index']"


def check_batch_job(name, job, image):
    """The Indexed Job that runs `plinth score --shard I/N`, one pod per shard."""
    spec = get(job, "spec", default={})
    if spec.get("completionMode") != "Indexed":
        fail(f"{name}: Job completionMode is {spec.get('completionMode')}, expected Indexed "
             "(pods need JOB_COMPLETION_INDEX for --shard)")
    n = spec.get("completions")
    if not isinstance(n, int) or n < 1:
        fail(f"{name}: Job completions is {n}, expected the shard count")
        return
    if not isinstance(spec.get("parallelism", 1), int) or spec.get("parallelism", 1) > n:
        fail(f"{name}: Job parallelism {spec.get('parallelism')} exceeds completions {n}")
    if spec.get("backoffLimitPerIndex") is None and spec.get("backoffLimit") is None:
        fail(f"{name}: Job sets no backoffLimitPerIndex or backoffLimit for retrying a shard")
    pod = get(spec, "template", "spec", default={})
    if pod.get("restartPolicy") not in ("Never", "OnFailure"):
        fail(f"{name}: restartPolicy is {pod.get('restartPolicy')}, expected Never or OnFailure")
    containers = pod.get("containers", [])
    if len(containers) != 1:
        fail(f"{name}: {len(containers)} containers, expected 1")
        return
    c = containers[0]
    command = [str(a) for a in c.get("command", [])]
    args = command[1:] + [str(a) for a in c.get("args", [])]
    if command[:1] != ["plinth"] or args[:1] != ["score"]:
        fail(f"{name}: the container does not run `plinth score` (the image's ENTRYPOINT is "
             f"`plinth serve`, so set command: [plinth]): {command} {args[:1]}")
    shard = option(args, "--shard")
    if shard != f"$(JOB_COMPLETION_INDEX)/{n}":
        fail(f"{name}: --shard is {shard}, expected $(JOB_COMPLETION_INDEX)/{n} (completions)")
    env = {e.get("name"): e for e in c.get("env", [])}
    index = env.get("JOB_COMPLETION_INDEX")
    if index is not None and get(index, "valueFrom", "fieldRef", "fieldPath") != JOB_INDEX_FIELD:
        fail(f"{name}: JOB_COMPLETION_INDEX is not the fieldRef {JOB_INDEX_FIELD}")
    source, out = option(args, "--input") or "", option(args, "--output") or ""
    if not source.startswith("s3://"):
        fail(f"{name}: --input {source} is not an s3:// prefix every pod can read")
    if not (out.startswith("s3://") and out.endswith("/")):
        fail(f"{name}: --output {out} is not an s3:// prefix ending in '/': shards would write "
             "one object over each other instead of part-I-of-N each")
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        if key in env and "value" in env[key]:
            fail(f"{name}: {key} is written into the manifest; take it from a Secret")
    if args and re.match(r"(models|runs):/", option(args, "--model") or "") and \
            "PLINTH_TRACKING_URI" not in env:
        fail(f"{name}: scores with {option(args, '--model')} but sets no PLINTH_TRACKING_URI")
    pod_sc, c_sc = pod.get("securityContext", {}), c.get("securityContext", {})
    if c_sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is not True:
        fail(f"{name}: runAsNonRoot is not true")
    run_as = c_sc.get("runAsUser", pod_sc.get("runAsUser"))
    if image.get("uid") is not None and run_as != image["uid"]:
        fail(f"{name}: runAsUser {run_as} differs from the image's USER {image['uid']}")
    limits = get(c, "resources", "limits", default={})
    for r in ("cpu", "memory"):
        if r not in limits:
            fail(f"{name}: resources.limits.{r} is not set")
    threads = option(args, "--threads")
    if threads is not None and str(limits.get("cpu", "")).isdigit() and \
            int(threads) > int(limits["cpu"]):
        fail(f"{name}: --threads {threads} exceeds the CPU limit {limits['cpu']}")
    # score writes each shard to a temporary file before its multipart upload.
    if c_sc.get("readOnlyRootFilesystem") and not any(
            m.get("mountPath") == "/tmp" for m in c.get("volumeMounts", [])):
        fail(f"{name}: the root filesystem is read-only but /tmp, where a shard's output is "
             "written before upload, is not a writable volume")


def runtime_packages():
    stages = [[]]
    for word, args in dockerfile_instructions(os.path.join(ROOT, "Dockerfile")):
        if word == "FROM":
            stages.append([])
        elif word == "RUN":
            stages[-1].append(args)
    packages = []
    for run in stages[-1]:
        for m in re.finditer(r"apt-get install((?:\s+[^&;|\s]+)*)", run):
            packages += [w for w in m.group(1).split() if not w.startswith("-")]
    return packages


def main():
    if sys.argv[2:] == ["--runtime-packages"]:
        print("\n".join(runtime_packages()))
        return
    image = check_dockerfile()
    files, docs = load_manifests()
    check_kustomization(files, docs)
    deployments = docs.get("Deployment", [])
    if deployments:
        name, d = deployments[0]
        labels, pod = check_deployment(name, d, image)
        container = next((c for c in pod.get("containers", [])
                          if any(p.get("containerPort") == PORT for p in c.get("ports", []))),
                         {})
        for sname, s in docs.get("Service", []):
            check_service(sname, s, labels, container)
        for hname, h in docs.get("HorizontalPodAutoscaler", []):
            check_hpa(hname, h, d, container)
    for jname, job in docs.get("Job", []):
        check_batch_job(jname, job, image)
    for f in failures:
        print("FAIL: " + f)
    sys.exit(1 if failures else 0)


main()
