//! Multi-fidelity Monte Carlo: n full replicas paired with their
//! low-fidelity twins (`model::lowfi`, same seeds and streams), plus
//! N − n more twins, combined as a control variate.
//!
//! For a figure Y (an indicator "defaulted by year k", a loss) with full
//! values y_i and twin values x_i, i < n, and twin values x_j, j < N:
//!
//! `μ̂ = ȳ_n + α (x̄_N − x̄_n)`, α = Cov(y, x) / Var(x) from the pairs.
//!
//! E[x̄_N − x̄_n] = 0 (the twins are i.i.d. over seeds), so μ̂ is unbiased
//! for E\[Y\] whatever the twin's fidelity (up to the O(1/n) bias of an
//! estimated α); the twin's fidelity only sets the variance. Written as
//! independent parts, μ̂ = mean_{i<n}(y_i − α (1 − n/N) x_i) + α (N − n)/N ·
//! mean_{n≤j<N}(x_j), so
//!
//! `Var μ̂ = s²(y − α(1 − n/N) x) / n + α² ((N − n)/N)² s²(x_rest) / (N − n)`,
//!
//! estimated from the samples, with a normal 95% interval (CLT; the
//! `reliable` flag asks for at least 10 full replicas and 10 nonzero twin
//! values).
//!
//! **The bias a few pairs cannot see.** Where the twin is faithful, y − x
//! is 0 in almost every pair and nonzero in a rare one whose default the
//! twin gets wrong (0.07% of pairs on the reduced baseline, a twin bias of
//! −0.07 pp: docs/VALIDATION.md). n pairs that saw none report s²(y − x)
//! = 0, and the interval then claims a precision the pairs cannot back:
//! it is centred on the twin's bias (the coverage test found 90% for
//! importance sampling at n = 24). So the variance per pair granted to
//! y − x is at least [`unseen_disagreement_variance`]: the Jeffreys
//! posterior mean 0.5/(n + 1) of the rate of disagreements after seeing
//! none, times the squared size of one (a nonzero value of the figure).
//! Its share of Var μ̂ falls as 1/n², so a `--target-ci` run adds full
//! replicas until the pairs themselves bound the twin's bias to the
//! target; the interval is conservative at small n (it covers more than
//! 95%).
//!
//! The effective sample size is s²(y) / Var μ̂: the plain replicas that
//! would give the same variance. A figure whose pairs have no variance (no
//! default among the full replicas yet) keeps its plain estimate and says
//! so (`estimator` = `plain`): α is unknown there.
//!
//! **Budget split** (Peherstorfer, Willcox & Gunzburger 2016, two levels):
//! for costs w_full and w_twin per replica and correlation ρ, the variance
//! per unit of cost is least at N/n = r* = √(w_full ρ² / (w_twin (1 − ρ²))).
//! The costs come from a deterministic model (events of the full replicas
//! × [`EVENT_SECONDS`], demand steps of a twin × [`STEP_SECONDS`]), never
//! from a clock, so the split and thus the output are the same on any
//! machine and thread count. With the floor v₀ for the unseen bias
//! (above), the part of the variance no number of twins removes, 1 − ρ²
//! becomes (1 − ρ²) + 2 v₀/s²(y): v₀ per pair itself falls as 1/n, so a
//! full replica removes twice its share of it. r is capped at w_full /
//! w_twin (by the cost model the twins cost at most as much as the full
//! replicas), and is that cap when ρ is unknown (no variance in the
//! pilot, e.g. no default yet: rare figures need the twins most). The cost model is only as good as
//! its constants: on the small `tests/data/reduced.toml`, whose full
//! replicas are cheap, 24 full replicas took 0.8 s and the same with their
//! 780 twins 4.1 s (a shared, loaded machine).

use super::replica_seed;
use crate::config::Scenario;
use crate::metrics::ReplicaOutcome;
use crate::metrics::risk::{self, Estimator, Interval, MIN_NONZERO_VALUES, Param, RiskFigure};
use crate::model::lowfi::{self, CheapOutcome};
use crate::stats::Z95;
use rayon::prelude::*;

/// Seconds of CPU per event of a full replica, for the budget split
/// (measured: the baseline runs ~2.0M events/s per core; BENCHMARKS.md).
pub const EVENT_SECONDS: f64 = 5.0e-7;

/// Seconds of CPU per demand step of a twin (measured: ~2.0 ms for the
/// baseline's 43,830 hourly steps; BENCHMARKS.md).
pub const STEP_SECONDS: f64 = 4.6e-8;

/// Which estimator `run` and `sweep` use (`--fidelity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fidelity {
    /// Plain Monte Carlo over full replicas.
    #[default]
    Single,
    /// Full replicas and their low-fidelity twins as a control variate.
    Multi,
    /// Importance-sampled twins under a tilt of the drivers of default,
    /// corrected by full replicas under the same tilt and their twins
    /// (`montecarlo::importance`).
    Importance,
}

impl Fidelity {
    /// The name in the manifest and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Fidelity::Single => "single",
            Fidelity::Multi => "multi",
            Fidelity::Importance => "is",
        }
    }
}

/// The twins of replicas `range` of `scenario`, in replica order, run in
/// parallel on the current rayon pool.
pub fn run_twins(scenario: &Scenario, range: std::ops::Range<u32>) -> Vec<CheapOutcome> {
    range
        .into_par_iter()
        .map(|r| lowfi::simulate(scenario, replica_seed(scenario.seed, r)))
        .collect()
}

/// Brings each point's twins up to what its full replicas `results[p]`
/// call for: the paired twins of every full replica, then as many more as
/// [`twins_for`] asks. Twins already run are kept (never fewer), so the
/// result depends only on the sequence of batches, not on timing.
pub fn add_twins(points: &[&Scenario], results: &[Vec<ReplicaOutcome>], twins: &mut Vec<Vec<CheapOutcome>>) {
    pair_twins(points, results, twins);
    for ((scenario, full), have) in points.iter().zip(results).zip(twins.iter_mut()) {
        let want = twins_for(scenario, full, &have[..full.len()]);
        if (have.len() as u32) < want {
            let more = run_twins(scenario, have.len() as u32..want);
            have.extend(more);
        }
    }
}

/// Runs the twin of every full replica of `results` that has none yet.
pub fn pair_twins(points: &[&Scenario], results: &[Vec<ReplicaOutcome>], twins: &mut Vec<Vec<CheapOutcome>>) {
    twins.resize(points.len(), Vec::new());
    for ((scenario, full), have) in points.iter().zip(results).zip(twins.iter_mut()) {
        let n = full.len() as u32;
        if (have.len() as u32) < n {
            let more = run_twins(scenario, have.len() as u32..n);
            have.extend(more);
        }
    }
}

/// A control-variate estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ControlVariate {
    /// μ̂.
    pub value: f64,
    /// Its standard error.
    pub stderr: f64,
    /// s²(y) / Var μ̂ (n when y has no variance).
    pub effective_n: f64,
    /// The coefficient α.
    pub alpha: f64,
}

pub(super) fn mean_var(v: impl Iterator<Item = f64> + Clone) -> (f64, f64, usize) {
    let n = v.clone().count();
    if n == 0 {
        return (0.0, 0.0, 0);
    }
    let mean = v.clone().sum::<f64>() / n as f64;
    let var = if n > 1 {
        v.map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64
    } else {
        0.0
    };
    (mean, var, n)
}

/// The least variance per pair of full − twin that pairs which saw no
/// disagreement can back (module docs): 0.5/(n + 1), the Jeffreys
/// posterior mean of the disagreement rate after none in `n` pairs, times
/// the mean square of the nonzero values among `values` (the size of one
/// disagreement; 0 when none is nonzero).
pub fn unseen_disagreement_variance(n: usize, values: impl Iterator<Item = f64>) -> f64 {
    let (count, squares) = values
        .filter(|v| *v != 0.0)
        .fold((0usize, 0.0), |(c, s), v| (c + 1, s + v * v));
    if count == 0 {
        return 0.0;
    }
    0.5 / (n as f64 + 1.0) * squares / count as f64
}

/// The control-variate estimate of E\[Y\] from full values `y` (n of them),
/// and twin values `x` (N ≥ n; the first n are the twins of `y`), granting
/// the pairs' y − x a variance of at least `floor`
/// ([`unseen_disagreement_variance`]; 0 for the plain formula).
pub fn control_variate(y: &[f64], x: &[f64], floor: f64) -> ControlVariate {
    let n = y.len();
    let big_n = x.len().max(n);
    let (ym, yv, _) = mean_var(y.iter().copied());
    let (xm, xv, _) = mean_var(x[..n].iter().copied());
    let cov = if n > 1 {
        y.iter().zip(&x[..n]).map(|(a, b)| (a - ym) * (b - xm)).sum::<f64>() / (n - 1) as f64
    } else {
        0.0
    };
    let alpha = if xv > 0.0 { cov / xv } else { 0.0 };
    let shrink = 1.0 - n as f64 / big_n as f64;
    let paired = y.iter().zip(&x[..n]).map(|(a, b)| a - alpha * shrink * b);
    let (pm, pv, _) = mean_var(paired);
    // Top the paired part up to the floor where y − x varied less.
    let (_, dv, _) = mean_var(y.iter().zip(&x[..n]).map(|(a, b)| a - b));
    let pv = pv + (floor - dv).max(0.0);
    let rest = &x[n..big_n.min(x.len())];
    let (rm, rv, m) = mean_var(rest.iter().copied());
    let weight = alpha * m as f64 / big_n as f64;
    let var = pv / n as f64 + if m > 0 { weight * weight * rv / m as f64 } else { 0.0 };
    ControlVariate {
        value: pm + weight * rm,
        stderr: var.sqrt(),
        effective_n: if var > 0.0 && yv > 0.0 { yv / var } else { n as f64 },
        alpha,
    }
}

/// Pearson correlation of `y` and `x` (same length); `None` when either
/// has no variance.
fn correlation(y: &[f64], x: &[f64]) -> Option<f64> {
    let (ym, yv, n) = mean_var(y.iter().copied());
    let (xm, xv, _) = mean_var(x.iter().copied());
    if n < 2 || yv <= 0.0 || xv <= 0.0 {
        return None;
    }
    let cov = y.iter().zip(x).map(|(a, b)| (a - ym) * (b - xm)).sum::<f64>() / (n - 1) as f64;
    Some((cov / (yv * xv).sqrt()).clamp(-1.0, 1.0))
}

/// How many twins (N ≥ n) to run for the n full replicas `full` of
/// `scenario`, whose paired twins are `paired`: the optimal ratio for the
/// correlation of "defaulted within the term" (see the module docs).
pub fn twins_for(scenario: &Scenario, full: &[ReplicaOutcome], paired: &[CheapOutcome]) -> u32 {
    let n = full.len();
    if n == 0 {
        return 0;
    }
    let events = full.iter().map(|o| o.row.events as f64).sum::<f64>() / n as f64;
    let steps = scenario
        .inference
        .as_ref()
        .map_or(1, |i| scenario.contract.term.steps_of(i.step)) as f64;
    let cost_ratio = (events * EVENT_SECONDS / (steps * STEP_SECONDS)).max(1.0);
    let y: Vec<f64> = full.iter().map(|o| defaulted(o.row.default_month)).collect();
    let x: Vec<f64> = paired.iter().map(|c| defaulted(c.default_month)).collect();
    let ratio = match correlation(&y, &x) {
        Some(rho) => {
            // Var μ̂ ≈ s²(y)(1 − ρ²)/n + s²(y)ρ²/N + v₀/n, where the floor
            // v₀ for the twin's unseen bias itself falls as 1/n: at the
            // least cost n w_full + N w_twin for a given variance (Lagrange)
            // (N/n)² = (w_full/w_twin) ρ² / ((1 − ρ²) + 2 v₀/s²(y)).
            let (_, yv, _) = mean_var(y.iter().copied());
            let floor = unseen_disagreement_variance(n, x.iter().copied());
            let unexplained = ((1.0 - rho * rho) + 2.0 * floor / yv).max(1e-12);
            (cost_ratio * rho * rho / unexplained).sqrt().clamp(1.0, cost_ratio)
        }
        None => cost_ratio,
    };
    let total = (ratio * n as f64).ceil().min(u32::MAX as f64 / 2.0);
    (total as u32).max(n as u32)
}

fn defaulted(month: Option<u32>) -> f64 {
    f64::from(month.is_some() as u8)
}

/// A figure of `risk.csv` the twins estimate (P(default by year k), the
/// expected loss and its present value), as a value per replica.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TwinFigure {
    /// 1 if the buyer defaulted within this many months, else 0.
    DefaultWithin(u32),
    /// The credit loss, USD.
    Loss,
    /// Its present value, USD.
    PvLoss,
}

impl TwinFigure {
    /// The figure `f` as a twin figure, if the twins estimate it.
    pub fn of(f: &RiskFigure) -> Option<TwinFigure> {
        match (f.figure, f.param) {
            ("p_default_by_year", Param::Year(k)) => Some(TwinFigure::DefaultWithin(12 * k)),
            ("expected_loss_usd", Param::None) => Some(TwinFigure::Loss),
            ("expected_pv_loss_usd", Param::None) => Some(TwinFigure::PvLoss),
            _ => None,
        }
    }

    fn value(self, default_month: Option<u32>, loss_usd: f64, pv_loss_usd: f64) -> f64 {
        match self {
            TwinFigure::DefaultWithin(months) => f64::from(default_month.is_some_and(|m| m <= months) as u8),
            TwinFigure::Loss => loss_usd,
            TwinFigure::PvLoss => pv_loss_usd,
        }
    }

    /// Its value in a full replica.
    pub fn full(self, o: &ReplicaOutcome) -> f64 {
        self.value(o.row.default_month, o.row.loss_usd, o.row.pv_loss_usd)
    }

    /// Its value in a twin.
    pub fn cheap(self, c: &CheapOutcome) -> f64 {
        self.value(c.default_month, c.loss_usd, c.pv_loss_usd)
    }

    /// Whether it is a probability (its interval is clamped to [0, 1]).
    fn probability(self) -> bool {
        matches!(self, TwinFigure::DefaultWithin(_))
    }
}

/// What an estimator found for a figure that `plain` had as a plain
/// estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The estimate.
    pub value: f64,
    /// Its standard error.
    pub stderr: f64,
    /// The plain replicas that would give the same variance.
    pub effective_n: f64,
    /// Whether enough replicas inform it.
    pub reliable: bool,
}

/// `plain` with its value replaced by `e` from `estimator`: a normal 95%
/// interval, clamped to [0, 1] for a probability.
pub fn replace(plain: &RiskFigure, figure: TwinFigure, e: Estimate, estimator: Estimator) -> RiskFigure {
    let half = Z95 * e.stderr;
    let clamp = |v: f64| if figure.probability() { v.clamp(0.0, 1.0) } else { v };
    RiskFigure {
        value: clamp(e.value),
        stderr: Some(e.stderr),
        ci95: (Some(clamp(e.value - half)), Some(clamp(e.value + half))),
        interval: Interval::Normal,
        reliable: e.reliable,
        estimator,
        effective_n: e.effective_n,
        ..plain.clone()
    }
}

/// Every figure of a point's `risk.csv`: the plain figures of
/// `risk::point_figures`, with those the twins estimate ([`TwinFigure`])
/// replaced by their multi-fidelity estimates when `twins` is not empty.
pub fn point_figures(outcomes: &[ReplicaOutcome], twins: &[CheapOutcome], scenario: &Scenario) -> Vec<RiskFigure> {
    let mut figures = risk::point_figures(outcomes, scenario);
    if twins.len() < outcomes.len() || outcomes.len() < 2 {
        return figures;
    }
    for f in &mut figures {
        let Some(figure) = TwinFigure::of(f) else { continue };
        let y: Vec<f64> = outcomes.iter().map(|o| figure.full(o)).collect();
        let x: Vec<f64> = twins.iter().map(|c| figure.cheap(c)).collect();
        // Without variance among the pairs (e.g. no default among the full
        // replicas yet) α cannot be estimated: the plain figure stands.
        if correlation(&y, &x[..outcomes.len()]).is_none() {
            continue;
        }
        let floor = unseen_disagreement_variance(outcomes.len(), x.iter().copied());
        let cv = control_variate(&y, &x, floor);
        let nonzero = x.iter().filter(|&&v| v != 0.0).count();
        let estimate = Estimate {
            value: cv.value,
            stderr: cv.stderr,
            effective_n: cv.effective_n,
            reliable: outcomes.len() >= MIN_NONZERO_VALUES && nonzero >= MIN_NONZERO_VALUES,
        };
        *f = replace(f, figure, estimate, Estimator::MultiFidelity);
    }
    figures
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_control_variate_is_exact_for_a_perfect_twin_and_plain_without_twins() {
        // y = x exactly: μ̂ = x̄_N, whatever ȳ_n.
        let y = [1.0, 0.0, 0.0, 1.0];
        let x = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        let cv = control_variate(&y, &x, 0.0);
        assert!((cv.value - 3.0 / 8.0).abs() < 1e-12 && (cv.alpha - 1.0).abs() < 1e-12);
        // Its variance is that of the two independent parts, each weighted
        // by its share of N: (n/N)² s²(x_paired)/n + ((N − n)/N)² s²(x_rest)/m
        // with s²(x_paired) = 1/3 (2 of 4) and s²(x_rest) = 0.25 (1 of 4).
        let var = 0.25 * (1.0 / 3.0) / 4.0 + 0.25 * 0.25 / 4.0;
        assert!((cv.stderr - f64::sqrt(var)).abs() < 1e-12, "{cv:?}");
        // No extra twins: the plain mean and its standard error.
        let cv = control_variate(&y, &x[..4], 0.0);
        assert!((cv.value - 0.5).abs() < 1e-12);
        assert!((cv.stderr - (1.0f64 / 3.0 / 4.0).sqrt()).abs() < 1e-12);
        assert!((cv.effective_n - 4.0).abs() < 1e-9);
    }

    #[test]
    fn pairs_that_saw_no_disagreement_keep_room_for_one() {
        // A perfect twin over n = 4 pairs, N = 8 twins: without the floor
        // the paired part's variance is that of (n/N) x alone; with it,
        // y − x is granted the floor, so the variance grows by floor / n.
        let y = [1.0, 0.0, 0.0, 1.0];
        let x = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        // Jeffreys: 0.5 / (4 + 1) of a squared nonzero value (1).
        let floor = unseen_disagreement_variance(4, x.iter().copied());
        assert!((floor - 0.1).abs() < 1e-12);
        let (plain, floored) = (control_variate(&y, &x, 0.0), control_variate(&y, &x, floor));
        assert_eq!(plain.value, floored.value);
        assert!((floored.stderr.powi(2) - plain.stderr.powi(2) - floor / 4.0).abs() < 1e-12);
        // The size of a disagreement is that of a nonzero value: losses of
        // 3 and 5 give a mean square of 17; the floor per pair falls as 1/n.
        let losses = [0.0, 3.0, 0.0, 5.0];
        assert!((unseen_disagreement_variance(9, losses.into_iter()) - 0.05 * 17.0).abs() < 1e-12);
        assert_eq!(unseen_disagreement_variance(9, [0.0; 3].into_iter()), 0.0);
        // Pairs that vary more than the floor keep their own variance.
        let noisy = [0.0, 1.0, 1.0, 0.0];
        let cv = control_variate(&noisy, &x, floor);
        assert_eq!(cv.stderr, control_variate(&noisy, &x, 0.0).stderr);
    }

    #[test]
    fn the_control_variate_variance_matches_its_formula_over_repetitions() {
        // y = x + noise, x ~ Bernoulli(0.3), noise ~ N(0, 0.1²): over 20,000
        // repetitions with n = 20, N = 400, the spread of μ̂ agrees with
        // the mean reported standard error within 5% (the standard error
        // of a spread over 20,000 repetitions is ~0.5%; at n = 20 the
        // estimated α makes the spread ~2.5% larger than reported), μ̂ is
        // unbiased within 4 standard errors of the mean of the
        // repetitions, and the ±1.96 SE interval covers 0.3 at least 93%
        // of the time (nominal 95%; the standard error of a coverage over
        // 20,000 repetitions is 0.15%). Repetitions whose pairs have no
        // variance (0.08%) are skipped, as `point_figures` keeps the plain
        // figure there.
        use rand::{Rng, SeedableRng};
        use rand_distr::{Distribution, Normal};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
        let noise = Normal::new(0.0, 0.1).unwrap();
        let reps = 20_000;
        let (mut values, mut ses) = (Vec::new(), Vec::new());
        for _ in 0..reps {
            let x: Vec<f64> = (0..400).map(|_| f64::from(rng.random::<f64>() < 0.3)).collect();
            let y: Vec<f64> = x[..20].iter().map(|v| v + noise.sample(&mut rng)).collect();
            if correlation(&y, &x[..20]).is_none() {
                continue;
            }
            let cv = control_variate(&y, &x, 0.0);
            values.push(cv.value);
            ses.push(cv.stderr);
        }
        let reps = values.len();
        assert!(reps > 19_950);
        let (m, v, _) = mean_var(values.iter().copied());
        let se_of_mean = (v / reps as f64).sqrt();
        let covered = values
            .iter()
            .zip(&ses)
            .filter(|(v, s)| (*v - 0.3).abs() <= Z95 * *s)
            .count();
        assert!(covered as f64 / reps as f64 >= 0.93, "coverage {covered} of {reps}");
        assert!((m - 0.3).abs() < 4.0 * se_of_mean, "{m} ± {se_of_mean}");
        let rms_se = (ses.iter().map(|s| s * s).sum::<f64>() / reps as f64).sqrt();
        assert!(
            (v.sqrt() / rms_se - 1.0).abs() < 0.05,
            "spread {} vs reported {rms_se}",
            v.sqrt()
        );
    }
}
