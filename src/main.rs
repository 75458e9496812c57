//! The `mortgage-sim` command line: parse arguments, call the library, map
//! errors to exit codes (0 success, 1 failure while writing or running,
//! 2 bad input). Nothing else lives here.

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use mortgage_sim::config::kind::{self, FileKind};
use mortgage_sim::config::{self, ConfigError};
use mortgage_sim::sensitivity::{self, stress};
use mortgage_sim::{jobs, montecarlo, output, shard, sweep};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[path = "main/check.rs"]
mod check;
#[path = "main/progress.rs"]
mod progress;
use progress::Bar;

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
    /// Run an experiment: a grid of overrides on a base scenario -> results/<experiment>/.
    Sweep {
        /// Experiment file (experiments/*.toml).
        experiment: PathBuf,
        #[command(flatten)]
        exec: ExecArgs,
        /// Run only shard I of N of the (point × replica) work; writes a
        /// shard folder for `merge`.
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        /// Number of shards, with the index taken from the array-job environment
        /// (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX).
        #[arg(long, value_name = "N", conflicts_with = "shard")]
        shard_count: Option<u32>,
        /// Print point N as a complete scenario (TOML) that `run` accepts
        /// and that reproduces the point's replicas; runs nothing.
        #[arg(long, value_name = "N", conflicts_with_all = ["shard", "shard_count"])]
        point: Option<u64>,
    },
    /// Which assumption drives the answer: run a sensitivity study (tornado,
    /// Morris or Sobol) as a sweep and write sensitivity.csv into its results.
    Sensitivity {
        /// Study file (experiments/*.toml with `method`, `inputs` and `metrics`).
        study: PathBuf,
        /// Method, instead of the study's: tornado, morris or sobol.
        #[arg(long)]
        method: Option<sensitivity::Method>,
        #[command(flatten)]
        exec: ExecArgs,
        /// Run only shard I of N (as `sweep --shard`); merge the shards, then
        /// `sensitivity STUDY --analyse MERGED`.
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        /// Number of shards, with the index from the array-job environment.
        #[arg(long, value_name = "N", conflicts_with = "shard")]
        shard_count: Option<u32>,
        /// Analyse an existing results folder of the study (e.g. merged
        /// shards) instead of running it.
        #[arg(long, value_name = "DIR", conflicts_with_all = ["shard", "shard_count"])]
        analyse: Option<PathBuf>,
    },
    /// Reverse stress test: find the value of an input at which a risk target
    /// is crossed, by bisection on common random numbers.
    Stress {
        /// Stress file (experiments/*.toml with `[input]` and `[target]`).
        file: PathBuf,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Validate a scenario, experiment, sensitivity study or stress file
    /// (every point) and print derived figures and the cost of a replica.
    Check {
        /// The file (default: the embedded configs/baseline.toml).
        config: Option<PathBuf>,
        /// Override a key: --set dotted.key=value (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Accept a scenario beyond the resource ceilings (as run does).
        #[arg(long)]
        allow_huge: bool,
    },
    /// Merge the shard folders of a sharded sweep into one results folder.
    Merge {
        /// Shard folders written by `sweep --shard I/N`.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Results folder to write.
        #[arg(long)]
        out: PathBuf,
        /// Replace the results folder if it exists.
        #[arg(long)]
        force: bool,
        /// Also write report.html.
        #[arg(long)]
        report: bool,
        /// Merge even when a point's replicas are estimated to pass the
        /// memory ceiling (4 GB).
        #[arg(long)]
        allow_huge: bool,
        /// Print what was merged, how fast, and the peak memory.
        #[arg(long)]
        stats: bool,
        /// Files to write: csv, parquet or both (as for run and sweep).
        #[arg(long, default_value = "csv", value_name = "FORMAT")]
        format: output::Format,
    },
    /// Print the JSON Schema of a file kind (schema/*.json holds them), for
    /// editors that complete keys and show their docs.
    Schema {
        /// scenario, experiment, study or stress.
        #[arg(value_enum)]
        kind: SchemaKind,
    },
    /// Write report.html and SVG charts into a results folder (readable offline).
    Report {
        /// Results folder written by `run` or `sweep` (e.g. results/baseline).
        dir: PathBuf,
        /// summary.csv metric(s) of the sweep charts: repeatable, and each
        /// may be a comma list (--metric utilization --metric idle_cost_usd).
        #[arg(long, default_value = "utilization")]
        metric: Vec<String>,
        /// Grid point whose replicas the detail charts show (default: the first).
        #[arg(long)]
        point: Option<u64>,
    },
}

/// Options of every subcommand that simulates into a results folder
/// (`run`, `sweep`, `sensitivity`, `stress`).
#[derive(clap::Args, Default, Clone)]
struct OutputArgs {
    /// Override a key: --set dotted.key=value (repeatable; applies to every
    /// point or evaluation).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Results folder (default: results/<name of the scenario, experiment,
    /// study or stress file>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace the results folder if it exists.
    #[arg(long)]
    force: bool,
    /// Worker threads (default: all cores; RAYON_NUM_THREADS also works).
    #[arg(long)]
    threads: Option<usize>,
    /// No progress (bar, or lines every 10 s when stderr is not a terminal)
    /// and, for `run`, no headline figures on stdout.
    #[arg(long)]
    quiet: bool,
}

/// Options shared by `run`, `sweep` and `sensitivity`.
#[derive(clap::Args, Default, Clone)]
struct ExecArgs {
    /// Replicas per point (default: the scenario's or experiment's).
    #[arg(long)]
    replicas: Option<u32>,
    /// Master seed (default: the scenario's or experiment's).
    #[arg(long)]
    seed: Option<u64>,
    #[command(flatten)]
    output: OutputArgs,
    /// Run batches of replicas until the 95% CI half-width of FIGURE (a
    /// replicas.csv column's mean, or a risk figure such as
    /// p_default_by_year_5 or var95_loss_usd) is at most HALF_WIDTH (or a
    /// percentage of the estimate, e.g. 5%) at every point.
    #[arg(long, value_name = "FIGURE=HALF_WIDTH")]
    target_ci: Option<String>,
    /// Run even when a replica is estimated to pass the resource ceilings
    /// (10^9 events or 4 GB; `check` shows the estimate).
    #[arg(long)]
    allow_huge: bool,
    /// Print where the time went: events by kind, events per second, replicas per second.
    #[arg(long)]
    stats: bool,
    /// Cap on replicas per point with --target-ci.
    #[arg(long, default_value_t = 10_000)]
    max_replicas: u32,
    /// Also write report.html and its charts into the results folder.
    #[arg(long)]
    report: bool,
    /// Estimator of the risk figures: `single` (plain Monte Carlo over full
    /// replicas), `multi` (full replicas paired with low-fidelity twins
    /// of the money side, plus more twins, as a control variate) or `is`
    /// (importance sampling for rare defaults: twins under a tilt of the
    /// drivers of default, corrected by full replicas under the same tilt).
    #[arg(long, value_enum, default_value_t = FidelityArg::Single)]
    fidelity: FidelityArg,
    /// Files to write: csv, parquet (typed copies, NAME.parquet) or both.
    /// `report` and `merge` read the CSV files. Not for a shard (give it to
    /// merge).
    #[arg(long, default_value = "csv", value_name = "FORMAT")]
    format: output::Format,
}

/// The file kinds `schema` prints.
#[derive(Clone, Copy, clap::ValueEnum)]
enum SchemaKind {
    /// A scenario (configs/*.toml).
    Scenario,
    /// An experiment (`sweep`).
    Experiment,
    /// A sensitivity study.
    Study,
    /// A reverse stress test.
    Stress,
}

/// `--fidelity`.
#[derive(Clone, Copy, Default, clap::ValueEnum)]
enum FidelityArg {
    /// Plain Monte Carlo.
    #[default]
    Single,
    /// Multi-fidelity control variate.
    Multi,
    /// Importance sampling of rare defaults on tilted twins, corrected by
    /// the full replicas.
    Is,
}

impl From<FidelityArg> for montecarlo::Fidelity {
    fn from(f: FidelityArg) -> Self {
        match f {
            FidelityArg::Single => montecarlo::Fidelity::Single,
            FidelityArg::Multi => montecarlo::Fidelity::Multi,
            FidelityArg::Is => montecarlo::Fidelity::Importance,
        }
    }
}

#[derive(clap::Args, Default)]
struct RunArgs {
    /// Scenario file (default: the embedded configs/baseline.toml).
    config: Option<PathBuf>,
    #[command(flatten)]
    exec: ExecArgs,
}

/// Writes a line to stderr. A closed or failing stderr is ignored: what
/// could be said about it, and where?
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Writes to stderr without a newline, ignoring a closed stderr.
macro_rules! note_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

/// Writes `text` to stdout. A reader that stops early (`check | head -1`)
/// closes the pipe: that is a normal end, as in ripgrep, so a broken pipe
/// is not an error; any other write error is (exit code 1).
fn print_stdout(text: &str) -> Result<(), Failure> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure {
            code: 1,
            message: format!("writing to stdout: {e}"),
        }),
        _ => Ok(()),
    }
}

/// Progress over `total` replicas on stderr, unless `--quiet`.
fn progress_bar(total: u64, output: &OutputArgs) -> Result<Bar, Failure> {
    Bar::new(total, !output.quiet).map_err(bad_input)
}

/// A failure and its exit code.
struct Failure {
    code: u8,
    message: String,
}

/// Each library error knows its exit code (2 bad input, 1 a failure to
/// write); the CLI only carries it out.
macro_rules! failure_from {
    ($($error:ty),* $(,)?) => {$(
        impl From<$error> for Failure {
            fn from(e: $error) -> Self {
                Failure {
                    code: e.exit_code(),
                    message: e.to_string(),
                }
            }
        }
    )*};
}

failure_from!(
    ConfigError,
    shard::ShardError,
    jobs::JobError,
    output::OutputError,
    sensitivity::StudyError,
    stress::StressError,
    output::report::ReportError,
);

/// Cuts a message to at most `MAX_MESSAGE` characters: values are cut where
/// they are quoted, and this is the net under everything else (a 100 kB
/// value must not flood the terminal).
fn cut(message: &str) -> String {
    const MAX_MESSAGE: usize = 3_000;
    let length = message.chars().count();
    if length <= MAX_MESSAGE {
        return message.to_string();
    }
    let head: String = message.chars().take(MAX_MESSAGE).collect();
    format!("{head}… ({} characters cut)", length - MAX_MESSAGE)
}

fn main() -> ExitCode {
    let help = format!(
        "Distributions in scenario files are tables tagged by `dist`, e.g. \
         repair_hours = {{ dist = \"lognormal\", median = 24, sigma = 1.0 }}; kinds: {}",
        mortgage_sim::config::dist::DIST_KINDS
    );
    let matches = Cli::command().after_help(help).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let result = match cli.command {
        None => run(RunArgs::default()),
        Some(Command::Run(args)) => run(args),
        Some(Command::Check {
            config,
            set,
            allow_huge,
        }) => check::check(config.as_deref(), &set, allow_huge).and_then(|text| print_stdout(&text)),
        Some(Command::Sweep {
            experiment,
            exec,
            shard,
            shard_count,
            point,
        }) => sweep(&experiment, &exec, shard.as_deref(), shard_count, point),
        Some(Command::Sensitivity {
            study,
            method,
            exec,
            shard,
            shard_count,
            analyse,
        }) => sensitivity_study(&study, method, &exec, shard.as_deref(), shard_count, analyse.as_deref()),
        Some(Command::Stress { file, output }) => stress_test(&file, &output),
        Some(Command::Merge {
            shards,
            out,
            force,
            report,
            allow_huge,
            stats,
            format,
        }) => merge(&shards, &out, force, report, allow_huge, stats, format),
        Some(Command::Schema { kind }) => print_stdout(&match kind {
            SchemaKind::Scenario => config::scenario_schema(),
            SchemaKind::Experiment => sweep::experiment_schema(),
            SchemaKind::Study => sensitivity::study_schema(),
            SchemaKind::Stress => stress::stress_schema(),
        }),
        Some(Command::Report { dir, metric, point }) => report(
            &dir,
            output::report::ReportOptions {
                metric: metric.join(","),
                point,
            },
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            note!("error: {}", cut(&f.message));
            ExitCode::from(f.code)
        }
    }
}

fn report(dir: &Path, options: output::report::ReportOptions) -> Result<(), Failure> {
    let path = output::report::write_report(dir, &options)?;
    note!("report -> {}", path.display());
    Ok(())
}

fn bad_input(message: String) -> Failure {
    Failure { code: 2, message }
}

fn command_line() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
}

fn run(args: RunArgs) -> Result<(), Failure> {
    let exec = &args.exec;
    let mut overrides = exec.output.set.clone();
    if let Some(seed) = exec.seed {
        overrides.push(format!("simulation.seed={seed}"));
    }
    if let Some(n) = exec.replicas {
        overrides.push(format!("simulation.replicas={n}"));
    }
    let (doc, source) = match &args.config {
        Some(path) => {
            expect_kind(path, FileKind::Scenario)?;
            (config::read_scenario(path)?, path.display().to_string())
        }
        None => (
            config::parse_toml(config::BASELINE_TOML, config::BASELINE_SOURCE)?,
            config::BASELINE_SOURCE.to_string(),
        ),
    };
    let plan = sweep::Plan::single(doc, &source, &overrides)?;
    let dir = execute(&plan, exec)?;
    if exec.output.quiet {
        return Ok(());
    }
    // Figures as the files just written hold them.
    print_stdout(&output::headline(&dir)?)
}

/// Checks that `file` is of the kind the command reads, before its loader
/// fails on a key of another kind.
fn expect_kind(file: &Path, wanted: FileKind) -> Result<(), Failure> {
    let doc = config::read_toml(file)?;
    Ok(kind::expect(&doc, &file.display().to_string(), wanted)?)
}

fn sweep(
    file: &Path,
    exec: &ExecArgs,
    shard: Option<&str>,
    shard_count: Option<u32>,
    point: Option<u64>,
) -> Result<(), Failure> {
    expect_kind(file, FileKind::Experiment)?;
    let experiment = sweep::load(file)?;
    let plan = sweep::Plan::experiment(&experiment, &exec.output.set, exec.seed, exec.replicas)?;
    if let Some(id) = point {
        return print_stdout(&plan.point_toml(id)?);
    }
    execute_or_shard(&plan, exec, shard, shard_count).map(|_| ())
}

/// Runs a study's design as a sweep (or one shard of it), then analyses the
/// results folder; with `analyse`, only analyses an existing folder.
fn sensitivity_study(
    file: &Path,
    method: Option<sensitivity::Method>,
    exec: &ExecArgs,
    shard: Option<&str>,
    shard_count: Option<u32>,
    analyse: Option<&Path>,
) -> Result<(), Failure> {
    expect_kind(file, FileKind::Study)?;
    let mut study = sensitivity::load(file, method)?;
    if let Some(n) = exec.replicas {
        study.header.replicas = n;
    }
    if exec.target_ci.is_some() {
        return Err(bad_input(
            "--target-ci does not apply to a sensitivity study: every evaluation needs the same replicas, paired by \
             seed; give --replicas"
                .into(),
        ));
    }
    if !exec.format.csv() {
        return Err(bad_input(
            "a sensitivity study reads its results' CSV files: use --format both (or csv)".into(),
        ));
    }
    let dir = match analyse {
        Some(dir) => dir.to_path_buf(),
        None => {
            let plan = sweep::Plan::experiment(
                &study.experiment(),
                &exec.output.set,
                exec.seed,
                Some(study.header.replicas),
            )?;
            // The report waits for sensitivity.csv, below.
            let exec = ExecArgs {
                report: false,
                ..exec.clone()
            };
            match execute_or_shard(&plan, &exec, shard, shard_count)? {
                Some(dir) => dir,
                None => return Ok(()),
            }
        }
    };
    let found = sensitivity::analyse(&study, &dir)?;
    let mut text = format!(
        "{} over {} evaluations x {} replicas (sensitivity.csv has the intervals):\n",
        study.method.as_str(),
        study.design.points.len(),
        study.header.replicas
    );
    for m in &found {
        text += &format!("{}\n", sensitivity::headline(&study, m));
    }
    print_stdout(&text)?;
    if exec.report {
        report(&dir, output::report::ReportOptions::default())?;
    }
    Ok(())
}

fn stress_test(file: &Path, output: &OutputArgs) -> Result<(), Failure> {
    expect_kind(file, FileKind::Stress)?;
    let test = stress::load(file)?;
    let dir = output
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(&test.header.name));
    mortgage_sim::folder::check_destination(&dir, output.force).map_err(|e| Failure {
        code: e.exit_code(),
        message: e.to_string(),
    })?;
    let pool = thread_pool(output)?;
    let bar = progress_bar(0, output)?;
    let found = pool.install(|| stress::search(&test, &output.set, &bar));
    bar.finish();
    let found = found?;
    stress::write(&test, &found, &dir, output.force, &command_line())?;
    print_stdout(&format!(
        "{} {} {} is met at {} = {} and missed at {} (bracket after {} evaluations of {} replicas); \
         Monte Carlo noise cannot tell the side for {} in [{}, {}] -> {}\n",
        test.metric.name(),
        if test.at_most { "<=" } else { ">=" },
        test.target,
        test.input.key,
        found.meets_at,
        found.misses_at,
        found.evaluations.len(),
        test.header.replicas,
        test.input.key,
        found.uncertain.0,
        found.uncertain.1,
        dir.display()
    ))
}

/// Runs `plan` into its results folder (returned), or one shard of it
/// (`None`: a shard folder is not analysed).
fn execute_or_shard(
    plan: &sweep::Plan,
    exec: &ExecArgs,
    shard: Option<&str>,
    shard_count: Option<u32>,
) -> Result<Option<PathBuf>, Failure> {
    let shard = match (shard, shard_count) {
        (Some(spec), _) => spec.parse::<shard::Shard>()?,
        (None, Some(count)) => shard::Shard::from_env(count, |v| std::env::var(v).ok())?,
        (None, None) => return execute(plan, exec).map(Some),
    };
    if exec.target_ci.is_some()
        || exec.report
        || matches!(exec.fidelity, FidelityArg::Multi | FidelityArg::Is)
        || exec.format != output::Format::Csv
    {
        return Err(bad_input(
            "--target-ci, --fidelity multi/is, --report and --format do not apply to a shard; merge the shards first \
             (a merge is plain Monte Carlo and takes --report and --format)"
                .into(),
        ));
    }
    let name = format!("{}.shard-{}-of-{}", plan.name, shard.index, shard.count);
    let dir = exec
        .output
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(name));
    let pool = thread_pool(&exec.output)?;
    let total = plan.len() * plan.replicas() as u64;
    let block = shard.units(total);
    let bar = progress_bar(block.end - block.start, &exec.output)?;
    let command = command_line();
    let options = jobs::Options {
        force: exec.output.force,
        allow_huge: exec.allow_huge,
        command: &command,
        threads: pool.current_num_threads(),
        fidelity: montecarlo::Fidelity::Single,
        format: output::Format::Csv,
    };
    let summary = pool.install(|| jobs::run_shard(plan, shard, &dir, &options, &bar));
    bar.finish();
    let summary = summary?;
    note!(
        "shard {}/{}: {} work units -> {}",
        shard.index,
        shard.count,
        summary.replicas,
        dir.display()
    );
    if exec.stats {
        note_raw!(
            "{}",
            output::stats_report(
                &summary.events_by_kind,
                summary.replicas,
                summary.wall_seconds,
                options.threads
            )
        );
    }
    Ok(None)
}

fn merge(
    shards: &[PathBuf],
    dir: &Path,
    force: bool,
    with_report: bool,
    allow_huge: bool,
    stats: bool,
    format: output::Format,
) -> Result<(), Failure> {
    check_report_format(with_report, format)?;
    let command = command_line();
    let options = jobs::Options {
        force,
        allow_huge,
        command: &command,
        threads: 1,
        fidelity: montecarlo::Fidelity::Single,
        format,
    };
    let (plan, summary) = jobs::merge(shards, dir, &options)?;
    note!(
        "merged {} shards of `{}` ({} replicas over {} point(s)) -> {}",
        shards.len(),
        plan.name,
        summary.replicas,
        summary.points,
        dir.display()
    );
    if stats {
        note_raw!(
            "{}",
            output::stats_report(&summary.events_by_kind, summary.replicas, summary.wall_seconds, 1)
        );
    }
    if with_report {
        report(dir, output::report::ReportOptions::default())?;
    }
    Ok(())
}

fn thread_pool(output: &OutputArgs) -> Result<rayon::ThreadPool, Failure> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(t) = output.threads {
        pool = pool.num_threads(t);
    }
    pool.build().map_err(|e| Failure {
        code: 1,
        message: format!("cannot start worker threads: {e}"),
    })
}

fn parse_target(exec: &ExecArgs, plan: &sweep::Plan) -> Result<Option<montecarlo::Precision>, Failure> {
    let Some(arg) = &exec.target_ci else { return Ok(None) };
    let first = plan.point(0)?;
    montecarlo::Precision::parse(arg, &first.scenario, exec.max_replicas)
        .map(Some)
        .map_err(bad_input)
}

/// `--report` reads the CSV files: refuses it with `--format parquet`.
fn check_report_format(with_report: bool, format: output::Format) -> Result<(), Failure> {
    if with_report && !format.csv() {
        return Err(bad_input(
            "--report reads the CSV files: use --format both (or csv) with --report".into(),
        ));
    }
    Ok(())
}

fn execute(plan: &sweep::Plan, exec: &ExecArgs) -> Result<PathBuf, Failure> {
    check_report_format(exec.report, exec.format)?;
    let precision = parse_target(exec, plan)?;
    let dir = exec
        .output
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(&plan.name));
    let pool = thread_pool(&exec.output)?;
    let bar = progress_bar(plan.len() * plan.replicas() as u64, &exec.output)?;
    let command = command_line();
    let options = jobs::Options {
        force: exec.output.force,
        allow_huge: exec.allow_huge,
        command: &command,
        threads: pool.current_num_threads(),
        fidelity: exec.fidelity.into(),
        format: exec.format,
    };
    let summary = pool.install(|| jobs::run(plan, &dir, precision.clone(), &options, &bar));
    bar.finish();
    let summary = summary?;
    note!(
        "{} replicas over {} point(s) in {:.1} s ({:.2e} events/s) -> {}",
        summary.replicas,
        summary.points,
        summary.wall_seconds,
        summary.events() as f64 / summary.wall_seconds.max(1e-9),
        dir.display()
    );
    if let (Some(target), Some(outcome)) = (&precision, &summary.precision) {
        note!("{}", montecarlo::precision_message(target, outcome));
    }
    if exec.stats {
        note_raw!(
            "{}",
            output::stats_report(
                &summary.events_by_kind,
                summary.replicas,
                summary.wall_seconds,
                options.threads
            )
        );
    }
    if exec.report {
        report(&dir, output::report::ReportOptions::default())?;
    }
    Ok(dir)
}
