//! Helpers shared by the integration tests.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

/// A small scenario written out as TOML, for tests whose outcome is worked
/// out by hand: one contract, a cluster of whole tranches delivered on time
/// at month 0, priority scheduling unless `policy` says otherwise, then
/// `sections` (the workload tables) as given. `Default` is a one-year term
/// of no natural failures (MTBF 10^15 hours, instant repair) with one
/// generation `g` of speed 1 and no tranches.
pub struct ScenarioToml<'a> {
    pub name: &'a str,
    pub seed: u64,
    pub replicas: u32,
    pub timeseries_step_months: u32,
    pub term_years: f64,
    pub committed_usd: f64,
    pub failure_unit_chips: u64,
    pub chip_mtbf_hours: f64,
    /// A distribution table, e.g. `{ dist = "fixed", value = 0 }`.
    pub repair_hours: &'a str,
    /// (name, speed, service life in years if limited) of each generation.
    pub generations: &'a [(&'a str, f64, Option<f64>)],
    /// (chips, generation) of each tranche.
    pub tranches: &'a [(u64, &'a str)],
    pub policy: &'a str,
    /// TOML tables after `[scheduler]`: `[training]`, `[inference]`, ….
    pub sections: &'a str,
}

impl Default for ScenarioToml<'_> {
    fn default() -> Self {
        ScenarioToml {
            name: "tiny",
            seed: 1,
            replicas: 1,
            timeseries_step_months: 1,
            term_years: 1.0,
            committed_usd: 1000.0,
            failure_unit_chips: 16,
            chip_mtbf_hours: 1e15,
            repair_hours: r#"{ dist = "fixed", value = 0 }"#,
            generations: &[("g", 1.0, None)],
            tranches: &[],
            policy: "priority",
            sections: "",
        }
    }
}

impl ScenarioToml<'_> {
    /// The scenario file's text.
    pub fn text(&self) -> String {
        let mut text = format!(
            "name = \"{}\"\n\
             [simulation]\nseed = {}\nreplicas = {}\ntimeseries_step_months = {}\n\
             [contract]\nterm_years = {:?}\ncommitted_usd = {:?}\n\
             [cluster]\nfailure_unit_chips = {}\nchip_mtbf_hours = {:?}\nrepair_hours = {}\n",
            self.name,
            self.seed,
            self.replicas,
            self.timeseries_step_months,
            // Floats as TOML floats (`{:?}`: 1.0, 1e15), exactly as given.
            self.term_years,
            self.committed_usd,
            self.failure_unit_chips,
            self.chip_mtbf_hours,
            self.repair_hours,
        );
        for (name, speed, life) in self.generations {
            text += &format!("[[cluster.generations]]\nname = \"{name}\"\nspeed = {speed:?}\n");
            if let Some(years) = life {
                text += &format!("service_life_years = {years:?}\n");
            }
        }
        for (chips, generation) in self.tranches {
            text += &format!(
                "[[cluster.tranches]]\nchips = {chips}\ngeneration = \"{generation}\"\nplanned_month = 0\n\
                 delivery_delay_months = {{ dist = \"fixed\", value = 0 }}\n"
            );
        }
        text + &format!("[scheduler]\npolicy = \"{}\"\n{}", self.policy, self.sections)
    }

    /// The scenario, loaded and checked as a file would be.
    pub fn load(&self) -> mortgage_sim::config::Scenario {
        mortgage_sim::config::load_str(&self.text(), self.name, &[]).expect("the test's scenario is valid")
    }
}

/// `mortgage-sim COMMAND INPUT --quiet --out OUT`, to which a test adds its
/// own arguments before running it.
pub fn quiet(command: &str, input: impl AsRef<OsStr>, out: impl AsRef<OsStr>) -> Command {
    let mut c = binary();
    c.arg(command).arg(input).args(["--quiet", "--out"]).arg(out);
    c
}

/// Runs the binary in `dir` without RUST_BACKTRACE, so that a panic would
/// show its "run with `RUST_BACKTRACE=1`" note.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    binary()
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("the binary runs")
}

/// A run's stderr, as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
