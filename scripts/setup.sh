#!/usr/bin/env bash
# Idempotent set-up of a fresh machine for everything, tests included: what the demo needs (setup-demo.sh), then
# the Docker engine and the local images, a Slurm cluster, MLflow, Optuna, the test datasets and the other model
# environments. Fast on a warm machine: every step checks before it works.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

# The tests and benches are compiled with the CLI here (the demo alone compiles the CLI).
MULTIVERSE_BUILD=all ./scripts/setup-demo.sh

# chromium: the dashboard's browser test (driven by playwright-core, which downloads no browser); docker-registry: a
# real OCI registry for the image provenance tests (scripts/start-registry.sh).
APT_PACKAGES=(docker.io mmdebstrap chromium docker-registry)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

./scripts/start-dockerd.sh
./scripts/build-images.sh
# The single-node Kubernetes test cluster (scripts/run-tests.mjs kubernetes): built once from the Go module proxy
# (about 20 minutes cold, cached under ~/.cache/multiverse-k8s), started, and given the images its pods run.
k8s_started=$SECONDS
./scripts/setup-k8s.sh
./scripts/start-k8s.sh
./scripts/build-controller-image.sh
./scripts/k8s-import-image.sh multiverse-pca:1.0.0 multiverse-mofa:1.0.0 multiverse-contract-test:dev multiverse-controller:0.1.0
echo "kubernetes test cluster ready in $((SECONDS - k8s_started)) s"
# A single-node Slurm cluster (slurm-wlm + munge) for the Slurm executor's tests.
./scripts/start-slurm.sh
# Pinned MLflow (the tracking server the projection tests start) and Optuna (the sweep bridge), each in its own venv.
./scripts/setup-mlflow.sh
./scripts/setup-optuna.sh

# The worker SDK's tests run on the host Python; pytest comes from PyPI.
python3 -c "import pytest" 2>/dev/null || python3 -m pip install -q --disable-pip-version-check pytest
# The synthetic test datasets (small, seeded).
node dist/src/tools/make-demo-data.js data/generated
# The local executor's other model environments, made by uv (scripts/setup-demo.sh installed it) from one cache
# hardlinked into every environment: multivi and totalvi share their torch and scvi-tools files (about 6 GB), mowgli
# brings an older torch. cobolt cannot be installed from PyPI (see its model.yaml).
for model in multivi totalvi mowgli; do node bin/multiverse.js models setup "$model" >/dev/null; done
# The scib evaluator's environment (scib-metrics, jax; store/evaluators/scib), made the same way.
./scripts/setup-evaluator.sh
