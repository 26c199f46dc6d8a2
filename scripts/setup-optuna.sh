#!/usr/bin/env bash
# Installs a pinned Optuna (and its pinned dependencies) into its own virtual environment for the sweep bridge
# (scripts/optuna_bridge.py). Idempotent: a venv that already has exactly these versions is left alone.
# Override the location with MULTIVERSE_OPTUNA_VENV (multiverse finds it there, or via MULTIVERSE_OPTUNA_PYTHON).
set -euo pipefail
VENV="${MULTIVERSE_OPTUNA_VENV:-/opt/multiverse/optuna-venv}"
PYTHON="${PYTHON:-python3}"
# Optuna 5.0.0 and the versions of its dependencies it was tested with here (pip freeze of a clean install).
PINS=(
  optuna==5.0.0
  alembic==1.20.1
  colorlog==6.12.0
  Mako==1.4.3
  MarkupSafe==3.0.4
  numpy==2.4.6
  packaging==26.3
  PyYAML==6.0.3
  SQLAlchemy==2.1.9
  tqdm==4.70.1
  typing_extensions==4.16.0
)

installed() {
  [ -x "$VENV/bin/python" ] || return 1
  local frozen
  frozen="$("$VENV/bin/python" -m pip freeze --disable-pip-version-check 2>/dev/null)" || return 1
  for pin in "${PINS[@]}"; do
    grep -qixF "$pin" <<<"$frozen" || return 1
  done
}

if installed; then
  echo "optuna ${PINS[0]#optuna==} already installed in $VENV"
  exit 0
fi
command -v "$PYTHON" >/dev/null || { echo "setup-optuna: $PYTHON not found (install python3 and python3-venv)" >&2; exit 2; }
echo "installing ${PINS[0]} into $VENV"
mkdir -p "$(dirname "$VENV")"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}"
"$VENV/bin/python" -c 'import optuna; print("optuna", optuna.__version__)'
