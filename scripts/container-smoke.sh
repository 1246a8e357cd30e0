#!/usr/bin/env bash
# Container smoke test without Docker. Lays out what the Dockerfile's runtime stage holds — a dotnet root with
# only the shared framework the runtime base image ships (copied out of this SDK), the published app in the
# image's working directory, the image's environment variables, the volumes' folders, the image's non-root user
# when this machine allows switching to it — and runs from it, against the fake Immich on 127.0.0.1:
#   --version, validate (no config: built-in rules; then a mounted config), run --dry-run,
#   the health check (status), one `daemon --loop` run, then SIGTERM and a clean stop.
# Needs a Release build of the solution (scripts/test.sh does one) for the fake server.
# Usage: scripts/container-smoke.sh [--keep]   (--keep leaves the layout in place and prints where)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

keep=0
[ "${1:-}" = "--keep" ] && keep=1
tmp=$(mktemp -d)
fake_pid=
cleanup() {
  if [ -n "$fake_pid" ] && kill -0 "$fake_pid" 2>/dev/null; then kill "$fake_pid" 2>/dev/null || true; fi
  if [ "$keep" -eq 1 ]; then echo "layout kept in $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
fail() { echo "container smoke: FAILED: $*" >&2; exit 1; }
step() { echo; echo "== $*"; }

# ---- what the Dockerfile says (instructions joined across line continuations) ----
dockerfile=$(sed -e ':a' -e '/\\$/N; s/\\\n/ /; ta' Dockerfile | sed -e 's/^[[:space:]]*//' | grep -v '^#' || true)
runtime_image=$(echo "$dockerfile" | awk 'toupper($1) == "FROM" && $2 ~ /dotnet\/runtime:/ { print $2; exit }')
[ -n "$runtime_image" ] || fail "no 'FROM mcr.microsoft.com/dotnet/runtime:...' stage in the Dockerfile"
runtime_version=${runtime_image#*:}
runtime_version=${runtime_version%%-*}
# Instructions from the runtime stage on (the image targets build on it and add their own).
runtime_stage=$(echo "$dockerfile" | awk -v img="$runtime_image" 'toupper($1) == "FROM" && $2 == img { on = 1 } on')
workdir=$(echo "$runtime_stage" | awk 'toupper($1) == "WORKDIR" { print $2 }' | tail -n 1)
user=$(echo "$runtime_stage" | awk 'toupper($1) == "USER" { print $2 }' | tail -n 1)
publish=$(echo "$dockerfile" | awk 'toupper($1) == "RUN" && /dotnet publish/ { sub(/^RUN[[:space:]]+/, ""); print; exit }')
[ -n "$publish" ] || fail "no 'RUN dotnet publish' in the Dockerfile"
echo "runtime image: $runtime_image (Microsoft.NETCore.App $runtime_version); workdir $workdir; user ${user:-root}"

# ---- the image's file system under $root: absolute image paths map to $root/... ----
root="$tmp/root"
mkdir -p "$root"
in_root() { case "$1" in /*) echo "$root$1" ;; *) echo "$1" ;; esac; }

# BuildKit's TARGETARCH for this machine, which the publish command may use.
case "$(uname -m)" in x86_64) TARGETARCH=amd64 ;; aarch64) TARGETARCH=arm64 ;; *) TARGETARCH=$(uname -m) ;; esac
step "publish, as the build stage does (TARGETARCH=$TARGETARCH): $publish"
# The build stage publishes to an absolute path; here that path lives under the layout.
publish_out=$(echo "$publish" | sed -n 's/.* -o \([^ ]*\).*/\1/p')
[ -n "$publish_out" ] || fail "the publish command names no -o folder"
eval "${publish/ -o $publish_out/ -o $(in_root "$publish_out")}" >"$tmp/publish.log" 2>&1 || { cat "$tmp/publish.log"; fail "dotnet publish failed"; }
app="$(in_root "$workdir")"
mkdir -p "$app"
[ "$(in_root "$publish_out")" = "$app" ] || cp -a "$(in_root "$publish_out")/." "$app/"
du -sh "$app" | awk '{ print "published app: " $1 }'

step "dotnet root with the shared frameworks of $runtime_image only"
sdk_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
dotnet_root="$root/usr/share/dotnet"
mkdir -p "$dotnet_root/shared" "$dotnet_root/host/fxr"
[ -d "$sdk_root/shared/Microsoft.NETCore.App/$runtime_version" ] \
  || fail "this SDK has no Microsoft.NETCore.App $runtime_version (it has: $(ls "$sdk_root/shared/Microsoft.NETCore.App" | tr '\n' ' ')); the Dockerfile's runtime and SDK pins disagree"
cp -a "$sdk_root/dotnet" "$dotnet_root/"
cp -a "$sdk_root/host/fxr/." "$dotnet_root/host/fxr/"
mkdir -p "$dotnet_root/shared/Microsoft.NETCore.App"
cp -a "$sdk_root/shared/Microsoft.NETCore.App/$runtime_version" "$dotnet_root/shared/Microsoft.NETCore.App/"
ls "$dotnet_root/shared"
du -sh "$dotnet_root" | awk '{ print "dotnet root: " $1 }'

# ---- the image's environment: only what the Dockerfile sets, plus what any container has ----
declare -a image_env=()
while IFS= read -r line; do
  # ENV KEY=VALUE [KEY=VALUE ...] with shell-style quoting, as Docker reads it.
  eval "set -- ${line#* }"
  for pair in "$@"; do
    key=${pair%%=*}
    value=${pair#*=}
    case "$value" in /*) value=$(in_root "$value") ;; esac
    image_env+=("$key=$value")
  done
done < <(echo "$runtime_stage" | awk 'toupper($1) == "ENV"')
for dir in $(echo "$runtime_stage" | awk 'toupper($1) == "VOLUME"' | grep -o '"/[^"]*"' | tr -d '"'); do
  mkdir -p "$(in_root "$dir")"
done
printf 'image environment:\n'; printf '  %s\n' "${image_env[@]}"
image_var() {
  local pair
  for pair in "${image_env[@]}"; do
    if [ "${pair%%=*}" = "$1" ]; then echo "${pair#*=}"; return 0; fi
  done
  fail "the image sets no $1"
}

# The image's user where this machine can switch to it (as root), else the current (non-root) user.
as_user=()
if [ "$(id -u)" = 0 ] && [ -n "$user" ] && command -v setpriv >/dev/null; then
  uid=${user%%:*}; gid=${user#*:}
  chown -R "$uid:$gid" "$root"
  chmod 755 "$tmp"
  as_user=(setpriv --reuid="$uid" --regid="$gid" --clear-groups)
  echo "running as uid $uid, gid $gid"
elif [ "$(id -u)" = 0 ]; then
  echo "warning: running as root (no USER in the Dockerfile, or no setpriv here)" >&2
else
  echo "running as the current non-root user $(id -un)"
fi

# The container's process: env -i, so nothing from this machine's environment leaks in.
in_container() {
  (cd "$app" && env -i HOME=/nonexistent PATH=/usr/bin:/bin DOTNET_ROOT="$dotnet_root" "${image_env[@]}" "$@" \
    "${as_user[@]}" "$dotnet_root/dotnet" "$app/immich-autotag.dll" "${container_args[@]}")
}
run_container() {
  container_args=("$@")
  in_container IMMICH_URL="$url" IMMICH_API_KEY="$key"
}

step "fake Immich on 127.0.0.1"
coproc FAKE { exec dotnet run -c Release --no-build --project tests/ImmichAutoTag.Benchmarks -- --serve-fake 200 7; }
fake_pid=$FAKE_PID
read -r -t 120 ready <&"${FAKE[0]}" || fail "the fake Immich did not start"
url=$(echo "$ready" | sed -n 's/.*"url":"\([^"]*\)".*/\1/p')
key=$(echo "$ready" | sed -n 's/.*"api_key":"\([^"]*\)".*/\1/p')
[ -n "$url" ] && [ -n "$key" ] || fail "unexpected answer from the fake: $ready"
echo "fake Immich at $url"
take_writes() {
  echo take >&"${FAKE[1]}"
  read -r -t 30 stats <&"${FAKE[0]}" || fail "the fake did not answer"
  echo "$stats" | sed -n 's/.*"writes":\([0-9]*\).*/\1/p'
}

step "immich-autotag --version"
run_container --version || fail "--version failed: the published app does not start on $runtime_image"

step "health check before any completed run (status)"
if run_container status; then fail "status reported healthy although no run has completed"; fi

step "immich-autotag validate (no config mounted: built-in default rules)"
out=$(run_container validate 2>&1) || { echo "$out"; fail "validate without a config failed"; }
echo "$out"
echo "$out" | grep -q "built-in default rules" || fail "validate did not say it uses the built-in default rules"

config_file=$(image_var IMMICH_AUTOTAG_CONFIG)
cp rules/config.example.yaml "$config_file"
[ ${#as_user[@]} -eq 0 ] || chown "${user}" "$config_file"

step "immich-autotag validate (config mounted at $config_file)"
out=$(run_container validate 2>&1) || { echo "$out"; fail "validate failed"; }
echo "$out"
echo "$out" | grep -qF "Read $config_file" || fail "validate did not say which file it read"
rm -f "$config_file"

step "immich-autotag run --dry-run"
take_writes >/dev/null
run_container run --dry-run || fail "run --dry-run failed"
writes=$(take_writes)
[ "$writes" = 0 ] || fail "the dry run sent $writes write request(s)"
echo "dry run: no write request reached the server"

step "immich-autotag daemon --loop 3600 (one run, then SIGTERM)"
# A fresh status file, so its last success can only be the daemon's run.
status_file="$(image_var IMMICH_AUTOTAG_STATE)/status.json"
rm -f "$status_file"
container_args=(daemon --loop 3600)
in_container IMMICH_URL="$url" IMMICH_API_KEY="$key" >"$tmp/daemon.out" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 600); do
  if grep -q '"last_success"' "$status_file" 2>/dev/null; then break; fi
  kill -0 "$daemon_pid" 2>/dev/null || { cat "$tmp/daemon.out"; fail "the daemon exited before its first run finished"; }
  sleep 0.5
done
grep -q '"last_success"' "$status_file" || { cat "$tmp/daemon.out"; fail "the daemon's first run did not finish"; }
writes=$(take_writes)
echo "the daemon's run sent $writes write request(s)"
[ "$writes" -gt 0 ] || fail "the daemon's run wrote nothing to a library that needs tags"

step "health check after the run (status)"
run_container status || fail "status reported unhealthy after a successful run"

step "SIGTERM, clean stop"
# The daemon runs under a subshell (cd, env, setpriv); signal the dotnet process itself, as tini would.
target=$(pgrep -f "$app/immich-autotag.dll daemon" | head -n 1 || true)
[ -n "$target" ] || fail "cannot find the daemon's process"
kill -TERM "$target"
code=0
wait "$daemon_pid" || code=$?
cat "$tmp/daemon.out"
[ "$code" = 0 ] || fail "the daemon exited with $code after SIGTERM (expected 0: stopped between runs)"
grep -q '"state": *"stopped"' "$status_file" || fail "status.json does not record the stop"

echo "quit" >&"${FAKE[1]}" || true
echo
echo "container smoke: ok"
