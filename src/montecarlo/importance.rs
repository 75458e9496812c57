//! Importance sampling for rare defaults: low-fidelity twins
//! (`model::lowfi`) sampled under an exponential tilt of the drivers of
//! default and weighted by their likelihood ratios, corrected by tilted
//! pairs: full replicas under the same tilt and their twins
//! (`--fidelity is`).
//!
//! **The tilt** ([`DemandTilt`]) acts where `model::inference::DemandPath`
//! samples, so it is the same in the full model and the twin (they share
//! its code and streams): the growth path's normal increments are shifted
//! by θ = Δμ√Δ/σ (the drift moves by Δμ; likelihood ratio
//! exp(−θΣz + Σθ²/2) over the steps drawn) and the commercial failure
//! happens with probability p′ instead of p, earlier in the term (a
//! fraction x of it with density b(1 − x)^(b − 1) instead of uniform). The buyer's funding is not
//! random in the model (no stream draws it), so there is nothing there to
//! tilt. A path's ratio covers its draws up to a stopping time at or
//! after the last draw the outcome depends on (the twin stops its path at
//! a default, as the full model does), which keeps E_q\[w·f\] = E_p\[f\].
//!
//! **Choosing the tilt** ([`choose_tilt`]): the multilevel cross-entropy
//! method (Rubinstein & Kroese 2004) on pilot twins, the event being a
//! default within the term. Each stage runs [`PILOT_TWINS`] twins under
//! the current tilt and takes the elite: every default if at least
//! [`ELITE_FRACTION`] of them defaulted (the last stage), else that
//! fraction nearest to a default (defaults first, then the lowest final
//! growth). The tilt is refitted to the elite, weighted by likelihood
//! ratio: Δμ = σ · Σ w Σ√Δz / Σ w ΣΔ, p′ = Σ w·\[failed\] / Σ w and
//! b = −Σ w / Σ w ln(1 − x) over those that failed, the closed-form
//! maximisers of the weighted log-likelihood. Everything is
//! seeded from the master seed, so the tilt is the same on any machine and
//! thread count.
//!
//! **The estimator.** For a figure Y (an indicator "defaulted by year k",
//! a loss), M tilted twins x′_j with weights w_j, and n tilted pairs: full
//! replicas y′_i under the same tilt with their twins x′_i (same seeds),
//! each weighted by its own path's likelihood ratio (W^y_i, W^x_i: the two
//! may stop their paths at different defaults):
//!
//! `μ̂ = mean_j(w_j x′_j) + mean_i(W^y_i y′_i − W^x_i x′_i)`,
//! `Var μ̂ = s²(w x′)/M + max(s²(W^y y′ − W^x x′), v₀)/n`
//! (independent seeds, normal 95% interval).
//!
//! The first part is E\[X\] by plain (not self-normalised) importance
//! sampling: the weights are exact likelihood ratios, so the plain form is
//! unbiased at every M, whereas the self-normalised one has an O(1/M) bias
//! and, for a rare event, a larger variance (its error carries the
//! non-event samples' weights). The second part is the twin's bias,
//! E\[Y − X\], from full replicas: the full level corrects the cheap one,
//! as in `multifidelity` with α = 1 (the twin tracks the full model
//! closely). The pairs are drawn under the tilt, where the defaults are,
//! so they see the twin's errors in the rare paths that matter (untilted
//! pairs at P(default) ≈ 10⁻³ would see none); they are extra full
//! replicas, as many as the run's own (untilted) replicas, which still give
//! every other output. v₀ is `multifidelity::unseen_disagreement_variance`
//! over the tilted twins' w x′: the error the pairs could still have missed
//! (module docs there); without it the interval was centred on the twin's
//! −0.07 pp bias and covered 90% (docs/VALIDATION.md). The
//! `effective_n` is the plain replicas worth the same variance,
//! σ̂²/Var μ̂ with σ̂² the importance-sampled variance of X; the Kish
//! effective size (Σw)²/Σw² of the tilted twins that hit a figure says how
//! many of them really inform it, and a figure is `reliable` when it is at
//! least [`MIN_NONZERO_VALUES`] (and n too). A figure no tilted twin hits
//! keeps its plain estimate. How many tilted twins: what
//! `multifidelity::twins_for` would run as extra twins.

use super::multifidelity::{self, Estimate, TwinFigure, mean_var};
use super::replica_seed;
use crate::config::Scenario;
use crate::config::scenario::DemandTilt;
use crate::engine::{SimTime, Span, derive_seed};
use crate::metrics::risk::{self, Estimator, MIN_NONZERO_VALUES, RiskFigure};
use crate::metrics::{ReplicaOutcome, Waits};
use crate::model::lowfi::{self, CheapOutcome};
use rayon::prelude::*;

/// Twins per cross-entropy stage.
pub const PILOT_TWINS: u32 = 1000;

/// The elite's share of a stage's twins.
pub const ELITE_FRACTION: f64 = 0.1;

/// Cross-entropy stages at most.
pub const MAX_STAGES: u64 = 8;

/// The tilted commercial-failure probability stays in this range (a
/// likelihood ratio p/p′ or (1 − p)/(1 − p′) must stay bounded).
const FAILURE_PROBABILITY_RANGE: (f64, f64) = (0.01, 0.95);

/// The tilted failure time's shape b stays at most this (the ratio
/// 1/(b(1 − x)^(b − 1)) must stay bounded where failures come late).
const MAX_TIME_SHAPE: f64 = 8.0;

/// Seeds of the tilted twins and pairs are derived from
/// `derive_seed(master, SEED_SALT + stage)`, apart from the replica seeds
/// derive_seed(master, r).
const SEED_SALT: u64 = 0x1_5A3D_0000_0000;

/// The stage whose seeds the estimating twins use (the pilots use 0, 1, …).
const ESTIMATE_STAGE: u64 = 1 << 16;

/// The stage whose seeds the tilted pairs use.
const PAIR_STAGE: u64 = ESTIMATE_STAGE + 1;

/// A point's importance sample: its tilt, its tilted twins and its tilted
/// pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct Tilted {
    /// The tilt the twins were sampled under.
    pub tilt: DemandTilt,
    /// Pilot twins the cross-entropy method ran to choose it.
    pub pilot_twins: u32,
    /// The tilted twins, each with its likelihood ratio.
    pub twins: Vec<CheapOutcome>,
    /// Full replicas under the tilt with their twins, which estimate the
    /// twin's bias E\[Y − X\].
    pub pairs: Vec<TiltedPair>,
}

/// A full replica run under the tilt and its twin (the same seed), each
/// with the likelihood ratio of the demand path it drew.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TiltedPair {
    /// The full replica's figures and the ratio of its path, replayed up
    /// to the end of its default month or the term
    /// (`model::lowfi::replay_weight`).
    pub full: CheapOutcome,
    /// The twin.
    pub twin: CheapOutcome,
}

impl Tilted {
    /// The Kish effective size (Σw)²/Σw² of the tilted twins with
    /// `figure` ≠ 0.
    pub fn kish(&self, figure: TwinFigure) -> f64 {
        let w: Vec<f64> = self
            .twins
            .iter()
            .filter(|c| figure.cheap(c) != 0.0)
            .map(|c| c.weight.log_weight.exp())
            .collect();
        let (sum, squares) = (w.iter().sum::<f64>(), w.iter().map(|x| x * x).sum::<f64>());
        if squares > 0.0 { sum * sum / squares } else { 0.0 }
    }
}

/// `scenario` with its demand path sampled under `tilt`.
pub fn tilted(scenario: &Scenario, tilt: DemandTilt) -> Scenario {
    let mut s = scenario.clone();
    if let Some(i) = s.inference.as_mut() {
        i.tilt = tilt;
    }
    s
}

/// The seed of tilted twin `j` of `stage`.
fn twin_seed(master: u64, stage: u64, j: u32) -> u64 {
    replica_seed(derive_seed(master, SEED_SALT + stage), j)
}

/// Twins `range` of `stage` of `scenario` under `tilt`, in parallel, in
/// order.
pub fn run_tilted(scenario: &Scenario, tilt: DemandTilt, stage: u64, range: std::ops::Range<u32>) -> Vec<CheapOutcome> {
    let s = tilted(scenario, tilt);
    range
        .into_par_iter()
        .map(|j| lowfi::simulate(&s, twin_seed(scenario.seed, stage, j)))
        .collect()
}

/// The tilt for rare defaults of `scenario`, by the multilevel
/// cross-entropy method on twins (see the module docs), and the pilot
/// twins it ran. No tilt when the demand path has nothing to tilt.
pub fn choose_tilt(scenario: &Scenario) -> (DemandTilt, u32) {
    let Some(spec) = scenario.inference.as_ref() else {
        return (DemandTilt::default(), 0);
    };
    let (sigma, p) = (spec.volatility_per_sqrt_year, spec.commercial_failure_probability);
    let tilt_failure = p > 0.0 && p < 1.0;
    if sigma <= 0.0 && !tilt_failure {
        return (DemandTilt::default(), 0);
    }
    let mut tilt = DemandTilt::default();
    let elite_size = (ELITE_FRACTION * PILOT_TWINS as f64).ceil() as usize;
    for stage in 0..MAX_STAGES {
        let mut twins = run_tilted(scenario, tilt, stage, 0..PILOT_TWINS);
        // Nearest to a default first: the defaults, then the lowest growth.
        let key = |c: &CheapOutcome| (c.default_month.is_none(), c.weight.log_growth);
        twins.sort_by(|a, b| {
            let (ka, kb) = (key(a), key(b));
            ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
        });
        let defaults = twins.iter().filter(|c| c.default_month.is_some()).count();
        let last = defaults >= elite_size;
        let elite = &twins[..if last { defaults } else { elite_size }];
        let weights: Vec<f64> = elite.iter().map(|c| c.weight.log_weight.exp()).collect();
        let total: f64 = weights.iter().sum();
        if !(total.is_finite() && total > 0.0) {
            break;
        }
        let weighted =
            |f: &dyn Fn(&CheapOutcome) -> f64| elite.iter().zip(&weights).map(|(c, w)| w * f(c)).sum::<f64>();
        let years = weighted(&|c| c.weight.drift_years);
        let shift = if sigma > 0.0 && years > 0.0 {
            sigma * weighted(&|c| c.weight.drift_score) / years
        } else {
            0.0
        };
        let failure = tilt_failure.then(|| {
            let (lo, hi) = FAILURE_PROBABILITY_RANGE;
            (weighted(&|c| f64::from(c.weight.commercial_failure.is_some() as u8)) / total).clamp(lo, hi)
        });
        // b = −Σw / Σw ln(1 − x) over the elite that failed.
        let failed_weight = weighted(&|c| f64::from(c.weight.commercial_failure.is_some() as u8));
        let log_rest = weighted(&|c| c.weight.commercial_failure.map_or(0.0, |x| (1.0 - x).ln()));
        let shape = (tilt_failure && failed_weight > 0.0 && log_rest < 0.0)
            .then(|| (-failed_weight / log_rest).clamp(1.0, MAX_TIME_SHAPE));
        tilt = DemandTilt {
            drift_shift_per_year: shift,
            failure_probability: failure,
            failure_time_shape: shape,
        };
        if last {
            return (tilt, (stage as u32 + 1) * PILOT_TWINS);
        }
    }
    (tilt, MAX_STAGES as u32 * PILOT_TWINS)
}

/// Tilted pairs `range` of `scenario` under `tilt` (seeds of
/// `PAIR_STAGE`), in order; the full replicas run in parallel on the
/// current rayon pool, silently (they are not the run's replicas).
pub fn run_pairs(scenario: &Scenario, tilt: DemandTilt, range: std::ops::Range<u32>) -> Vec<TiltedPair> {
    let mut s = tilted(scenario, tilt);
    s.seed = derive_seed(scenario.seed, SEED_SALT + PAIR_STAGE);
    let full = super::run_batch(&[&s], range.clone(), &super::Silent, &mut [Waits::default()]).remove(0);
    let twins: Vec<CheapOutcome> = range
        .clone()
        .into_par_iter()
        .map(|r| lowfi::simulate(&s, replica_seed(s.seed, r)))
        .collect();
    let month = Span::MONTH;
    full.iter()
        .zip(twins)
        .zip(range)
        .map(|((o, twin), r)| {
            // The full model draws demand at steps before the end of its
            // default month (or the term): a stopping time at or after
            // its last draw.
            let end = o
                .row
                .default_month
                .map_or(s.contract.term, |m| (month * u64::from(m)).min(s.contract.term));
            let stop = SimTime(SimTime::at(end).0.saturating_sub(1));
            let full = CheapOutcome {
                default_month: o.row.default_month,
                loss_usd: o.row.loss_usd,
                pv_loss_usd: o.row.pv_loss_usd,
                weight: lowfi::replay_weight(&s, replica_seed(s.seed, r), stop),
            };
            TiltedPair { full, twin }
        })
        .collect()
}

/// Brings each point's importance sample up to what its full replicas
/// `results[p]` (with their paired twins `twins[p]`) call for: the tilt,
/// chosen once, as many tilted twins as `multifidelity::twins_for` asks
/// and as many tilted pairs as full replicas (never fewer than already
/// run, so the result depends only on the sequence of batches).
pub fn add_tilted(
    points: &[&Scenario],
    results: &[Vec<ReplicaOutcome>],
    twins: &[Vec<CheapOutcome>],
    samples: &mut Vec<Tilted>,
) {
    for (p, scenario) in points.iter().enumerate() {
        if samples.len() <= p {
            let (tilt, pilot_twins) = choose_tilt(scenario);
            samples.push(Tilted {
                tilt,
                pilot_twins,
                twins: Vec::new(),
                pairs: Vec::new(),
            });
        }
        let (full, sample) = (&results[p], &mut samples[p]);
        let want = multifidelity::twins_for(scenario, full, &twins[p][..full.len()]);
        let have = sample.twins.len() as u32;
        if have < want {
            let more = run_tilted(scenario, sample.tilt, ESTIMATE_STAGE, have..want);
            sample.twins.extend(more);
        }
        let (have, want) = (sample.pairs.len() as u32, full.len() as u32);
        if have < want {
            let more = run_pairs(scenario, sample.tilt, have..want);
            sample.pairs.extend(more);
        }
    }
}

/// The importance-sampling part alone: E\[X\] of the twin by the tilted
/// twins of `sample`, the mean of w·x (plain, not self-normalised) with
/// its standard error and the importance-sampled variance of X; `None`
/// when no tilted twin hits `figure`.
pub fn weighted_mean(figure: TwinFigure, sample: &Tilted) -> Option<Weighted> {
    let weighted: Vec<f64> = sample.twins.iter().map(|c| weighed(figure, c)).collect();
    if !weighted.iter().any(|&v| v != 0.0) {
        return None;
    }
    let m = weighted.len() as f64;
    let (mean, var, _) = mean_var(weighted.iter().copied());
    // Var_p(X) by importance sampling: E_q[w x²] − E[X]².
    let second = (sample.twins.iter().zip(&weighted))
        .map(|(c, wx)| wx * figure.cheap(c))
        .sum::<f64>()
        / m;
    Some(Weighted {
        value: mean,
        stderr: (var / m).sqrt(),
        spread: (second - mean * mean).max(0.0),
    })
}

/// An importance-sampled mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weighted {
    /// The estimate of E\[X\].
    pub value: f64,
    /// Its standard error.
    pub stderr: f64,
    /// The importance-sampled Var(X).
    pub spread: f64,
}

/// `figure` of `c` times its likelihood ratio.
fn weighed(figure: TwinFigure, c: &CheapOutcome) -> f64 {
    let x = figure.cheap(c);
    if x == 0.0 { 0.0 } else { c.weight.log_weight.exp() * x }
}

/// The importance-sampling estimate of E\[Y\] for `figure` from the
/// tilted twins and tilted pairs of `sample` (module docs); `None` when no
/// tilted twin hits the figure or there are fewer than two pairs.
pub fn estimate(figure: TwinFigure, sample: &Tilted) -> Option<Estimate> {
    let n = sample.pairs.len();
    if n < 2 {
        return None;
    }
    let is = weighted_mean(figure, sample)?;
    let bias = sample
        .pairs
        .iter()
        .map(|p| weighed(figure, &p.full) - weighed(figure, &p.twin));
    let (bias_mean, bias_var, _) = mean_var(bias);
    let floor = multifidelity::unseen_disagreement_variance(n, sample.twins.iter().map(|c| weighed(figure, c)));
    let var = is.stderr * is.stderr + bias_var.max(floor) / n as f64;
    Some(Estimate {
        value: is.value + bias_mean,
        stderr: var.sqrt(),
        effective_n: if var > 0.0 {
            is.spread / var
        } else {
            sample.twins.len() as f64
        },
        reliable: n >= MIN_NONZERO_VALUES && sample.kish(figure) >= MIN_NONZERO_VALUES as f64,
    })
}

/// Every figure of a point's `risk.csv`: the plain figures of
/// `risk::point_figures` over the full replicas `outcomes`, with those the
/// twins estimate replaced by their importance-sampling estimates.
pub fn point_figures(outcomes: &[ReplicaOutcome], sample: &Tilted, scenario: &Scenario) -> Vec<RiskFigure> {
    let mut figures = risk::point_figures(outcomes, scenario);
    for f in &mut figures {
        let Some(figure) = TwinFigure::of(f) else { continue };
        if let Some(e) = estimate(figure, sample) {
            *f = multifidelity::replace(f, figure, e, Estimator::ImportanceSampling);
        }
    }
    figures
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kish_size_counts_equal_weights_fully_and_one_dominant_weight_once() {
        let twin = |log_weight: f64, defaulted: bool| CheapOutcome {
            default_month: defaulted.then_some(3),
            weight: crate::model::inference::PathWeight {
                log_weight,
                ..Default::default()
            },
            ..CheapOutcome::default()
        };
        let within = TwinFigure::DefaultWithin(12);
        let even = Tilted {
            tilt: DemandTilt::default(),
            pilot_twins: 0,
            twins: vec![twin(0.5, true), twin(0.5, true), twin(0.5, true), twin(9.0, false)],
            pairs: Vec::new(),
        };
        assert!((even.kish(within) - 3.0).abs() < 1e-12);
        let skewed = Tilted {
            twins: vec![twin(20.0, true), twin(0.0, true), twin(0.0, true)],
            ..even
        };
        assert!((skewed.kish(within) - 1.0).abs() < 1e-6, "{}", skewed.kish(within));
    }
}
