//! The CLI's jobs as library calls: run a plan into a results folder, run
//! one shard of it, merge shard folders. Each checks everything before
//! anything runs — every point it will touch, and the resource ceilings of
//! `model::budget` unless `allow_huge` — then checks the destination, and
//! simulates in chunks of whole points, streaming each chunk's results into
//! the folder (written atomically, see `folder`). Memory holds a chunk, not
//! the sweep; results do not depend on the chunking, since a replica
//! depends only on its scenario and seed and a point's replicas are always
//! in one chunk.

use crate::config::{ConfigError, Scenario};
use crate::folder::{self, FolderError};
use crate::metrics::{ReplicaOutcome, Waits};
use crate::model::Event;
use crate::model::budget::{self, TooBig};
use crate::model::lowfi::CheapOutcome;
use crate::montecarlo::{self, Fidelity, Precision, PrecisionOutcome, Progress, multifidelity};
use crate::output::{Format, PointResults, ResultsWriter, RunInfo};
use crate::shard::{self, Shard, ShardError, ShardMeta, ShardWriter};
use crate::sweep::{GridPoint, Plan};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A chunk gathers whole points until it has at least this many replicas,
/// enough to keep every core busy between the chunks' barriers...
const CHUNK_UNITS: u64 = 256;

/// ...but at most this many points: each holds its pooled wait histograms
/// (~380 kB) while its chunk runs.
const CHUNK_POINTS: u64 = 32;

/// How a job runs, besides its inputs.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// Replace an existing folder of ours.
    pub force: bool,
    /// Run even beyond the resource ceilings.
    pub allow_huge: bool,
    /// The command line, for the manifest.
    pub command: &'a str,
    /// Worker threads (for the manifest).
    pub threads: usize,
    /// Plain or multi-fidelity Monte Carlo (`run` and `sweep`; shards
    /// and merges are plain).
    pub fidelity: Fidelity,
    /// Which files a results folder gets (shard folders have their own).
    pub format: Format,
}

/// Why a job could not run. Bad input is exit code 2; a failure to write
/// is 1 (see [`JobError::exit_code`]).
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// A scenario or experiment is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A shard spec or folder is invalid.
    #[error(transparent)]
    Shard(#[from] ShardError),
    /// The destination cannot be written.
    #[error(transparent)]
    Folder(#[from] FolderError),
    /// A point would cost more than the ceilings allow.
    #[error("{file}: {source}")]
    TooBig {
        /// The scenario or experiment (and the point).
        file: String,
        /// What is too big.
        source: TooBig,
    },
}

impl JobError {
    /// The process exit code: 1 when files could not be written, 2 for bad
    /// input.
    pub fn exit_code(&self) -> u8 {
        match self {
            JobError::Folder(e) => e.exit_code(),
            JobError::Shard(e) => e.exit_code(),
            _ => 2,
        }
    }
}

/// What a job did.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Grid points.
    pub points: u64,
    /// Replicas simulated (or merged).
    pub replicas: u64,
    /// Events handled, by kind (indexed like `Event::KINDS`).
    pub events_by_kind: Vec<u64>,
    /// Wall time, seconds.
    pub wall_seconds: f64,
    /// How a precision target ended, if there was one.
    pub precision: Option<PrecisionOutcome>,
}

impl Summary {
    /// Events handled in all.
    pub fn events(&self) -> u64 {
        self.events_by_kind.iter().sum()
    }

    fn count(&mut self, outcomes: &[ReplicaOutcome]) {
        self.events_by_kind.resize(Event::KINDS.len(), 0);
        for o in outcomes {
            for (total, n) in self.events_by_kind.iter_mut().zip(&o.events_by_kind) {
                *total += n;
            }
        }
        self.replicas += outcomes.len() as u64;
    }
}

/// Checks the budget of points `ids` of `plan` for `held` replicas' results
/// in memory at once, unless `allow_huge`.
fn check_budget(
    plan: &Plan,
    ids: std::ops::Range<u64>,
    held: u64,
    held_key: &str,
    allow_huge: bool,
) -> Result<(), JobError> {
    for id in ids {
        let point = plan.point(id)?;
        if !allow_huge {
            budget::estimate(&point.scenario)
                .check(held, held_key)
                .map_err(|source| JobError::TooBig {
                    file: if plan.len() > 1 {
                        format!("{} (point {id})", plan.source)
                    } else {
                        plan.source.clone()
                    },
                    source,
                })?;
        }
    }
    Ok(())
}

/// Whole points per chunk: enough for [`CHUNK_UNITS`] replicas, at most
/// [`CHUNK_POINTS`].
fn chunk_points(replicas: u64) -> u64 {
    CHUNK_UNITS.div_ceil(replicas.max(1)).clamp(1, CHUNK_POINTS)
}

fn add_point(
    writer: &mut ResultsWriter,
    summary: &mut Summary,
    point: &GridPoint,
    outcomes: &[ReplicaOutcome],
    waits: &Waits,
    twins: &[CheapOutcome],
) -> Result<(), FolderError> {
    summary.count(outcomes);
    summary.points += 1;
    writer.add(&PointResults {
        id: point.id,
        params: &point.params,
        scenario: &point.scenario,
        outcomes,
        waits,
        cheap: twins,
    })
}

/// Runs every point of `plan` into the results folder `dir`: `replicas`
/// per point, or with a `precision` target batches of them until it is met
/// (holding every point's results until then).
pub fn run(
    plan: &Plan,
    dir: &Path,
    precision: Option<Precision>,
    options: &Options,
    progress: &dyn Progress,
) -> Result<Summary, JobError> {
    let fidelity = options.fidelity;
    let (n, r) = (plan.len(), plan.replicas() as u64);
    let (held, held_key) = match &precision {
        Some(target) => (n.saturating_mul(target.max_replicas as u64), "--max-replicas"),
        None => (chunk_points(r).min(n) * r, "--replicas"),
    };
    check_budget(plan, 0..n, held, held_key, options.allow_huge)?;
    folder::check_destination(dir, options.force)?;
    let started = Instant::now();
    let mut summary = Summary::default();
    folder::write_atomically(dir, options.force, |tmp| -> Result<(), JobError> {
        let mut writer = ResultsWriter::create(tmp)?;
        match &precision {
            Some(target) => {
                let points = (0..n).map(|id| plan.point(id)).collect::<Result<Vec<_>, _>>()?;
                let scenarios: Vec<&Scenario> = points.iter().map(|p| &p.scenario).collect();
                let run = montecarlo::run_points(&scenarios, r as u32, Some(target), fidelity, progress);
                for (i, point) in points.iter().enumerate() {
                    let twins = run.twins.get(i).map_or(&[][..], Vec::as_slice);
                    add_point(&mut writer, &mut summary, point, &run.results[i], &run.waits[i], twins)?;
                }
                summary.precision = run.precision;
            }
            None => {
                let mut id = 0;
                while id < n {
                    let end = (id + chunk_points(r)).min(n);
                    let points = (id..end).map(|i| plan.point(i)).collect::<Result<Vec<_>, _>>()?;
                    let scenarios: Vec<&Scenario> = points.iter().map(|p| &p.scenario).collect();
                    let mut pooled: Vec<Waits> = points.iter().map(|_| Waits::default()).collect();
                    let results = montecarlo::run_batch(&scenarios, 0..r as u32, progress, &mut pooled);
                    let mut twins = Vec::new();
                    if fidelity == Fidelity::Multi {
                        multifidelity::add_twins(&scenarios, &results, &mut twins);
                    }
                    for (i, point) in points.iter().enumerate() {
                        let t = twins.get(i).map_or(&[][..], Vec::as_slice);
                        add_point(&mut writer, &mut summary, point, &results[i], &pooled[i], t)?;
                    }
                    id = end;
                }
            }
        }
        summary.wall_seconds = started.elapsed().as_secs_f64();
        writer.finish(&RunInfo {
            source: &plan.source,
            command: options.command,
            threads: options.threads,
            wall_seconds: summary.wall_seconds,
            precision: precision.zip(summary.precision.clone()),
            fidelity,
            format: options.format,
        })?;
        Ok(())
    })?;
    Ok(summary)
}

/// Runs shard `shard` of `plan`'s work units into the shard folder `dir`.
pub fn run_shard(
    plan: &Plan,
    shard: Shard,
    dir: &Path,
    options: &Options,
    progress: &dyn Progress,
) -> Result<Summary, JobError> {
    let r = plan.replicas() as u64;
    let total = plan.len() * r;
    shard.check(total)?;
    let block = shard.units(total);
    let (first, last) = (block.start / r, (block.end - 1) / r);
    let held = CHUNK_UNITS.max(r).min(block.end - block.start);
    check_budget(plan, first..last + 1, held, "--replicas", options.allow_huge)?;
    folder::check_destination(dir, options.force)?;
    let started = Instant::now();
    let mut summary = Summary::default();
    folder::write_atomically(dir, options.force, |tmp| -> Result<(), JobError> {
        let mut writer = ShardWriter::create(tmp, &ShardMeta::new(plan, shard))?;
        let mut p = first;
        while p <= last {
            // Whole points of the block (their replicas in it) until the
            // chunk has enough units.
            let (mut points, mut spans, mut units) = (Vec::new(), Vec::new(), 0);
            while p <= last && (units < CHUNK_UNITS || points.is_empty()) && (points.len() as u64) < CHUNK_POINTS {
                let (lo, hi) = (block.start.max(p * r) - p * r, block.end.min((p + 1) * r) - p * r);
                points.push(plan.point(p)?);
                spans.push((units, lo));
                units += hi - lo;
                p += 1;
            }
            let scenarios: Vec<&Scenario> = points.iter().map(|p| &p.scenario).collect();
            let unit = |i: u64| {
                let k = spans.partition_point(|&(offset, _)| offset <= i) - 1;
                let (offset, lo) = spans[k];
                (k, (lo + i - offset) as u32)
            };
            let (outcomes, waits) = montecarlo::run_units(&scenarios, units, unit, progress);
            for (i, outcome) in outcomes.iter().enumerate() {
                let (k, replica) = unit(i as u64);
                writer.outcome(points[k].id, replica, outcome)?;
            }
            for (point, waits) in points.iter().zip(&waits) {
                writer.waits(point.id, waits)?;
            }
            summary.count(&outcomes);
            summary.points += points.len() as u64;
        }
        writer.finish()?;
        Ok(())
    })?;
    summary.wall_seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Merges the shard folders `dirs` into the results folder `dir`, reading
/// them line by line: memory holds one point's replicas.
pub fn merge(dirs: &[PathBuf], dir: &Path, options: &Options) -> Result<(Plan, Summary), JobError> {
    let (plan, readers) = shard::open_all(dirs)?;
    let r = plan.replicas() as u64;
    check_budget(&plan, 0..1, r, "the shards' replicas", options.allow_huge)?;
    folder::check_destination(dir, options.force)?;
    let started = Instant::now();
    let mut summary = Summary::default();
    folder::write_atomically(dir, options.force, |tmp| -> Result<(), JobError> {
        let mut writer = ResultsWriter::create(tmp)?;
        let mut current: Option<(GridPoint, Vec<ReplicaOutcome>, Waits, shard::Shape)> = None;
        for mut reader in readers {
            let block = reader.meta.units.clone();
            for u in block.clone() {
                let (p, replica) = (u / r, (u % r) as u32);
                if current.as_ref().is_none_or(|c| c.0.id != p) {
                    if let Some((point, outcomes, waits, _)) = current.take() {
                        add_point(&mut writer, &mut summary, &point, &outcomes, &waits, &[])?;
                    }
                    let point = plan.point(p)?;
                    let shape = shape_of(&point.scenario);
                    current = Some((point, Vec::with_capacity(r as usize), Waits::default(), shape));
                }
                let (_, outcomes, waits, shape) = current.as_mut().expect("a point in hand");
                outcomes.push(reader.next_outcome(p, replica, shape)?);
                if u64::from(replica) + 1 == r || u + 1 == block.end {
                    waits.add(&reader.next_waits(p)?);
                }
            }
            reader.finish()?;
        }
        if let Some((point, outcomes, waits, _)) = current.take() {
            add_point(&mut writer, &mut summary, &point, &outcomes, &waits, &[])?;
        }
        summary.wall_seconds = started.elapsed().as_secs_f64();
        writer.finish(&RunInfo {
            source: &plan.source,
            command: options.command,
            threads: 0,
            wall_seconds: summary.wall_seconds,
            precision: None,
            fidelity: Fidelity::Single,
            format: options.format,
        })?;
        Ok(())
    })?;
    Ok((plan, summary))
}

/// What every outcome of a replica of `scenario` must look like.
fn shape_of(scenario: &Scenario) -> shard::Shape {
    shard::Shape {
        steps: scenario.contract.term.steps_of(scenario.timeseries_step) as usize,
        event_kinds: Event::KINDS.len(),
        runs: scenario.training.as_ref().map_or(0, |t| t.runs.len()),
    }
}
