#!/usr/bin/env bash
# Builds, or reuses, the real servers that tests/real runs against: etcd, kube-apiserver, kube-controller-manager,
# kubectl and a Vault-compatible server (HashiCorp Vault 1.14, MPL-2.0; see VAULT_VERSION), each from its Go module through the Go module proxy, the way Go programs are ordinarily
# built. Their go.mod files carry `replace` directives, which `go install pkg@version` refuses, so each is built
# from a small wrapper module: go mod init, pin what the replaces pointed at, go get -tool, go build.
#
# Binaries are cached by version outside the repo, in $KV_SERVERS_CACHE (default ~/.cache/kubernetes-vault):
#   <name>-<version>/bin/<program>, plus build.json with the build time, written last (its presence means complete).
# A cold build of all of them takes minutes on 2 cores (see README); a warm run only checks build.json.
#
# Usage: scripts/real-servers.sh [--print-env]   (--print-env prints KV_<PROGRAM>=<path> lines for the tests)
set -euo pipefail

ETCD_VERSION=v3.7.3
KUBE_VERSION=v1.37.2
# The Vault-compatible server. OpenBao v2.6.2 (commit dd9c19c37a87, pseudo-version v0.0.0-20260818154305-dd9c19c37a87)
# was the first choice, but the Go module proxy here answers 403 Forbidden for every github.com/openbao/openbao
# version. HashiCorp Vault's go.mod replaces its api and sdk modules with its own folders, so a build from the
# module takes the published api/sdk releases its go.mod names, and the proxy refuses commits that were never
# published. Within the MPL-2.0 releases that leaves the first release of a line, cut together with its sdk:
# - v1.14.8 (the last MPL release): its sdk folder carries backports no sdk release has (logical.CtxKeyRequestRole,
#   physical.FencingHABackend; v0.10+ renamed EventSender.Send): does not compile;
# - v1.14.0 names an sdk pseudo-version from before BYOK (keysutil WrapKey missing): does not compile;
# - v1.14.2 with sdk v0.9.2 compiles, but sdk v0.9.2 panics on the first sys/ write (managed-keys defines a
#   CreateOperation without an ExistenceCheck);
# - v1.13.0 with api v1.9.0 and sdk v0.8.1, the releases cut with it.
VAULT_VERSION=v1.13.0
VAULT_SDK=v0.8.1
VAULT_API=v1.9.0

cache=${KV_SERVERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubernetes-vault}
mkdir -p "$cache"
export PATH="/usr/local/go/bin:$PATH"
export CGO_ENABLED=0 GOFLAGS=-mod=mod

fail() {
  echo "real-servers: $*" >&2
  exit 1
}
command -v go >/dev/null || fail "Go is not installed. The real-server tests need Go >= 1.26 with the Go module proxy (install it at /usr/local/go)."
go_minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
[ "$go_minor" -ge 26 ] || fail "Go $(go env GOVERSION) is too old; kube-apiserver $KUBE_VERSION needs Go >= 1.26."

# build_once <dir> <function>: runs the build function in <dir> under a lock, unless <dir>/build.json exists.
build_once() {
  local dir=$1 builder=$2
  [ -f "$dir/build.json" ] && return 0
  mkdir -p "$dir"
  exec 9>"$dir/.lock"
  flock 9
  if [ ! -f "$dir/build.json" ]; then
    rm -rf "$dir/src" "$dir/bin"
    mkdir -p "$dir/src" "$dir/bin"
    local started=$SECONDS
    echo "real-servers: building $(basename "$dir") (cold; this takes a while) ..." >&2
    if ! (cd "$dir/src" && "$builder" "$dir/bin") >"$dir/build.log" 2>&1; then
      tail -n 30 "$dir/build.log" >&2
      fail "building $(basename "$dir") failed; the whole log is $dir/build.log"
    fi
    printf '{"seconds":%d,"go":"%s","builtAt":"%s"}\n' $((SECONDS - started)) "$(go env GOVERSION)" \
      "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$dir/build.json"
    echo "real-servers: built $(basename "$dir") in $((SECONDS - started)) s" >&2
  fi
  exec 9>&-
}

build_etcd() {
  local bin=$1
  go mod init kubernetes-vault.test/etcd-wrapper
  go get -tool "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  go build -trimpath -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3
}

build_kube() {
  local bin=$1 minor staging
  go mod init kubernetes-vault.test/kube-wrapper
  go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" >/dev/null
  # Every k8s.io/<staging> module that k8s.io/kubernetes replaces with ./staging/src/... is published as v0.<minor>.<patch>.
  minor=${KUBE_VERSION#v1.}
  staging=$(sed -nE 's#^[[:space:]]*(k8s\.io/[a-z0-9-]+) => \./staging/src/.*#\1#p' \
    "$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$KUBE_VERSION.mod")
  [ -n "$staging" ] || fail "found no staging replaces in k8s.io/kubernetes@$KUBE_VERSION's go.mod"
  local module
  for module in $staging; do go mod edit -replace "$module=$module@v0.$minor"; done
  go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@$KUBE_VERSION" \
    "k8s.io/kubernetes/cmd/kube-controller-manager@$KUBE_VERSION" "k8s.io/kubernetes/cmd/kubectl@$KUBE_VERSION"
  # /version must tell the truth: the same -X flags hack/lib/version.sh sets.
  local major=1 minor_only=${minor%%.*} flags="-s -w" key value
  for pair in "gitVersion=$KUBE_VERSION" "gitMajor=$major" "gitMinor=$minor_only" "gitTreeState=clean" \
    "buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"; do
    key=${pair%%=*} value=${pair#*=}
    flags="$flags -X k8s.io/client-go/pkg/version.$key=$value -X k8s.io/component-base/version.$key=$value"
  done
  local program
  for program in kube-apiserver kube-controller-manager kubectl; do
    go build -trimpath -ldflags "$flags" -o "$bin/$program" "k8s.io/kubernetes/cmd/$program"
  done
}

build_vault() {
  local bin=$1
  go mod init kubernetes-vault.test/vault-wrapper
  # Vault's go.mod replaces api and sdk with its own folders; the versions its go.mod names stand in for them.
  go mod edit -replace "github.com/hashicorp/vault/api=github.com/hashicorp/vault/api@$VAULT_API" \
    -replace "github.com/hashicorp/vault/sdk=github.com/hashicorp/vault/sdk@$VAULT_SDK"
  go get -tool "github.com/hashicorp/vault@$VAULT_VERSION"
  # Its gosnowflake (v1.6.24) embeds a CA certificate with a negative serial number, which Go >= 1.23 refuses at
  # start-up ("panic: failed to parse CA certificate"); the GODEBUG setting made for such certificates lets it load.
  go mod edit -godebug=x509negativeserial=1
  go build -trimpath -ldflags "-s -w" -o "$bin/vault" github.com/hashicorp/vault
}

build_once "$cache/etcd-$ETCD_VERSION" build_etcd
build_once "$cache/kubernetes-$KUBE_VERSION" build_kube
build_once "$cache/vault-$VAULT_VERSION" build_vault

if [ "${1:-}" = --print-env ]; then
  echo "KV_ETCD=$cache/etcd-$ETCD_VERSION/bin/etcd"
  for program in kube-apiserver kube-controller-manager kubectl; do
    echo "KV_$(echo "$program" | tr 'a-z-' 'A-Z_')=$cache/kubernetes-$KUBE_VERSION/bin/$program"
  done
  echo "KV_VAULT=$cache/vault-$VAULT_VERSION/bin/vault"
fi
