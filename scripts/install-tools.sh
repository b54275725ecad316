#!/usr/bin/env bash
# Installs what the test suite needs beyond node_modules, idempotently, so a fresh machine with only Node and npm
# can run every test. System packages (podman, runc, jq) need root; Prometheus/promtool and kubectl are unpacked
# into .tools/ instead of installed, because the Debian prometheus package would start a service and the
# kubernetes-client package would overwrite the machine's own kubectl (which is not ours).
set -euo pipefail
cd "$(dirname "$0")/.."
tools="$PWD/.tools"
mkdir -p "$tools"

need_apt=()
command -v podman >/dev/null || need_apt+=(podman)
command -v runc >/dev/null || need_apt+=(runc)
command -v jq >/dev/null || need_apt+=(jq)
command -v curl >/dev/null || need_apt+=(curl)
updated=0
apt_update() { if [ "$updated" = 0 ]; then apt-get update -qq; updated=1; fi; }

if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-tools: missing ${need_apt[*]}; run this script as root (it uses apt-get) or install them yourself" >&2
    exit 1
  fi
  apt_update
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# unpack <debian package> <path inside it>...: copies those files into .tools/bin.
unpack() {
  local package=$1
  shift
  local missing=0 inner
  for inner in "$@"; do [ -x "$tools/bin/$(basename "$inner")" ] || missing=1; done
  [ "$missing" = 1 ] || return 0
  apt_update
  local work
  work=$(mktemp -d)
  chmod 755 "$work" # apt downloads as the _apt user
  (cd "$work" && apt-get download -qq "$package" 2> >(grep -v "unsandboxed as root" >&2))
  dpkg -x "$work"/*.deb "$work/root"
  mkdir -p "$tools/bin"
  for inner in "$@"; do cp "$work/root/$inner" "$tools/bin/"; done
  rm -rf "$work"
}
unpack prometheus usr/bin/prometheus usr/bin/promtool
unpack kubernetes-client usr/bin/kubectl

# podman here works with runc only, and only without default rlimits (see shared/notes/environment.md).
cat >"$tools/containers.conf" <<'CONF'
[containers]
default_ulimits = []
[engine]
runtime = "runc"
CONF
echo "install-tools: podman $(podman --version | awk '{print $3}'), runc $(runc --version | awk 'NR==1{print $3}'), prometheus $("$tools/bin/prometheus" --version 2>&1 | awk 'NR==1{print $3}'), kubectl $("$tools/bin/kubectl" version --client --short 2>/dev/null || echo unpacked)"
