#!/usr/bin/env bash
# The main job: set up, then run the demo benchmark (manifests/demo/) and show where the bundles are.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
OUT="${1:-out/demo}"
set +e
node bin/multiverse.js run --manifest manifests/demo/run_manifest.yaml --output "$OUT"
status=$?
set -e
echo
node bin/multiverse.js get runs --output "$OUT" -o wide
echo
echo "UMAP images (the latent space coloured by cell type):"
find "$OUT/store/artifacts" -name umap.png 2>/dev/null | sort | sed 's/^/  /'
exit $status
