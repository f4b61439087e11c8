#!/usr/bin/env bash
# A real Slurm on this one host, for tests/test_slurm.py and for trying docs/slurm-array.sh by hand:
# munged, slurmctld and two slurmd (nodes n1 and n2, one CPU each, on ports 17001 and 17002) in
# one partition, `debug`. Needs root (Debian/Ubuntu: installs munge and slurm-wlm if missing).
#
#   sudo .ci/slurm-cluster.sh start     # install if needed, start, wait until both nodes are idle
#   sudo .ci/slurm-cluster.sh status    # sinfo, or why it is not up
#   sudo .ci/slurm-cluster.sh stop      # stop the daemons, remove the configuration and state
#
# Everything it writes is /etc/slurm/slurm.conf, /etc/slurm/cgroup.conf and the folder $STATE
# (state, spool, logs, pid files); `stop` removes all of it, and the munge key if `start` made it.
# It refuses to start where a slurm.conf it did not write exists (a real cluster's).
set -euo pipefail

STATE=/var/lib/labtools-slurm
CONF=/etc/slurm/slurm.conf
CGROUP_CONF=/etc/slurm/cgroup.conf
MARK="# written by labtools .ci/slurm-cluster.sh"
NODES=(n1 n2)
WAIT_S=${SLURM_CLUSTER_WAIT_S:-120}

say() { echo "slurm-cluster: $*" >&2; }

install_if_missing() {
  command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null \
    && command -v sbatch >/dev/null && return 0
  command -v apt-get >/dev/null || { say "slurm is not installed and there is no apt-get"; return 1; }
  say "installing munge and slurm-wlm"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    munge slurm-wlm slurm-client >/dev/null
}

write_config() {
  local host mem_mb
  host=$(hostname -s)
  # each node offers just under half of this host's memory: both fit at once, as two machines would
  mem_mb=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.45 }' /proc/meminfo)
  mkdir -p /etc/slurm "$STATE/ctld" "$STATE/log" "${NODES[@]/#/$STATE/spool-}"
  cat >"$CONF" <<EOF
$MARK
ClusterName=labtools
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
# a requeued job may start again once its credential expired: 10 s here (default 120)
AuthInfo=cred_expire=10
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool-%n
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd-%n.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd-%n.log
SlurmctldPort=6817
MpiDefault=none
# cgroups: the job's processes are tracked and its memory (--mem) limited, on cgroup v1 or v2
ProctrackType=proctrack/cgroup
TaskPlugin=task/cgroup
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
# a node an admin set DOWN stays down until: scontrol update NodeName=n2 State=RESUME
ReturnToService=1
JobRequeue=1
SlurmdTimeout=30
MinJobAge=600
# two nodes on this host: one slurmd each (slurmd -N n1), told apart by their port
NodeName=n1 NodeHostname=$host NodeAddr=127.0.0.1 Port=17001 CPUs=1 RealMemory=$mem_mb State=UNKNOWN
NodeName=n2 NodeHostname=$host NodeAddr=127.0.0.1 Port=17002 CPUs=1 RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=n[1-2] Default=YES MaxTime=INFINITE State=UP
EOF
  # both "nodes" share this host's cores: no core pinning, else each would pin its task to core 0
  cat >"$CGROUP_CONF" <<EOF
$MARK
CgroupPlugin=autodetect
ConstrainCores=no
ConstrainRAMSpace=yes
ConstrainSwapSpace=no
ConstrainDevices=no
IgnoreSystemd=yes
EOF
}

is_ours() { [ ! -e "$CONF" ] || head -1 "$CONF" | grep -qxF "$MARK"; }

start() {
  [ "$(id -u)" = 0 ] || { say "needs root"; exit 1; }
  is_ours || { say "$CONF exists and is not ours: this host has a Slurm of its own"; exit 1; }
  if [ -s "$STATE/slurmctld.pid" ] && kill -0 "$(cat "$STATE/slurmctld.pid")" 2>/dev/null; then
    say "already running"
    sinfo -N
    return 0
  fi
  install_if_missing
  write_config
  if ! pgrep -x munged >/dev/null; then
    if [ ! -s /etc/munge/munge.key ]; then
      dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
      touch "$STATE/made-munge-key"
    fi
    chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
    if [ ! -d /run/munge ]; then
      mkdir /run/munge && chown munge:munge /run/munge && touch "$STATE/made-run-munge"
    fi
    su -s /bin/sh munge -c munged
    touch "$STATE/started-munged"
  fi
  slurmctld -f "$CONF"
  for node in "${NODES[@]}"; do
    slurmd -f "$CONF" -N "$node"
  done
  local deadline=$((SECONDS + WAIT_S))
  until [ "$(sinfo -h -N -t idle -o %N 2>/dev/null | sort -u | wc -l)" = "${#NODES[@]}" ]; do
    if [ $SECONDS -ge $deadline ]; then
      say "the nodes are not idle after ${WAIT_S} s:"
      sinfo -N -l >&2 || true
      tail -n 5 "$STATE"/log/*.log >&2 || true
      exit 1
    fi
    sleep 0.5
  done
  sinfo -N
}

stop_pidfile() { # stop the daemon whose pid is in $1; wait until it is gone
  local pid
  [ -s "$1" ] || return 0
  pid=$(cat "$1")
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

stop() {
  [ "$(id -u)" = 0 ] || { say "needs root"; exit 1; }
  is_ours || { say "$CONF is not ours: leaving this host's Slurm alone"; exit 1; }
  if [ -e "$CONF" ]; then
    scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
  fi
  for node in "${NODES[@]}"; do stop_pidfile "$STATE/slurmd-$node.pid"; done
  stop_pidfile "$STATE/slurmctld.pid"
  if [ -e "$STATE/started-munged" ]; then
    stop_pidfile /run/munge/munged.pid
  fi
  if [ -e "$STATE/made-munge-key" ]; then
    rm -f /etc/munge/munge.key
  fi
  if [ -e "$STATE/made-run-munge" ]; then
    rm -rf /run/munge
  fi
  # the jobs' cgroups (slurmd removes them as jobs end; an interrupted one can leave them behind)
  for group in /sys/fs/cgroup/slurm_n[0-9]* /sys/fs/cgroup/*/slurm_n[0-9]*; do
    if [ -d "$group" ]; then find "$group" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
  done
  rm -rf "$STATE" "$CONF" "$CGROUP_CONF"
  say "stopped"
}

status() {
  if [ ! -e "$CONF" ]; then say "not started"; exit 1; fi
  sinfo -N
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
