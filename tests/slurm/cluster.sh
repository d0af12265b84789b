#!/bin/bash
# cluster.sh -- a private single-node Slurm for the tests (sourced).
#   slurm_start DIR   start munged (if not running), slurmctld and slurmd with a
#                     configuration in DIR; exports SLURM_CONF
#   slurm_stop        stop what slurm_start started, by pid
# Nothing is assumed to be running beforehand; nothing else is touched.

slurm_start() {
  SLURM_DIR=$1
  mkdir -p "$SLURM_DIR"/{state,spool,log}
  local host cpus
  host=$(hostname -s)
  cpus=$(nproc)
  cat > "$SLURM_DIR/slurm.conf" <<CONF
ClusterName=ckrtest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool
SlurmctldPidFile=$SLURM_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_DIR/log/slurmd.log
SlurmctldPort=${SLURM_TEST_PORT:-16817}
SlurmdPort=$(( ${SLURM_TEST_PORT:-16817} + 1 ))
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
JobRequeue=1
MinJobAge=600
KillWait=30
InactiveLimit=0
NodeName=$host CPUs=$cpus RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
  export SLURM_CONF=$SLURM_DIR/slurm.conf
  MUNGE_PID=""
  if ! pgrep -x munged >/dev/null; then
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge: /run/munge /var/log/munge /var/lib/munge 2>/dev/null
    [ -f /etc/munge/munge.key ] || { mungekey -c 2>/dev/null || /usr/sbin/create-munge-key -f; chown munge: /etc/munge/munge.key; }
    runuser -u munge -- /usr/sbin/munged || return 1
    sleep 0.5
    MUNGE_PID=$(cat /run/munge/munged.pid 2>/dev/null)
  fi
  slurmctld -D -f "$SLURM_CONF" > "$SLURM_DIR/log/slurmctld.out" 2>&1 &
  SLURMCTLD_PID=$!
  sleep 1
  slurmd -D -f "$SLURM_CONF" > "$SLURM_DIR/log/slurmd.out" 2>&1 &
  SLURMD_PID=$!
  local i
  for i in $(seq 1 60); do
    if sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then return 0; fi
    sleep 1
  done
  echo "slurm did not come up; logs in $SLURM_DIR/log" >&2
  tail -20 "$SLURM_DIR/log/"*.log >&2
  return 1
}

slurm_stop() {
  [ -n "${SLURMD_PID:-}" ] && kill "$SLURMD_PID" 2>/dev/null
  [ -n "${SLURMCTLD_PID:-}" ] && kill "$SLURMCTLD_PID" 2>/dev/null
  [ -n "${SLURMD_PID:-}" ] && wait "$SLURMD_PID" 2>/dev/null
  [ -n "${SLURMCTLD_PID:-}" ] && wait "$SLURMCTLD_PID" 2>/dev/null
  [ -n "${MUNGE_PID:-}" ] && kill "$MUNGE_PID" 2>/dev/null
  SLURMD_PID="" SLURMCTLD_PID="" MUNGE_PID=""
}

# slurm_wait JOBID [TIMEOUT]: until no task of the job is pending or running.
slurm_wait() {
  local job=$1 t=${2:-600} i
  for i in $(seq 1 "$t"); do
    if [ -z "$(squeue -h -j "$job" -o %T 2>/dev/null)" ]; then return 0; fi
    sleep 1
  done
  echo "job $job still queued after ${t}s:" >&2
  squeue -j "$job" >&2
  return 1
}
