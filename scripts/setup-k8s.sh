#!/usr/bin/env bash
# Builds (cached) everything the single-node Kubernetes test cluster needs, without a container registry:
# Kubernetes (apiserver, controller-manager, scheduler, kubelet, kubectl) from the Go module proxy, crictl, kwok
# and helm by `go install`, Debian's etcd and CNI plugins unpacked from their .debs, containerd and runc from
# apt, and the pause and busybox images. Warm (everything present): well under a second.
# Env: K8S_ROOT (default ~/.cache/multiverse-k8s), K8S_VERSION, CRICTL_VERSION, KWOK_VERSION, HELM_VERSION,
# WITH_KUBELET (1), WITH_KWOK (0: kwok is built but only started when asked). See scripts/k8s/common.sh.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/k8s/common.sh"
source "$HERE/k8s/images.sh"
mkdir -p "$K8S_BIN" "$K8S_ROOT/debs" "$K8S_ROOT/images" "$K8S_ROOT/src/k8sbuild"
# one build at a time per root (two set-ups at once would build the same 100 MB binaries twice)
exec 9> "$K8S_ROOT/.setup.lock"
flock 9

# need_deb PACKAGE FILE: unpack the package under debs/root unless FILE is already there.
need_deb() {
  [ -e "$K8S_ROOT/debs/root/$2" ] && return 0
  (
    cd "$K8S_ROOT/debs"
    apt-get download "$1" >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get download "$1" >/dev/null; }
    dpkg -x "$(ls -t "$1"_*.deb | head -1)" root
  ) || die "cannot fetch the Debian package $1"
  ts "unpacked $1"
}

# stamped NAME VERSION: bin/NAME exists and was built at VERSION.
stamped() { [ -x "$K8S_BIN/$1" ] && [ "$(cat "$K8S_BIN/.version-$1" 2>/dev/null)" = "$2" ]; }

# The wrapper module: k8s.io/kubernetes cannot be `go install`ed (its go.mod replaces 31 staging modules with
# ./staging paths), so require it from a module that replaces each staging module by its published version.
k8s_wrapper_module() {
  local dir=$K8S_ROOT/src/k8sbuild staging="v0.${K8S_VERSION#v1.}" gomod
  [ -f "$dir/go.sum" ] && grep -q "k8s.io/kubernetes $K8S_VERSION" "$dir/go.mod" && return 0
  gomod=$(cd /tmp && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  [ -f "$gomod" ] || die "the Go module proxy did not serve k8s.io/kubernetes@$K8S_VERSION"
  {
    printf 'module multiverse.local/k8sbuild\n\n'
    grep -m1 '^go ' "$gomod"; echo
    grep '^godebug' "$gomod" || true
    printf '\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$K8S_VERSION"
    sed -n '/^replace (/,/^)/p' "$gomod" | awk -v v="$staging" '/=> .\/staging/ {print "\t" $1 " => " $1 " " v}'
    echo ")"
  } > "$dir/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport (\n' > "$dir/tools.go"
  for c in kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$c" >> "$dir/tools.go"; done
  printf ')\n' >> "$dir/tools.go"
  (cd "$dir" && go mod tidy)
}

build_k8s() { # components...
  local minor=${K8S_VERSION#v1.} ldflags="-s -w" p c
  minor=${minor%%.*}
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags="$ldflags -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
    ldflags="$ldflags -X $p.gitCommit=0000000000000000000000000000000000000000 -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  k8s_wrapper_module
  for c in "$@"; do
    ts "building $c $K8S_VERSION (cold: minutes)"
    (cd "$K8S_ROOT/src/k8sbuild" && go build -trimpath -tags notest,grpcnotrace -ldflags "$ldflags" -o "$K8S_BIN/$c" "k8s.io/kubernetes/cmd/$c")
    echo "$K8S_VERSION" > "$K8S_BIN/.version-$c"
  done
}

# go_tool NAME PACKAGE VERSION EXTRA-LDFLAGS VERSION-COMMAND...: `go install` unless present at that version (a
# binary without a stamp, e.g. from another script using this root, is kept when VERSION-COMMAND reports it).
go_tool() {
  local name=$1 package=$2 version=$3 ldflags=$4; shift 4
  stamped "$name" "$version" && return 0
  if [ -x "$K8S_BIN/$name" ] && "$K8S_BIN/$name" "$@" 2>/dev/null | grep -qF -- "$version"; then
    echo "$version" > "$K8S_BIN/.version-$name"; return 0
  fi
  ts "building $name $version"
  (cd /tmp && GOBIN=$K8S_BIN go install -trimpath -ldflags "-s -w $ldflags" "$package@$version")
  echo "$version" > "$K8S_BIN/.version-$name"
}

command -v go >/dev/null || die "Go (1.24 or newer) is needed to build Kubernetes: https://go.dev/dl/"
need_deb etcd-server usr/bin/etcd
ln -sf "$K8S_ROOT/debs/root/usr/bin/etcd" "$K8S_BIN/etcd"

want=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
[ "$WITH_KUBELET" = 1 ] && want+=(kubelet)
missing=()
for c in "${want[@]}"; do stamped "$c" "$K8S_VERSION" || missing+=("$c"); done
[ ${#missing[@]} -eq 0 ] || build_k8s "${missing[@]}"

# helm's own version string is only major.minor unless set at link time
go_tool helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION" "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" version --short
go_tool kwok sigs.k8s.io/kwok/cmd/kwok "$KWOK_VERSION" "" --version
if [ "$WITH_KWOK" = 1 ] && [ ! -d "$GOMODCACHE/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize/stage" ]; then
  (cd /tmp && go mod download "sigs.k8s.io/kwok@$KWOK_VERSION")   # its stage files (node and pod lifecycles)
fi

if [ "$WITH_KUBELET" = 1 ]; then
  go_tool crictl sigs.k8s.io/cri-tools/cmd/crictl "$CRICTL_VERSION" "" --version
  need_deb containernetworking-plugins usr/lib/cni/bridge
  need_deb busybox-static bin/busybox
  if ! command -v containerd >/dev/null || ! command -v runc >/dev/null || ! command -v ctr >/dev/null; then
    ts "installing containerd and runc"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get install -y -qq --no-install-recommends containerd runc >/dev/null \
      || { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends containerd runc >/dev/null; }
  fi
  ensure_pause_image
  ensure_busybox_image
fi
ts "kubernetes $K8S_VERSION binaries ready in $K8S_BIN"
