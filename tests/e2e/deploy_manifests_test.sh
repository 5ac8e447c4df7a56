#!/usr/bin/env bash
# The Dockerfile and the Kubernetes manifests in deploy/k8s agree with each other and with what
# `plinth serve` offers: probe paths and ports, Service and HPA targets, non-root user, image
# layout. deploy_manifests_check.py does the checking; this script runs it on the repository,
# then on copies broken one way each, to prove every kind of check can fail.
source "$(dirname "$0")/lib.sh"
CHECK=$(dirname "$0")/deploy_manifests_check.py
PYTHON=/usr/bin/python3
"$PYTHON" -c 'import yaml' 2>/dev/null || {
  echo "Debian's python3-yaml is missing: run scripts/setup.sh" >&2
  exit 1
}
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/plinth-e2e.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT

out=$("$PYTHON" "$CHECK" "$PLINTH_SOURCE" 2>&1) || fail "the shipped files: $out"

# missing_runtime_packages ROOT: prints "LIB (PACKAGE)" for each shared library the built plinth
# needs whose Debian package the runtime stage of ROOT/Dockerfile does not install.
missing_runtime_packages() {
  local packages lib path pkg
  packages=$("$PYTHON" "$CHECK" "$1" --runtime-packages)
  for lib in $(objdump -p "$PLINTH" | awk '/NEEDED/{print $2}'); do
    # The dynamic loader (libc6, in every image): named when position-independent code uses
    # thread-local variables.
    case "$lib" in ld-linux-*) continue ;; esac
    path=$(ldd "$PLINTH" | awk -v l="$lib" '$1 == l {print $3}')
    pkg=$(dpkg -S "$path" 2>/dev/null || dpkg -S "/usr$path" 2>/dev/null) || pkg="?: no package"
    pkg=${pkg%%:*}
    grep -qx "$pkg" <<<"$packages" || echo "$lib ($pkg)"
  done
}
# Needs dpkg (Debian) and objdump (binutils), which a Debian build machine has.
can_list_libraries() { command -v dpkg >/dev/null && command -v objdump >/dev/null; }
if can_list_libraries; then
  missing=$(missing_runtime_packages "$PLINTH_SOURCE")
  expect_eq "$missing" "" "libraries plinth needs whose packages the runtime image lacks"
else
  skip "the runtime image's libraries: needs dpkg and objdump"
fi

# A fresh copy of the shipped files in $SCRATCH/copy.
fresh_copy() {
  rm -rf "$SCRATCH/copy"
  mkdir -p "$SCRATCH/copy/deploy"
  cp "$PLINTH_SOURCE/Dockerfile" "$PLINTH_SOURCE/.dockerignore" "$SCRATCH/copy/"
  cp -r "$PLINTH_SOURCE/deploy/k8s" "$SCRATCH/copy/deploy/"
}

# broken FILE SED-SCRIPT EXPECTED: after the edit, the check fails and says EXPECTED.
broken() {
  local file=$1 script=$2 expected=$3
  fresh_copy
  sed -i -e "$script" "$SCRATCH/copy/$file"
  if cmp -s "$SCRATCH/copy/$file" "$PLINTH_SOURCE/$file"; then
    fail "the edit '$script' changed nothing in $file: update this test"
    return
  fi
  local rc=0
  out=$("$PYTHON" "$CHECK" "$SCRATCH/copy" 2>&1) || rc=$?
  if [ "$rc" = 0 ]; then
    fail "the check passed $file edited with '$script'"
  else
    expect_contains "$out" "$expected" "$file edited with '$script'"
  fi
}

K=deploy/k8s
# Dockerfile
broken Dockerfile 's/^FROM debian:12-slim/FROM debian:12/' "runtime base is debian:12"
broken Dockerfile 's/^FROM debian:12 AS build/FROM debian:12/' "build stage has no name"
broken Dockerfile '/^USER /d' "no USER"
broken Dockerfile 's/^USER .*/USER root/' "is root"
broken Dockerfile 's/^USER .*/USER plinth/' "numeric uid"
broken Dockerfile 's/^EXPOSE 8000/EXPOSE 8080/' "does not EXPOSE 8000"
broken Dockerfile 's#8000/health#8000/healthz#' "HEALTHCHECK does not request"
broken Dockerfile '/^HEALTHCHECK/,/[^\\]$/d' "no HEALTHCHECK"
broken Dockerfile 's/ curl / /' "does not install"
broken Dockerfile 's/ENTRYPOINT \["plinth", "serve"\]/ENTRYPOINT ["plinth"]/' "ENTRYPOINT"
broken Dockerfile 's#"/models/model", ##' "model path /models/model"
broken Dockerfile 's/"--port", "8000"/"--port", "9000"/' "CMD does not use --port 8000"
broken Dockerfile 's/--target plinth/--target all/' "--target plinth"
broken .dockerignore '/^!src$/d' "does not let src/ in"
if can_list_libraries; then
  fresh_copy
  sed -i 's/ libxgboost0 / /' "$SCRATCH/copy/Dockerfile"
  expect_eq "$(missing_runtime_packages "$SCRATCH/copy")" "libxgboost.so.0 (libxgboost0)" \
    "a runtime image without libxgboost0 is noticed"
else
  skip "a runtime image without libxgboost0: needs dpkg and objdump"
fi
# Deployment
broken $K/deployment.yaml 's#path: /ready#path: /health#' "readinessProbe path is /health"
broken $K/deployment.yaml '/livenessProbe:/,/port:/s#path: /health#path: /live#' \
  "livenessProbe path is /live"
broken $K/deployment.yaml '/readinessProbe:/,/port:/s#port: 8000#port: 8080#' \
  "readinessProbe port 8080"
broken $K/deployment.yaml '/livenessProbe:/,/port:/s#port: 8000#port: metrics#' \
  "livenessProbe port metrics"
broken $K/deployment.yaml \
  '/^  template:/,/^    spec:/s#app.kubernetes.io/name: plinth-serve#app.kubernetes.io/name: other#' \
  "selector label app.kubernetes.io/name=plinth-serve is not on the pod template"
broken $K/deployment.yaml 's/runAsNonRoot: true/runAsNonRoot: false/' "runAsNonRoot is not true"
broken $K/deployment.yaml 's/runAsUser: 10001/runAsUser: 0/' "runAsUser is 0"
broken $K/deployment.yaml 's/runAsUser: 10001/runAsUser: 10002/' "differs from the image's USER"
broken $K/deployment.yaml 's/terminationGracePeriodSeconds: .*/terminationGracePeriodSeconds: 8/' \
  "leaves under 10 s to drain"
broken $K/deployment.yaml '/limits:/,/memory:/{/memory:/d}' "resources.limits.memory"
broken $K/deployment.yaml 's#prometheus.io/port: "8000"#prometheus.io/port: "9090"#' \
  "prometheus.io/port is 9090"
broken $K/deployment.yaml '/name: PLINTH_TRACKING_URI/,+1d' "sets no PLINTH_TRACKING_URI"
broken $K/deployment.yaml 's/containerPort: 8000/containerPort: 8080/' \
  "0 containers with containerPort 8000"
broken $K/deployment.yaml '/- --port/{n;s/"8000"/"8080"/}' "do not pass --port 8000"
broken $K/deployment.yaml 's#apiVersion: apps/v1#apiVersion: apps/v1beta1#' "apiVersion apps/v1beta1"
broken $K/deployment.yaml '/mountPath: \/tmp/d' "/tmp is not a writable volume"
# Service
broken $K/service.yaml 's/targetPort: 8000/targetPort: 8080/' "targetPort 8080"
broken $K/service.yaml '/selector:/,/ports:/s#name: plinth-serve#name: plinth-server#' \
  "which the Deployment's pods do not carry"
broken $K/service.yaml 's/port: 80$/port: 8080/' "no port 80"
# HorizontalPodAutoscaler
broken $K/hpa.yaml '/scaleTargetRef:/,/name:/s/name: plinth-serve/name: plinth/' \
  "expected Deployment/plinth-serve"
broken $K/hpa.yaml 's#autoscaling/v2#autoscaling/v1#' "expected autoscaling/v2"
broken $K/hpa.yaml 's/name: cpu/name: memory/' "no CPU resource metric"
broken $K/hpa.yaml 's/maxReplicas: 10/maxReplicas: 1/' "are not a range"
broken $K/deployment.yaml 's/^  revisionHistoryLimit: 5/  replicas: 3\n&/' "sets spec.replicas"
# The batch-scoring Indexed Job
J=$K/batch-score-job.yaml
broken $J 's/completionMode: Indexed/completionMode: NonIndexed/' "expected Indexed"
broken $J 's#\$(JOB_COMPLETION_INDEX)/8#$(JOB_COMPLETION_INDEX)/4#' "expected \$(JOB_COMPLETION_INDEX)/8"
broken $J 's/completions: 8 /completions: 6 /' "expected \$(JOB_COMPLETION_INDEX)/6"
broken $J "s/job-completion-index/job-index/" "is not the fieldRef"
broken $J 's#s3://lake/scores/dt=2026-03-30/#s3://lake/scores/all.parquet#' "shards would write"
broken $J '/command: \["plinth"\]/d' "does not run \`plinth score\`"
broken $J 's/restartPolicy: Never/restartPolicy: Always/' "expected Never or OnFailure"
broken $J '/backoffLimitPerIndex/d' "no backoffLimitPerIndex"
broken $J 's/- "2"$/- "16"/' "--threads 16 exceeds the CPU limit"
broken $J '/mountPath: \/tmp/d' "where a shard's output is written"
broken $J 's/runAsUser: 10001/runAsUser: 10002/' "differs from the image's USER"
broken $J 's/^kind: Job/kind: Job\napiVersion: batch\/v1beta1/;s/^apiVersion: batch\/v1$//' \
  "apiVersion batch/v1beta1"
fresh_copy
echo "  - batch-score-job.yaml" >>"$SCRATCH/copy/$K/kustomization.yaml"
out=$("$PYTHON" "$CHECK" "$SCRATCH/copy" 2>&1) && fail "the check passed a kustomization listing the Job"
expect_contains "$out" "would not run again" "a kustomization listing the Job"
# kustomization.yaml
broken $K/kustomization.yaml '/hpa.yaml/d' "does not list hpa.yaml"
# YAML that does not parse at all
broken $K/service.yaml 's/^spec:/spec: [/' "not valid YAML"

finish
