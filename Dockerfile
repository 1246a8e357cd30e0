# Two images from one build stage:
#   docker build --target scheduled -t immich-autotag-cron .   # `immich-autotag daemon` on CRON_SCHEDULE
#   docker build -t immich-autotag .                            # one run per `docker run` (the default target)
#   docker run --rm -e IMMICH_URL=https://photos.example.com -e IMMICH_API_KEY=... \
#     -v ./config:/config -v ./logs:/logs immich-autotag run --dry-run
# .NET 10 images are Ubuntu 24.04 (noble); Microsoft ships no Debian images for .NET 10.
# Base images are pinned to exact versions: the SDK matches global.json, the runtime is the one that SDK ships.
# The tool needs the Microsoft.NETCore.App shared framework only (no ASP.NET Core), so the runtime image fits;
# scripts/container-smoke.sh runs the published app on exactly that framework.
FROM mcr.microsoft.com/dotnet/sdk:10.0.401-noble AS build
# Set by BuildKit (amd64, arm64). Publishing for that one architecture leaves out the SQLite native
# libraries of every other platform (about 34 MB).
ARG TARGETARCH
WORKDIR /src
COPY . .
RUN dotnet publish src/ImmichAutoTag.Cli/ImmichAutoTag.Cli.csproj -c Release -a ${TARGETARCH:-amd64} --no-self-contained -o /app

FROM mcr.microsoft.com/dotnet/runtime:10.0.12-noble AS runtime
# tini as PID 1: forwards SIGTERM to the tool (which then stops between two bulk writes) and reaps zombies;
# tzdata so TZ sets the zone of the schedule and of the run folders' names.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /config /logs /state \
 && chown 1654:1654 /config /logs /state
WORKDIR /app
COPY --from=build /app ./
# The tool's own defaults, pointed at the volumes: config file, run output folders, lock and status.
# Without /config/config.yaml a run uses the built-in default rules (it says so on start).
ENV IMMICH_AUTOTAG_CONFIG=/config/config.yaml \
    IMMICH_AUTOTAG_OUTPUT=/logs \
    IMMICH_AUTOTAG_STATE=/state \
    IMMICH_AUTOTAG_LOG_FORMAT=text \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
# 1654 is the non-root "app" user the .NET images ship.
USER 1654:1654
VOLUME ["/config", "/logs", "/state"]
# Unhealthy when the last run failed outright (bad key, server down) or none ran yet; see `immich-autotag status`.
HEALTHCHECK --interval=5m --timeout=30s --start-period=1m \
  CMD ["dotnet", "/app/immich-autotag.dll", "status"]
ENTRYPOINT ["/usr/bin/tini", "--", "dotnet", "/app/immich-autotag.dll"]

# `immich-autotag daemon`: runs on CRON_SCHEDULE when set (`docker run -e CRON_SCHEDULE=...`), else on the config's
# `schedule:`, else daily at 02:00 (5-field cron in the container's TZ, UTC unless set). CRON_SCHEDULE is left unset
# here so the config's `schedule:` can take effect. Runs never overlap; `docker stop` (SIGTERM) lets a run finish its
# current bulk write and write its reports.
FROM runtime AS scheduled
CMD ["daemon"]

# One run, then the container exits. Last, so a plain `docker build` gives this image.
FROM runtime AS oneshot
CMD ["run"]
