//! Helpers shared by the integration tests.

use std::path::PathBuf;
use std::process::Command;

/// The built `mortgage-sim` binary.
pub fn binary() -> Command {
    Command::new(binary_path())
}

/// The path of the built `mortgage-sim` binary.
pub fn binary_path() -> &'static str {
    env!("CARGO_BIN_EXE_mortgage-sim")
}

/// The result files whose bytes are compared (the manifest carries timing).
pub const RESULT_FILES: [&str; 8] = mortgage_sim::output::CSV_FILES;

/// The repository root (where Cargo.toml is).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
