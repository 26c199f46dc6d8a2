#!/usr/bin/env bash
# Builds the controller image (Dockerfile.controller) without any registry, for the local Kubernetes test cluster:
#   - the base is the local Debian image (scripts/build-base-image.sh) plus this host's Node binary (Debian's own
#     nodejs is 18; multiverse needs 20), tagged multiverse-node-base:bookworm;
#   - the production node_modules come from this checkout's node_modules pruned of dev dependencies (no npm
#     registry inside the build: its TLS proxy is trusted by the host, not by images), passed as node_modules.tar.
# The image is rebuilt only when an input changed (content hash label). Needs a build (dist/) first.
# Env: MULTIVERSE_CONTROLLER_IMAGE (multiverse-controller:0.1.0), MULTIVERSE_BASE_IMAGE (multiverse-base:bookworm).
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=${MULTIVERSE_CONTROLLER_IMAGE:-multiverse-controller:0.1.0}
BASE_IMAGE=${MULTIVERSE_BASE_IMAGE:-multiverse-base:bookworm}
NODE_BASE=multiverse-node-base:bookworm
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/multiverse-controller-image
started=$SECONDS
step() { printf '[controller-image +%ss] %s\n' "$((SECONDS - started))" "$*"; }
label() { docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }

[ -f dist/src/cli/main.js ] || { echo "dist/ is missing: build first (npx tsc -p tsconfig.json)" >&2; exit 2; }
[ -d node_modules ] || { echo "node_modules is missing: npm ci first" >&2; exit 2; }
docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 || MULTIVERSE_BASE_IMAGE=$BASE_IMAGE ./scripts/build-base-image.sh
mkdir -p "$CACHE"

# 1. the Node base: the local Debian base + this host's node (same Debian release, so the same glibc)
node_bin=$(command -v node)
node_major=$("$node_bin" -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || { echo "the host's node is $("$node_bin" --version); the controller needs Node 20 or newer" >&2; exit 2; }
# the binary's identity by version, size and mtime (hashing 100 MB would cost seconds on every warm run)
node_hash=$( (docker image inspect -f '{{ .Id }}' "$BASE_IMAGE"; "$node_bin" --version; stat -L -c '%s %Y' "$node_bin") | sha256sum | cut -c1-16)
if [ "$(label "$NODE_BASE" io.multiverse.build-hash)" != "$node_hash" ]; then
  step "building $NODE_BASE (node $("$node_bin" --version))"
  ctx=$(mktemp -d) && cp "$node_bin" "$ctx/node"
  printf 'FROM %s\nCOPY node /usr/local/bin/node\n' "$BASE_IMAGE" \
    | docker build -q --label "io.multiverse.build-hash=$node_hash" -t "$NODE_BASE" -f - "$ctx" >/dev/null
  rm -rf "$ctx"
fi

# 2. production dependencies, once per package-lock.json (npm prune works offline on a copy)
lock_hash=$(sha256sum package-lock.json | cut -c1-16)
deps=$CACHE/node_modules-$lock_hash.tar
if [ ! -f "$deps" ]; then
  step "pruning node_modules to the production dependencies"
  work=$(mktemp -d)
  cp package.json package-lock.json "$work/" && cp -a "$(readlink -f node_modules)" "$work/node_modules"
  (cd "$work" && npm prune --omit=dev --offline --no-audit --no-fund --loglevel=error >/dev/null)
  tar -C "$work" -cf "$deps.tmp" node_modules && mv "$deps.tmp" "$deps"
  rm -rf "$work"
  find "$CACHE" -name 'node_modules-*.tar' ! -name "$(basename "$deps")" -delete
fi

# 3. the build context: exactly what Dockerfile.controller copies (no wheelhouses, no caches, no dev files)
# (dist/test and dist/bench are not shipped: a changed test does not rebuild the image)
inputs() {
  find Dockerfile.controller package.json package-lock.json dist bin worker store \( -path dist/test -o -path dist/bench -o -name __pycache__ -o -name wheelhouse \) -prune -o -type f -print0 | sort -z
}
hash=$( (docker image inspect -f '{{ .Id }}' "$NODE_BASE"; inputs | xargs -0 sha256sum; echo "$lock_hash") | sha256sum | cut -c1-16)
if [ "$(label "$IMAGE" io.multiverse.build-hash)" = "$hash" ]; then
  step "image $IMAGE is up to date"
  exit 0
fi
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
inputs | tar --null -T - -cf - | tar -C "$ctx" -xf -
ln "$deps" "$ctx/node_modules.tar" 2>/dev/null || cp "$deps" "$ctx/node_modules.tar"
step "building $IMAGE"
# MODEL_ENVS=none: a controller on the kubernetes backend runs models in Jobs, not in its own pod
docker build -q --build-arg "BASE_IMAGE=$NODE_BASE" --build-arg MODEL_ENVS=none --label "io.multiverse.build-hash=$hash" \
  -f "$ctx/Dockerfile.controller" -t "$IMAGE" "$ctx" 2> >(grep -v -E "DEPRECATED|legacy builder|buildx|docs.docker.com/go/buildx|^\s*$" >&2) >/dev/null
step "built $IMAGE"
