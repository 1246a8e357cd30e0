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

# Native libraries the installed package carries: SkiaSharp's (WebP thumbnails for CLIP) for linux-x64 and
# linux-arm64 only, no native debug symbols (see LeaveOutNativeFilesNoToolRuns in the Cli project).
installed=$(find "$tmp/tools/.store" -type d -name runtimes -print -quit)
[ -n "$installed" ] || { echo "no runtimes folder in the installed tool" >&2; exit 1; }
for rid in linux-x64 linux-arm64; do
  [ -f "$installed/$rid/native/libSkiaSharp.so" ] || { echo "the package lacks SkiaSharp's library for $rid" >&2; exit 1; }
done
extra=$(cd "$installed" && find . -path '*/native/*' \( -name 'libSkiaSharp*' -o -name '*.pdb' \) | grep -vE '^\./linux-(x64|arm64)/native/libSkiaSharp\.so$' || true)
if [ -n "$extra" ]; then
  echo "the package carries native files it should leave out:" >&2
  echo "$extra" >&2
  exit 1
fi
du -sh "$tmp/nupkg" | awk '{ print "package: " $1 }'

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
