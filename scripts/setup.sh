#!/usr/bin/env bash
# Idempotent set-up of a fresh machine: system packages, Node dependencies, the Docker engine, local images,
# the compiled CLI and the demo datasets. Fast on a warm machine: every step checks before it works.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

APT_PACKAGES=(docker.io mmdebstrap python3-h5py python3-numpy bubblewrap ca-certificates)
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

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing node dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi

./scripts/start-dockerd.sh
./scripts/build-images.sh
# A single-node Slurm cluster (slurm-wlm + munge) for the Slurm executor's tests.
./scripts/start-slurm.sh
# Pinned MLflow (the tracking server the projection tests start) and Optuna (the sweep bridge), each in its own venv.
./scripts/setup-mlflow.sh
./scripts/setup-optuna.sh
npm run --silent build

# The worker SDK's tests and the dataset conversion run on the host Python; numpy and h5py come from PyPI.
python3 -c "import numpy, h5py, pytest" 2>/dev/null || python3 -m pip install -q --disable-pip-version-check numpy h5py pytest
node dist/src/tools/make-demo-data.js data/generated
# pbmc68k-reduced: the real PBMC subset scanpy ships in its wheel (fetched from PyPI once, then cached).
[ -f data/generated/pbmc68k-reduced.h5mu ] || (cd worker && python3 -m multiverse.datasets.pbmc68k_reduced ../data/generated/pbmc68k-reduced.h5mu)
# The local executor's model environments (pinned requirements, from PyPI; up-to-date ones are kept), made by a pinned
# uv from one cache hardlinked into every environment: multivi and totalvi share their torch and scvi-tools files,
# mowgli brings an older torch. cobolt cannot be installed from PyPI (see its model.yaml).
./scripts/setup-uv.sh
for model in pca mofa multivi totalvi mowgli; do node bin/multiverse.js models setup "$model" >/dev/null; done
