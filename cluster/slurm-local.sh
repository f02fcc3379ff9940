#!/usr/bin/env bash
# A real single-node SLURM on this machine, to run and test the workflow's SLURM profile.
#
#   cluster/slurm-local.sh install   # apt-get install slurm-wlm munge slurmdbd mariadb-server
#   cluster/slurm-local.sh up        # munge, MariaDB, slurmdbd, slurmctld, slurmd; waits for idle
#   cluster/slurm-local.sh status    # sinfo, squeue and whether accounting (sacct) answers
#   cluster/slurm-local.sh down      # stops the daemons it started (by their pid files)
#
# Needs root (the daemons run as root, started directly: containers have no systemd).
# Debian 12's slurm-wlm 22.05. Accounting (slurmdbd + MariaDB) is on because the Snakemake
# SLURM plugin polls job states with `sacct`; without it the run waits forever.
# DefMemPerCPU is set so that a job without --mem does not take the whole node.
set -euo pipefail

STATE=${SLURM_LOCAL_STATE:-/var/lib/reviewflow-slurm}   # pid files, spool, logs, database
CONF=/etc/slurm
CLUSTER=reviewflow
HOST=$(hostname -s)
# slurmdbd's database password: kept from an earlier `up` (a running slurmdbd uses it).
DB_PASS=$(sed -n 's/^StoragePass=//p' "$CONF/slurmdbd.conf" 2>/dev/null || true)
DB_PASS=${DB_PASS:-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')}

die() { echo "slurm-local: $*" >&2; exit 1; }

need_root() { [[ $(id -u) == 0 ]] || die "run as root (the SLURM daemons need it)"; }

need_packages() {
    local missing=()
    for bin in munged slurmctld slurmd slurmdbd mariadbd sbatch sacct; do
        command -v "$bin" >/dev/null || missing+=("$bin")
    done
    ((${#missing[@]} == 0)) || die "missing ${missing[*]}: run '$0 install' first"
}

# Start "$@" in the background with its output in $STATE/log/<name>.log; record its pid.
start() {
    local name=$1; shift
    "$@" >>"$STATE/log/$name.log" 2>&1 &
    echo $! >"$STATE/run/$name.pid"
}

# Wait up to $1 seconds for the command in the remaining arguments to succeed.
wait_for() {
    local seconds=$1; shift
    for ((i = 0; i < seconds * 2; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    return 1
}

write_configs() {
    local cpus mem_mb
    cpus=$(nproc)
    # Leave a tenth of the memory (and 512 MB) to the system and the daemons.
    mem_mb=$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.9 - 512}' /proc/meminfo)
    mkdir -p "$CONF" "$STATE"/{run,log,spool/ctld,spool/d}
    cat >"$CONF/slurm.conf" <<EOF
# Written by reviewflow's cluster/slurm-local.sh: one node, this host.
ClusterName=$CLUSTER
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/spool/ctld
SlurmdSpoolDir=$STATE/spool/d
SlurmctldPidFile=$STATE/run/slurmctld.pid
SlurmdPidFile=$STATE/run/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
# Containers have no usable cgroups: track processes by their parent, and enforce memory by
# polling each job's RSS every 2 s (OverMemoryKill) so a job over its --mem is killed.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=2
JobAcctGatherParams=OverMemoryKill
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
JobCompType=jobcomp/none
# Memory is a consumable resource, so jobs run side by side while it lasts.
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
# Finished jobs stay visible to squeue for 5 min (>= 3x the plugin's first status delay).
MinJobAge=300
ReturnToService=2
MpiDefault=none
InactiveLimit=0
KillWait=10
NodeName=$HOST CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=local Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
    cat >"$CONF/slurmdbd.conf" <<EOF
# Written by reviewflow's cluster/slurm-local.sh.
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
PidFile=$STATE/run/slurmdbd.pid
LogFile=$STATE/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageLoc=slurm_acct_db
StorageUser=slurm
StoragePass=$DB_PASS
EOF
    chmod 600 "$CONF/slurmdbd.conf"
}

start_munge() {
    if [[ ! -s /etc/munge/munge.key ]]; then
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
        chown munge:munge /etc/munge/munge.key
        chmod 400 /etc/munge/munge.key
    fi
    mkdir -p /run/munge && chown munge:munge /run/munge
    munge -n >/dev/null 2>&1 && return  # already running
    runuser -u munge -- /usr/sbin/munged
    wait_for 10 test -s /run/munge/munged.pid && cp /run/munge/munged.pid "$STATE/run/munged.pid"
    wait_for 10 munge -n || die "munged did not start (see /var/log/munge/munged.log)"
}

start_mariadb() {
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
    if ! mariadb -u root -e 'select 1' >/dev/null 2>&1; then
        [[ -d /var/lib/mysql/mysql ]] || mariadb-install-db --user=mysql >/dev/null
        start mariadb /usr/sbin/mariadbd --user=mysql --skip-networking=0 \
            --bind-address=127.0.0.1
        wait_for 60 mariadb -u root -e 'select 1' || die "MariaDB did not start ($STATE/log)"
    fi
    # slurmdbd's own database user.
    mariadb -u root -e "create database if not exists slurm_acct_db;
        create or replace user 'slurm'@'localhost' identified by '$DB_PASS';
        grant all on slurm_acct_db.* to 'slurm'@'localhost';"
}

up() {
    need_root
    need_packages
    write_configs
    start_munge
    start_mariadb
    if ! sacctmgr -n list cluster >/dev/null 2>&1; then
        start slurmdbd /usr/sbin/slurmdbd -D
        wait_for 60 sacctmgr -n list cluster || die "slurmdbd did not start ($STATE/log)"
    fi
    sacctmgr -i add cluster "$CLUSTER" >/dev/null 2>&1 || true
    sacctmgr -i add account "$CLUSTER" cluster="$CLUSTER" >/dev/null 2>&1 || true
    sacctmgr -i add user "$(id -un)" account="$CLUSTER" >/dev/null 2>&1 || true
    if ! scontrol ping 2>/dev/null | grep -q UP; then
        start slurmctld /usr/sbin/slurmctld -D -i
    fi
    wait_for 30 bash -c 'scontrol ping | grep -q UP' || die "slurmctld did not start ($STATE/log)"
    pgrep -x slurmd >/dev/null || start slurmd /usr/sbin/slurmd -D
    # Idle once started; mixed or allocated when `up` runs again while jobs run.
    local ready="sinfo -h -n $HOST -o %T | grep -qxE 'idle|mixed|allocated'"
    if ! wait_for 60 bash -c "$ready"; then
        scontrol update nodename="$HOST" state=resume 2>/dev/null || true
        wait_for 30 bash -c "$ready" ||
            die "node $HOST is not idle: $(sinfo -h -N -o '%T %E') ($STATE/log)"
    fi
    status
}

status() {
    sinfo -N -h -o 'node %N: %T, %c CPUs, %m MB'
    squeue
    if sacct -n -X -S now-1hours >/dev/null 2>&1; then
        echo "accounting: sacct answers"
    else
        echo "accounting: sacct does not answer"
    fi
}

down() {
    need_root
    scancel --user="$(id -un)" 2>/dev/null || true
    # Stop in reverse order of start, each by the pid it was started with.
    for name in slurmd slurmctld slurmdbd mariadb munged; do
        local pidfile="$STATE/run/$name.pid"
        [[ -s $pidfile ]] || continue
        local pid
        pid=$(cat "$pidfile")
        if kill "$pid" 2>/dev/null; then
            wait_for 30 bash -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null || true
        fi
        rm -f "$pidfile"
    done
    echo "slurm-local: stopped"
}

case ${1:-} in
install)
    need_root
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y slurm-wlm munge slurmdbd mariadb-server
    ;;
up) up ;;
down) down ;;
status) status ;;
*) die "usage: $0 install|up|status|down" ;;
esac
