# Sourced by scripts/{setup,start,stop}-k8s.sh and scripts/k8s-import-image.sh: the test cluster's layout,
# ports and process helpers. Everything lives under one root (K8S_ROOT) so that a second cluster (other root,
# other ports, WITH_KUBELET=0) can run beside the first one, e.g. to test these scripts.
#
#   $K8S_ROOT/bin         kubernetes binaries, etcd (symlink), crictl, kwok, helm; .version-<name> stamps
#   $K8S_ROOT/gomodcache  $K8S_ROOT/gocache   Go caches of the builds (keep them: a cold build is ~20 min)
#   $K8S_ROOT/debs        Debian packages unpacked, not installed (etcd-server would start a daemon)
#   $K8S_ROOT/pki         CA, serving certs, static tokens, per-component kubeconfigs
#   $K8S_ROOT/kubeconfig  the admin kubeconfig (stable path; what tests and users point KUBECONFIG at)
#   $K8S_ROOT/images      pause and busybox images as docker-archive tars
#   $K8S_ROOT/{etc,run,logs,data,cni,containerd}  configs, pid files and sockets, logs, state
K8S_ROOT=${K8S_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/multiverse-k8s}
K8S_VERSION=${K8S_VERSION:-v1.34.4}
CRICTL_VERSION=${CRICTL_VERSION:-v1.34.0}
KWOK_VERSION=${KWOK_VERSION:-v0.8.0}
# the newest Helm 3 on the Go module proxy (its go.mod asks for go 1.26.0)
HELM_VERSION=${HELM_VERSION:-v3.22.0}
WITH_KUBELET=${WITH_KUBELET:-1}
WITH_KWOK=${WITH_KWOK:-0}
K8S_API_PORT=${K8S_API_PORT:-6443}
K8S_ETCD_PORT=${K8S_ETCD_PORT:-2379}          # peer and metrics listen on the next two ports
K8S_KCM_PORT=${K8S_KCM_PORT:-10257}
K8S_SCHEDULER_PORT=${K8S_SCHEDULER_PORT:-10259}
K8S_BRIDGE=${K8S_BRIDGE:-mvbr0}
K8S_POD_SUBNET=${K8S_POD_SUBNET:-10.244.0.0/24}
K8S_SERVICE_RANGE=${K8S_SERVICE_RANGE:-10.96.0.0/24}

K8S_BIN=${K8S_BIN:-$K8S_ROOT/bin}
K8S_PKI=$K8S_ROOT/pki K8S_LOGS=$K8S_ROOT/logs K8S_RUN=$K8S_ROOT/run K8S_ETC=$K8S_ROOT/etc K8S_DATA=$K8S_ROOT/data
K8S_KUBECONFIG=$K8S_ROOT/kubeconfig
K8S_CONTAINERD_SOCK=$K8S_RUN/containerd/containerd.sock
export GOMODCACHE=$K8S_ROOT/gomodcache GOCACHE=$K8S_ROOT/gocache CGO_ENABLED=0
export PATH=$K8S_BIN:$PATH   # our kubectl (the server's version) first

K8S_T0=${K8S_T0:-$(date +%s%N)}
ts() { awk -v t0="$K8S_T0" -v now="$(date +%s%N)" -v msg="$*" 'BEGIN { printf "[%6.2fs] %s\n", (now - t0) / 1e9, msg }'; }
die() { echo "$(basename "$0"): $*" >&2; exit 1; }

# The node name must resolve to 127.x: the apiserver reaches the kubelet (logs, exec) by Hostname only.
node_name() {
  if [ -n "${NODE_NAME:-}" ]; then echo "$NODE_NAME"; return; fi
  local h; h=$(hostname)
  if getent ahostsv4 "$h" 2>/dev/null | awk '{print $1}' | grep -q '^127\.'; then echo "$h"; else echo localhost; fi
}

# alive NAME: the pid in run/NAME.pid is a live process whose command line is that component's binary.
alive() {
  local pid; pid=$(cat "$K8S_RUN/$1.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline" | grep -q -- "$1"
}

# launch NAME CMD...: start a component in the background unless it is alive (idempotent).
launch() {
  local name=$1; shift
  if alive "$name"; then ts "$name already running (pid $(cat "$K8S_RUN/$name.pid"))"; return 0; fi
  # 9>&-: the start lock stays with this script, not with the daemons it leaves running
  nohup "$@" >> "$K8S_LOGS/$name.log" 2>&1 < /dev/null 9>&- &
  echo $! > "$K8S_RUN/$name.pid"
  ts "started $name (pid $!)"
}

# wait_until WHAT SECONDS CMD...: poll CMD every 0.2 s until it succeeds.
wait_until() {
  local what=$1 seconds=$2 i; shift 2
  for ((i = 0; i < seconds * 5; i++)); do
    if "$@" >/dev/null 2>&1; then ts "$what ready"; return 0; fi
    sleep 0.2
  done
  die "$what not ready after ${seconds}s (logs: $K8S_LOGS)"
}

kubectl_admin() { "$K8S_BIN/kubectl" --kubeconfig "$K8S_KUBECONFIG" "$@"; }
api_ready() { [ "$(kubectl_admin get --raw /readyz 2>/dev/null)" = ok ]; }
node_ready() { kubectl_admin get node "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null | grep -qx True; }
