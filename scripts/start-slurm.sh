#!/usr/bin/env bash
# A real single-node Slurm cluster on this host (Debian's slurm-wlm and munge), for the Slurm executor's tests:
# munged, slurmctld and slurmd, one partition holding this machine. Idempotent: a running cluster is left alone.
# Writes its own slurm.conf (no cgroups, no accounting database: proctrack/linuxproc, task/none).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

missing=()
for pkg in slurm-wlm munge; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
  echo "slurm is up: $(sinfo -h -o '%P %D %T' | tr '\n' ' ')"
  exit 0
fi

# munge: a key, then the daemon.
if [ ! -s /etc/munge/munge.key ]; then
  $SUDO mkdir -p /etc/munge
  $SUDO dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
fi
$SUDO mkdir -p /run/munge /var/log/munge /var/lib/munge
$SUDO chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge
$SUDO chmod 0400 /etc/munge/munge.key
$SUDO chmod 0755 /run/munge
if ! pgrep -x munged >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then runuser -u munge -- munged; else sudo -u munge munged; fi
fi

host="$(hostname -s)"
node="$(slurmd -C | head -1)"
cpus="$(echo "$node" | sed -E 's/.*CPUs=([0-9]+).*/\1/')"
memory="$(echo "$node" | sed -E 's/.*RealMemory=([0-9]+).*/\1/')"
memory=$((memory * 9 / 10))  # leave the host some room
$SUDO mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
$SUDO tee /etc/slurm/slurm.conf >/dev/null <<CONF
# Written by multiverse scripts/start-slurm.sh: a single-node cluster for tests.
ClusterName=multiverse
SlurmctldHost=${host}
SlurmUser=root
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
MinJobAge=300
KillWait=5
InactiveLimit=0
SlurmdTimeout=60
NodeName=${host} CPUs=${cpus} RealMemory=${memory} State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF
pgrep -x slurmctld >/dev/null || $SUDO slurmctld
pgrep -x slurmd >/dev/null || $SUDO slurmd
for _ in $(seq 1 60); do
  if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
    $SUDO scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 || true
    echo "slurm is up: $(sinfo -h -o '%P %D %T' | tr '\n' ' ')"
    exit 0
  fi
  sleep 1
done
echo "slurm did not come up; see /var/log/slurm/slurmctld.log and slurmd.log" >&2
sinfo >&2 || true
exit 1
