# syntax=docker/dockerfile:1.7
# dsdr-web — the web host: REST API, OpenAPI reference, dashboard; with --cluster an Orleans client of the workers.
# Build from the repository root (the build context must hold the whole solution):
#   docker build -f deploy/docker/web.Dockerfile -t dsdr-web:dev .
ARG DOTNET_VERSION=10.0

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.nuget/packages \
    dotnet publish web/Dsdr.Web/Dsdr.Web.csproj -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}
# curl: for the container health check only.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
ENV ASPNETCORE_HTTP_PORTS=8080
EXPOSE 8080
# 1654: the "app" user of the .NET images (numeric, so Kubernetes' runAsNonRoot can check it).
USER 1654
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS http://localhost:8080/health/live || exit 1
ENTRYPOINT ["dotnet", "Dsdr.Web.dll"]
