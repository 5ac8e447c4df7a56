# The model server image: `docker build -t plinth .`, then
#   docker run -p 8000:8000 -v "$PWD/model:/models/model:ro" plinth
# Two stages: Debian 12 with the compilers and -dev packages builds `plinth`; the image that
# ships is debian:12-slim with only the shared libraries that binary loads. See
# docs/deployment.md for the size estimate and Kubernetes.

FROM debian:12 AS build
# What building the `plinth` target needs, and nothing for tests or benchmarks (scripts/setup.sh
# installs those): found with dpkg -S on every path CMake's configure found. Node.js, npm and
# python3 build the web UI that the binary embeds (package-lock.json pins its packages).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    cmake ninja-build g++ pkg-config \
    libboost-dev libcli11-dev nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev libfmt-dev \
    libssl-dev libcurl4-openssl-dev libsqlite3-dev libpq-dev libgit2-dev libxgboost-dev \
    libzstd-dev libsnappy-dev liblz4-dev zlib1g-dev libbrotli-dev \
    libonnx-dev libprotobuf-dev libsodium-dev libhiredis-dev nodejs npm python3 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund --loglevel=error \
 && cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
 && cmake --build /build --target plinth \
 && strip /build/plinth

FROM debian:12-slim
# The package of each shared library plinth needs (objdump NEEDED, resolved by ldd, owner by
# dpkg -S; scripts/image-size-estimate.sh prints this list; apt brings their own dependencies).
# The first line is in debian:12-slim already; listed so the image does not rely on that.
# Then ca-certificates for HTTPS to a tracking server or S3, and curl for the HEALTHCHECK:
# plinth needs libcurl4 anyway, so the curl program adds 0.3 MB, and a real HTTP client
# checks the status code and times out properly, unlike a shell script over /dev/tcp.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    libc6 libgcc-s1 libstdc++6 zlib1g libzstd1 liblz4-1 \
    libbrotli1 libcurl4 libfmt9 libgit2-1.5 libpq5 libsnappy1v5 libspdlog1.10 libsqlite3-0 \
    libssl3 libxgboost0 libyaml-cpp0.7 libonnx1 libprotobuf32 libsodium23 libhiredis0.14 \
    ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
# A fixed numeric uid, so that Kubernetes' runAsNonRoot can check it (deploy/k8s).
RUN groupadd --system --gid 10001 plinth \
 && useradd --system --uid 10001 --gid plinth --home-dir /var/lib/plinth --no-create-home \
    --shell /usr/sbin/nologin plinth \
 && mkdir -p /var/lib/plinth /models \
 && chown plinth:plinth /var/lib/plinth
COPY --from=build /build/plinth /usr/local/bin/plinth
# The working folder: models:/ URIs are downloaded under .plinth/artifacts/ here.
WORKDIR /var/lib/plinth
# XGBoost's OpenMP threads sleep instead of spinning when idle (TOOLCHAIN.md).
ENV OMP_WAIT_POLICY=PASSIVE
USER 10001:10001
EXPOSE 8000
# Kubernetes ignores HEALTHCHECK and uses the probes in deploy/k8s; Docker and Compose use this.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["curl", "--fail", "--silent", "--show-error", "--max-time", "2", "--output", "/dev/null", "http://127.0.0.1:8000/health"]
# SIGTERM (docker stop, Kubernetes) makes plinth serve drain in-flight requests and exit.
STOPSIGNAL SIGTERM
ENTRYPOINT ["plinth", "serve"]
CMD ["/models/model", "--host", "0.0.0.0", "--port", "8000"]
