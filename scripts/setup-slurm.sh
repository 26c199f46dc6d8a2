#!/usr/bin/env bash
# Installs and configures a single-node Slurm cluster on this host (Debian's slurm-wlm, slurm-client and munge):
# the packages when missing, a munge key, and multiverse's own /etc/slurm/slurm.conf for this machine (its real CPU
# count and memory from `slurmd -C`). It does not start anything: scripts/start-slurm.sh does, and runs this first.
#
# The config is ours: a different one found in /etc/slurm (hand-written, or the package's) is kept once as
# slurm.conf.before-multiverse and replaced. Plugins that work without cgroups (containers, CI machines):
# proctrack/linuxproc, task/none; jobacct_gather/linux with OverMemoryKill, so a job above its --mem is killed and
# ends OUT_OF_MEMORY; no accounting database (sacct answers "disabled"; the executor reads the exit code file).
#
# Prints "changed" on the last line when it wrote a new slurm.conf, "unchanged" otherwise.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
CONF_DIR="${SLURM_CONF_DIR:-/etc/slurm}"

missing=()
for pkg in slurm-wlm slurm-client munge; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# munge: one key for this host (a single-node cluster shares it with nobody).
if [ ! -s /etc/munge/munge.key ]; then
  $SUDO mkdir -p /etc/munge
  $SUDO dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
fi
$SUDO mkdir -p /run/munge /var/log/munge /var/lib/munge
$SUDO chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge
$SUDO chmod 0400 /etc/munge/munge.key
$SUDO chmod 0755 /run/munge

host="$(hostname -s)"
node="$(slurmd -C | head -1)"
cpus="$(echo "$node" | sed -E 's/.*CPUs=([0-9]+).*/\1/')"
boards="$(echo "$node" | sed -E 's/.*Boards=([0-9]+).*/\1/')"
sockets="$(echo "$node" | sed -E 's/.*SocketsPerBoard=([0-9]+).*/\1/')"
cores="$(echo "$node" | sed -E 's/.*CoresPerSocket=([0-9]+).*/\1/')"
threads="$(echo "$node" | sed -E 's/.*ThreadsPerCore=([0-9]+).*/\1/')"
memory="$(echo "$node" | sed -E 's/.*RealMemory=([0-9]+).*/\1/')"
memory=$((memory * 9 / 10))  # leave the host some room
for value in "$cpus" "$boards" "$sockets" "$cores" "$threads" "$memory"; do
  [[ "$value" =~ ^[0-9]+$ ]] || { echo "cannot read this node's hardware from slurmd -C: $node" >&2; exit 1; }
done

$SUDO mkdir -p "$CONF_DIR" /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
wanted="$(cat <<CONF
# Written by multiverse scripts/setup-slurm.sh: a single-node cluster on this host. Edits are replaced.
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
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=2
JobAcctGatherParams=OverMemoryKill
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# A job without --mem gets its CPUs' share of the node, not the whole node (Slurm's default), so such jobs share it.
DefMemPerCPU=$((memory / cpus))
ReturnToService=2
MpiDefault=none
MinJobAge=300
KillWait=5
InactiveLimit=0
SlurmdTimeout=60
NodeName=${host} CPUs=${cpus} Boards=${boards} SocketsPerBoard=${sockets} CoresPerSocket=${cores} ThreadsPerCore=${threads} RealMemory=${memory} State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF
)"
conf="$CONF_DIR/slurm.conf"
if [ -f "$conf" ] && [ "$(cat "$conf")" = "$wanted" ]; then
  echo "unchanged"
  exit 0
fi
if [ -f "$conf" ] && ! head -1 "$conf" | grep -q "^# Written by multiverse" && [ ! -f "$conf.before-multiverse" ]; then
  $SUDO cp -p "$conf" "$conf.before-multiverse"
  echo "kept the existing $conf as $conf.before-multiverse" >&2
fi
printf '%s\n' "$wanted" | $SUDO tee "$conf.tmp" >/dev/null
$SUDO mv "$conf.tmp" "$conf"
echo "changed"
