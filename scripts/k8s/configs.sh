# Sourced by start-k8s.sh: configuration files of containerd, the CNI network and the kubelet.

write_containerd_config() {
  mkdir -p "$K8S_ETC" "$K8S_RUN/containerd" "$K8S_ROOT/cni/net.d"
  write_if_changed "$K8S_ETC/containerd.toml" <<EOT
version = 2
root = "$K8S_ROOT/containerd/root"
state = "$K8S_RUN/containerd/state"
[grpc]
  address = "$K8S_CONTAINERD_SOCK"
[plugins."io.containerd.internal.v1.opt"]
  path = "$K8S_ROOT/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/pause:local"
  stream_server_address = "127.0.0.1"
  # root here may lack CAP_SYS_RESOURCE: a negative oom_score_adj (-998 for the sandbox) makes runc fail with
  # "can't get final child's PID from pipe: EOF"; clamp to containerd's own.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$K8S_ROOT/debs/root/usr/lib/cni"
    conf_dir = "$K8S_ROOT/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$K8S_RUN/runc"
EOT
  # an isolated pod network: a bridge without gateway or masquerading, pods reach only each other
  write_if_changed "$K8S_ROOT/cni/net.d/10-multiverse.conflist" <<EOT
{"cniVersion": "1.0.0", "name": "multiverse", "plugins": [{"type": "bridge", "bridge": "$K8S_BRIDGE",
  "isGateway": false, "ipMasq": false, "hairpinMode": false,
  "ipam": {"type": "host-local", "ranges": [[{"subnet": "$K8S_POD_SUBNET"}]], "dataDir": "$K8S_ROOT/cni/ipam"}}]}
EOT
}

write_kubelet_config() {
  mkdir -p "$K8S_DATA/kubelet" "$K8S_DATA/pod-logs"
  write_if_changed "$K8S_ETC/kubelet.yaml" <<EOT
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $K8S_PKI/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $K8S_PKI/kubelet.crt
tlsPrivateKeyFile: $K8S_PKI/kubelet.key
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$K8S_CONTAINERD_SOCK
failSwapOn: false
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
podLogsDir: $K8S_DATA/pod-logs
# images are imported, never pulled: never garbage-collect them
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
maxPods: 50
serializeImagePulls: false
EOT
}

write_kwok_config() {
  local stages=$GOMODCACHE/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize/stage f
  [ -d "$stages" ] || die "kwok's stage files are missing: run WITH_KWOK=1 scripts/setup-k8s.sh"
  mkdir -p "$K8S_ETC/kwok"
  for f in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
    echo '---'; cat "$stages/$f.yaml"
  done | write_if_changed "$K8S_ETC/kwok/stages.yaml"
}
