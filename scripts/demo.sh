#!/usr/bin/env bash
# The first command: set up what the demo needs (scripts/setup-demo.sh: bubblewrap, the pca and mofa
# environments, the dataset, the compiled CLI), run the demo benchmark (manifests/demo/) on the local executor,
# and say where to look. Usage: ./scripts/demo.sh [OUT]   (default out/demo)
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
./scripts/setup-demo.sh
OUT="${1:-out/demo}"
multiverse() { node bin/multiverse.js "$@"; }
set +e
multiverse run --manifest manifests/demo/run_manifest.yaml --output "$OUT"
status=$?
set -e
echo
multiverse get runs --output "$OUT" -o wide
echo
echo "demo finished in $((SECONDS - started)) s (exit $status). Where to look:"
umaps=$(find "$OUT/store/artifacts" -name umap.png 2>/dev/null | sort)
if [ -n "$umaps" ]; then
  echo "  UMAP of each run's latent space, coloured by cell type:"
  printf '%s\n' "$umaps" | sed 's/^/    /'
fi
if multiverse serve --help >/dev/null 2>&1; then
  echo "  the dashboard (run matrix, run details, UMAPs, logs), then open the address it prints:"
  echo "    node bin/multiverse.js serve --state-root $OUT"
fi
echo "  one run in detail:  node bin/multiverse.js describe run <RUN ID> --output $OUT"
echo "  a bundle's files:   sha256sum -c <bundle>/artifact_manifest.sha256"
echo "  shell completion:   source <(node bin/multiverse.js completion bash)   (with multiverse on PATH: npm link)"
exit $status
