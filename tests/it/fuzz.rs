//! Fuzzing the binary with spoiled input files: no input may make it panic,
//! abort, hang, exhaust memory or write outside its results folder.
//!
//! Every shipped scenario (`configs/*.toml`, the variants in
//! `configs/stress/`, `tests/data/golden.toml`) and
//! experiment (`experiments/*.toml`, `tests/data/sweep_small.toml`), and a
//! small sensitivity study and stress test (`tests/data/study_small.toml`,
//! `tests/data/stress_small.toml`), is parsed,
//! and every node of it — each key, each array entry, down into arrays of
//! tables (`cluster.tranches[1].chips`), distribution tables
//! (`cluster.repair_hours.sigma`) and grid axes — is paired with every
//! [`Mutation`] in [`MUTATIONS`] that fits it. One pair is a case. A seeded
//! sample of the cases (the same one on every run) is written to real files
//! and given to the built binary, scenarios to `check` and
//! `run --replicas 1`, experiments to `sweep --replicas 1`, each command
//!
//! - with its current directory in a fresh folder of its own (a bug that
//!   writes into the working directory cannot touch the repository),
//! - killed after a wall-clock timeout,
//! - under an address-space ceiling (`ulimit -v`, so an allocation that
//!   runs away aborts instead of taking the machine's memory).
//!
//! A case's folder holds `input/` (the mutated file; an experiment's `base`
//! is rewritten to the shipped base scenario's absolute path unless `base`
//! is what is mutated) and `work/`, the current directory, where results go
//! (`--out work/out`; mutations of the top-level `name`, which picks the
//! default folder, run without `--out` and write to `work/results/<name>`).
//!
//! A case passes when every command exits 0 or 2 (bad input), stderr shows
//! no panic, and nothing appeared outside `work/` (in the case's folder, the
//! fuzz folder around it, the repository or its `results/`). All failures
//! are collected and reported together, each with its case label;
//! `FUZZ_FILTER=<label>` runs that case again.
//!
//! The sample counts the same mutation of the same key in near-identical
//! files (`baseline.toml`, `partitioned.toml`) once, picking one of the files
//! at random, until every such group has a case (see [`sample`]).
//!
//! The time limit follows from the resource ceiling (`model::budget`): a
//! replica the binary accepts has at most 10^9 events, which a loaded core
//! handles in about 4 minutes at its slowest (~4 M events/s), so 300 s
//! separates "bounded" from "hangs". Cases near the ceiling (e.g. a 1-second
//! inference step: 1.6·10^8 events) take 30–60 s.
//!
//! CI runs the default sample. More or other cases (`just fuzz` runs 5,000):
//!
//! ```text
//! FUZZ_CASES=5000 FUZZ_SEED=7 cargo test --release --test it fuzz -- --nocapture
//! ```
//!
//! | variable            | default | meaning                                                      |
//! |---------------------|---------|--------------------------------------------------------------|
//! | `FUZZ_CASES`        | 500     | cases in the sample (every case if there are fewer)          |
//! | `FUZZ_SEED`         | 1       | seed of the sample                                           |
//! | `FUZZ_FILTER`       | none    | only cases whose label contains this text                    |
//! | `FUZZ_TIMEOUT_SECS` | 300     | wall-clock limit per command (see below)                     |
//! | `FUZZ_MEMORY_MB`    | 4096    | address-space ceiling per command                            |
//! | `FUZZ_JOBS`         | cores   | commands run at once (each runs its replicas on one thread)  |

mod keys;
mod process;

use super::support;
use keys::{KeyPath, Seg, get, nodes, set, show};
use process::{Ending, Limits, problem, run_limited};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap};
use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use toml::Value;

/// One way to spoil a node of a document. [`Mutation::fits`] says which
/// nodes it applies to, [`Mutation::replacement`] what it puts there.
#[derive(Clone, Copy, Debug)]
enum Mutation {
    /// Remove the key or array entry: a missing required key, a
    /// distribution without one of its parameters, one tranche fewer.
    Delete,
    /// A value of another type (only where the type differs), e.g. a number
    /// where a distribution table is expected.
    WrongType(Kind),
    /// A number instead of a number: zero, negative, extreme, not finite.
    Int(i64),
    /// As [`Mutation::Int`], written as a float.
    Float(f64),
    /// The number times this factor: extreme but plausible sizes and rates
    /// (4·10⁹ chips, 4·10⁷ arrivals per hour). Integers stay integers.
    Times(i32),
    /// The number divided by this factor (an MTBF of 0.05 hours).
    DividedBy(i32),
    /// `[]` instead of a non-empty array.
    EmptyArray,
    /// `{}` instead of a non-empty table.
    EmptyTable,
    /// A distribution table where a number is expected; `complete: false`
    /// leaves out its `sigma`.
    DistForNumber { complete: bool },
    /// A distribution table's `dist` set to this kind: unknown, or known but
    /// with other parameters than the table has.
    DistKind(&'static str),
    /// A string instead of a string: names with `/` or `..`, empty, NUL.
    Text(&'static str),
    /// An absolute path (inside the case's folder, outside its working folder).
    AbsolutePath,
    /// A string of this many bytes.
    Long(usize),
}

/// The types [`Mutation::WrongType`] substitutes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    String,
    Bool,
    Number,
    Array,
    Table,
}

/// Every mutation tried, in the order cases are enumerated.
const MUTATIONS: &[Mutation] = &[
    Mutation::Delete,
    Mutation::WrongType(Kind::String),
    Mutation::WrongType(Kind::Bool),
    Mutation::WrongType(Kind::Number),
    Mutation::WrongType(Kind::Array),
    Mutation::WrongType(Kind::Table),
    Mutation::EmptyArray,
    Mutation::EmptyTable,
    Mutation::Int(0),
    Mutation::Int(-1),
    Mutation::Float(-1e9),
    Mutation::Float(f64::NAN),
    Mutation::Float(f64::INFINITY),
    Mutation::Float(f64::NEG_INFINITY),
    Mutation::Float(1e300),
    Mutation::Int(i64::MAX),
    Mutation::Int(i64::MIN),
    // Huge, and a multiple of every power of two, so it passes `chips`' multiple-of check.
    Mutation::Int(1 << 62),
    Mutation::Float(1e-300),
    Mutation::Float(5e-324),
    Mutation::Times(1_000_000),
    Mutation::DividedBy(1_000_000),
    Mutation::DistForNumber { complete: true },
    Mutation::DistForNumber { complete: false },
    Mutation::DistKind("zipf"),
    Mutation::DistKind("exp"),
    Mutation::Text("a/b"),
    Mutation::Text("../../x"),
    Mutation::Text(".."),
    Mutation::Text("."),
    Mutation::Text(""),
    Mutation::Text("nul\0byte"),
    Mutation::AbsolutePath,
    Mutation::Long(100_000),
];

/// Where [`Mutation::AbsolutePath`] points, below the case's folder.
const ABSOLUTE_TARGET: &str = "abs/x";

impl Kind {
    fn of(v: &Value) -> Option<Kind> {
        match v {
            Value::String(_) => Some(Kind::String),
            Value::Boolean(_) => Some(Kind::Bool),
            Value::Integer(_) | Value::Float(_) => Some(Kind::Number),
            Value::Array(_) => Some(Kind::Array),
            Value::Table(_) => Some(Kind::Table),
            Value::Datetime(_) => None,
        }
    }

    fn example(self) -> Value {
        match self {
            Kind::String => Value::String("fuzz".into()),
            Kind::Bool => Value::Boolean(true),
            Kind::Number => Value::Integer(42),
            Kind::Array => Value::Array(vec![Value::Integer(1), Value::Integer(2)]),
            Kind::Table => Value::Table(toml::toml! { fuzz = 1 }),
        }
    }
}

impl Mutation {
    /// Whether the mutation makes sense at a node holding `v`.
    fn fits(self, v: &Value) -> bool {
        let number = matches!(v, Value::Integer(_) | Value::Float(_));
        match self {
            Mutation::Delete => true,
            Mutation::WrongType(kind) => Kind::of(v) != Some(kind),
            Mutation::Int(_) | Mutation::Float(_) | Mutation::DistForNumber { .. } => number,
            Mutation::Times(_) | Mutation::DividedBy(_) => {
                number && v.as_float().or(v.as_integer().map(|i| i as f64)) != Some(0.0)
            }
            Mutation::EmptyArray => matches!(v, Value::Array(a) if !a.is_empty()),
            Mutation::EmptyTable => matches!(v, Value::Table(t) if !t.is_empty()),
            Mutation::DistKind(_) => matches!(v, Value::Table(t) if t.contains_key("dist")),
            Mutation::Text(_) | Mutation::AbsolutePath | Mutation::Long(_) => v.is_str(),
        }
    }

    /// What replaces `old` (`None`: the node is removed). `case_dir` is the
    /// case's folder, for [`Mutation::AbsolutePath`].
    fn replacement(self, old: &Value, case_dir: &Path) -> Option<Value> {
        let lognormal = |complete: bool| {
            let mut t = toml::toml! { dist = "lognormal" median = 1.0 };
            if complete {
                t.insert("sigma".into(), Value::Float(1.0));
            }
            Value::Table(t)
        };
        Some(match self {
            Mutation::Delete => return None,
            Mutation::WrongType(kind) => kind.example(),
            Mutation::Int(i) => Value::Integer(i),
            Mutation::Float(f) => Value::Float(f),
            Mutation::Times(k) => match *old {
                Value::Integer(i) => Value::Integer(i.saturating_mul(k.into())),
                Value::Float(f) => Value::Float(f * f64::from(k)),
                _ => unreachable!("Times fits numbers only"),
            },
            Mutation::DividedBy(k) => match *old {
                Value::Integer(i) => Value::Float(i as f64 / f64::from(k)),
                Value::Float(f) => Value::Float(f / f64::from(k)),
                _ => unreachable!("DividedBy fits numbers only"),
            },
            Mutation::EmptyArray => Value::Array(Vec::new()),
            Mutation::EmptyTable => Value::Table(toml::Table::new()),
            Mutation::DistForNumber { complete } => lognormal(complete),
            Mutation::DistKind(kind) => {
                let mut t = old.as_table().expect("DistKind fits tables").clone();
                t.insert("dist".into(), Value::String(kind.into()));
                Value::Table(t)
            }
            Mutation::Text(s) => Value::String(s.into()),
            Mutation::AbsolutePath => Value::String(case_dir.join(ABSOLUTE_TARGET).to_str().unwrap().into()),
            Mutation::Long(n) => Value::String("x".repeat(n)),
        })
    }
}

/// Scenario or experiment: which commands a case runs.
#[derive(Clone, Copy, Debug, PartialEq)]
enum FileKind {
    Scenario,
    Experiment,
    Study,
    Stress,
}

/// A shipped input file.
struct Source {
    /// Path relative to the repository, e.g. `configs/baseline.toml`.
    rel: String,
    kind: FileKind,
    /// The parsed file; an experiment's `base` is made absolute, so the
    /// mutated file can live anywhere.
    doc: Value,
}

fn toml_files(dir: &str) -> Vec<String> {
    let mut files: Vec<String> = fs::read_dir(support::repo().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".toml"))
        .map(|name| format!("{dir}/{name}"))
        .collect();
    files.sort();
    files
}

/// Every shipped scenario and experiment.
fn sources() -> Vec<Source> {
    let scenarios = toml_files("configs")
        .into_iter()
        .chain(toml_files("configs/stress"))
        .chain(["tests/data/golden.toml".into()]);
    let experiments = toml_files("experiments")
        .into_iter()
        .chain(["tests/data/sweep_small.toml".into()]);
    let files = scenarios
        .map(|f| (f, FileKind::Scenario))
        .chain(experiments.map(|f| (f, FileKind::Experiment)))
        .chain([
            ("tests/data/study_small.toml".into(), FileKind::Study),
            ("tests/data/stress_small.toml".into(), FileKind::Stress),
        ]);
    files
        .map(|(rel, kind)| {
            let path = support::repo().join(&rel);
            let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
            let mut doc = Value::Table(text.parse::<toml::Table>().unwrap_or_else(|e| panic!("{rel}: {e}")));
            let absolute = |name: &Value| {
                let name = name.as_str().unwrap_or_else(|| panic!("{rel}: a path is not a string"));
                let file = path.parent().unwrap().join(name);
                let file = file
                    .canonicalize()
                    .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
                Value::String(file.to_str().unwrap().into())
            };
            if kind != FileKind::Scenario && doc.get("base").is_none() {
                panic!("{rel}: no base");
            }
            if let Some(base) = doc.get("base") {
                doc["base"] = absolute(base);
            }
            if let Some(Value::Array(variants)) = doc.get("variants") {
                doc["variants"] = Value::Array(variants.iter().map(absolute).collect());
            }
            Source { rel, kind, doc }
        })
        .collect()
}

/// One mutation at one node of one file.
struct Case<'a> {
    source: &'a Source,
    path: KeyPath,
    mutation: Mutation,
}

impl Case<'_> {
    /// How reports name the case: `configs/baseline.toml: cluster.chip_mtbf_hours = 1e-300`.
    fn label(&self) -> String {
        format!("{}: {}", self.source.rel, self.mutated())
    }

    /// The label without the file: `cluster.chip_mtbf_hours = 1e-300`.
    fn mutated(&self) -> String {
        let old = get(&self.source.doc, &self.path);
        match self.mutation.replacement(old, Path::new("<case>")) {
            None => format!("{} deleted", self.path),
            Some(new) => format!("{} = {}", self.path, show(&new)),
        }
    }

    /// The mutated document.
    fn document(&self, case_dir: &Path) -> Value {
        let mut doc = self.source.doc.clone();
        let new = self.mutation.replacement(get(&doc, &self.path), case_dir);
        set(&mut doc, &self.path, new);
        doc
    }

    /// The commands to run on the mutated `file`. A top-level `name` picks
    /// the default results folder (`results/<name>` below the working
    /// folder), so its mutations run without `--out`; the others write to `out`.
    fn commands(&self, file: &Path, out: &Path) -> Vec<Vec<OsString>> {
        let mut exec: Vec<OsString> = vec![
            file.into(),
            "--replicas".into(),
            "1".into(),
            "--quiet".into(),
            "--threads".into(),
            "1".into(),
        ];
        if self.path.0 != [Seg::Key("name".into())] {
            exec.extend(["--out".into(), out.into()]);
        }
        let command = |name: &str, rest: &[OsString]| {
            let mut args = vec![OsString::from(name)];
            args.extend_from_slice(rest);
            args
        };
        match self.source.kind {
            FileKind::Scenario => vec![command("check", &[file.into()]), command("run", &exec)],
            FileKind::Experiment => vec![command("sweep", &exec)],
            FileKind::Study => vec![command("sensitivity", &exec)],
            // `stress` takes no --replicas: the file's own count is small.
            FileKind::Stress => vec![command("stress", &[&exec[..1], &exec[3..]].concat())],
        }
    }
}

/// Every case, in a fixed order: files, then nodes in document order, then [`MUTATIONS`].
fn all_cases(sources: &[Source]) -> Vec<Case<'_>> {
    let mut cases = Vec::new();
    for source in sources {
        let mut paths = Vec::new();
        nodes(&source.doc, &mut Vec::new(), &mut paths);
        for path in paths {
            let value = get(&source.doc, &path);
            for &mutation in MUTATIONS.iter().filter(|m| m.fits(value)) {
                cases.push(Case {
                    source,
                    path: path.clone(),
                    mutation,
                });
            }
        }
    }
    cases
}

/// A seeded sample of `n` cases (all of them if there are fewer).
///
/// Cases that differ only in their file (the same mutation of the same key
/// in `baseline.toml` and `partitioned.toml`) form a stratum. The sample
/// takes one case, from a random file, of as many strata as it can before
/// it takes a second case of any, so files that are near copies of each
/// other do not use up the sample.
fn sample<'a>(cases: Vec<Case<'a>>, n: usize, seed: u64) -> Vec<Case<'a>> {
    if n >= cases.len() {
        return cases;
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut strata: Vec<Vec<usize>> = Vec::new();
    let mut stratum_of: HashMap<String, usize> = HashMap::new();
    for (i, case) in cases.iter().enumerate() {
        let s = *stratum_of.entry(case.mutated()).or_insert_with(|| {
            strata.push(Vec::new());
            strata.len() - 1
        });
        strata[s].push(i);
    }
    for stratum in &mut strata {
        stratum.shuffle(&mut rng);
    }
    let mut chosen = Vec::new();
    for round in 0.. {
        let next: Vec<usize> = strata.iter().filter_map(|s| s.get(round).copied()).collect();
        let room = n - chosen.len();
        if next.len() >= room {
            let picks = rand::seq::index::sample(&mut rng, next.len(), room);
            chosen.extend(picks.into_iter().map(|i| next[i]));
            break;
        }
        chosen.extend(next);
    }
    chosen.sort_unstable();
    let mut cases: Vec<Option<Case<'a>>> = cases.into_iter().map(Some).collect();
    chosen.into_iter().map(|i| cases[i].take().unwrap()).collect()
}

/// A failed check of one case.
struct Failure {
    case: String,
    command: String,
    problem: String,
    stderr: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.case)?;
        writeln!(f, "    command: {}", self.command)?;
        writeln!(f, "    problem: {}", self.problem)?;
        if !self.stderr.is_empty() {
            writeln!(f, "    stderr:  {}", self.stderr)?;
        }
        Ok(())
    }
}

/// The first 300 bytes of stderr, on one line.
fn stderr_head(stderr: &str) -> String {
    let mut cut = stderr.len().min(300);
    while !stderr.is_char_boundary(cut) {
        cut -= 1;
    }
    let head: String = stderr[..cut]
        .trim()
        .chars()
        .map(|c| match c {
            '\n' => " ⏎ ".into(),
            c if c.is_control() => c.escape_default().to_string(),
            c => c.to_string(),
        })
        .collect();
    if cut < stderr.len() { format!("{head}…") } else { head }
}

/// Counts over all commands.
#[derive(Default)]
struct Tally {
    commands: usize,
    exit_0: usize,
    exit_2: usize,
    failed: usize,
    /// Files or folders written outside a case's working folder.
    escapes: usize,
    /// The slowest command that passed, and how long it took.
    slowest: Option<(Duration, String)>,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.commands += other.commands;
        self.exit_0 += other.exit_0;
        self.exit_2 += other.exit_2;
        self.failed += other.failed;
        self.escapes += other.escapes;
        if other.slowest.as_ref().map(|s| s.0) > self.slowest.as_ref().map(|s| s.0) {
            self.slowest = other.slowest;
        }
    }
}

/// Writes the case into `case_dir` (`input/` holds the file, `work/` is the
/// current directory), runs its commands, checks what appeared beside `work/`.
fn run_case(case: &Case<'_>, case_dir: &Path, limits: &Limits, tally: &mut Tally) -> Vec<Failure> {
    let (input, work) = (case_dir.join("input"), case_dir.join("work"));
    fs::create_dir_all(&input).unwrap();
    fs::create_dir_all(&work).unwrap();
    let name = Path::new(&case.source.rel).file_name().unwrap();
    let file = input.join(name);
    let text = toml::to_string(&case.document(case_dir)).unwrap_or_else(|e| panic!("{}: {e}", case.label()));
    fs::write(&file, text).unwrap();
    let prefix = case_dir.to_str().unwrap();
    let mut failures = Vec::new();
    for args in case.commands(&file, &work.join("out")) {
        let shown: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().replace(prefix, "<case>"))
            .collect();
        let command = format!("mortgage-sim {}", shown.join(" "));
        let (ending, stderr, took) = run_limited(support::binary_path(), &args, &work, limits);
        let stderr = String::from_utf8_lossy(&stderr);
        tally.commands += 1;
        match problem(ending, &stderr, limits) {
            None => {
                if matches!(ending, Ending::Exit(0)) {
                    tally.exit_0 += 1;
                } else {
                    tally.exit_2 += 1;
                }
                if tally.slowest.as_ref().is_none_or(|(t, _)| took > *t) {
                    tally.slowest = Some((took, format!("{} ({command})", case.label())));
                }
            }
            Some(problem) => {
                tally.failed += 1;
                let fatal = !matches!(ending, Ending::Exit(_));
                failures.push(Failure {
                    case: case.label(),
                    command,
                    problem,
                    stderr: stderr_head(&stderr),
                });
                // The next command reads the same file: it would only hang or crash again.
                if fatal {
                    break;
                }
            }
        }
    }
    let strays = entries(case_dir).into_iter().filter(|e| e != "input" && e != "work");
    let strays = strays.chain(entries(&input).into_iter().filter(|e| e.as_str() != name));
    for stray in strays.collect::<Vec<_>>() {
        tally.escapes += 1;
        failures.push(Failure {
            case: case.label(),
            command: "(after the commands)".into(),
            problem: format!("wrote outside its working folder: <case>/{stray}"),
            stderr: String::new(),
        });
    }
    failures
}

/// The names in a folder (none if it does not exist).
fn entries(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn env_or<T: FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v.parse().unwrap_or_else(|_| panic!("{name}={v}: not a valid value")),
        Err(_) => default,
    }
}

#[test]
fn no_mutated_config_or_experiment_panics_hangs_exhausts_memory_or_escapes() {
    let n: usize = env_or("FUZZ_CASES", 500);
    let seed: u64 = env_or("FUZZ_SEED", 1);
    let filter: String = env_or("FUZZ_FILTER", String::new());
    let limits = Limits {
        timeout: Duration::from_secs(env_or("FUZZ_TIMEOUT_SECS", 300)),
        memory_mb: env_or("FUZZ_MEMORY_MB", 4096),
    };
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let jobs: usize = env_or("FUZZ_JOBS", cores);

    let sources = sources();
    let mut cases = all_cases(&sources);
    let enumerated = cases.len();
    cases.retain(|c| c.label().contains(&filter));
    let cases = sample(cases, n, seed);
    assert!(!cases.is_empty(), "FUZZ_FILTER={filter:?} matches no case");

    let repo = support::repo();
    let watched = [repo.clone(), repo.join("results")];
    let before: Vec<_> = watched.iter().map(|d| entries(d)).collect();
    let root = tempfile::Builder::new().prefix("mortgage-sim-fuzz-").tempdir().unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build().unwrap();
    let started = Instant::now();
    let done = AtomicUsize::new(0);
    let results: Vec<(Vec<Failure>, Tally)> = pool.install(|| {
        cases
            .par_iter()
            .with_max_len(1)
            .enumerate()
            .map(|(i, case)| {
                let case_dir = root.path().join(format!("case-{i:05}"));
                let mut tally = Tally::default();
                let failures = run_case(case, &case_dir, &limits, &mut tally);
                fs::remove_dir_all(&case_dir).unwrap();
                let done = done.fetch_add(1, Ordering::Relaxed) + 1;
                if done.is_multiple_of(50) {
                    eprintln!(
                        "fuzz: {done}/{} cases, {:.0} s",
                        cases.len(),
                        started.elapsed().as_secs_f64()
                    );
                }
                (failures, tally)
            })
            .collect()
    });
    let elapsed = started.elapsed();

    let mut failures = Vec::new();
    let mut tally = Tally::default();
    for (f, t) in results {
        failures.extend(f);
        tally.add(t);
    }
    // Every case removed its folder: what is left in the fuzz folder, or new
    // in the repository or its results/, escaped from some case.
    let mut strays: Vec<PathBuf> = entries(root.path()).iter().map(|e| root.path().join(e)).collect();
    for (dir, was) in watched.iter().zip(&before) {
        strays.extend(entries(dir).difference(was).map(|e| dir.join(e)));
    }
    for stray in strays {
        tally.escapes += 1;
        failures.push(Failure {
            case: "(unknown case)".into(),
            command: "(after all cases)".into(),
            problem: format!("appeared outside every case's folder: {}", stray.display()),
            stderr: String::new(),
        });
    }

    for f in &failures {
        eprint!("{f}");
    }
    let failed_cases: BTreeSet<&str> = failures.iter().map(|f| f.case.as_str()).collect();
    let slowest = tally.slowest.map_or(String::new(), |(t, what)| {
        format!("; slowest passing command {:.1} s: {what}", t.as_secs_f64())
    });
    println!(
        "fuzz: {} of {enumerated} cases (seed {seed}{}) in {:.0} s; {} commands: {} exit 0, {} exit 2, {} failed; \
         {} writes outside; {} failing cases{slowest}",
        cases.len(),
        if filter.is_empty() {
            String::new()
        } else {
            format!(", filter {filter:?}")
        },
        elapsed.as_secs_f64(),
        tally.commands,
        tally.exit_0,
        tally.exit_2,
        tally.failed,
        tally.escapes,
        failed_cases.len(),
    );
    assert!(
        failures.is_empty(),
        "{} failures in {} of {} cases (listed above); rerun one with FUZZ_FILTER='<its label>'",
        failures.len(),
        failed_cases.len(),
        cases.len()
    );
}

/// The limits work: a command that outlives the timeout is killed, one that
/// asks for more memory than the ceiling is refused it, and the binary runs
/// under them.
#[test]
fn fuzz_limits_kill_a_slow_command_and_refuse_a_large_allocation() {
    let tmp = tempfile::tempdir().unwrap();
    let limits = Limits {
        timeout: Duration::from_secs(1),
        memory_mb: 256,
    };
    let (ending, _, took) = run_limited("sleep", &["30".into()], tmp.path(), &limits);
    assert!(matches!(ending, Ending::TimedOut), "{ending:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    // dd allocates its block before it copies anything.
    let args = ["if=/dev/zero", "of=/dev/null", "bs=1G", "count=1"].map(OsString::from);
    let (ending, stderr, _) = run_limited("dd", &args, tmp.path(), &limits);
    assert!(
        !matches!(ending, Ending::Exit(0)),
        "dd allocated 1 GB under a 256 MB ceiling: {}",
        String::from_utf8_lossy(&stderr)
    );
    let (ending, _, _) = run_limited(support::binary_path(), &["--version".into()], tmp.path(), &limits);
    assert!(matches!(ending, Ending::Exit(0)), "{ending:?}");
}

/// Equal as TOML: NaN equals NaN, the order of a table's keys does not matter.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x == y || x.is_nan() && y.is_nan(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (Value::Table(x), Value::Table(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// The generator writes what its labels say: every case, written as TOML
/// and read back, has the mutated node (or its absence) and is otherwise
/// the file it came from; every file and every mutation gives cases; the
/// nested nodes named in the module doc are reached.
#[test]
fn fuzz_cases_cover_every_file_and_mutation_and_round_trip_through_toml() {
    let sources = sources();
    let cases = all_cases(&sources);
    for source in &sources {
        assert!(
            cases.iter().any(|c| std::ptr::eq(c.source, source)),
            "{}: no cases",
            source.rel
        );
    }
    for m in MUTATIONS {
        assert!(
            cases.iter().any(|c| format!("{:?}", c.mutation) == format!("{m:?}")),
            "{m:?} fits no node"
        );
    }
    let labels: Vec<String> = cases.iter().map(Case::label).collect();
    for wanted in [
        "configs/baseline.toml: cluster.tranches[1].chips = 9223372036854775807",
        "configs/baseline.toml: cluster.repair_hours.sigma deleted",
        "configs/baseline.toml: cluster.repair_hours = { dist = \"zipf\", median = 24, sigma = 1.0 }",
        "configs/baseline.toml: cluster.chip_mtbf_hours = 0.0507",
        "tests/data/sweep_small.toml: zip[0].\"research.chips\"[1].value = nan",
        "experiments/growth_x_delay.toml: name = \"../../x\"",
    ] {
        assert!(labels.iter().any(|l| l == wanted), "no case {wanted:?}");
    }
    let dir = Path::new("/fuzz-case");
    for case in &cases {
        let doc = case.document(dir);
        let text = toml::to_string(&doc).unwrap_or_else(|e| panic!("{}: {e}", case.label()));
        let back = Value::Table(
            text.parse::<toml::Table>()
                .unwrap_or_else(|e| panic!("{}: {e}", case.label())),
        );
        assert!(same(&back, &doc), "{}", case.label());
        let old = get(&case.source.doc, &case.path);
        let (last, parent) = case.path.0.split_last().unwrap();
        let parent = KeyPath(parent.to_vec());
        match (case.mutation.replacement(old, dir), last) {
            (Some(new), _) => {
                assert!(same(get(&back, &case.path), &new), "{}", case.label());
                let mut restored = back.clone();
                set(&mut restored, &case.path, Some(old.clone()));
                assert!(same(&restored, &case.source.doc), "{}", case.label());
            }
            (None, Seg::Key(k)) => assert!(!get(&back, &parent).as_table().unwrap().contains_key(k)),
            (None, Seg::Index(_)) => assert_eq!(
                get(&back, &parent).as_array().unwrap().len() + 1,
                get(&case.source.doc, &parent).as_array().unwrap().len()
            ),
        }
    }
}
