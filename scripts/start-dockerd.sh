#!/usr/bin/env bash
# Starts a Docker engine when none answers (CI and fresh machines have the client only).
set -euo pipefail
if docker info >/dev/null 2>&1; then
  exit 0
fi
command -v dockerd >/dev/null || { echo "dockerd is not installed (apt-get install docker.io)" >&2; exit 2; }
echo "starting dockerd"
mkdir -p /var/log
nohup dockerd >/var/log/multiverse-dockerd.log 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    echo "dockerd is up"
    exit 0
  fi
  sleep 1
done
echo "dockerd did not come up; see /var/log/multiverse-dockerd.log" >&2
tail -20 /var/log/multiverse-dockerd.log >&2 || true
exit 1
