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

pub mod importance;
pub mod multifidelity;

pub use multifidelity::Fidelity;

use crate::config::Scenario;
use crate::engine::derive_seed;
use crate::metrics::risk::{self, RiskFigure};
use crate::metrics::{Column, ReplicaOutcome, Waits};
use crate::model;
use crate::model::lowfi::CheapOutcome;
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

/// What a precision target measures.
#[derive(Debug, Clone)]
pub enum Target {
    /// The mean of a metric column of `replicas.csv`.
    Column(&'static Column),
    /// A figure of `risk.csv`, by its label (`p_default_by_year_5`,
    /// `var95_loss_usd`, see [`risk::RiskFigure::label`]).
    Risk(String),
}

impl Target {
    /// The name as given on the command line.
    pub fn name(&self) -> &str {
        match self {
            Target::Column(c) => c.name,
            Target::Risk(label) => label,
        }
    }
}

/// A precision target's half-width: absolute, or relative to the estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Width {
    /// In the figure's unit.
    Absolute(f64),
    /// A fraction of |estimate| (`5%` is 0.05).
    Relative(f64),
}

/// A precision target: run batches until the 95% CI half-width of a
/// metric's mean or of a risk figure is at most `width` at every point, or
/// `max_replicas` is reached.
#[derive(Debug, Clone)]
pub struct Precision {
    /// What is measured.
    pub target: Target,
    /// Target half-width of its 95% confidence interval.
    pub width: Width,
    /// Stop here even if the target is not met.
    pub max_replicas: u32,
}

impl Precision {
    /// Parses `--target-ci NAME=WIDTH`: NAME a metric column of
    /// `replicas.csv` or a risk figure with an interval as `scenario`'s
    /// `risk.csv` labels it, WIDTH a number > 0 or a percentage (`5%`).
    /// The error says what is allowed.
    pub fn parse(spec: &str, scenario: &Scenario, max_replicas: u32) -> Result<Precision, String> {
        let (name, width) = spec.split_once('=').ok_or_else(|| {
            format!(
                "--target-ci {spec}: expected METRIC=HALF_WIDTH (a replicas.csv column or a risk figure), \
                 e.g. utilization=0.005 or expected_loss_usd=5%"
            )
        })?;
        let risk_labels = risk::target_labels(scenario);
        let target = match crate::metrics::column(name).filter(|c| c.is_metric()) {
            Some(c) => Target::Column(c),
            None if risk_labels.iter().any(|l| l == name) => Target::Risk(name.to_string()),
            None => {
                let columns: Vec<&str> = crate::metrics::COLUMNS
                    .iter()
                    .filter(|c| c.is_metric())
                    .map(|c| c.name)
                    .collect();
                return Err(format!(
                    "--target-ci {spec}: unknown metric or risk figure `{name}`; allowed: a replicas.csv column ({}) \
                     or a risk figure with an interval ({})",
                    columns.join(", "),
                    risk_labels.join(", ")
                ));
            }
        };
        let number = |t: &str| t.trim().parse::<f64>().ok().filter(|w| w.is_finite() && *w > 0.0);
        let width = match width.strip_suffix('%') {
            Some(pct) => number(pct).map(|p| Width::Relative(p / 100.0)),
            None => number(width).map(Width::Absolute),
        }
        .ok_or_else(|| {
            format!("--target-ci {spec}: half-width `{width}`; allowed: a number > 0, or a percentage such as 5%")
        })?;
        if max_replicas < 2 {
            return Err("--max-replicas: allowed: at least 2 with --target-ci".into());
        }
        Ok(Precision {
            target,
            width,
            max_replicas,
        })
    }

    /// The target's precision at one point, with the point's twins under
    /// `--fidelity multi` or `is` (empty otherwise) and its tilted twins
    /// under `is`.
    fn measure(
        &self,
        outcomes: &[ReplicaOutcome],
        twins: &[CheapOutcome],
        tilted: Option<&importance::Tilted>,
        scenario: &Scenario,
    ) -> PointPrecision {
        let (half, estimate, with_value) = match &self.target {
            Target::Column(c) => {
                let v: Vec<f64> = outcomes.iter().filter_map(|o| (c.get)(&o.row).value()).collect();
                match Summary::of(&v, &[]) {
                    Some(s) if s.n >= 2 => (s.ci95_half_width(), s.mean, s.n),
                    _ => (f64::INFINITY, f64::NAN, v.len()),
                }
            }
            Target::Risk(label) => point_figures(outcomes, twins, tilted, scenario)
                .into_iter()
                .find(|f| &f.label() == label)
                .map_or((f64::INFINITY, f64::NAN, 0), |f| (f.half_width(), f.value, f.n)),
        };
        let limit = match self.width {
            Width::Absolute(w) => w,
            Width::Relative(r) => r * estimate.abs(),
        };
        PointPrecision {
            half_width: half,
            met: half <= limit,
            with_value,
        }
    }
}

/// A precision target's state at one point.
struct PointPrecision {
    half_width: f64,
    met: bool,
    with_value: usize,
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
    /// The fewest replicas with a value of the target at any point: fewer
    /// than `replicas` for a conditional figure (`default_month` has a
    /// value only where the buyer defaults).
    pub fewest_with_value: usize,
}

/// What to tell the user about how a precision target ended: reached or
/// not, the worst half-width and the replicas per point; for a conditional
/// figure that too few replicas inform, why, and what to target instead.
pub fn precision_message(target: &Precision, outcome: &PrecisionOutcome) -> String {
    let goal = match target.width {
        Width::Absolute(w) => format!("<= {w}"),
        Width::Relative(r) => format!("<= {}% of the estimate", r * 100.0),
    };
    let verdict = if outcome.reached {
        "reached"
    } else {
        "NOT reached (--max-replicas hit)"
    };
    let mut text = format!(
        "precision target {}: 95% CI half-width {goal} {verdict}: ",
        target.target.name()
    );
    if outcome.worst_half_width.is_finite() {
        text += &format!("worst half-width {:.4e}", outcome.worst_half_width);
    } else {
        text += "a point's interval is unbounded or undefined";
    }
    text += &format!(" with {} replicas per point", outcome.replicas);
    if !outcome.reached && (outcome.fewest_with_value as u64) < u64::from(outcome.replicas) {
        text += &format!(
            "; `{}` has a value in only {} of {} replicas at some point: it is defined only for some \
             replicas (e.g. `default_month` and `loss_given_default` where the buyer defaults), so its \
             precision grows with those replicas, not with all; target an unconditional figure instead \
             (e.g. p_default_by_year_5, expected_loss_usd) or raise --max-replicas",
            target.target.name(),
            outcome.fewest_with_value,
            outcome.replicas
        );
    }
    text
}

/// Every figure of a point's `risk.csv` by the estimator its cheap runs
/// call for: importance sampling with a tilted sample, multi-fidelity
/// with twins, plain Monte Carlo without.
pub fn point_figures(
    outcomes: &[ReplicaOutcome],
    twins: &[CheapOutcome],
    tilted: Option<&importance::Tilted>,
    scenario: &Scenario,
) -> Vec<RiskFigure> {
    match tilted {
        Some(sample) => importance::point_figures(outcomes, sample, scenario),
        None => multifidelity::point_figures(outcomes, twins, scenario),
    }
}

/// Runs the cheap runs `fidelity` needs for the full replicas `results`
/// of `points`, adding to those already run: twins (multi-fidelity: the
/// paired ones and more; importance sampling: the paired ones, which size
/// its budget) and the importance sample (tilted twins and tilted pairs).
pub fn add_cheap(
    fidelity: Fidelity,
    points: &[&Scenario],
    results: &[Vec<ReplicaOutcome>],
    twins: &mut Vec<Vec<CheapOutcome>>,
    tilted: &mut Vec<importance::Tilted>,
) {
    match fidelity {
        Fidelity::Single => {}
        Fidelity::Multi => multifidelity::add_twins(points, results, twins),
        Fidelity::Importance => {
            multifidelity::pair_twins(points, results, twins);
            importance::add_tilted(points, results, twins, tilted);
        }
    }
}

/// What [`run_points`] returns: per point, the full replicas' outcomes,
/// their pooled waits, the twins (empty with `--fidelity single`), the
/// importance samples (tilted twins and pairs, `--fidelity is` only), and
/// how a precision target ended.
pub struct PointsRun {
    /// Full replicas' outcomes, per point, in replica order.
    pub results: Vec<Vec<ReplicaOutcome>>,
    /// Each point's wait histograms pooled over its replicas.
    pub waits: Vec<Waits>,
    /// Each point's low-fidelity twins (replicas 0, 1, …).
    pub twins: Vec<Vec<CheapOutcome>>,
    /// Each point's importance sample (`--fidelity is`; empty otherwise).
    pub tilted: Vec<importance::Tilted>,
    /// How the precision target ended, if there was one.
    pub precision: Option<PrecisionOutcome>,
}

/// Runs `batch` replicas per point (and their twins with
/// [`Fidelity::Multi`]), then, with a `precision` target, further batches
/// (replica indices continue, so the result equals one run with that many
/// replicas) until the target is met at every point or the cap is
/// reached.
pub fn run_points(
    points: &[&Scenario],
    batch: u32,
    precision: Option<&Precision>,
    fidelity: Fidelity,
    progress: &dyn Progress,
) -> PointsRun {
    let mut pooled: Vec<Waits> = points.iter().map(|_| Waits::default()).collect();
    let mut results = run_batch(points, 0..batch, progress, &mut pooled);
    let (mut twins, mut tilted) = (Vec::new(), Vec::new());
    add_cheap(fidelity, points, &results, &mut twins, &mut tilted);
    let Some(target) = precision else {
        return PointsRun {
            results,
            waits: pooled,
            twins,
            tilted,
            precision: None,
        };
    };
    loop {
        let done = results.first().map_or(0, |r| r.len() as u32);
        let states: Vec<PointPrecision> = (0..points.len())
            .map(|p| {
                let t = twins.get(p).map_or(&[][..], Vec::as_slice);
                target.measure(&results[p], t, tilted.get(p), points[p])
            })
            .collect();
        let reached = states.iter().all(|p| p.met);
        if reached || done >= target.max_replicas {
            return PointsRun {
                results,
                waits: pooled,
                twins,
                tilted,
                precision: Some(PrecisionOutcome {
                    reached,
                    replicas: done,
                    worst_half_width: states.iter().map(|p| p.half_width).fold(0.0, f64::max),
                    fewest_with_value: states.iter().map(|p| p.with_value).min().unwrap_or(0),
                }),
            };
        }
        let next = (done + batch.max(1)).min(target.max_replicas);
        progress.extend((next - done) as u64 * points.len() as u64);
        for (all, more) in results
            .iter_mut()
            .zip(run_batch(points, done..next, progress, &mut pooled))
        {
            all.extend(more);
        }
        add_cheap(fidelity, points, &results, &mut twins, &mut tilted);
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
