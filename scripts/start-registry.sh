#!/usr/bin/env bash
# Starts a real OCI registry (Debian's docker-registry, distribution 2.8) on the loopback unless one already answers
# on the port, and waits for /v2/. Idempotent. Prints the registry's host:port on stdout. Docker treats registries
# on 127.0.0.0/8 as insecure (plain HTTP) by default, so no daemon configuration is needed to push and pull.
#   MULTIVERSE_REGISTRY_PORT (25001)   MULTIVERSE_REGISTRY_DIR (/var/lib/multiverse/registry: config.yml, data/,
#   registry.log, registry.pid)
set -euo pipefail
source "$(dirname "$0")/lib/await-service.sh"
PORT="${MULTIVERSE_REGISTRY_PORT:-25001}"
DIR="${MULTIVERSE_REGISTRY_DIR:-/var/lib/multiverse/registry}"
ADDR="127.0.0.1:${PORT}"

answers() { curl -sf --max-time 2 "http://$ADDR/v2/" >/dev/null 2>&1; }

if answers; then
  echo "$ADDR"
  exit 0
fi
command -v docker-registry >/dev/null || { echo "start-registry: docker-registry missing; apt-get install docker-registry (scripts/setup.sh does)" >&2; exit 2; }
mkdir -p "$DIR/data"
cat >"$DIR/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $DIR/data
  delete:
    enabled: true
http:
  addr: $ADDR
YAML
echo "start-registry: starting docker-registry on $ADDR (data in $DIR/data)" >&2
setsid nohup docker-registry serve "$DIR/config.yml" >"$DIR/registry.log" 2>&1 &
echo $! >"$DIR/registry.pid"
await_service start-registry "$DIR/registry.pid" "$DIR/registry.log" 60 0.5 answers || exit 1
echo "$ADDR"
