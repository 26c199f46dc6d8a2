#!/usr/bin/env bash
# Starts the single-node Kubernetes test cluster built by scripts/setup-k8s.sh, on 127.0.0.1:
#   etcd -> kube-apiserver -> controller-manager + scheduler -> containerd (own socket) -> kubelet (node Ready)
#   [-> kwok with a fake node kwok-node-0 when WITH_KWOK=1]
# Idempotent: a component whose pid file names a live process of that binary is left alone, then every
# component's health is checked. Prints the admin kubeconfig's path (stable: $K8S_ROOT/kubeconfig).
# Env: see scripts/k8s/common.sh (K8S_ROOT, ports, WITH_KUBELET, WITH_KWOK, NODE_NAME).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/k8s/common.sh"
source "$HERE/k8s/pki.sh"
source "$HERE/k8s/configs.sh"
mkdir -p "$K8S_LOGS" "$K8S_RUN" "$K8S_ETC" "$K8S_DATA"
exec 9> "$K8S_ROOT/.start.lock"
flock 9

for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  [ -x "$K8S_BIN/$b" ] || die "$K8S_BIN/$b is missing: run scripts/setup-k8s.sh first"
done
[ "$WITH_KUBELET" = 1 ] && { [ -x "$K8S_BIN/kubelet" ] && [ -f "$K8S_ROOT/images/pause.tar" ] || die "the kubelet or the pause image is missing: run scripts/setup-k8s.sh first"; }

NODE=$(node_name)
ensure_pki "$NODE"
write_kubeconfigs "$NODE"
ETCD_URL=http://127.0.0.1:$K8S_ETCD_PORT

launch etcd "$K8S_BIN/etcd" --name default --data-dir "$K8S_DATA/etcd" \
  --listen-client-urls "$ETCD_URL" --advertise-client-urls "$ETCD_URL" \
  --listen-peer-urls "http://127.0.0.1:$((K8S_ETCD_PORT + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((K8S_ETCD_PORT + 1))" \
  --initial-cluster "default=http://127.0.0.1:$((K8S_ETCD_PORT + 1))" --listen-metrics-urls "http://127.0.0.1:$((K8S_ETCD_PORT + 2))"
wait_until etcd 30 curl -sf "$ETCD_URL/health"

launch kube-apiserver "$K8S_BIN/kube-apiserver" --etcd-servers="$ETCD_URL" \
  --bind-address=127.0.0.1 --secure-port="$K8S_API_PORT" --advertise-address=127.0.0.1 --endpoint-reconciler-type=none \
  --service-cluster-ip-range="$K8S_SERVICE_RANGE" \
  --tls-cert-file="$K8S_PKI/apiserver.crt" --tls-private-key-file="$K8S_PKI/apiserver.key" --client-ca-file="$K8S_PKI/ca.crt" \
  --token-auth-file="$K8S_PKI/tokens.csv" --authorization-mode=Node,RBAC \
  --service-account-issuer=https://kubernetes.default.svc \
  --service-account-key-file="$K8S_PKI/sa.pub" --service-account-signing-key-file="$K8S_PKI/sa.key" \
  --kubelet-client-certificate="$K8S_PKI/apiserver-kubelet-client.crt" --kubelet-client-key="$K8S_PKI/apiserver-kubelet-client.key" \
  --kubelet-preferred-address-types=Hostname --allow-privileged=true

if [ "$WITH_KUBELET" = 1 ]; then
  # containerd starts while the apiserver comes up
  write_containerd_config
  launch containerd containerd --config "$K8S_ETC/containerd.toml"
  wait_until containerd 30 ctr --address "$K8S_CONTAINERD_SOCK" version
  images=$(ctr --address "$K8S_CONTAINERD_SOCK" -n k8s.io images ls -q)
  for image in pause busybox; do
    grep -qx "localhost/$image:local" <<< "$images" \
      || { ctr --address "$K8S_CONTAINERD_SOCK" -n k8s.io images import "$K8S_ROOT/images/$image.tar" >/dev/null; ts "imported localhost/$image:local"; }
  done
fi
wait_until kube-apiserver 90 api_ready

launch kube-controller-manager "$K8S_BIN/kube-controller-manager" \
  --kubeconfig="$K8S_PKI/kcm.kubeconfig" --bind-address=127.0.0.1 --secure-port="$K8S_KCM_PORT" --leader-elect=false \
  --use-service-account-credentials=true --service-account-private-key-file="$K8S_PKI/sa.key" --root-ca-file="$K8S_PKI/ca.crt" \
  --cluster-signing-cert-file="$K8S_PKI/ca.crt" --cluster-signing-key-file="$K8S_PKI/ca.key"
launch kube-scheduler "$K8S_BIN/kube-scheduler" \
  --kubeconfig="$K8S_PKI/scheduler.kubeconfig" --bind-address=127.0.0.1 --secure-port="$K8S_SCHEDULER_PORT" --leader-elect=false

if [ "$WITH_KUBELET" = 1 ]; then
  write_kubelet_config
  launch kubelet "$K8S_BIN/kubelet" --config="$K8S_ETC/kubelet.yaml" --kubeconfig="$K8S_PKI/kubelet.kubeconfig" \
    --root-dir="$K8S_DATA/kubelet" --hostname-override="$NODE" --v=1
  wait_until "node $NODE Ready" 120 node_ready "$NODE"
fi
wait_until kube-controller-manager 60 curl -skf "https://127.0.0.1:$K8S_KCM_PORT/healthz"
wait_until kube-scheduler 60 curl -skf "https://127.0.0.1:$K8S_SCHEDULER_PORT/healthz"
# pods can be created in a namespace once its default ServiceAccount exists
wait_until "default ServiceAccount" 60 kubectl_admin -n default get serviceaccount default

if [ "$WITH_KWOK" = 1 ]; then
  write_kwok_config
  launch kwok "$K8S_BIN/kwok" --kubeconfig="$K8S_KUBECONFIG" --config="$K8S_ETC/kwok/stages.yaml" --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake --cidr=10.245.0.0/24 --node-ip=127.0.0.1
  kubectl_admin apply -f "$HERE/k8s/kwok-node.yaml" >/dev/null
  wait_until "kwok-node-0 Ready" 60 node_ready kwok-node-0
fi
ts "cluster up"
echo "KUBECONFIG=$K8S_KUBECONFIG"
