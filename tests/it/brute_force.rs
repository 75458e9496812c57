//! The estimators of `--fidelity multi` and `--fidelity is` against brute
//! force with FULL replicas (issue 19's "Proof"): plain Monte Carlo over
//! 20,000 full replicas of the reduced-scale baseline
//! (`tests/data/reduced.toml`, weekly demand steps, about 9 ms a replica),
//! not over the low-fidelity twins — so a bias of the twin that the
//! correction E[full − twin] failed to remove would show here.
//!
//! The comparisons are verification (each estimator is unbiased for the
//! full model's expectation); their tolerances are stated in standard
//! errors of the difference.

use super::importance::reduced;
use mortgage_sim::config::Scenario;
use mortgage_sim::metrics::Waits;
use mortgage_sim::metrics::risk::RiskFigure;
use mortgage_sim::montecarlo::importance;
use mortgage_sim::montecarlo::multifidelity::{self, TwinFigure};
use mortgage_sim::montecarlo::{self, Silent};
use mortgage_sim::stats::Z95;

/// Full replicas of the brute force (issue 19 asks for at least 20,000).
const BRUTE_REPLICAS: u32 = 20_000;

/// The figures both estimators produce, with their risk.csv labels.
const FIGURES: [(TwinFigure, &str); 3] = [
    (TwinFigure::DefaultWithin(60), "p_default_by_year_5"),
    (TwinFigure::Loss, "expected_loss_usd"),
    (TwinFigure::PvLoss, "expected_pv_loss_usd"),
];

/// A plain Monte Carlo mean and its standard error.
#[derive(Debug, Clone, Copy)]
pub(super) struct Brute {
    pub mean: f64,
    pub stderr: f64,
}

impl Brute {
    fn of(v: &[f64]) -> Brute {
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        Brute {
            mean,
            stderr: (var / n).sqrt(),
        }
    }

    /// The sum of two independent estimates.
    fn plus(self, other: Brute) -> Brute {
        Brute {
            mean: self.mean + other.mean,
            stderr: self.stderr.hypot(other.stderr),
        }
    }
}

/// Brute force over full replicas `0..n` of `s`, in batches of 1,000 so
/// only the figures are kept: per entry of [`FIGURES`], the full
/// replicas' plain mean, and the mean difference full − twin over the
/// same replicas and their twins.
fn brute_force(s: &Scenario, n: u32) -> Vec<(Brute, Brute)> {
    let mut full = vec![Vec::with_capacity(n as usize); FIGURES.len()];
    let mut diff = full.clone();
    for start in (0..n).step_by(1_000) {
        let range = start..(start + 1_000).min(n);
        let batch = montecarlo::run_batch(&[s], range.clone(), &Silent, &mut [Waits::default()]);
        let twins = multifidelity::run_twins(s, range);
        for (o, c) in batch[0].iter().zip(&twins) {
            for (k, (figure, _)) in FIGURES.iter().enumerate() {
                full[k].push(figure.full(o));
                diff[k].push(figure.full(o) - figure.cheap(c));
            }
        }
    }
    full.iter()
        .zip(&diff)
        .map(|(f, d)| (Brute::of(f), Brute::of(d)))
        .collect()
}

/// Plain Monte Carlo over the twins `range` of `s` (in batches of
/// 100,000): one [`Brute`] per entry of [`FIGURES`] (P(default in a
/// five-year term), the loss, its present value).
pub(super) fn twin_brute_force(s: &Scenario, range: std::ops::Range<u32>) -> Vec<Brute> {
    let mut values = vec![Vec::with_capacity(range.len()); FIGURES.len()];
    for start in range.clone().step_by(100_000) {
        for c in multifidelity::run_twins(s, start..(start + 100_000).min(range.end)) {
            for (v, (figure, _)) in values.iter_mut().zip(FIGURES) {
                v.push(figure.cheap(&c));
            }
        }
    }
    values.iter().map(|v| Brute::of(v)).collect()
}

/// One experiment at master seed `seed`: `n` full replicas with the cheap
/// runs each estimator adds, as `--fidelity multi` and `--fidelity is` do.
/// Per entry of [`FIGURES`]: (multi-fidelity figure, importance-sampling
/// estimate and standard error).
fn estimates(seed: u64, n: u32) -> Vec<(RiskFigure, (f64, f64))> {
    let s = reduced(seed, 0.512e9);
    let full = montecarlo::run_point(&s, n, &Silent);
    let mut twins = Vec::new();
    multifidelity::add_twins(&[&s], std::slice::from_ref(&full), &mut twins);
    let multi = multifidelity::point_figures(&full, &twins[0], &s);
    let (mut paired, mut tilted) = (Vec::new(), Vec::new());
    multifidelity::pair_twins(&[&s], std::slice::from_ref(&full), &mut paired);
    importance::add_tilted(&[&s], std::slice::from_ref(&full), &paired, &mut tilted);
    FIGURES
        .iter()
        .map(|&(figure, label)| {
            let m = multi.iter().find(|f| f.label() == label).unwrap().clone();
            let is = importance::estimate(figure, &tilted[0]).unwrap();
            (m, (is.value, is.stderr))
        })
        .collect()
}

#[test]
fn both_estimators_agree_with_20_000_full_replicas() {
    // Brute force at master seed 1 (P(default in the term) ≈ 0.27, so its
    // standard error is ≈ 0.003); the estimators from 96 full replicas at
    // four other master seeds, so the two sides are independent. Each
    // estimate must lie within 3 standard errors of the difference (0.3%
    // false alarms per comparison for a normal estimate). At 96 the
    // estimators' intervals, conservative at small n (docs/VALIDATION.md),
    // are narrow enough (±0.8–1.6 pp for P(default)) for the check to catch
    // a bias of a few points; at 24 they were ±3–6 pp.
    let brute: Vec<Brute> = (brute_force(&reduced(1, 0.512e9), BRUTE_REPLICAS).iter())
        .map(|b| b.0)
        .collect();
    assert!((0.1..0.4).contains(&brute[0].mean), "{brute:?}");
    for seed in 1000..1004 {
        for (((m, (is, is_se)), b), (_, label)) in estimates(seed, 96).iter().zip(&brute).zip(FIGURES) {
            for (name, value, se) in [("multi", m.value, m.stderr.unwrap()), ("is", *is, *is_se)] {
                let z = (value - b.mean) / (se * se + b.stderr * b.stderr).sqrt();
                println!(
                    "seed {seed} {label} {name}: {value:.6e} ± {se:.3e} vs {:.6e} ± {:.3e}: z = {z:+.2}",
                    b.mean, b.stderr
                );
                assert!(z.abs() < 3.0, "seed {seed} {label} {name}: z = {z}");
            }
        }
    }
}

#[test]
#[ignore = "about 20 minutes on 2 cores; run with --ignored --nocapture, results in docs/VALIDATION.md"]
fn the_estimators_95_percent_intervals_cover_the_full_models_value() {
    // Coverage (issue 19): 200 master seeds, each an experiment of 24 full
    // replicas with the cheap runs (and, for importance sampling, the
    // tilted pairs) `--fidelity multi` and `is` add; then again with 192. The truth is E[twin]
    // over 2,000,000 plain twins plus E[full − twin] over the 20,000 full
    // replicas and their own twins (a difference that varies little: a
    // twin defaults with its full replica): both plain Monte Carlo,
    // unbiased, and independent of the experiments (other seeds); its
    // standard error is printed beside the experiments' own.
    //
    // The intervals must not cover less than 95%: at 95%, 200 experiments
    // cover 190 ± 3.1, and we require at least 181 (− 3 sd) for every
    // figure. (Before the floor on the twin's unseen bias, importance
    // sampling covered 179–180.) They may cover more: with 24 pairs the
    // floor keeps room for disagreements between the full model and its
    // twin that 24 pairs cannot rule out, so the interval is conservative;
    // how much is printed as the ratio of the mean reported standard error
    // to the spread of the 200 estimates about the truth (it shrinks
    // towards 1 as n grows: the floor's share falls as 1/n²).
    let experiments = 200u64;
    let s = reduced(1, 0.512e9);
    let brute = brute_force(&s, BRUTE_REPLICAS);
    let twins = twin_brute_force(&s, BRUTE_REPLICAS..BRUTE_REPLICAS + 2_000_000);
    let truth: Vec<Brute> = twins.iter().zip(&brute).map(|(t, (_, d))| t.plus(*d)).collect();
    for n in [24, 192] {
        println!("{experiments} experiments of {n} full replicas:");
        let (multi_covered, is_covered) = coverage(experiments, n, &truth, &brute);
        for (k, (_, label)) in FIGURES.iter().enumerate() {
            for covered in [multi_covered[k], is_covered[k]] {
                assert!(covered >= 181, "{label}, n = {n}: covered {covered} of {experiments}");
            }
        }
    }
}

/// How often the intervals of `experiments` experiments of `n` full
/// replicas (master seeds 1000, 1001, …) cover `truth`, per entry of
/// [`FIGURES`]: (multi-fidelity, importance sampling). Prints each
/// figure's counts and how conservative the intervals are.
fn coverage(experiments: u64, n: u32, truth: &[Brute], brute: &[(Brute, Brute)]) -> ([u32; 3], [u32; 3]) {
    let mut multi_covered = [0u32; FIGURES.len()];
    let mut is_covered = [0u32; FIGURES.len()];
    // Per figure and estimator: Σ squared error about the truth, Σ reported variance.
    let mut spread = [[(0.0f64, 0.0f64); 2]; FIGURES.len()];
    for seed in 0..experiments {
        for (k, ((m, (is, is_se)), t)) in estimates(1000 + seed, n).iter().zip(truth).enumerate() {
            multi_covered[k] += (m.ci95.0.unwrap() <= t.mean && t.mean <= m.ci95.1.unwrap()) as u32;
            is_covered[k] += ((is - t.mean).abs() <= Z95 * is_se) as u32;
            for (e, (value, se)) in [(m.value, m.stderr.unwrap()), (*is, *is_se)].into_iter().enumerate() {
                spread[k][e].0 += (value - t.mean).powi(2);
                spread[k][e].1 += se * se;
            }
        }
    }
    let ratio = |(errors, variances): (f64, f64)| (variances / errors).sqrt();
    for (k, (_, label)) in FIGURES.iter().enumerate() {
        let (full, diff) = brute[k];
        println!(
            "{label}: truth {:.6e} ± {:.2e} (full − twin {:.3e} ± {:.2e}; full alone {:.6e} ± {:.2e}); \
             multi-fidelity covers {} of {experiments} (reported SE / RMS error {:.2}), importance \
             sampling {} ({:.2})",
            truth[k].mean,
            truth[k].stderr,
            diff.mean,
            diff.stderr,
            full.mean,
            full.stderr,
            multi_covered[k],
            ratio(spread[k][0]),
            is_covered[k],
            ratio(spread[k][1]),
        );
    }
    (multi_covered, is_covered)
}

#[test]
#[ignore = "about 15 minutes on 2 cores; run with --ignored --nocapture, results in docs/VALIDATION.md"]
fn a_rare_default_agrees_with_100_000_full_replicas() {
    // The rare case of tests/it/importance.rs (funding $1.2B, P(default in
    // the term) ≈ 7e-4), there checked against twins, here against the
    // full model: 100,000 full replicas (about 70 defaults, a relative
    // standard error near 12%) against `--fidelity is` from 96 full
    // replicas and 96 tilted pairs at another master seed (the pairs see
    // rare paths only through the tilt, so a bias of the twin there would
    // show here). Within 3 standard errors of the difference, and to ±20%
    // relative (issue 19's rare case: 96 is what `--target-ci
    // p_default_by_year_5=20%` ran in batches of 24 at this seed).
    let b = brute_force(&reduced(1, 1.2e9), 100_000)[0].0;
    assert!((3e-4..3e-3).contains(&b.mean), "not a rare case: {b:?}");
    let s = reduced(2, 1.2e9);
    let full = montecarlo::run_point(&s, 96, &Silent);
    let (mut paired, mut tilted) = (Vec::new(), Vec::new());
    multifidelity::pair_twins(&[&s], std::slice::from_ref(&full), &mut paired);
    importance::add_tilted(&[&s], std::slice::from_ref(&full), &paired, &mut tilted);
    let is = importance::estimate(FIGURES[0].0, &tilted[0]).unwrap();
    let z = (is.value - b.mean) / (is.stderr.powi(2) + b.stderr.powi(2)).sqrt();
    println!(
        "rare: brute force {:.4e} ± {:.2e} ({} full replicas); importance sampling {:.4e} ± {:.2e} \
         ({} tilted twins, Kish size {:.0}); z = {z:+.2}",
        b.mean,
        b.stderr,
        100_000,
        is.value,
        is.stderr,
        tilted[0].twins.len(),
        tilted[0].kish(FIGURES[0].0)
    );
    assert!(z.abs() < 3.0, "z = {z}");
    assert!(Z95 * is.stderr <= 0.2 * is.value, "wider than ±20%: {is:?}");
}
