# One-shot image: each `docker run` is one run, then the container exits.
#   docker build -t immich-autotag .
#   docker run --rm -e IMMICH_URL=https://photos.example.com -e IMMICH_API_KEY=... \
#     -v ./config:/config -v ./logs:/logs immich-autotag run
# .NET 10 images are Ubuntu 24.04 (noble); Microsoft ships no Debian images for .NET 10.
# Base images are pinned to exact versions: the SDK matches global.json.
FROM mcr.microsoft.com/dotnet/sdk:10.0.401-noble AS build
# The Immich client is generated at build time by the NSwag CLI, which comes from npm.
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN dotnet publish src/ImmichAutoTag.Cli/ImmichAutoTag.Cli.csproj -c Release -o /app --no-self-contained

FROM mcr.microsoft.com/dotnet/runtime:10.0.12-noble
# tini as PID 1: forwards SIGTERM to the tool (which then stops between two bulk writes) and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /config /logs /state \
 && chown 1654:1654 /config /logs /state
WORKDIR /app
COPY --from=build /app ./
# The tool's own defaults, pointed at the volumes: config file, run output folders, lock and status.
ENV IMMICH_AUTOTAG_CONFIG=/config/config.yaml \
    IMMICH_AUTOTAG_OUTPUT=/logs \
    IMMICH_AUTOTAG_STATE=/state \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
# 1654 is the non-root "app" user the .NET images ship.
USER 1654:1654
VOLUME ["/config", "/logs", "/state"]
ENTRYPOINT ["/usr/bin/tini", "--", "dotnet", "/app/immich-autotag.dll"]
CMD ["run"]
