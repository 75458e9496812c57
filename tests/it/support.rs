//! Helpers shared by the integration tests.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The built `mortgage-sim` binary.
pub fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mortgage-sim"))
}

/// Runs the binary with `args` in `dir` and returns its output.
#[allow(dead_code)] // kept for tests that need a working directory
pub fn run_in(dir: &std::path::Path, args: &[&str]) -> Output {
    binary().args(args).current_dir(dir).output().expect("the binary runs")
}

/// The repository root (where Cargo.toml is).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
