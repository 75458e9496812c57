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
