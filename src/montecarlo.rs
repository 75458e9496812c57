//! Monte Carlo over replicas: seeding, parallel execution and aggregation.
//!
//! Replica `r` gets the seed `derive_seed(master, r)`, never anything from
//! thread identity, and rayon's ordered `collect` puts results back in
//! replica order — so outputs are bit-identical for any thread count. The
//! grid point is deliberately *not* mixed into the seed: replica `r` of every
//! point of a sweep draws the same random numbers in every component (common
//! random numbers), so a difference between points is the parameter, not
//! noise. Memory holds only each replica's summary row and time-series
//! steps.

use crate::config::Scenario;
use crate::engine::derive_seed;
use crate::metrics::{Column, ReplicaOutcome, Waits};
use crate::model;
use crate::stats::Summary;
use rayon::prelude::*;
use std::sync::Mutex;

/// Told of progress as replicas finish. The library knows no terminal: the
/// CLI passes a progress bar, tests and other callers [`Silent`].
pub trait Progress: Sync {
    /// `n` more replicas are done.
    fn advance(&self, n: u64);
    /// The work grew by `n` replicas (a precision target asked for more).
    fn extend(&self, _n: u64) {}
}

/// Progress that goes nowhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn advance(&self, _n: u64) {}
}

/// The seed of replica `replica`, shared by every grid point.
pub fn replica_seed(master: u64, replica: u32) -> u64 {
    derive_seed(master, replica as u64)
}

/// Runs `replicas` replicas of `scenario` in parallel on the current rayon
/// pool. Each outcome keeps its own wait histograms (for tests and small
/// studies; sweeps pool them).
pub fn run_point(scenario: &Scenario, replicas: u32, progress: &dyn Progress) -> Vec<ReplicaOutcome> {
    simulate_units(&[scenario], replicas.into(), |i| (0, i as u32), progress, None)
}

/// Runs replicas `range` of every point as one flat parallel loop over
/// (point × replica), so a slow point does not leave a core idle, adding
/// each replica's waits into `pooled[point]`. Returns each point's outcomes
/// in replica order.
pub fn run_batch(
    points: &[&Scenario],
    range: std::ops::Range<u32>,
    progress: &dyn Progress,
    pooled: &mut [Waits],
) -> Vec<Vec<ReplicaOutcome>> {
    let per_point = range.len() as u64;
    let count = points.len() as u64 * per_point;
    let (mut flat, waits) = run_units(
        points,
        count,
        |i| ((i / per_point) as usize, range.start + (i % per_point) as u32),
        progress,
    );
    for (total, w) in pooled.iter_mut().zip(&waits) {
        total.add(w);
    }
    let mut grouped = Vec::with_capacity(points.len());
    for _ in 0..points.len() {
        let rest = flat.split_off(per_point as usize);
        grouped.push(std::mem::replace(&mut flat, rest));
    }
    grouped
}

/// Runs `count` work units in parallel, unit `i` being the (point, replica)
/// `unit(i)`. Outcomes come back in unit order, without their wait
/// histograms, which are pooled per point as replicas finish (histogram
/// addition is exact and commutative, so the pooled result does not depend
/// on thread timing).
pub fn run_units(
    points: &[&Scenario],
    count: u64,
    unit: impl Fn(u64) -> (usize, u32) + Sync,
    progress: &dyn Progress,
) -> (Vec<ReplicaOutcome>, Vec<Waits>) {
    let pooled: Vec<Mutex<Waits>> = points.iter().map(|_| Mutex::new(Waits::default())).collect();
    let outcomes = simulate_units(points, count, unit, progress, Some(&pooled));
    let waits = pooled
        .into_iter()
        .map(|m| m.into_inner().expect("no thread panicked holding it"))
        .collect();
    (outcomes, waits)
}

fn simulate_units(
    points: &[&Scenario],
    count: u64,
    unit: impl Fn(u64) -> (usize, u32) + Sync,
    progress: &dyn Progress,
    pooled: Option<&[Mutex<Waits>]>,
) -> Vec<ReplicaOutcome> {
    (0..count)
        .into_par_iter()
        .map(|i| {
            let (p, r) = unit(i);
            let s = points[p];
            let mut out = model::simulate(s, r, replica_seed(s.seed, r));
            if let Some(pooled) = pooled
                && let Some(waits) = out.waits.take()
            {
                pooled[p].lock().expect("no thread panicked holding it").add(&waits);
            }
            progress.advance(1);
            out
        })
        .collect()
}

/// A precision target: run batches until the 95% CI half-width of a
/// metric's mean is at most `half_width` at every point, or `max_replicas`
/// is reached.
#[derive(Debug, Clone, Copy)]
pub struct Precision {
    /// A metric column of `replicas.csv`.
    pub column: &'static Column,
    /// Target half-width of the 95% confidence interval of its mean.
    pub half_width: f64,
    /// Stop here even if the target is not met.
    pub max_replicas: u32,
}

/// How a precision target ended.
#[derive(Debug, Clone, PartialEq)]
pub struct PrecisionOutcome {
    /// Whether every point met the target.
    pub reached: bool,
    /// Replicas run per point.
    pub replicas: u32,
    /// The largest half-width over the points at the end.
    pub worst_half_width: f64,
}

/// Runs `batch` replicas per point, then, with a `precision` target, further
/// batches (replica indices continue, so the result equals one run with
/// that many replicas) until the target is met at every point or the cap is
/// reached.
pub fn run_points(
    points: &[&Scenario],
    batch: u32,
    precision: Option<&Precision>,
    progress: &dyn Progress,
) -> (Vec<Vec<ReplicaOutcome>>, Vec<Waits>, Option<PrecisionOutcome>) {
    let mut pooled: Vec<Waits> = points.iter().map(|_| Waits::default()).collect();
    let mut results = run_batch(points, 0..batch, progress, &mut pooled);
    let Some(target) = precision else {
        return (results, pooled, None);
    };
    loop {
        let done = results.first().map_or(0, |r| r.len() as u32);
        let worst = results
            .iter()
            .map(|outs| {
                let v: Vec<f64> = outs
                    .iter()
                    .filter_map(|o| (target.column.get)(&o.row).value())
                    .collect();
                match Summary::of(&v, &[]) {
                    Some(s) if s.n >= 2 => s.ci95_half_width(),
                    _ => f64::INFINITY,
                }
            })
            .fold(0.0, f64::max);
        let reached = worst <= target.half_width;
        if reached || done >= target.max_replicas {
            return (
                results,
                pooled,
                Some(PrecisionOutcome {
                    reached,
                    replicas: done,
                    worst_half_width: worst,
                }),
            );
        }
        let next = (done + batch.max(1)).min(target.max_replicas);
        progress.extend((next - done) as u64 * points.len() as u64);
        for (all, more) in results
            .iter_mut()
            .zip(run_batch(points, done..next, progress, &mut pooled))
        {
            all.extend(more);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replica_seeds_depend_on_master_and_replica_only() {
        assert_eq!(replica_seed(1, 3), crate::engine::derive_seed(1, 3));
        assert_ne!(replica_seed(1, 3), replica_seed(2, 3));
        assert_ne!(replica_seed(1, 3), replica_seed(1, 4));
    }
}
