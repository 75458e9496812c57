//! Result files: tidy CSVs for notebooks and a JSON manifest, written
//! atomically.
//!
//! Files go to a hidden temporary folder beside the destination, which is
//! renamed into place only when every file is written, so an interrupted or
//! failed run never leaves a folder that looks complete. Columns are stable
//! and documented in README.md ("Output files").

use crate::config::Scenario;
use crate::finance;
use crate::metrics::{ReplicaOutcome, Waits};
use crate::montecarlo::{Precision, PrecisionOutcome};
use serde_json::{Value, json};
use std::fs;
use std::path::Path;

mod check;
pub mod report;
mod tables;

pub use check::check_report;

/// The CSV files of a results folder (besides `manifest.json`), in the
/// order they are written. Their bytes depend only on the config and seed.
pub const CSV_FILES: [&str; 6] = [
    "points.csv",
    "replicas.csv",
    "summary.csv",
    "timeseries.csv",
    "risk.csv",
    "training_runs.csv",
];

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
}

/// Pairs grid points with their outcomes and pooled waits (same order).
pub fn point_results<'a>(
    points: &'a [crate::sweep::GridPoint],
    outcomes: &'a [Vec<ReplicaOutcome>],
    waits: &'a [Waits],
) -> Vec<PointResults<'a>> {
    points
        .iter()
        .zip(outcomes.iter().zip(waits))
        .map(|(p, (outcomes, waits))| PointResults {
            id: p.id,
            params: &p.params,
            scenario: &p.scenario,
            outcomes,
            waits,
        })
        .collect()
}

/// Everything a results folder records about one run or sweep.
pub struct RunRecord<'a> {
    /// Where the scenario or experiment came from.
    pub source: &'a str,
    /// The grid points (one for a plain run).
    pub points: Vec<PointResults<'a>>,
    /// The command line, for the manifest.
    pub command: &'a str,
    /// Rayon threads used.
    pub threads: usize,
    /// Wall time of the simulation, seconds.
    pub wall_seconds: f64,
    /// How a `--target-ci` precision target ended, if one was given.
    pub precision: Option<(Precision, PrecisionOutcome)>,
}

/// Writes `points.csv`, `replicas.csv`, `summary.csv`, `timeseries.csv`,
/// `risk.csv`, `training_runs.csv` and `manifest.json` into `dir`, atomically.
pub fn write_results(dir: &Path, force: bool, record: &RunRecord) -> Result<(), OutputError> {
    crate::folder::write_atomically(dir, force, |tmp| write_files(tmp, record))
}

fn write_files(dir: &Path, record: &RunRecord) -> Result<(), OutputError> {
    let mut tables = tables::Tables::create(dir)?;
    for p in &record.points {
        tables.add(p)?;
    }
    tables.finish()?;
    let path = dir.join("manifest.json");
    fs::write(&path, manifest(record)).map_err(io(&path))
}

fn manifest(record: &RunRecord) -> String {
    let first = record.points.first().expect("at least one point");
    let seeds: Vec<u64> = first.outcomes.iter().map(|o| o.row.seed).collect();
    let f = finance::contract_figures(&first.scenario.contract);
    let points: Vec<Value> = record
        .points
        .iter()
        .map(|p| {
            json!({
                "point": p.id,
                "params": p.params.iter().map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>(),
                "resolved_config": p.scenario.raw,
            })
        })
        .collect();
    let precision = record.precision.as_ref().map(|(target, outcome)| {
        json!({
            "metric": target.column.name,
            "target_half_width": target.half_width,
            "max_replicas": target.max_replicas,
            "reached": outcome.reached,
            "replicas": outcome.replicas,
            "worst_half_width": outcome.worst_half_width,
        })
    });
    let value = json!({
        "tool": "mortgage-sim",
        "version": env!("CARGO_PKG_VERSION"),
        "git_commit": Some(env!("MORTGAGE_SIM_GIT_COMMIT")).filter(|c| !c.is_empty()),
        "command": record.command,
        "source": record.source,
        "master_seed": first.scenario.seed,
        "replicas_per_point": first.outcomes.len(),
        "replica_seeds": seeds,
        "threads": record.threads,
        "wall_time_seconds": record.wall_seconds,
        "precision_target": precision,
        "contract_point_0": {
            "term_years": f.term_years,
            "committed_usd": f.committed_usd,
            "planned_chip_hours": f.planned_chip_hours,
            "price_per_chip_hour_usd": f.price_per_chip_hour_usd,
            "price_derived": f.price_derived,
        },
        "points": points,
        "files": CSV_FILES.iter().chain(["manifest.json"].iter()).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&value).expect("manifest serializes") + "\n"
}

/// The `--stats` summary: events by kind (totals over all replicas, with
/// their share), events per second and replicas per second of the run.
pub fn stats_report(results: &[Vec<ReplicaOutcome>], wall_seconds: f64, threads: usize) -> String {
    let kinds = crate::model::Event::KINDS;
    let mut by_kind = vec![0u64; kinds.len()];
    for o in results.iter().flatten() {
        for (total, n) in by_kind.iter_mut().zip(&o.events_by_kind) {
            *total += n;
        }
    }
    let events: u64 = by_kind.iter().sum();
    let replicas: usize = results.iter().map(Vec::len).sum();
    let wall = wall_seconds.max(1e-9);
    let mut out = format!(
        "stats: {replicas} replicas, {events} events in {wall_seconds:.2} s on {threads} thread(s): \
         {:.2}M events/s, {:.3} replicas/s, {:.0} events per replica\n",
        events as f64 / wall / 1e6,
        replicas as f64 / wall,
        events as f64 / replicas.max(1) as f64
    );
    for (name, n) in kinds.iter().zip(&by_kind).filter(|(_, n)| **n > 0) {
        out += &format!(
            "  {name:<20} {n:>14} {:>6.2}%\n",
            100.0 * *n as f64 / events.max(1) as f64
        );
    }
    out
}
