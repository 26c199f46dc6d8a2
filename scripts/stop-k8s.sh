#!/usr/bin/env bash
# Stops what scripts/start-k8s.sh started in this root (by pid file), clients before servers.
#   --wipe  also deletes the cluster's state (etcd data, kubelet dir, pod logs, CNI leases, the pod bridge), so
#           the next start is a fresh cluster; binaries, Go caches, PKI, images and containerd's image store stay.
# Env: K8S_ROOT and the rest of scripts/k8s/common.sh.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/k8s/common.sh"
WIPE=0
case "${1:-}" in
  "") ;;
  --wipe) WIPE=1 ;;
  *) echo "usage: $0 [--wipe]" >&2; exit 2 ;;
esac

# stop NAME GRACE-SECONDS: SIGTERM, then SIGKILL after the grace period.
stop() {
  local name=$1 grace=$2 pid i
  if ! alive "$name"; then rm -f "$K8S_RUN/$name.pid"; return 0; fi
  pid=$(cat "$K8S_RUN/$name.pid")
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < grace * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null; ts "$name (pid $pid) killed after ${grace}s"; else ts "$name (pid $pid) stopped"; fi
  rm -f "$K8S_RUN/$name.pid"
}

stop kwok 5
stop kubelet 10
if alive containerd; then
  # every pod sandbox removed through CRI: containers killed, network namespaces and IPs released
  [ -x "$K8S_BIN/crictl" ] && timeout 60 "$K8S_BIN/crictl" --runtime-endpoint "unix://$K8S_CONTAINERD_SOCK" rmp -fa >/dev/null 2>&1
  stop containerd 10
fi
# shims of *this* containerd (they name its socket) that outlived it
for proc in /proc/[0-9]*; do
  tr '\0' ' ' 2>/dev/null < "$proc/cmdline" | grep -qE -- "containerd-shim-runc-v2 .*-address $K8S_CONTAINERD_SOCK( |$)" && kill -KILL "${proc#/proc/}" 2>/dev/null
done
stop kube-scheduler 5
stop kube-controller-manager 5
# the apiserver's graceful shutdown waits ~60 s for connected clients; nothing here needs it
stop kube-apiserver 5
stop etcd 10

# mounts under this root that the kubelet and containerd left (projected token tmpfs, overlay rootfs, the
# kubelet's bind mount of its own root dir), deepest first
awk -v root="$K8S_ROOT/" 'index($2, root) == 1 {print $2}' /proc/mounts | sort -r | while read -r mount; do
  umount "$mount" 2>/dev/null || umount -l "$mount"
done

if [ $WIPE = 1 ]; then
  rm -rf "$K8S_DATA/etcd" "$K8S_DATA/kubelet" "$K8S_DATA/pod-logs" "$K8S_ROOT/cni/ipam"
  # the kubelet's links in /var/log/containers that point into this root
  for link in /var/log/containers/*.log; do
    [ -L "$link" ] && readlink "$link" | grep -q "^$K8S_DATA/" && rm -f "$link"
  done
  # the pod bridge this root's CNI config names (a root that never ran containerd has none)
  bridge=$(sed -n 's/.*"bridge": "\([^"]*\)".*/\1/p' "$K8S_ROOT/cni/net.d/10-multiverse.conflist" 2>/dev/null)
  [ -n "$bridge" ] && ip link show "$bridge" >/dev/null 2>&1 && ip link del "$bridge"
  ts "state wiped"
fi
exit 0
