#!/usr/bin/env bash
# What the demo needs and nothing more: bubblewrap (the local executor's sandbox), the Node dependencies
# (scripts/install-node-deps.sh: better-sqlite3 compiled once per machine), the compiled CLI, the pbmc68k-reduced dataset and the pca and mofa environments. No Docker engine or images, no
# Slurm, MLflow or Optuna, no other model environment: scripts/setup.sh runs this first, then sets those up.
# Idempotent: every step checks before it works, so a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
started=$SECONDS
step() { printf '[setup-demo +%ss] %s\n' "$((SECONDS - started))" "$*"; }

# python3-venv and python3-pip: `multiverse models setup` makes a venv per model and installs its pinned
# requirements with pip; python3-h5py and python3-numpy convert the dataset on the host.
APT_PACKAGES=(bubblewrap python3-venv python3-pip python3-h5py python3-numpy ca-certificates)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  step "installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "installing node dependencies"
  ./scripts/install-node-deps.sh
fi
# The demo needs the CLI alone (src, controllers, reconcilers: tsconfig.cli.json), emitted without the type check
# (--noCheck: the same JavaScript; types are checked by every full build, the lint and CI). scripts/setup.sh asks
# for the tests and benches too, type-checked (MULTIVERSE_BUILD=all). Compiled again only when a source changed
# since the last good build of that extent (its stamp is written after it).
if [ "${MULTIVERSE_BUILD:-cli}" = all ]; then
  build=(-p tsconfig.json); build_project=tsconfig.json; stamp=dist/.build-stamp; sources=(src controllers reconcilers test bench)
else
  build=(-p tsconfig.cli.json --noCheck); build_project=tsconfig.cli.json; stamp=dist/.cli-build-stamp; sources=(src controllers reconcilers)
fi
if [ ! -f "$stamp" ] || [ -n "$(find "${sources[@]}" bin "$build_project" tsconfig.json package.json package-lock.json -newer "$stamp" -print -quit)" ]; then
  step "compiling the CLI ($build_project)"
  npx tsc "${build[@]}"
  touch "$stamp"
  if [ "$stamp" = dist/.build-stamp ]; then touch dist/.cli-build-stamp; fi  # a full build includes the CLI
fi

python3 -c "import numpy, h5py" 2>/dev/null || python3 -m pip install -q --disable-pip-version-check numpy h5py
# pbmc68k-reduced: the real PBMC subset scanpy ships in its wheel (fetched from PyPI once, then cached).
# Converted again when the file predates the gem_group column (the 10x GEM group of each barcode: the batch key).
if [ ! -f data/generated/pbmc68k-reduced.h5mu ] || ! python3 -c "import sys, h5py; sys.exit(0 if 'gem_group' in h5py.File(sys.argv[1], 'r')['obs'] else 1)" data/generated/pbmc68k-reduced.h5mu 2>/dev/null; then
  step "converting pbmc68k-reduced (scanpy's wheel from PyPI) to data/generated/pbmc68k-reduced.h5mu"
  mkdir -p data/generated
  (cd worker && python3 -m multiverse.datasets.pbmc68k_reduced ../data/generated/pbmc68k-reduced.h5mu)
fi

# The two models of the demo, each in its own environment from its pinned requirements ($MULTIVERSE_ENVS_DIR,
# default ~/.multiverse/envs); an up-to-date environment is kept. Progress goes to stderr.
./scripts/setup-uv.sh  # the pinned uv that makes them (from one hardlinked cache)
for model in pca mofa; do
  step "model environment: $model"
  node bin/multiverse.js models setup "$model" >/dev/null
done
step "ready for the demo"
