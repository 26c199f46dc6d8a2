#!/usr/bin/env bash
# Builds the local images (no registry needed): the Debian base, the contract test model and the built-in models
# (pinned requirements come from PyPI). An image is rebuilt only when its build inputs changed (content hash label).
set -euo pipefail
cd "$(dirname "$0")/.."
BASE_IMAGE="${MULTIVERSE_BASE_IMAGE:-multiverse-base:bookworm}"
export MULTIVERSE_BASE_IMAGE="$BASE_IMAGE"
./scripts/build-base-image.sh

# build <tag> <dockerfile> <context> <inputs...>
build() {
  local tag="$1" dockerfile="$2" context="$3"
  shift 3
  local hash
  hash="$( (docker image inspect -f '{{ .Id }}' "$BASE_IMAGE"; cat "$dockerfile"; find "$@" -type f -not -path '*/__pycache__/*' -not -path '*/wheelhouse/*' -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16)"
  if [ "$(docker image inspect -f '{{ index .Config.Labels "io.multiverse.build-hash" }}' "$tag" 2>/dev/null || true)" = "$hash" ]; then
    echo "image $tag is up to date"
    return
  fi
  echo "building $tag"
  docker build -q --build-arg "BASE_IMAGE=$BASE_IMAGE" --label "io.multiverse.build-hash=$hash" -f "$dockerfile" -t "$tag" "$context" 2> >(grep -v -E "DEPRECATED|legacy builder|buildx|docs.docker.com/go/buildx|^\s*$" >&2) >/dev/null
}

build multiverse-contract-test:dev test/fixtures/models/contract-test/container/Dockerfile test/fixtures/models/contract-test/container test/fixtures/models/contract-test/container
# Pinned wheels are fetched on the host (which may trust a proxy's certificate that images do not) and installed
# in the image without network access. manylinux_2_27/2_28 wheels (jaxlib, numba, scipy, contourpy) suit the Debian bookworm base
# (glibc 2.36).
wheelhouse() {
  local dir="$1/wheelhouse" stamp
  stamp="$(sha256sum "$1/requirements.txt" | cut -c1-16)"
  [ "$(cat "$dir/.stamp" 2>/dev/null || true)" = "$stamp" ] && return
  rm -rf "$dir" && mkdir -p "$dir"
  python3 -m pip download --quiet --disable-pip-version-check --only-binary=:all: --python-version 3.11 \
    --platform manylinux2014_x86_64 --platform manylinux_2_24_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_28_x86_64 \
    -r "$1/requirements.txt" -d "$dir"
  echo "$stamp" > "$dir/.stamp"
}
wheelhouse store/models/pca/container
build multiverse-pca:1.0.0 store/models/pca/container/Dockerfile . store/models/pca worker/multiverse
wheelhouse store/models/mofa/container
build multiverse-mofa:1.0.0 store/models/mofa/container/Dockerfile . store/models/mofa worker/multiverse
# The scib evaluator (store/evaluators/scib): scib-metrics, jax (CPU), scanpy, umap-learn.
wheelhouse store/evaluators/scib/container
build multiverse-evaluator-scib:1.0.0 store/evaluators/scib/container/Dockerfile . store/evaluators/scib
