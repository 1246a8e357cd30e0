#!/usr/bin/env bash
# Packs the dotnet tool, installs it into a throw-away tool path and runs it from there, as a user
# would after `dotnet tool install`. Needs a Release build of the solution (scripts/test.sh does one).
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
version=$(dotnet msbuild src/ImmichAutoTag.Cli/ImmichAutoTag.Cli.csproj -getProperty:Version)

dotnet pack src/ImmichAutoTag.Cli/ImmichAutoTag.Cli.csproj -c Release --no-build -o "$tmp/nupkg"
dotnet tool install --tool-path "$tmp/tools" --add-source "$tmp/nupkg" ImmichAutoTag --version "$version"

tool="$tmp/tools/immich-autotag"
reported=$("$tool" --version)
echo "immich-autotag --version: $reported"
if [ "$reported" != "$version" ]; then
  echo "expected version $version" >&2
  exit 1
fi

# `demo` is a separate feature; run it only when this build has it.
if "$tool" --help | grep -qE '^\s+demo\b'; then
  (cd "$tmp" && "$tool" demo)
else
  echo "no demo command in this build; skipped"
fi
echo "tool smoke: ok"
