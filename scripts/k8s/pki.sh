# Sourced: the test cluster's CA, serving certificates and static tokens (made once per root and node name),
# and the kubeconfigs derived from them (rewritten when they differ, so a port change needs no new PKI).

# ensure_pki NODE: CA, apiserver and kubelet serving certs, the apiserver's kubelet-client cert, the service
# account key pair and one static token per component (tokens.csv).
ensure_pki() {
  local node=$1
  if [ -f "$K8S_PKI/tokens.csv" ] && [ "$(cat "$K8S_PKI/node-name" 2>/dev/null)" = "$node" ]; then return 0; fi
  ts "making PKI for node $node"
  mkdir -p "$K8S_PKI" && rm -f "$K8S_PKI"/*
  (
    cd "$K8S_PKI"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/CN=multiverse-test-ca" 2>/dev/null
    sign() { # name subject extension-lines
      openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
      printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=digitalSignature,keyEncipherment" "$3" > "$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 3650 -extfile "$1.ext" 2>/dev/null
      rm -f "$1.csr" "$1.ext"
    }
    sign apiserver "/CN=kube-apiserver" "extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    sign apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "extendedKeyUsage=clientAuth"
    sign kubelet "/CN=$node" "extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:$node"
    openssl genrsa -out sa.key 2048 2>/dev/null && openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    token() { openssl rand -hex 16; }
    printf '%s\n' "$(token),admin,admin-uid,\"system:masters\"" \
      "$(token),system:kube-controller-manager,kcm-uid" \
      "$(token),system:kube-scheduler,sched-uid" \
      "$(token),system:node:$node,kubelet-uid,\"system:nodes\"" > tokens.csv
    echo "$node" > node-name
    chmod 600 ./*.key tokens.csv
  )
}

# write_if_changed FILE: stdin to FILE unless FILE already has exactly that content.
write_if_changed() {
  local tmp; tmp=$(mktemp "$1.XXXXXX")
  cat > "$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else chmod 600 "$tmp"; mv "$tmp" "$1"; fi
}

# kubeconfig USER: a kubeconfig for that user of tokens.csv on this root's apiserver port.
kubeconfig() {
  local token; token=$(awk -F, -v u="$1" '$2 == u {print $1}' "$K8S_PKI/tokens.csv")
  [ -n "$token" ] || die "no token for $1 in $K8S_PKI/tokens.csv"
  printf 'apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n    server: https://127.0.0.1:%s\n    certificate-authority: %s/ca.crt\nusers:\n- name: %s\n  user:\n    token: %s\ncontexts:\n- name: local\n  context: {cluster: local, user: %s}\ncurrent-context: local\n' \
    "$K8S_API_PORT" "$K8S_PKI" "$1" "$token" "$1"
}

write_kubeconfigs() {
  local node=$1
  kubeconfig admin | write_if_changed "$K8S_PKI/admin.kubeconfig"
  kubeconfig system:kube-controller-manager | write_if_changed "$K8S_PKI/kcm.kubeconfig"
  kubeconfig system:kube-scheduler | write_if_changed "$K8S_PKI/scheduler.kubeconfig"
  kubeconfig "system:node:$node" | write_if_changed "$K8S_PKI/kubelet.kubeconfig"
  kubeconfig admin | write_if_changed "$K8S_KUBECONFIG"
}
