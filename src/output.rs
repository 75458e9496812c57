//! Result files: tidy CSVs for notebooks (and/or their typed Parquet
//! copies, `--format`) and a JSON manifest, written atomically.
//!
//! Files go to a hidden temporary folder beside the destination, which is
//! renamed into place only when every file is written, so an interrupted or
//! failed run never leaves a folder that looks complete. Columns are stable
//! and documented in README.md ("Output files").

use crate::config::Scenario;
use crate::engine::Span;
use crate::finance;
use crate::metrics::{ReplicaOutcome, Waits};
use crate::model::lowfi::CheapOutcome;
use crate::montecarlo::importance::Tilted;
use crate::montecarlo::multifidelity::TwinFigure;
use crate::montecarlo::{Fidelity, Precision, PrecisionOutcome, Width};
use serde_json::json;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

mod check;
pub mod columns;
pub(crate) mod csv_table;
mod headline;
pub(crate) mod numbers;
mod parquet;
pub mod report;
pub(crate) mod risk_rows;
mod tables;

pub use check::{check_listing, check_plan_report, check_report};
pub use headline::headline;
pub use numbers::human;

/// The CSV files of a results folder (besides `manifest.json`), in the
/// order they are written. Their bytes depend only on the config and seed.
pub const CSV_FILES: [&str; 8] = [
    "points.csv",
    "replicas.csv",
    "summary.csv",
    "timeseries.csv",
    "risk.csv",
    "exposure.csv",
    "training_runs.csv",
    "events.csv",
];

/// Which files a results folder gets (`--format`): the CSV files, their
/// Parquet copies (NAME.parquet, typed by [`columns`]), or both. The
/// default is CSV; `merge` and `report` read the CSV files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// The CSV files only.
    #[default]
    Csv,
    /// The Parquet files only.
    Parquet,
    /// Both.
    Both,
}

impl Format {
    /// The name `--format` takes and the manifest records.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
            Format::Both => "both",
        }
    }

    /// Whether the folder keeps its CSV files.
    pub fn csv(self) -> bool {
        self != Format::Parquet
    }

    /// Whether the folder gets Parquet files.
    pub fn parquet(self) -> bool {
        self != Format::Csv
    }

    /// The result files of the format, in the order they are written.
    pub fn files(self) -> Vec<String> {
        let stems = CSV_FILES.iter().map(|f| f.trim_end_matches(".csv"));
        let csv = stems.clone().filter(|_| self.csv()).map(|s| format!("{s}.csv"));
        let parquet = stems.filter(|_| self.parquet()).map(|s| format!("{s}.parquet"));
        csv.chain(parquet).collect()
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Format, String> {
        [Format::Csv, Format::Parquet, Format::Both]
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| format!("is {s:?}; allowed: csv, parquet, both"))
    }
}

use crate::folder::io_error as io;
pub use crate::folder::{FolderError as OutputError, check_destination};

/// Quantile levels reported in `summary.csv`.
pub const QUANTILES: [f64; 7] = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];

/// Quantile levels (bands) reported in `timeseries.csv`.
pub const BANDS: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// One grid point's results.
pub struct PointResults<'a> {
    /// Point id.
    pub id: u64,
    /// (dotted key, value) of every swept key; empty for a plain run.
    pub params: &'a [(String, String)],
    /// The point's scenario.
    pub scenario: &'a Scenario,
    /// Replica outcomes in replica order.
    pub outcomes: &'a [ReplicaOutcome],
    /// The point's wait histograms pooled over its replicas.
    pub waits: &'a Waits,
    /// The low-fidelity twins of replicas 0, 1, … with `--fidelity multi`
    /// (the first `outcomes.len()` paired with the full replicas); empty
    /// otherwise.
    pub cheap: &'a [CheapOutcome],
    /// Its importance sample with `--fidelity is`.
    pub tilted: Option<&'a Tilted>,
}

/// What the manifest records about a run besides its points.
#[derive(Debug, Clone)]
pub struct RunInfo<'a> {
    /// Where the scenario or experiment came from.
    pub source: &'a str,
    /// The command line.
    pub command: &'a str,
    /// Worker threads used (1 for a merge, which reads and writes in one).
    pub threads: usize,
    /// Wall time of the simulation (or the merge), seconds.
    pub wall_seconds: f64,
    /// What a merge records besides (`None` for a run or a sweep).
    pub merge: Option<MergeInfo>,
    /// How a `--target-ci` precision target ended, if one was given.
    pub precision: Option<(Precision, PrecisionOutcome)>,
    /// Plain or multi-fidelity Monte Carlo.
    pub fidelity: Fidelity,
    /// Which files to write.
    pub format: Format,
}

/// What the manifest of a merged folder records about the merge: when it
/// ended, how many shards it read, and the shards' own run time when every
/// shard recorded one (`None` otherwise: a sum over some would understate).
#[derive(Debug, Clone)]
pub struct MergeInfo {
    /// When the merge finished.
    pub finished_at: std::time::SystemTime,
    /// Shard folders merged.
    pub shards: usize,
    /// Sum of the shards' wall times, seconds.
    pub shards_wall_seconds: Option<f64>,
}

/// Writes a results folder's files point by point: the CSV files as each
/// point is added, and `manifest.json` at the end. It holds no point after
/// adding it, so a sweep or a merge of any size writes in constant memory.
/// Used inside `folder::write_atomically`, on the temporary folder.
pub struct ResultsWriter {
    dir: PathBuf,
    tables: tables::Tables,
    /// The manifest's point entries, written as points come.
    entries: std::io::BufWriter<fs::File>,
    entries_path: PathBuf,
    /// What the manifest takes from the first point.
    first: Option<FirstPoint>,
    /// Low-fidelity twins run per point (`--fidelity multi` or `is`).
    twins: Vec<usize>,
    /// Each point's tilt and tilted twins (`--fidelity is`).
    importance: Vec<serde_json::Value>,
}

struct FirstPoint {
    master_seed: u64,
    replicas: usize,
    contract: finance::ContractFigures,
}

impl ResultsWriter {
    /// Creates the files in `dir` (an empty, temporary folder).
    pub fn create(dir: &Path) -> Result<ResultsWriter, OutputError> {
        let entries_path = dir.join(".manifest-points.part");
        let entries = fs::File::create(&entries_path).map_err(io(&entries_path))?;
        Ok(ResultsWriter {
            dir: dir.to_path_buf(),
            tables: tables::Tables::create(dir)?,
            entries: std::io::BufWriter::new(entries),
            entries_path,
            first: None,
            twins: Vec::new(),
            importance: Vec::new(),
        })
    }

    /// Writes one point's rows (points come in id order).
    pub fn add(&mut self, p: &PointResults) -> Result<(), OutputError> {
        self.tables.add(p)?;
        self.twins.push(p.cheap.len());
        if let Some(t) = p.tilted {
            let kish = t.kish(TwinFigure::DefaultWithin(
                p.scenario.contract.term.steps_of(Span::MONTH) as u32,
            ));
            self.importance.push(json!({
                "drift_shift_per_year": t.tilt.drift_shift_per_year,
                "commercial_failure_probability": t.tilt.failure_probability,
                "commercial_failure_time_shape": t.tilt.failure_time_shape,
                "pilot_twins": t.pilot_twins,
                "tilted_twins": t.twins.len(),
                "tilted_pairs": t.pairs.len(),
                "kish_effective_n_default_in_term": kish,
            }));
        }
        let entry = json!({
            "point": p.id,
            "params": p.params.iter().map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>(),
            "resolved_config": p.scenario.raw,
        });
        let separator = if self.first.is_some() { ",\n" } else { "" };
        let text = serde_json::to_string_pretty(&entry).expect("a manifest entry serializes");
        let indented: Vec<String> = text.lines().map(|l| format!("    {l}")).collect();
        write!(self.entries, "{separator}{}", indented.join("\n")).map_err(io(&self.entries_path))?;
        if self.first.is_none() {
            self.first = Some(FirstPoint {
                master_seed: p.scenario.seed,
                replicas: p.outcomes.len(),
                contract: finance::contract_figures(&p.scenario.contract),
            });
        }
        Ok(())
    }

    /// Flushes the CSV files, makes their Parquet copies (and drops the
    /// CSV files) as `info.format` says, and writes `manifest.json`.
    pub fn finish(mut self, info: &RunInfo) -> Result<(), OutputError> {
        self.tables.finish()?;
        if info.format.parquet() {
            parquet::write_all(&self.dir)?;
        }
        if !info.format.csv() {
            for f in CSV_FILES {
                let path = self.dir.join(f);
                fs::remove_file(&path).map_err(io(&path))?;
            }
        }
        self.entries.flush().map_err(io(&self.entries_path))?;
        drop(self.entries);
        let first = self.first.expect("a results folder has at least one point");
        let precision = info.precision.as_ref().map(|(target, outcome)| {
            json!({
                "metric": target.target.name(),
                "target_half_width": match target.width {
                    Width::Absolute(w) => Some(w),
                    Width::Relative(_) => None,
                },
                "target_relative_half_width": match target.width {
                    Width::Relative(r) => Some(r),
                    Width::Absolute(_) => None,
                },
                "max_replicas": target.max_replicas,
                "reached": outcome.reached,
                "replicas": outcome.replicas,
                "worst_half_width": outcome.worst_half_width,
            })
        });
        let f = &first.contract;
        let seeds: Vec<u64> = (0..first.replicas as u32)
            .map(|r| crate::montecarlo::replica_seed(first.master_seed, r))
            .collect();
        let mut head = json!({
            "tool": "mortgage-sim",
            "version": env!("CARGO_PKG_VERSION"),
            "git_commit": Some(env!("MORTGAGE_SIM_GIT_COMMIT")).filter(|c| !c.is_empty()),
            "command": info.command,
            "source": info.source,
            "master_seed": first.master_seed,
            "replicas_per_point": first.replicas,
            "replica_seeds": seeds,
            "threads": info.threads,
            "wall_time_seconds": info.wall_seconds,
            "precision_target": precision,
            "fidelity": info.fidelity.as_str(),
            "format": info.format.as_str(),
            "twins_per_point": (info.fidelity != Fidelity::Single).then_some(&self.twins),
            "importance_per_point": (info.fidelity == Fidelity::Importance).then_some(&self.importance),
            "contract_point_0": {
                "term_years": f.term_years,
                "committed_usd": f.committed_usd,
                "planned_chip_hours": f.planned_chip_hours,
                "price_per_chip_hour_usd": f.price_per_chip_hour_usd,
                "price_derived": f.price_derived,
            },
        });
        if let Some(m) = &info.merge {
            // Only a merged folder has the key: a run's manifest is unchanged.
            head["merge"] = json!({
                "finished_at": humantime::format_rfc3339_seconds(m.finished_at).to_string(),
                "shards": m.shards,
                "shards_wall_time_seconds": m.shards_wall_seconds,
            });
        }
        let head = serde_json::to_string_pretty(&head).expect("manifest serializes");
        let mut files = info.format.files();
        files.push("manifest.json".into());
        let files = serde_json::to_string_pretty(&files).expect("file names serialize");
        let path = self.dir.join("manifest.json");
        let mut out = std::io::BufWriter::new(fs::File::create(&path).map_err(io(&path))?);
        let head = head
            .strip_suffix("\n}")
            .expect("a pretty JSON object ends with a brace");
        let write = |out: &mut std::io::BufWriter<fs::File>| -> std::io::Result<()> {
            write!(out, "{head},\n  \"points\": [\n")?;
            std::io::copy(&mut fs::File::open(&self.entries_path)?, out)?;
            write!(out, "\n  ],\n  \"files\": {}\n}}\n", files.replace('\n', "\n  "))?;
            out.flush()
        };
        write(&mut out).map_err(io(&path))?;
        fs::remove_file(&self.entries_path).map_err(io(&self.entries_path))
    }
}

/// The `--stats` summary: events by kind (totals over all replicas, with
/// their share), events per second and replicas per second of the run, and
/// the process's peak memory where the system tells (Linux).
pub fn stats_report(by_kind: &[u64], replicas: u64, wall_seconds: f64, threads: usize) -> String {
    let kinds = crate::model::Event::KINDS;
    let events: u64 = by_kind.iter().sum();
    let wall = wall_seconds.max(1e-9);
    let mut out = format!(
        "stats: {replicas} replicas, {events} events in {wall_seconds:.2} s on {threads} thread(s): \
         {:.2}M events/s, {:.3} replicas/s, {:.0} events per replica\n",
        events as f64 / wall / 1e6,
        replicas as f64 / wall,
        events as f64 / replicas.max(1) as f64
    );
    for (name, n) in kinds.iter().zip(by_kind).filter(|(_, n)| **n > 0) {
        out += &format!(
            "  {name:<20} {n:>14} {:>6.2}%\n",
            100.0 * *n as f64 / events.max(1) as f64
        );
    }
    if let Some(kb) = peak_memory_kb() {
        out += &format!("  peak memory          {:>14} kB (VmHWM)\n", kb);
    }
    out
}

/// This process's peak resident memory in kB, from /proc (Linux only).
fn peak_memory_kb() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
