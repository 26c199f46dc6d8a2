#!/usr/bin/env bash
# The scib evaluator's environment for the local executor, made like a model's (`multiverse models setup`,
# src/executors/local/model-envs.ts): <envs>/scib-evaluator-1.0.0 ($MULTIVERSE_ENVS_DIR, default ~/.multiverse/envs)
# from store/evaluators/scib/container/requirements.txt with the pinned uv (scripts/setup-uv.sh) and the shared,
# hardlinked uv cache under the envs root; then numba's functions are compiled once into <env>/numba-cache and the
# environment record (multiverse-env.json, the same shape as the models') is written. Idempotent: an environment
# whose record names the same requirements hash is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
ENVS="${MULTIVERSE_ENVS_DIR:-$HOME/.multiverse/envs}"
SLUG=scib-evaluator
VERSION=1.0.0
DIR="$ENVS/$SLUG-$VERSION"
EVALUATOR=store/evaluators/scib
REQUIREMENTS="$EVALUATOR/container/requirements.txt"
PYTHON="${PYTHON:-python3}"
SHA="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"

if [ -f "$DIR/multiverse-env.json" ] && grep -q "\"requirementsSha256\": \"$SHA\"" "$DIR/multiverse-env.json"; then
  echo "environment $DIR is up to date"
  exit 0
fi
./scripts/setup-uv.sh >/dev/null
UV="${MULTIVERSE_UV:-${MULTIVERSE_UV_VENV:-/opt/multiverse/uv-venv}/bin/uv}"
export UV_CACHE_DIR="$ENVS/.uv-cache" UV_LINK_MODE=hardlink UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 UV_NO_PROGRESS=1
mkdir -p "$ENVS"
started=$(date +%s)
echo "creating $DIR with $("$UV" --version) (shared cache $UV_CACHE_DIR, hardlinked)" >&2
rm -f "$DIR/multiverse-env.json"
"$UV" venv --quiet --clear --python "$PYTHON" "$DIR"
"$UV" pip install --quiet --python "$DIR/bin/python3" -r "$REQUIREMENTS"
echo "compiling numba's functions once (pynndescent, umap-learn) into $DIR/numba-cache" >&2
(cd "$EVALUATOR/container" && NUMBA_CACHE_DIR="$DIR/numba-cache" JAX_PLATFORMS=cpu "$DIR/bin/python3" -m scib_eval.warm)
PY_VERSION="$("$DIR/bin/python3" -c 'import sys; print(sys.version.split()[0])')"
cat > "$DIR/multiverse-env.json" <<JSON
{
  "slug": "$SLUG",
  "version": "$VERSION",
  "python": "$PY_VERSION",
  "requirementsSha256": "$SHA",
  "createdAt": "$(date -u +%Y-%m-%dT%H:%M:%S.000Z)",
  "installer": "$("$UV" --version | cut -d' ' -f1-2)"
}
JSON
echo "environment $DIR ready in $(( $(date +%s) - started )) s ($(du -sh "$DIR" | cut -f1) on disk, files hardlinked from the uv cache)" >&2
