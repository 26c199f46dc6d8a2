#!/usr/bin/env bash
# A real single-node Slurm cluster on this host (Debian's slurm-wlm and munge), for the Slurm executor's tests:
# munged, slurmctld and slurmd, one partition holding this machine. Idempotent: scripts/setup-slurm.sh installs
# and writes multiverse's own slurm.conf; daemons that already run are kept, and restarted only when that config
# changed (including a cluster that was running someone else's config). Waits until the node is idle.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

changed="$(./scripts/setup-slurm.sh | tail -1)"

if ! pgrep -x munged >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then runuser -u munge -- munged; else sudo -u munge munged; fi
fi

stop_daemon() {
  local name="$1" pid
  for pid in $(pgrep -x "$name" || true); do $SUDO kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 50); do pgrep -x "$name" >/dev/null || return 0; sleep 0.2; done
  echo "$name did not stop" >&2
  return 1
}
if [ "$changed" = "changed" ]; then
  # Running jobs survive: slurmctld keeps its state in StateSaveLocation, slurmstepd outlives slurmd.
  stop_daemon slurmd
  stop_daemon slurmctld
fi
pgrep -x slurmctld >/dev/null || $SUDO slurmctld
pgrep -x slurmd >/dev/null || $SUDO slurmd

host="$(hostname -s)"
for _ in $(seq 1 60); do
  state="$(sinfo -h -n "$host" -o '%T' 2>/dev/null | head -1 || true)"
  case "$state" in
    idle | mixed | allocated | completing)
      echo "slurm is up: $(sinfo -h -o '%P %D %T' | tr '\n' ' ')"
      exit 0
      ;;
    down* | drain* | drained*)
      # ReturnToService=2 brings a registered node back by itself; one that was marked down by hand needs this.
      $SUDO scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 || true
      ;;
  esac
  sleep 1
done
echo "slurm did not come up; see /var/log/slurm/slurmctld.log and slurmd.log" >&2
sinfo >&2 || true
exit 1
