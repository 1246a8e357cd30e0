# One-shot image: docker run --rm -e IMMICH_URL=... -e IMMICH_API_KEY=... \
#   -v ./config:/config -v ./logs:/logs IMAGE run
FROM mcr.microsoft.com/dotnet/sdk:10.0.401-bookworm-slim AS build
# The Immich client is generated at build time by the NSwag CLI, which comes from npm.
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN dotnet publish src/ImmichAutoTag.Cli/ImmichAutoTag.Cli.csproj -c Release -o /app --no-self-contained

FROM mcr.microsoft.com/dotnet/aspnet:10.0.12-bookworm-slim
RUN groupadd --system --gid 10001 autotag \
 && useradd --system --uid 10001 --gid autotag --home-dir /app --shell /usr/sbin/nologin autotag \
 && mkdir -p /config /logs && chown autotag:autotag /config /logs
WORKDIR /app
COPY --from=build /app ./
ENV IMMICH_AUTOTAG_CONFIG=/config/config.yaml \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
USER autotag
VOLUME ["/config", "/logs"]
ENTRYPOINT ["dotnet", "/app/immich-autotag.dll"]
CMD ["run", "--output", "/logs"]
