#!/usr/bin/env bash
# Installs a pinned MLflow tracking server into its own virtual environment (idempotent: a venv that already
# has the pinned version is left alone). The server is a projection target only; multiverse itself never
# imports it. Override the location with MULTIVERSE_MLFLOW_VENV.
set -euo pipefail
MLFLOW_VERSION="${MULTIVERSE_MLFLOW_VERSION:-3.17.2}"
VENV="${MULTIVERSE_MLFLOW_VENV:-/opt/multiverse/mlflow-venv}"
PYTHON="${PYTHON:-python3}"

if [ -x "$VENV/bin/mlflow" ] && [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("mlflow"))' 2>/dev/null)" = "$MLFLOW_VERSION" ]; then
  echo "mlflow $MLFLOW_VERSION already installed in $VENV"
  exit 0
fi
command -v "$PYTHON" >/dev/null || { echo "setup-mlflow: $PYTHON not found (install python3 and python3-venv)" >&2; exit 2; }
echo "installing mlflow $MLFLOW_VERSION into $VENV"
mkdir -p "$(dirname "$VENV")"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "mlflow==$MLFLOW_VERSION"
"$VENV/bin/mlflow" --version
