# mortgage-sim tasks. `just --list` shows them.

# Arguments reach recipes as "$@" / "$1", never re-split: `just run --set
# 'scheduler={policy="partitioned", training_fraction=0.4}'` passes the TOML
# value as one argument, spaces and quotes intact.
set positional-arguments

# Run a scenario (default: the embedded baseline) and write results/<name>/.
run *ARGS:
    cargo run --release -- run "$@"

# Validate a scenario, experiment, study or stress file (default: the embedded baseline); accepts --set.
check *ARGS:
    cargo run --release -- check "$@"

# The test suite (the same command the README and CI use).
test:
    cargo test --release

# Formatting and lints, as CI runs them.
lint:
    cargo fmt --all -- --check
    cargo clippy --all-targets -- -D warnings

# Fuzz the binary with more mutated configs and experiments than CI's 500 (tests/it/fuzz.rs; FUZZ_SEED=N for another sample).
fuzz CASES="5000":
    FUZZ_CASES="$1" cargo test --release --test it fuzz -- --nocapture

# Regenerate the golden regression files after an intended change.
golden:
    UPDATE_GOLDEN=1 cargo test --release --test it golden

# Figures for BENCHMARKS.md: the event queue, whole replicas and chip scaling (criterion), replicas/s on 1 and 2 threads.
bench:
    cargo bench --bench engine
    cargo bench --bench replica
    cargo bench --bench metrics
    cargo build --release
    for t in 1 2; do ./target/release/mortgage-sim run --replicas 8 --threads $t --quiet --force --out target/bench-$t --stats; done

# Peak memory of 10,000 replicas of the baseline's shape (60 monthly steps) at 15k chips, for BENCHMARKS.md.
bench-memory:
    cargo build --release
    /usr/bin/time -f "10,000 replicas: peak RSS %M kB, %e s" ./target/release/mortgage-sim run --replicas 10000 --quiet --force --out target/bench-memory \
        --set cluster.tranches.0.chips=10000 --set cluster.tranches.1.chips=4992 \
        --set training.generator.initial_chips=992 --set training.generator.max_chips=3008 \
        --set inference.base_demand_chips=2500 --set research.arrivals_per_hour=0.4

# Peak memory of 10,000 replicas of the full baseline (1.5M chips) on both cores: about 80 minutes on a calm 2-core machine.
bench-memory-baseline:
    cargo build --release
    /usr/bin/time -f "10,000 baseline replicas: peak RSS %M kB, %e s" ./target/release/mortgage-sim run --replicas 10000 --quiet --force --out target/bench-memory-baseline --stats

# Instructions per event under callgrind, which counts instructions, not seconds: the same on a loaded machine as on a calm one.
bench-instructions:
    #!/usr/bin/env bash
    set -euo pipefail
    cargo build --release
    for cfg in configs/baseline.toml benches/queueing.toml; do
        log="$(valgrind --tool=callgrind --callgrind-out-file=/dev/null ./target/release/mortgage-sim run "$cfg" \
            --replicas 1 --threads 1 --quiet --force --out target/bench-instructions --stats 2>&1)"
        instructions="$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' <<<"$log")"
        events="$(sed -n 's/^stats: 1 replicas, \([0-9]*\) events.*/\1/p' <<<"$log")"
        echo "$cfg: $instructions instructions, $events events, $((instructions / events)) instructions per event"
    done

# The calibrated scenario beside the public figures it was fitted to (docs/CALIBRATION.md): about 3 minutes on two cores.
calibration OUT="results/calibrated":
    cargo run --release -- run configs/calibrated.toml --out "$1" --force --quiet
    python3 scripts/calibration_table.py "$1"

# Run an experiment (experiments/*.toml) and write results/<name>/.
sweep EXPERIMENT *ARGS:
    cargo run --release -- sweep "$@"

# Write report.html and its SVG charts into a results folder (default: the baseline run's).
report DIR="results/baseline" *ARGS:
    cargo run --release -- report "$@"

# Extra arguments go to both sbatch calls (e.g. --partition=cpu --account=lab).
# Environment: OUT_DIR (default results/<name>), SHARDS_DIR, THREADS, SWEEP_ARGS, MERGE_ARGS.
# Run an experiment on Slurm: N shards as an array job, then a dependent merge job.
slurm-sweep EXPERIMENT N *SBATCH_ARGS:
    #!/usr/bin/env bash
    set -euo pipefail
    experiment="$1"; n="$2"; shift 2
    [[ -f "$experiment" ]] || { echo "slurm-sweep: no experiment file $experiment" >&2; exit 2; }
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "slurm-sweep: N must be a positive whole number, not $n" >&2; exit 2; }
    name="$(sed -n 's/^name[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$experiment" | head -n 1)"
    name="${name:-$(basename "$experiment" .toml)}"
    out_dir="${OUT_DIR:-results/$name}"
    out_dir="$(realpath -m "$out_dir")"
    shards_dir="$(realpath -m "${SHARDS_DIR:-$out_dir.shards}")"
    if [[ -e "$out_dir" && " ${MERGE_ARGS:-} " != *" --force "* ]]; then
        echo "slurm-sweep: $out_dir exists; remove it, set OUT_DIR, or MERGE_ARGS=--force" >&2
        exit 2
    fi
    cargo build --release
    mkdir -p "$shards_dir/logs"
    EXPERIMENT="$(realpath "$experiment")"
    MORTGAGE_SIM="$(realpath target/release/mortgage-sim)"
    export EXPERIMENT MORTGAGE_SIM OUT_DIR="$out_dir" SHARDS_DIR="$shards_dir" SHARD_COUNT="$n"
    array_id="$(sbatch --parsable --export=ALL --array="0-$((n - 1))" \
        --output="$shards_dir/logs/sweep-%A_%a.out" "$@" experiments/slurm/sweep.sbatch)"
    array_id="${array_id%%;*}"
    merge_id="$(sbatch --parsable --export=ALL --dependency="afterok:$array_id" --kill-on-invalid-dep=yes \
        --output="$shards_dir/logs/merge-%j.out" "$@" experiments/slurm/merge.sbatch)"
    merge_id="${merge_id%%;*}"
    echo "sweep array job: $array_id ($n shards -> $shards_dir/shard-0 ... shard-$((n - 1)))"
    echo "merge job:       $merge_id (after every shard succeeds)"
    echo "results:         $out_dir"
    echo "logs:            $shards_dir/logs/"
    echo "watch with:      squeue -j $array_id,$merge_id"
