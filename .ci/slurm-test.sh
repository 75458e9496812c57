#!/usr/bin/env bash
# The Slurm scripts really run under Slurm: installs Debian's slurm-wlm and
# munge, starts a single-node cluster on localhost (munged, slurmctld,
# slurmd), submits a 3-task array sweep of tests/data/sweep_small.toml and
# its dependent merge with `just slurm-sweep`, waits for both, and compares
# the merged CSVs byte for byte with a whole `mortgage-sim sweep` of the same
# experiment. Every daemon it started is stopped on exit. Runs as root; .ci/run
# calls it under `timeout`, so a hung Slurm cannot eat the CI budget.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "[slurm-test +$SECONDS s] $*"; }

if ! command -v slurmctld >/dev/null 2>&1 || ! command -v slurmd >/dev/null 2>&1 \
    || ! command -v munged >/dev/null 2>&1; then
    log "installing slurm-wlm and munge"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
slurmctld -V

# Everything of this cluster lives in one folder (not /tmp, which may be
# noexec: slurmd runs the batch script from its spool folder). SLURM_CONF
# points every Slurm command and daemon at its slurm.conf; non-default ports
# keep it apart from any other Slurm on the machine.
work="$(mktemp -d /var/tmp/mortgage-sim-slurm.XXXXXX)"
mkdir -p "$work"/{state,spool,log,run}
host="$(hostname -s)"
cpus="$(nproc)"
pids=()
munged_pid=""
ok=0

dump_logs() {
    for f in "$work"/log/* "$work"/shards/logs/* /var/log/munge/munged.log; do
        [[ -f "$f" ]] || continue
        # A daemon's stdout repeats its log file, unless it died before opening it.
        [[ "$f" == *.stdout && -s "${f%.stdout}.log" ]] && continue
        echo "---- $f (last 40 lines)"
        tail -n 40 "$f"
    done
}

# The pids of processes of this cluster still alive: whatever was started
# with our SLURM_CONF in its environment (slurmstepd, job scripts and the
# shards they run). Reads /proc with builtins only, so no helper matches.
cluster_pids() {
    local f pid kv
    for f in /proc/[0-9]*/environ; do
        pid="${f#/proc/}"; pid="${pid%/environ}"
        [[ "$pid" == "$$" ]] && continue
        while IFS= read -r -d '' kv; do
            if [[ "$kv" == "SLURM_CONF=$work/slurm.conf" ]]; then echo "$pid"; break; fi
        done 2>/dev/null <"$f"
    done
}

cleanup() {
    local rc=$? pid
    local -a left
    set +e
    trap - EXIT INT TERM
    if ((${#pids[@]})); then
        # Cancel the jobs while the controller is up, and give their steps a
        # moment (KillWait is 5 s) to go before slurmd does.
        scancel --quiet --user=root >/dev/null 2>&1
        for _ in $(seq 1 20); do
            [[ -z "$(squeue -h -o %i 2>/dev/null)" ]] && break
            sleep 0.5
        done
        for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
        for pid in "${pids[@]}"; do
            for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
            kill -KILL "$pid" 2>/dev/null
        done
        # Anything of the cluster that outlived its daemons.
        unset SLURM_CONF
        mapfile -t left < <(cluster_pids)
        if ((${#left[@]})); then
            echo "slurm-test: stopping leftover processes: ${left[*]}"
            kill "${left[@]}" 2>/dev/null
            sleep 2
            mapfile -t left < <(cluster_pids)
            ((${#left[@]} == 0)) || kill -KILL "${left[@]}" 2>/dev/null
        fi
    fi
    if [[ -n "$munged_pid" ]]; then
        kill "$munged_pid" 2>/dev/null
    fi
    if ((ok)); then
        rm -rf "$work"
    else
        echo "slurm-test: FAILED (exit $rc); the cluster's files are in $work"
        dump_logs
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

# -- munge: a key, and munged unless one is already answering.
if [[ ! -s /etc/munge/munge.key ]]; then
    log "creating a munge key"
    install -d -o munge -g munge -m 0700 /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
fi
if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    log "munged is already running"
else
    install -d -o munge -g munge -m 0755 /run/munge
    install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge
    runuser -u munge -- munged
    munged_pid="$(cat /run/munge/munged.pid)"
    munge -n | unmunge >/dev/null
    log "munged started (pid $munged_pid)"
fi

# -- a minimal single-node slurm.conf: this machine is controller and node.
export SLURM_CONF="$work/slurm.conf"
cat >"$SLURM_CONF" <<CONF
ClusterName=mortgage-ci
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/run/slurmctld.pid
SlurmdPidFile=$work/run/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
# Finished jobs stay visible to scontrol for 10 minutes (there is no sacct).
MinJobAge=600
KillWait=5
MailProg=/bin/true
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=1000 State=UNKNOWN
PartitionName=debug Default=YES Nodes=ALL MaxTime=INFINITE State=UP
CONF

# In their own sessions (setsid), so that `timeout` signalling this script's
# process group leaves them to the cleanup, which cancels the jobs first.
log "starting slurmctld and slurmd ($host, $cpus CPUs)"
setsid slurmctld -D -c >"$work/log/slurmctld.stdout" 2>&1 &
pids+=($!)
setsid slurmd -D -N "$host" >"$work/log/slurmd.stdout" 2>&1 &
pids+=($!)

state=""
for _ in $(seq 1 120); do
    for pid in "${pids[@]}"; do
        kill -0 "$pid" 2>/dev/null || { echo "slurm-test: a Slurm daemon (pid $pid) exited"; exit 1; }
    done
    state="$(sinfo -h -n "$host" -o %t 2>/dev/null || true)"
    [[ "$state" == idle ]] && break
    sleep 0.5
done
if [[ "$state" != idle ]]; then
    echo "slurm-test: node $host is not idle after 60 s (state: ${state:-none})"
    sinfo -N -l || true
    scontrol show node "$host" || true
    exit 1
fi
log "node $host is idle"
sinfo

# -- the reference: the same experiment as one whole sweep.
cargo build --release --quiet
target/release/mortgage-sim sweep tests/data/sweep_small.toml --quiet --out "$work/whole"

# -- 3 shards as an array job, then the merge, as a user would submit them.
# The small resources fit the 1000 MB node; the scripts' defaults are for a real cluster.
submit="$(OUT_DIR="$work/merged" SHARDS_DIR="$work/shards" \
    just slurm-sweep tests/data/sweep_small.toml 3 --cpus-per-task=1 --mem=200M --time=10)"
echo "$submit"
array_id="$(sed -n 's/^sweep array job: *\([0-9]*\).*/\1/p' <<<"$submit")"
merge_id="$(sed -n 's/^merge job: *\([0-9]*\).*/\1/p' <<<"$submit")"
[[ -n "$array_id" && -n "$merge_id" ]] || { echo "slurm-test: no job ids in the recipe's output"; exit 1; }

log "waiting for array job $array_id and merge job $merge_id"
deadline=$((SECONDS + 300))
while [[ -n "$(squeue -h -j "$array_id,$merge_id" -o %i 2>/dev/null)" ]]; do
    if ((SECONDS > deadline)); then
        echo "slurm-test: jobs still queued or running after 300 s"
        squeue -l || true
        exit 1
    fi
    sleep 1
done
log "jobs done"

# Every task and the merge completed (scontrol keeps finished jobs for MinJobAge).
states="$(scontrol -o show job "$array_id" | grep -o 'JobState=[A-Z_]*' | sort | uniq -c)"
merge_state="$(scontrol -o show job "$merge_id" | grep -o 'JobState=[A-Z_]*')"
echo "array tasks: $states"
echo "merge: $merge_state"
[[ "$(scontrol -o show job "$array_id" | grep -c 'JobState=COMPLETED')" == 3 ]] \
    || { echo "slurm-test: not all 3 array tasks COMPLETED"; exit 1; }
[[ "$merge_state" == JobState=COMPLETED ]] || { echo "slurm-test: the merge job did not complete"; exit 1; }
for i in 0 1 2; do
    grep -q "^shard $i/3 " "$work/shards/logs/sweep-${array_id}_$i.out" \
        || { echo "slurm-test: task $i did not run shard $i/3"; exit 1; }
done

for f in points.csv replicas.csv summary.csv timeseries.csv risk.csv; do
    cmp "$work/whole/$f" "$work/merged/$f"
    echo "identical: $f ($(wc -l <"$work/merged/$f") lines)"
done
ok=1
log "Slurm array sweep + merge == whole sweep"
