#!/usr/bin/env bash
# Installs a pinned uv (PyPI package `uv`, a static binary in a wheel) into a small virtual environment of its own.
# `multiverse models setup` creates the local executor's model environments with it: one shared cache under the
# envs root, hardlinked into every environment, so environments that pin the same torch share its files.
# Idempotent: a venv that already has this version is left alone. Override the location with MULTIVERSE_UV_VENV
# (multiverse finds uv there, or wherever MULTIVERSE_UV points).
set -euo pipefail
VENV="${MULTIVERSE_UV_VENV:-/opt/multiverse/uv-venv}"
PYTHON="${PYTHON:-python3}"
UV_PIN="uv==0.13.9"

if [ -x "$VENV/bin/uv" ] && [ "$("$VENV/bin/uv" --version 2>/dev/null | cut -d' ' -f2)" = "${UV_PIN#uv==}" ]; then
  echo "uv ${UV_PIN#uv==} already installed in $VENV"
  exit 0
fi
command -v "$PYTHON" >/dev/null || { echo "setup-uv: $PYTHON not found (install python3 and python3-venv)" >&2; exit 2; }
echo "installing $UV_PIN into $VENV"
mkdir -p "$(dirname "$VENV")"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$UV_PIN"
"$VENV/bin/uv" --version
