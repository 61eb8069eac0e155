#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the Slurm executor's tests (docs/architecture.md §4.2).
#
#   scripts/slurm-local.sh start   install slurm-wlm + munge if missing (root, apt-get), write a
#                                  one-node slurm.conf into a state folder, start munged, slurmctld
#                                  and slurmd in the background, wait until `sinfo` shows the node
#                                  idle; prints `export SLURM_CONF=…` on its last line
#   scripts/slurm-local.sh stop    stop the daemons this script started (by the PIDs it recorded,
#                                  and any started with this state folder's slurm.conf whose pid
#                                  file was lost or written over)
#   scripts/slurm-local.sh env     print `export SLURM_CONF=…` when the cluster is up
#
# State folder: $WINNOW_SLURM_DIR (default /tmp/winnow-slurm). No systemd needed: the daemons run
# as plain background processes (PID 1 here is not an init system). Exit status of `start`: 0 when
# the node is idle, 1 otherwise (the tests then skip with the reason this script printed).
set -u
D="${WINNOW_SLURM_DIR:-/tmp/winnow-slurm}"
H="$(hostname -s)"

log() { echo "slurm-local: $*" >&2; }

install_if_missing() {
    if command -v slurmctld >/dev/null 2>&1 && command -v slurmd >/dev/null 2>&1 && command -v munged >/dev/null 2>&1; then
        return 0
    fi
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        log "slurm-wlm and munge are not installed (as root: apt-get install slurm-wlm munge)"
        return 1
    fi
    log "installing slurm-wlm and munge (Debian)"
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge </dev/null >/dev/null 2>&1 ||
      { apt-get update -q </dev/null >/dev/null 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge </dev/null >/dev/null 2>&1; }; } || {
        log "apt-get install slurm-wlm munge failed"
        return 1
    }
}

# Whether the PID in file $1 runs (a zombie -- dead, not yet reaped -- does not).
alive() {
    [ -f "$1" ] || return 1
    local p
    p="$(cat "$1")"
    kill -0 "$p" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ]
}

start_munge() {
    if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return 0; fi
    if [ ! -f /etc/munge/munge.key ]; then
        mungekey --create --force >/dev/null 2>&1 || { log "cannot create /etc/munge/munge.key"; return 1; }
    fi
    chown munge:munge /etc/munge/munge.key 2>/dev/null && chmod 400 /etc/munge/munge.key
    mkdir -p /run/munge /var/log/munge /var/lib/munge && chown munge:munge /run/munge /var/log/munge /var/lib/munge
    su -s /bin/sh munge -c /usr/sbin/munged || { log "munged did not start"; return 1; }
    for _ in $(seq 50); do
        if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
            cp /run/munge/munged.pid "$D/munged.pid" 2>/dev/null
            return 0
        fi
        sleep 0.1
    done
    log "munge does not answer (munge -n | unmunge)"
    return 1
}

write_conf() {
    local mem
    mem=$(awk '/MemAvailable/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
    mkdir -p "$D/state" "$D/spool"
    cat >"$D/slurm.conf" <<EOF
ClusterName=winnowtest
SlurmctldHost=$H
SlurmUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$D/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd.log
ReturnToService=2
MailProg=/bin/true
KillWait=5
MinJobAge=600
NodeName=$H CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
}

wait_idle() {
    for _ in $(seq 150); do
        state=$(sinfo -h -o %t 2>/dev/null | head -n 1)
        case "$state" in idle | mix | alloc) return 0 ;; esac
        sleep 0.2
    done
    log "the node did not become idle (sinfo: '${state:-no answer}'); logs: $D/slurmctld.log $D/slurmd.log"
    return 1
}

# PIDs of running $1 (slurmd or slurmctld) started for this cluster -- SLURM_CONF=$D/slurm.conf in
# their environment -- whatever the pid files say. One left behind (its pid file lost or written
# over by a later start) holds the node's ports and blocks the next start.
strays() {
    local p
    for p in $(pgrep -x "$1" 2>/dev/null); do
        tr '\0' '\n' 2>/dev/null <"/proc/$p/environ" | grep -qx "SLURM_CONF=$D/slurm.conf" && echo "$p"
    done
}

# Stops the strays of $1 (TERM, then KILL after 5 s).
stop_strays() {
    local pids
    pids="$(strays "$1")"
    [ -n "$pids" ] || return 0
    log "stopping $1 left from an earlier start (pid $(echo $pids))"
    kill $pids 2>/dev/null
    for _ in $(seq 50); do [ -n "$(strays "$1")" ] || return 0; sleep 0.1; done
    kill -9 $(strays "$1") 2>/dev/null
}

start() {
    export SLURM_CONF="$D/slurm.conf"
    mkdir -p "$D"
    if alive "$D/slurmctld.pid" && alive "$D/slurmd.pid" && wait_idle; then
        echo "export SLURM_CONF=$SLURM_CONF"
        return 0
    fi
    install_if_missing || return 1
    write_conf
    start_munge || return 1
    alive "$D/slurmctld.pid" || { stop_strays slurmctld; slurmctld -D >>"$D/slurmctld.out" 2>&1 & echo $! >"$D/slurmctld.pid"; }
    alive "$D/slurmd.pid" || { stop_strays slurmd; slurmd -D >>"$D/slurmd.out" 2>&1 & echo $! >"$D/slurmd.pid"; }
    wait_idle || return 1
    log "one-node cluster up ($H, state in $D)"
    echo "export SLURM_CONF=$SLURM_CONF"
}

stop() {
    for d in slurmd slurmctld; do
        if alive "$D/$d.pid"; then
            kill "$(cat "$D/$d.pid")" 2>/dev/null
            for _ in $(seq 50); do alive "$D/$d.pid" || break; sleep 0.1; done
        fi
        rm -f "$D/$d.pid"
        stop_strays "$d"
    done
    # munged is stopped only when this script started it (its PID was recorded then).
    if alive "$D/munged.pid"; then kill "$(cat "$D/munged.pid")" 2>/dev/null; fi
    rm -f "$D/munged.pid"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
env) if [ -f "$D/slurm.conf" ] && alive "$D/slurmctld.pid"; then echo "export SLURM_CONF=$D/slurm.conf"; else exit 1; fi ;;
*) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
