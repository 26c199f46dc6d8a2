#!/usr/bin/env bash
# Imports Docker images into the test cluster's containerd (namespace k8s.io), where the kubelet finds them:
# nothing is pulled, so pods use `imagePullPolicy: Never` (or IfNotPresent) with the same reference.
#   scripts/k8s-import-image.sh IMAGE...      e.g. multiverse-pca:1.0.0
# Idempotent: an image whose config digest (Docker's image id) containerd already holds is skipped.
# Env: K8S_ROOT (see scripts/k8s/common.sh).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/k8s/common.sh"
[ $# -gt 0 ] || { echo "usage: $0 IMAGE..." >&2; exit 2; }
[ -S "$K8S_CONTAINERD_SOCK" ] && alive containerd || die "the test cluster's containerd is not running: run scripts/start-k8s.sh"

# the image id containerd's CRI reports for a reference (empty when absent); CRI ids are config digests
cri_image_id() {
  "$K8S_BIN/crictl" --runtime-endpoint "unix://$K8S_CONTAINERD_SOCK" inspecti -o go-template --template '{{.status.id}}' "$1" 2>/dev/null || true
}

for image in "$@"; do
  want=$(docker image inspect -f "{{.Id}}" "$image" 2>/dev/null) || { echo "$(basename "$0"): no Docker image $image (build it first: scripts/build-images.sh)" >&2; exit 2; }
  if [ "$(cri_image_id "$image")" = "$want" ]; then ts "$image already in the cluster (${want:7:12})"; continue; fi
  docker save "$image" | ctr --address "$K8S_CONTAINERD_SOCK" -n k8s.io images import - >/dev/null
  got=$(cri_image_id "$image")
  [ "$got" = "$want" ] || die "imported $image but containerd reports id '${got:-none}', Docker '$want'"
  ts "imported $image (${want:7:12})"
done
