//! The `mortgage-sim` command line: parse arguments, call the library, map
//! errors to exit codes (0 success, 1 failure while writing or running,
//! 2 bad input). Nothing else lives here.

use clap::{Parser, Subcommand};
use mortgage_sim::config::{self, ConfigError, Scenario};
use mortgage_sim::{montecarlo, output};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "mortgage-sim",
    version,
    about = "Simulate how a pre-purchased accelerator cluster gets used over its contract term"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario's Monte Carlo replicas and write results/<name>/.
    Run(RunArgs),
    /// Validate a scenario and print its derived figures.
    Check {
        /// Scenario file (default: the embedded configs/baseline.toml).
        config: Option<PathBuf>,
        /// Override a key: --set dotted.key=value (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
}

#[derive(clap::Args, Default)]
struct RunArgs {
    /// Scenario file (default: the embedded configs/baseline.toml).
    config: Option<PathBuf>,
    /// Replicas (default: simulation.replicas of the scenario).
    #[arg(long)]
    replicas: Option<u32>,
    /// Master seed (default: simulation.seed of the scenario).
    #[arg(long)]
    seed: Option<u64>,
    /// Override a key: --set dotted.key=value (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Results folder (default: results/<scenario name>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace the results folder if it exists.
    #[arg(long)]
    force: bool,
    /// Worker threads (default: all cores; RAYON_NUM_THREADS also works).
    #[arg(long)]
    threads: Option<usize>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

/// A failure and its exit code.
struct Failure {
    code: u8,
    message: String,
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure {
            code: 2,
            message: e.to_string(),
        }
    }
}

impl From<output::OutputError> for Failure {
    fn from(e: output::OutputError) -> Self {
        let code = if matches!(e, output::OutputError::Exists(_)) {
            2
        } else {
            1
        };
        Failure {
            code,
            message: e.to_string(),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => run(RunArgs::default()),
        Some(Command::Run(args)) => run(args),
        Some(Command::Check { config, set }) => check(config.as_deref(), &set),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn load(config: Option<&Path>, overrides: &[String]) -> Result<(Scenario, String), ConfigError> {
    match config {
        Some(path) => Ok((
            config::load_file(path, overrides)?,
            path.display().to_string(),
        )),
        None => Ok((
            config::load_baseline(overrides)?,
            config::BASELINE_SOURCE.to_string(),
        )),
    }
}

fn check(config: Option<&Path>, overrides: &[String]) -> Result<(), Failure> {
    let (scenario, source) = load(config, overrides)?;
    print!("{}", output::check_report(&scenario, &source));
    Ok(())
}

fn run(args: RunArgs) -> Result<(), Failure> {
    let mut overrides = args.set.clone();
    if let Some(seed) = args.seed {
        overrides.push(format!("simulation.seed={seed}"));
    }
    if let Some(n) = args.replicas {
        overrides.push(format!("simulation.replicas={n}"));
    }
    let (scenario, source) = load(args.config.as_deref(), &overrides)?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(&scenario.name));
    output::check_destination(&dir, args.force)?;

    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(t) = args.threads {
        pool = pool.num_threads(t);
    }
    let pool = pool.build().map_err(|e| Failure {
        code: 1,
        message: format!("cannot start worker threads: {e}"),
    })?;
    let bar = montecarlo::progress_bar(
        scenario.replicas as u64,
        !args.quiet && std::io::stderr().is_terminal(),
    );
    let started = Instant::now();
    let outcomes = pool.install(|| montecarlo::run_point(&scenario, scenario.replicas, &bar));
    bar.finish_and_clear();
    let wall_seconds = started.elapsed().as_secs_f64();

    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let record = output::RunRecord {
        scenario: &scenario,
        source: &source,
        outcomes: &outcomes,
        command: &command,
        threads: pool.current_num_threads(),
        wall_seconds,
    };
    output::write_results(&dir, args.force, &record)?;
    let events: u64 = outcomes.iter().map(|o| o.row.events).sum();
    eprintln!(
        "{} replicas of `{}` in {wall_seconds:.1} s ({:.2e} events/s) -> {}",
        outcomes.len(),
        scenario.name,
        events as f64 / wall_seconds.max(1e-9),
        dir.display()
    );
    Ok(())
}
