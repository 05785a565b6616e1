# syntax=docker/dockerfile:1.7
# dsdr-worker — a Dsdr.Silo worker node (learner slots on CPUs or GPUs).
# Build from the repository root:
#   CPU:  docker build -f deploy/docker/worker.Dockerfile -t dsdr-worker:dev .
#   GPU:  docker build -f deploy/docker/worker.Dockerfile -t dsdr-worker:dev-cuda \
#           --build-arg LIBTORCH_BACKEND=cuda --build-arg RUNTIME_BASE=nvidia/cuda:12.8.1-base-ubuntu24.04 .
# LIBTORCH_BACKEND is src/Dsdr.Learning's LibTorchBackend (cpu | cuda). The cuda backend restores
# libtorch-cuda-12.8-linux-x64 (several GB, from nuget.org; it bundles the CUDA and cuDNN libraries), so the
# runtime base only needs the NVIDIA container toolkit's driver hook: the nvidia/cuda "base" image gives it.
ARG DOTNET_VERSION=10.0
ARG LIBTORCH_BACKEND=cpu
ARG RUNTIME_BASE=mcr.microsoft.com/dotnet/aspnet:10.0

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
ARG LIBTORCH_BACKEND
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.nuget/packages \
    dotnet publish src/Dsdr.Silo/Dsdr.Silo.csproj -c Release -o /app --nologo -p:LibTorchBackend=${LIBTORCH_BACKEND}

# The ASP.NET Core runtime (the silo serves health and metrics over HTTP), copied onto whichever base is chosen.
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS dotnet

FROM ${RUNTIME_BASE}
COPY --from=dotnet /usr/share/dotnet /usr/share/dotnet
# curl: container health check; ca-certificates: TLS to PostgreSQL. The app user (1654) exists in the .NET
# images; on another base it is created here.
RUN ln -sf /usr/share/dotnet/dotnet /usr/bin/dotnet \
 && apt-get update \
 && apt-get install -y --no-install-recommends curl ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && (getent passwd 1654 >/dev/null || useradd --uid 1654 --user-group --no-create-home --shell /usr/sbin/nologin app) \
 && mkdir -p /checkpoints && chown 1654:1654 /checkpoints
ENV DOTNET_RUNNING_IN_CONTAINER=true
WORKDIR /app
COPY --from=build /app .
COPY --chmod=755 deploy/docker/dsdr-worker.sh /usr/local/bin/dsdr-worker
# Orleans silo-to-silo, Orleans gateway (clients such as the web host), health and metrics (Dsdr.Silo --http-port).
EXPOSE 11111 30000 8081
VOLUME /checkpoints
USER 1654
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
  CMD curl -fsS http://localhost:8081/health/live || exit 1
ENTRYPOINT ["/usr/local/bin/dsdr-worker"]
CMD ["--cluster", "--devices", "cpu:1", "--checkpoints", "/checkpoints"]
