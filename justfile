# mortgage-sim tasks. `just --list` shows them.

# Run a scenario (default: the embedded baseline) and write results/<name>/.
run *ARGS:
    cargo run --release -- run {{ARGS}}

# Validate a scenario and print its derived figures.
check CONFIG="configs/baseline.toml":
    cargo run --release -- check {{CONFIG}}

# The test suite (the same command the README and CI use).
test:
    cargo test --release

# Formatting and lints, as CI runs them.
lint:
    cargo fmt --all -- --check
    cargo clippy --all-targets -- -D warnings

# Regenerate the golden regression files after an intended change.
golden:
    UPDATE_GOLDEN=1 cargo test --release --test it golden

# Baseline replicas per second on 1 and 2 threads (figures go to BENCHMARKS.md).
bench:
    cargo build --release
    for t in 1 2; do ./target/release/mortgage-sim run --replicas 8 --threads $t --quiet --force --out target/bench-$t; done

# Run an experiment (experiments/*.toml) and write results/<name>/.
sweep EXPERIMENT *ARGS:
    cargo run --release -- sweep {{EXPERIMENT}} {{ARGS}}

# Write report.html and its SVG charts into a results folder (default: the baseline run's).
report DIR="results/baseline" *ARGS:
    cargo run --release -- report {{DIR}} {{ARGS}}
