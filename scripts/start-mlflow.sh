#!/usr/bin/env bash
# Starts an MLflow tracking server (SQLite backend, artifacts served through the server's proxy) unless one
# already answers on the port, and waits for /health. Idempotent. Prints the tracking URI on stdout.
#   MULTIVERSE_MLFLOW_HOST (127.0.0.1)  MULTIVERSE_MLFLOW_PORT (25000)
#   MULTIVERSE_MLFLOW_DIR (/var/lib/multiverse/mlflow: mlflow.db, artifacts/, server.log, server.pid)
#   MULTIVERSE_MLFLOW_VENV (/opt/multiverse/mlflow-venv, made by scripts/setup-mlflow.sh)
# Containers reach a loopback-bound server only with --host set to an address on the Docker bridge (or 0.0.0.0);
# the allowed Host headers include host.docker.internal for them.
set -euo pipefail
source "$(dirname "$0")/lib/await-service.sh"
HOST="${MULTIVERSE_MLFLOW_HOST:-127.0.0.1}"
PORT="${MULTIVERSE_MLFLOW_PORT:-25000}"
DIR="${MULTIVERSE_MLFLOW_DIR:-/var/lib/multiverse/mlflow}"
VENV="${MULTIVERSE_MLFLOW_VENV:-/opt/multiverse/mlflow-venv}"
ALLOWED_HOSTS="${MULTIVERSE_MLFLOW_ALLOWED_HOSTS:-localhost,localhost:*,127.0.0.1,127.0.0.1:*,host.docker.internal,host.docker.internal:*,10.*,172.*,192.168.*}"
URI="http://${HOST}:${PORT}"
[ "$HOST" = "0.0.0.0" ] && URI="http://127.0.0.1:${PORT}"

healthy() { curl -sf --max-time 2 "$URI/health" >/dev/null 2>&1; }

if healthy; then
  echo "$URI"
  exit 0
fi
[ -x "$VENV/bin/mlflow" ] || { echo "start-mlflow: $VENV/bin/mlflow missing; run scripts/setup-mlflow.sh first" >&2; exit 2; }
mkdir -p "$DIR/artifacts"
echo "start-mlflow: starting mlflow server on $HOST:$PORT (data in $DIR)" >&2
# its own process group, so that `kill -- -$(cat server.pid)` stops the server and its workers
setsid nohup "$VENV/bin/mlflow" server \
  --backend-store-uri "sqlite:///$DIR/mlflow.db" \
  --artifacts-destination "$DIR/artifacts" \
  --host "$HOST" --port "$PORT" --workers 1 \
  --allowed-hosts "$ALLOWED_HOSTS" \
  >"$DIR/server.log" 2>&1 &
echo $! >"$DIR/server.pid"
await_service start-mlflow "$DIR/server.pid" "$DIR/server.log" 120 1 healthy || exit 1
echo "$URI"
