#!/usr/bin/env bash
# Builds the local Python base image without any container registry:
# mmdebstrap a Debian root filesystem with python3, numpy, h5py and venv (for models that pip-install pinned
# requirements into a virtual environment), then `docker import` it.
# Users with registry access can keep the public base image (Dockerfiles take BASE_IMAGE as a build arg).
set -euo pipefail
TAG="${MULTIVERSE_BASE_IMAGE:-multiverse-base:bookworm}"
SUITE="${MULTIVERSE_BASE_SUITE:-bookworm}"
PACKAGES="python3,python3-numpy,python3-h5py,python3-venv,ca-certificates"
# Rebuilt when the package list changes (the list is kept as a label of the image).
if [ "$(docker image inspect -f '{{ index .Config.Labels "io.multiverse.base-packages" }}' "$TAG" 2>/dev/null || true)" = "$SUITE:$PACKAGES" ] && [ "${FORCE:-0}" != "1" ]; then
  echo "base image $TAG already present"
  exit 0
fi
command -v mmdebstrap >/dev/null || { echo "mmdebstrap is required (apt-get install mmdebstrap)" >&2; exit 2; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "building $TAG from Debian $SUITE with $PACKAGES"
mmdebstrap --variant=minbase --include="$PACKAGES" --quiet "$SUITE" "$tmp/rootfs.tar"
docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["python3"]' \
  --change "LABEL io.multiverse.base-packages=$SUITE:$PACKAGES" \
  "$tmp/rootfs.tar" "$TAG" >/dev/null
echo "built $TAG"
