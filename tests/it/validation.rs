//! Validation: the simulator against results known independently of it.
//!
//! Each case is a scenario in `tests/data/validation/` (its header says what
//! it models and which closed form or published figure it must reproduce)
//! and a test that runs enough replicas with the scenario's fixed seed and
//! compares the simulated estimate with the reference:
//!
//! `|sim − reference| ≤ k·SE + floor`
//!
//! where SE is the standard error of the estimate across independent
//! replicas (sample sd / √n), k = 4 (a false alarm about once in 16,000
//! checks for a normal estimate; the seeds are fixed, so a pass or a failure
//! is reproducible), and `floor` is a small absolute allowance for a known
//! bias of the method (start-up from empty, integer seconds), stated beside
//! each check. Exact identities are checked exactly. The references are
//! computed here from their formulas, not taken from the library.
//!
//! docs/VALIDATION.md holds the table of results; every check prints its row
//! to stderr, so `cargo test --release --test it validation -- --nocapture
//! --test-threads 1` reproduces it.

use super::support;
use mortgage_sim::config::{self, Scenario};
use mortgage_sim::engine::{SimTime, Span};
use mortgage_sim::metrics::{Class, ReplicaOutcome};
use mortgage_sim::model::inference::DemandPath;
use mortgage_sim::model::{self, Streams, training};
use mortgage_sim::montecarlo::{self, replica_seed};
use mortgage_sim::stats::Summary;
use rayon::prelude::*;
use std::f64::consts::TAU;

// ---- helpers --------------------------------------------------------------

/// Loads `tests/data/validation/<file>` with `--set`-style overrides.
pub(super) fn load(file: &str, overrides: &[String]) -> Scenario {
    let path = support::repo().join("tests/data/validation").join(file);
    config::load_file(&path, overrides).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs replicas 0..n of `s` in parallel with the scenario's seed.
pub(super) fn run(s: &Scenario, replicas: u32) -> Vec<ReplicaOutcome> {
    montecarlo::run_point(s, replicas, &montecarlo::Silent)
}

/// Mean and standard error of the mean of per-replica values.
#[derive(Debug, Clone, Copy)]
pub(super) struct Estimate {
    pub(super) mean: f64,
    pub(super) se: f64,
}

pub(super) fn estimate(values: impl IntoIterator<Item = f64>) -> Estimate {
    let v: Vec<f64> = values.into_iter().collect();
    let s = Summary::of(&v, &[]).expect("at least one replica");
    assert!(s.n >= 2, "a standard error needs two replicas");
    Estimate {
        mean: s.mean,
        se: s.stderr,
    }
}

/// Prints one row of the validation table and fails the test unless
/// `|sim − reference| ≤ k·SE + floor`.
pub(super) fn check(case: &str, params: &str, sim: Estimate, reference: f64, k: f64, floor: f64) {
    let diff = (sim.mean - reference).abs();
    let allowed = k * sim.se + floor;
    let pass = diff <= allowed;
    let z = if sim.se > 0.0 { diff / sim.se } else { 0.0 };
    eprintln!(
        "VALIDATION | {case} | {params} | {:.6} ± {:.3e} | {reference:.6} | {z:.2} SE (allowed {k}·SE + {floor:.3e}) | {}",
        sim.mean,
        sim.se,
        if pass { "pass" } else { "FAIL" }
    );
    assert!(
        pass,
        "{case} ({params}): simulated {} ± {} vs reference {reference}: |diff| {diff} > {k}·SE + {floor} = {allowed}",
        sim.mean, sim.se
    );
}

/// Prints the row of an exact identity and fails unless it holds to `tol`.
pub(super) fn check_exact(case: &str, params: &str, sim: f64, reference: f64, tol: f64) {
    let pass = (sim - reference).abs() <= tol;
    eprintln!(
        "VALIDATION | {case} | {params} | {sim:.6} (exact) | {reference:.6} | |diff| {:.3e} (allowed {tol:.1e}) | {}",
        (sim - reference).abs(),
        if pass { "pass" } else { "FAIL" }
    );
    assert!(pass, "{case} ({params}): {sim} vs {reference}");
}

pub(super) fn term_hours(s: &Scenario) -> f64 {
    s.contract.term.hours()
}

// ---- 1. queueing: M/M/c against Erlang C, in validation/queueing.rs ----

mod queueing;

// ---- 2. checkpointing: Daly's expected wall time, Young's optimum ----------

/// Daly (2006): T = M·e^{R/M}·(e^{(τ+δ)/M} − 1)·T_s/τ.
fn daly(solve: f64, tau: f64, delta: f64, restart: f64, mtbf: f64) -> f64 {
    mtbf * (restart / mtbf).exp() * (((tau + delta) / mtbf).exp() - 1.0) * solve / tau
}

/// Completion times (hours) of the lone run in every replica.
fn completion_hours(s: &Scenario, replicas: u32) -> Vec<f64> {
    let work_hours = s.training.as_ref().expect("a training run").runs[0]
        .baseline_work
        .hours();
    run(s, replicas)
        .iter()
        .map(|o| {
            assert_eq!(
                o.row.training_runs_completed, 1,
                "the run must complete within the term"
            );
            o.row.training_mean_delay_days.expect("completed") * 24.0 + work_hours
        })
        .collect()
}

#[test]
fn checkpointing_matches_daly_and_the_optimum_sits_at_young() {
    // Daly's worked example: M = 6 h, δ = 5 min, R = 10 min, T_s = 500 h.
    let (m, delta, restart, solve): (f64, f64, f64, f64) = (6.0, 5.0 / 60.0, 10.0 / 60.0, 500.0);
    let young = (2.0 * delta * m).sqrt();
    assert!((young - training::young_interval(delta, m)).abs() < 1e-12);
    let taus = [0.25, 0.5, 1.0, 2.0, 4.0];
    let replicas = 1000;
    let mut walls = Vec::new();
    for tau in taus {
        let s = load(
            "checkpointing.toml",
            &[format!("training.checkpoint_interval_hours={tau}")],
        );
        let reference = daly(solve, tau, delta, restart, m);
        assert!((reference - training::daly_expected_wall_time(solve, tau, delta, restart, m)).abs() < 1e-9);
        let wall = completion_hours(&s, replicas);
        // Daly's formula is exact for these semantics (exponential failures,
        // T_s a multiple of τ, a replacement always at hand); the floor
        // allows 0.1% for whole-second rounding of failure times and the
        // rare 36-s wait when every spare is down.
        check(
            "2 checkpointing: completion hours (Daly)",
            &format!("M = 6 h, δ = 5 min, R = 10 min, T_s = 500 h, τ = {tau} h, {replicas} replicas"),
            estimate(wall.iter().copied()),
            reference,
            4.0,
            1e-3 * reference,
        );
        walls.push(wall);
    }
    // Young: the sweep's minimum sits at the grid point nearest √(2δM) = 1 h.
    // Failure times are common random numbers across τ (their stream does
    // not depend on the workload), so compare paired differences with the
    // τ = 1 h run: each must be positive by more than 4 SE.
    let best = taus.iter().position(|&t| t == 1.0).expect("1 h in the sweep");
    for (i, tau) in taus.iter().enumerate() {
        if i == best {
            continue;
        }
        let d = estimate(walls[i].iter().zip(&walls[best]).map(|(a, b)| a - b));
        let reference = daly(solve, *tau, delta, restart, m) - daly(solve, 1.0, delta, restart, m);
        check(
            "2 checkpointing: T(τ) − T(1 h), paired",
            &format!("τ = {tau} h vs Young's {young:.3} h"),
            d,
            reference,
            4.0,
            1e-3 * daly(solve, 1.0, delta, restart, m),
        );
        assert!(
            d.mean - 4.0 * d.se > 0.0,
            "τ = {tau} h is not worse than τ = 1 h: {d:?}"
        );
    }
    // The minimum of a parabola in ln τ through the three points around the
    // grid minimum: "near" Young means within the grid's resolution (×2),
    // so within a factor 1.25 of √(2δM).
    let means: Vec<f64> = walls.iter().map(|w| w.iter().sum::<f64>() / w.len() as f64).collect();
    let (y0, y1, y2) = (means[best - 1], means[best], means[best + 1]);
    let h = 2f64.ln();
    let vertex = (1.0f64.ln() + h * (y0 - y2) / (2.0 * (y0 - 2.0 * y1 + y2))).exp();
    eprintln!(
        "VALIDATION | 2 checkpointing: interpolated optimum τ* | parabola in ln τ through τ = 0.5, 1, 2 h | {vertex:.3} h | Young {young:.3} h (Daly's refined optimum 0.957 h) | ratio {:.3} | {}",
        vertex / young,
        if (0.8..=1.25).contains(&(vertex / young)) {
            "pass"
        } else {
            "FAIL"
        }
    );
    assert!(
        (0.8..=1.25).contains(&(vertex / young)),
        "τ* = {vertex} h vs Young {young} h"
    );
}

#[test]
fn checkpointing_with_a_costly_restart_matches_daly() {
    // R is a quarter of M, so e^{R/M} = 1.28 and 22% of restarts are hit by
    // a failure: ignoring the restart would make T 22% shorter (140 h), and
    // forbidding failures during it 2.7% shorter (174.9 h), ~17 SE.
    let (m, tau, delta, restart, solve) = (2.0, 0.5, 0.1, 0.5, 100.0);
    let s = load(
        "checkpointing.toml",
        &[
            format!("cluster.chip_mtbf_hours={m}"),
            format!("training.checkpoint_interval_hours={tau}"),
            format!("training.checkpoint_cost_hours={delta}"),
            format!("training.restart_overhead_hours={restart}"),
            format!("training.runs.0.duration_days={}", solve / 24.0),
        ],
    );
    let replicas = 1000;
    let reference = daly(solve, tau, delta, restart, m);
    check(
        "2 checkpointing: completion hours (Daly, costly restart)",
        &format!("M = {m} h, τ = {tau} h, δ = {delta} h, R = {restart} h, T_s = {solve} h, {replicas} replicas"),
        estimate(completion_hours(&s, replicas)),
        reference,
        4.0,
        1e-3 * reference,
    );
}

#[test]
fn checkpointing_a_gang_of_nodes_matches_daly_at_the_job_mtbf() {
    // A 64-chip run on 16-chip units (4 nodes) with 4 spare nodes: each chip
    // fails every 384 h, so the run's MTBF is 384 / 64 = 6 h, and Daly's
    // worked example must come out again (failures of spare nodes do not
    // count; a failed node of the run is replaced by a spare).
    let (m, tau, delta, restart, solve) = (6.0, 1.0, 5.0 / 60.0, 10.0 / 60.0, 500.0);
    let s = load(
        "checkpointing.toml",
        &[
            "cluster.failure_unit_chips=16".into(),
            "cluster.tranches.0.chips=128".into(),
            "cluster.chip_mtbf_hours=384".into(),
            "training.runs.0.chips=64".into(),
        ],
    );
    let replicas = 1000;
    let reference = daly(solve, tau, delta, restart, m);
    check(
        "2 checkpointing: completion hours (Daly, 4-node gang)",
        &format!("64 chips on 16-chip units, chip MTBF 384 h (job M = 6 h), τ = 1 h, {replicas} replicas"),
        estimate(completion_hours(&s, replicas)),
        reference,
        4.0,
        1e-3 * reference,
    );
}

// ---- 3. failure process: Poisson interruptions, Llama 3 -------------------

/// Runs failures.toml with `overrides`; checks the mean interruption count
/// against N·D·24/MTBF and its dispersion (variance / mean) against 1.
fn interruptions_case(label: &str, overrides: &[String], replicas: u32) -> Estimate {
    let s = load("failures.toml", overrides);
    let chips = s.training.as_ref().expect("a run").runs[0].units * s.cluster.unit_chips;
    let days = term_hours(&s) / 24.0;
    let mtbf = s.cluster.chip_mtbf_hours;
    let expected = chips as f64 * days * 24.0 / mtbf;
    let counts: Vec<f64> = run(&s, replicas)
        .iter()
        .map(|o| {
            assert_eq!(o.row.training_runs_started, 1);
            o.row.training_interruptions as f64
        })
        .collect();
    let params = format!(
        "N = {chips} chips, unit {} chips, D = {days:.0} days, MTBF {mtbf} h, {replicas} replicas",
        s.cluster.unit_chips
    );
    let est = estimate(counts.iter().copied());
    // No bias is known: the run holds its N chips all the time (spares are
    // never exhausted), and failures during restarts count. Floor 0.
    check(
        &format!("3 failures {label}: interruptions (N·D·24/MTBF)"),
        &params,
        est,
        expected,
        4.0,
        0.0,
    );
    // Poisson: index of dispersion s²/mean = 1, with SE ≈ √(2/(n − 1)).
    let n = counts.len() as f64;
    let var = counts.iter().map(|c| (c - est.mean).powi(2)).sum::<f64>() / (n - 1.0);
    check(
        &format!("3 failures {label}: variance / mean (Poisson: 1)"),
        &params,
        Estimate {
            mean: var / est.mean,
            se: (2.0 / (n - 1.0)).sqrt(),
        },
        1.0,
        4.0,
        0.0,
    );
    est
}

#[test]
fn interruptions_are_poisson_with_16_chip_units() {
    interruptions_case("16-chip units", &[], 1000);
    interruptions_case(
        "16-chip units, 4k chips",
        &[
            "training.runs.0.chips=4096".into(),
            format!("contract.term_years={}", 30.0 / 365.25),
            "cluster.chip_mtbf_hours=5000".into(),
        ],
        1000,
    );
}

#[test]
fn interruptions_are_poisson_with_1_chip_units() {
    interruptions_case("1-chip units", &["cluster.failure_unit_chips=1".into()], 1000);
    interruptions_case(
        "1-chip units, 4k chips",
        &[
            "cluster.failure_unit_chips=1".into(),
            "training.runs.0.chips=4096".into(),
            format!("contract.term_years={}", 30.0 / 365.25),
            "cluster.chip_mtbf_hours=5000".into(),
        ],
        1000,
    );
}

#[test]
fn baseline_mtbf_reproduces_llama3_interruptions() {
    // Llama 3 405B pre-training: 419 unexpected interruptions on 16,384
    // GPUs over a 54-day snapshot (Meta, "The Llama 3 Herd of Models",
    // arXiv 2407.21783, 2024). The MTBF is the shipped baseline's.
    let baseline_mtbf = config::load_baseline(&[]).expect("baseline").cluster.chip_mtbf_hours;
    let replicas = 1000;
    let s = load("failures.toml", &[format!("cluster.chip_mtbf_hours={baseline_mtbf}")]);
    let counts = run(&s, replicas)
        .iter()
        .map(|o| o.row.training_interruptions as f64)
        .collect::<Vec<_>>();
    // Floor 0.5: the baseline rounds the calibrated MTBF (50,677 h) to
    // 50,700 h, an expectation of 418.8 rather than 419.
    check(
        "3 failures: Llama 3 405B, 16,384 chips × 54 days",
        &format!("baseline MTBF {baseline_mtbf} h, 16-chip units, {replicas} replicas"),
        estimate(counts),
        419.0,
        4.0,
        0.5,
    );
}

// ---- 4. demand path: GBM moments, seasonality ------------------------------

#[test]
fn demand_growth_matches_gbm_moments_at_several_horizons() {
    let s = load("demand.toml", &[]);
    let spec = s.inference.clone().expect("inference");
    let (mu, sigma) = (spec.drift_per_year, spec.volatility_per_sqrt_year);
    let horizons_years = [0.5, 1.0, 2.0, 4.0];
    let last = 4 * Span::YEAR.secs();
    let paths = 4000;
    // G at each horizon on path i, stepping as the world does (every
    // spec.step seconds, here hourly), each path on the inference stream of
    // replica i; rayon's ordered collect keeps this deterministic.
    let per_path: Vec<Vec<f64>> = (0..paths)
        .into_par_iter()
        .map(|i| {
            let mut rng = Streams::new(replica_seed(s.seed, i as u32)).inference;
            let mut path = DemandPath::new(&spec, Span(last), &mut rng);
            let mut at = Vec::with_capacity(horizons_years.len());
            let mut t = SimTime::ZERO;
            while at.len() < horizons_years.len() {
                t = t + spec.step;
                path.advance(t, &mut rng);
                if t.secs() == (horizons_years[at.len()] * Span::YEAR.secs() as f64) as u64 {
                    at.push(path.growth());
                }
            }
            at
        })
        .collect();
    let samples: Vec<Vec<f64>> = (0..horizons_years.len())
        .map(|h| per_path.iter().map(|p| p[h]).collect())
        .collect();
    // The GBM is simulated exactly on the step: no discretisation bias, so
    // the floors are 0. SE of a mean: sample sd/√n. SE of a sample variance
    // s²: √((μ4 − σ⁴(n − 3)/(n − 1))/n) with the fourth central moment μ4 of
    // the reference distribution (the test statistic's spread under the
    // closed form). The lognormal's sample μ4 is too unstable to use: it
    // understates the spread of s² in most samples.
    let mean_of = |v: &[f64]| estimate(v.iter().copied());
    let variance_of = |v: &[f64], var_ref: f64, mu4_ref: f64| {
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        Estimate {
            mean: v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0),
            se: ((mu4_ref - var_ref * var_ref * (n - 3.0) / (n - 1.0)) / n).sqrt(),
        }
    };
    for (h, &t) in horizons_years.iter().enumerate() {
        let params = format!("μ = {mu}, σ = {sigma}, t = {t} y, hourly steps, {paths} paths");
        let v = sigma * sigma * t;
        let g = &samples[h];
        check(
            "4 demand: E[G(t)] = e^{μt}",
            &params,
            mean_of(g),
            (mu * t).exp(),
            4.0,
            0.0,
        );
        // Lognormal: Var = e^{2μt}(e^v − 1), μ4 = Var²(e^{4v} + 2e^{3v} + 3e^{2v} − 3).
        let var_g = (2.0 * mu * t).exp() * (v.exp() - 1.0);
        let mu4_g = var_g * var_g * ((4.0 * v).exp() + 2.0 * (3.0 * v).exp() + 3.0 * (2.0 * v).exp() - 3.0);
        check(
            "4 demand: Var[G(t)] = e^{2μt}(e^{σ²t} − 1)",
            &params,
            variance_of(g, var_g, mu4_g),
            var_g,
            4.0,
            0.0,
        );
        let logs: Vec<f64> = g.iter().map(|x| x.ln()).collect();
        check(
            "4 demand: E[ln G(t)] = (μ − σ²/2)t",
            &params,
            mean_of(&logs),
            (mu - sigma * sigma / 2.0) * t,
            4.0,
            0.0,
        );
        // Normal: μ4 = 3v².
        check(
            "4 demand: Var[ln G(t)] = σ²t",
            &params,
            variance_of(&logs, v, 3.0 * v * v),
            v,
            4.0,
            0.0,
        );
    }
}

/// The seasonal factor (1 + a_d sin 2πt/day)(1 + a_w sin 2πt/week), written
/// out here rather than taken from the model.
fn seasonal(daily: f64, weekly: f64, t: u64) -> f64 {
    let (day, week) = (Span::DAY.secs() as f64, 7.0 * Span::DAY.secs() as f64);
    (1.0 + daily * (TAU * t as f64 / day).sin()) * (1.0 + weekly * (TAU * t as f64 / week).sin())
}

#[test]
fn demand_seasonality_averages_out_over_a_week() {
    // The whole world, four weeks, no growth, volatility or noise: demand
    // chip-hours must be base × 672 h (to rounding), as the hourly samples
    // of each sine over whole periods sum to zero.
    let weeks = 4.0;
    let s = load(
        "demand.toml",
        &[
            format!("contract.term_years={}", weeks * 7.0 / 365.25),
            "inference.growth.drift_per_year=0".into(),
            "inference.growth.volatility_per_sqrt_year=0".into(),
            "inference.noise_sigma=0".into(),
        ],
    );
    let spec = s.inference.as_ref().expect("inference");
    let hours = weeks * 7.0 * 24.0;
    assert_eq!(s.contract.term.secs(), (hours * 3600.0) as u64);
    let week_mean = (0..7 * 24)
        .map(|k| seasonal(spec.diurnal_amplitude, spec.weekly_amplitude, k * Span::HOUR.secs()))
        .sum::<f64>()
        / (7.0 * 24.0);
    check_exact(
        "4 demand: weekly mean of the seasonal factor (hourly)",
        "a_d = 0.2, a_w = 0.08",
        week_mean,
        1.0,
        1e-12,
    );
    let o = model::simulate(&s, 0, replica_seed(s.seed, 0));
    check_exact(
        "4 demand: demand chip-hours over 4 weeks, seasonality only (world)",
        "base 1,000 chips, a_d = 0.2, a_w = 0.08",
        o.row.inference_demand_chip_hours,
        spec.base_demand_chips * hours,
        1e-9 * spec.base_demand_chips * hours,
    );
}

#[test]
fn world_demand_chip_hours_match_the_closed_form_mean() {
    // E[demand chip-hours] = base × Σ_k e^{μ t_k} s(t_k) × Δ over the hourly
    // steps of the term (demand is held between steps; noise has mean 1).
    let s = load("demand.toml", &[]);
    let spec = s.inference.as_ref().expect("inference");
    let term = s.contract.term.secs();
    let step = spec.step.secs();
    let mut reference = 0.0;
    let mut t = 0;
    while t < term {
        let dt = (t + step).min(term) - t;
        let years = t as f64 / Span::YEAR.secs() as f64;
        reference += spec.base_demand_chips
            * (spec.drift_per_year * years).exp()
            * seasonal(spec.diurnal_amplitude, spec.weekly_amplitude, t)
            * dt as f64
            / Span::HOUR.secs() as f64;
        t += step;
    }
    let replicas = 1000;
    let outs = run(&s, replicas);
    // Floor 0: the mean is exact for the piecewise-constant demand.
    check(
        "4 demand: E[demand chip-hours] over 2 years (world)",
        &format!("base 1,000, μ = 0.4, σ = 0.35, seasonality 0.2/0.08, noise 0.03, {replicas} replicas"),
        estimate(outs.iter().map(|o| o.row.inference_demand_chip_hours)),
        reference,
        4.0,
        0.0,
    );
    for o in &outs {
        assert!((o.row.inference_served_fraction - 1.0).abs() < 1e-12);
    }
}

// ---- 5. capacity: the tranche schedule --------------------------------------

#[test]
fn zero_delays_deliver_exactly_the_tranche_schedule() {
    let s = load(
        "capacity.toml",
        &[
            r#"cluster.tranches.0.delivery_delay_months={ dist = "fixed", value = 0 }"#.into(),
            r#"cluster.tranches.1.delivery_delay_months={ dist = "fixed", value = 0 }"#.into(),
        ],
    );
    let month = Span::MONTH.secs() as u128;
    // 1,024 chips from month 0 until they retire at month 18; 2,048 from
    // month 6 to the end of the 36-month term.
    let expected = 1024 * 18 * month + 2048 * 30 * month;
    for o in run(&s, 4) {
        let cs = o.chip_seconds;
        check_exact(
            "5 capacity: delivered chip-hours, zero delays",
            "1,024 chips months 0–18 (retire), 2,048 chips months 6–36",
            cs.delivered as f64 / 3600.0,
            expected as f64 / 3600.0,
            0.0,
        );
        assert_eq!(cs.delivered, expected, "exact in chip-seconds");
        assert_eq!(cs.undelivered, 0);
        assert_eq!(cs[Class::Idle], cs.delivered);
    }
}

#[test]
fn random_delays_deliver_the_closed_form_mean() {
    let s = load("capacity.toml", &[]);
    let term_months = s.contract.term.in_units(Span::MONTH);
    let hours_per_month = Span::MONTH.secs() as f64 / Span::HOUR.secs() as f64;
    // g(x) = E[(x − d)^+] for each tranche's delay d, in months.
    let g_exp = |x: f64, m: f64| x - m * (1.0 - (-x / m).exp());
    let g_gamma2 = |x: f64, theta: f64| x - theta * (2.0 - (-x / theta).exp() * (2.0 + x / theta));
    let (a0, life) = (term_months, 18.0);
    let a1 = term_months - 6.0;
    let delivered = 1024.0 * (g_exp(a0, 2.0) - g_exp(a0 - life, 2.0)) + 2048.0 * g_gamma2(a1, 3.0);
    let undelivered = 1024.0 * (a0 - g_exp(a0, 2.0)) + 2048.0 * (a1 - g_gamma2(a1, 3.0));
    let replicas = 8000;
    let outs = run(&s, replicas);
    let params = format!("exp(mean 2 mo) and gamma(2, 3 mo) delays, 1.5-y life, {replicas} replicas");
    // Floor 0: delays are rounded to whole seconds, nothing else.
    check(
        "5 capacity: E[delivered chip-hours]",
        &params,
        estimate(outs.iter().map(|o| o.row.delivered_chip_hours)),
        delivered * hours_per_month,
        4.0,
        0.0,
    );
    check(
        "5 capacity: E[undelivered chip-hours]",
        &params,
        estimate(outs.iter().map(|o| o.row.undelivered_chip_hours)),
        undelivered * hours_per_month,
        4.0,
        0.0,
    );
}

// ---- 6. money: default month with revenue; conservation -------------------

#[test]
fn default_month_with_revenue_matches_the_closed_form() {
    let s = load("money.toml", &[]);
    let b = s.buyer.as_ref().expect("buyer");
    let p = s.contract.committed_usd / 12.0;
    let month_hours = Span::MONTH.secs() as f64 / Span::HOUR.secs() as f64;
    let r = 1000.0 * month_hours * b.revenue_per_served_chip_hour_usd;
    let c = b.other_costs_per_month_usd;
    let f = b.initial_funding_usd;
    let k = (f / (p - r + c)).floor() + 1.0;
    for o in run(&s, 4) {
        let row = &o.row;
        check_exact(
            "6 money: default month floor(F/(P − r + c)) + 1",
            "F = $30M, P = $10M, r = $3.6525M, c = $1M",
            row.default_month.expect("defaults") as f64,
            k,
            0.0,
        );
        check_exact(
            "6 money: exposure at default (13 − k)·P",
            "as above",
            row.exposure_at_default_usd,
            (13.0 - k) * p,
            1e-3,
        );
        check_exact(
            "6 money: cash at default F + k(r − c) − (k − 1)P",
            "as above",
            row.ending_cash_usd,
            f + k * (r - c) - (k - 1.0) * p,
            1e-3,
        );
        assert!(o.ledger.balance_error() < 1e-3);
        assert_eq!(o.chip_seconds.conservation_error(), 0);
    }
}

#[test]
fn chip_hours_and_money_are_conserved_in_every_replica() {
    // The golden scenario has every workload, failures, late tranches, a
    // retirement and a buyer that can default.
    let path = support::repo().join("tests/data/golden.toml");
    let s = config::load_file(&path, &[]).expect("golden scenario");
    let replicas = 8;
    let outs = run(&s, replicas);
    let chip_error = outs
        .iter()
        .map(|o| o.chip_seconds.conservation_error())
        .max()
        .unwrap_or(0);
    let money_error = outs.iter().map(|o| o.ledger.balance_error()).fold(0.0, f64::max);
    check_exact(
        "6 money: max chip-second conservation error",
        &format!("tests/data/golden.toml, {replicas} replicas"),
        chip_error as f64,
        0.0,
        0.0,
    );
    check_exact(
        "6 money: max ledger balance error, USD",
        &format!("tests/data/golden.toml, {replicas} replicas"),
        money_error,
        0.0,
        1e-3,
    );
}

// ---- a model bug the suite found (fixed) -------------------------------------

#[test]
fn without_a_buyer_nobody_defaults_and_mmc_jobs_are_never_preempted() {
    // queueing.toml has no [buyer]: the README and world.rs say such a buyer
    // "always pays", and in an M/M/c queue no job is ever preempted. Both
    // must hold exactly in every replica.
    let s = load("queueing.toml", &[]);
    let replicas = 4;
    let outs = run(&s, replicas);
    let params = format!("queueing.toml (no [buyer], $1M over 120 months), {replicas} replicas");
    let defaults = outs.iter().filter(|o| o.row.default_month.is_some()).count();
    let preemptions: u64 = outs.iter().map(|o| o.row.research_preemptions).sum();
    let lost: f64 = outs.iter().map(|o| o.row.research_lost_chip_hours).sum();
    eprintln!(
        "VALIDATION | 1/6 no buyer: replicas that default; research preemptions; lost chip-hours | {params} | {defaults}; {preemptions}; {lost:.1} | 0; 0; 0 | {}",
        if defaults == 0 && preemptions == 0 && lost == 0.0 {
            "pass"
        } else {
            "FAIL"
        }
    );
    for o in &outs {
        let r = &o.row;
        assert_eq!(
            r.default_month, None,
            "a scenario without [buyer] defaulted (exposure ${}, cash before the payment ${})",
            r.exposure_at_default_usd, r.ending_cash_usd
        );
        assert_eq!(r.research_preemptions, 0, "M/M/c: nothing preempts a research job");
        assert_eq!(o.chip_seconds.research_lost, 0);
    }
}
