//! Failures over a unit's age and lemon units (issue 18), checked against
//! their closed forms (verification, docs/VALIDATION.md): |sim − ref| ≤
//! 4·SE + floor, SE across replicas.
//!
//! Hazards: each delivery's failures are a Poisson process of rate
//! n·h(t − t₀) (Weibull h), so month m expects Σ n (H(a_{m+1}) − H(a_m)).
//! Lemons: the rate before removal n λ (1 + f(m − 1)) and the removed count
//! from the lemon count's decay.

use super::validation::{check, estimate, load, run, term_hours};
use mortgage_sim::config::Scenario;
use mortgage_sim::engine::Span;
use mortgage_sim::model::World;
use mortgage_sim::montecarlo::replica_seed;
use rayon::prelude::*;

/// Weibull cumulative hazard per chip at `age_hours` (0 before delivery),
/// from the parameters, not from the library.
fn weibull_h(age_hours: f64, shape: f64, scale_hours: f64) -> f64 {
    (age_hours.max(0.0) / scale_hours).powf(shape)
}

/// Runs hazards.toml with `shape` and `scale_hours` (and a service life
/// of `life_years`, if any); checks each month's hazard failures against
/// the integrated hazard of both deliveries while in service and returns
/// the expected counts by month.
fn hazard_case(shape: f64, scale_hours: f64, life_years: Option<f64>) -> Vec<f64> {
    let mut overrides = vec![
        format!("cluster.hazards.0.shape={shape}"),
        format!("cluster.hazards.0.scale_hours={scale_hours}"),
    ];
    if let Some(life) = life_years {
        overrides.push(format!("cluster.generations.0.service_life_years={life}"));
    }
    let s: Scenario = load("hazards.toml", &overrides);
    let life_hours = life_years.map_or(f64::INFINITY, |y| y * Span::YEAR.hours());
    let replicas = s.replicas;
    let tallies: Vec<_> = (0..replicas)
        .into_par_iter()
        .map(|i| World::new(&s, i, replica_seed(s.seed, i)).run())
        .collect();
    let month_hours = Span::MONTH.hours();
    let deliveries: Vec<(f64, f64)> = s
        .cluster
        .tranches
        .iter()
        .map(|t| (t.planned.as_hours(), (t.units * s.cluster.unit_chips) as f64))
        .collect();
    let months = tallies[0].hazard_failures_by_month.len();
    assert_eq!(months, 12);
    let life = life_years.map_or(String::new(), |y| format!(", retiring after {y} years"));
    let params =
        format!("k = {shape}, η = {scale_hours} h, 2 × 1,000 chips at months 0 and 6{life}, {replicas} replicas");
    let mut expected = Vec::with_capacity(months);
    for m in 0..months {
        let (from, to) = (m as f64 * month_hours, (m + 1) as f64 * month_hours);
        // Ages in the month, clipped to the delivery's service.
        let reference: f64 = deliveries
            .iter()
            .map(|&(t0, n)| {
                let age = |t: f64| (t - t0).min(life_hours);
                n * (weibull_h(age(to), shape, scale_hours) - weibull_h(age(from), shape, scale_hours))
            })
            .sum();
        // Floor: failures thinned on a unit down for its 36-s repair, at
        // most (count) × (chips down at once / chips) ≈ reference × 1e-4.
        check(
            &format!("H1 hazards: failures in month {}", m + 1),
            &params,
            estimate(tallies.iter().map(|t| t.hazard_failures_by_month[m] as f64)),
            reference,
            4.0,
            reference * 1e-4,
        );
        expected.push(reference);
    }
    for t in &tallies {
        let by_month: u64 = t.hazard_failures_by_month.iter().sum();
        assert_eq!(by_month, t.counts.hazard_failures, "every hazard failure is in a month");
        assert!(t.counts.unit_failures >= t.counts.hazard_failures);
    }
    // A chi-square over the 12 months of the pooled counts (Poisson with
    // mean replicas × expected): 12 degrees of freedom, P(χ² > 37.0) =
    // 2.2e-4.
    let chi2: f64 = (0..months)
        .map(|m| {
            let observed: u64 = tallies.iter().map(|t| t.hazard_failures_by_month[m]).sum();
            let mean = expected[m] * replicas as f64;
            (observed as f64 - mean).powi(2) / mean
        })
        .sum();
    eprintln!(
        "VALIDATION | H1 hazards: chi-square over 12 months | {params} | {chi2:.2} | 12 dof | < 37.0 (upper tail 2.2e-4)"
    );
    assert!(chi2 < 37.0, "chi-square {chi2} over 12 months ({params})");
    expected
}

/// Sum of each of the first two quarters' per-month values.
fn quarters(values: &[f64]) -> [f64; 2] {
    [values[..3].iter().sum(), values[3..6].iter().sum()]
}

#[test]
fn infant_mortality_falls_month_by_month_as_the_integrated_hazard() {
    let expected = hazard_case(0.5, 1e5, None);
    // Before the second delivery, fewer failures each month; the second
    // delivery's infancy shows as a jump at month 7.
    assert!(expected[..6].windows(2).all(|w| w[0] > w[1]));
    assert!(expected[6] > expected[5]);
    let [q1, q2] = quarters(&expected);
    assert!(q1 > 2.0 * q2, "a steep fall: {q1} vs {q2}");
}

#[test]
fn wear_out_rises_month_by_month_as_the_integrated_hazard() {
    let expected = hazard_case(3.0, 2.0 * Span::YEAR.hours(), None);
    assert!(expected[..6].windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn a_retired_delivery_stops_failing() {
    // Service life of half a year: the first delivery retires at month 6
    // as the second arrives, so months 7-12 see the second one only.
    let expected = hazard_case(0.5, 1e5, Some(0.5));
    let first_six: f64 = expected[..6].iter().sum();
    let last_six: f64 = expected[6..].iter().sum();
    assert!(
        (first_six - last_six).abs() < 1e-9 * first_six,
        "the same infancy twice"
    );
}

#[test]
fn without_hazards_or_lemons_nothing_is_counted_and_failures_are_unchanged() {
    // failures.toml has neither: the columns exist and are 0.
    let s = load("failures.toml", &[]);
    for o in run(&s, 4) {
        assert_eq!(o.row.hazard_failures, 0);
        assert_eq!(o.row.lemon_failures, 0);
        assert_eq!(o.row.lemons_removed, 0);
        assert!(o.row.unit_failures > 0);
    }
}

/// lemons.toml's parameters, from its header.
const UNITS: f64 = 10_000.0;
const FRACTION: f64 = 0.012;
const MULTIPLE: f64 = 11.0;
const LAMBDA_PER_HOUR: f64 = 1.0 / 10_000.0;

#[test]
fn lemons_raise_the_failure_rate_to_n_lambda_one_plus_f_m_minus_one() {
    let s = load("lemons.toml", &[]);
    let replicas = s.replicas;
    let t = term_hours(&s);
    let outs = run(&s, replicas);
    let params = format!("n = 10,000, f = 0.012, m = 11, λ = 1e-4/h, {t:.1} h, k = 100, {replicas} replicas");
    let mu = (MULTIPLE - 1.0) * LAMBDA_PER_HOUR * t;
    // Floor: thinning on units down for 36 s, ≈ count × 1e-5.
    let all = UNITS * LAMBDA_PER_HOUR * t * (1.0 + FRACTION * (MULTIPLE - 1.0));
    check(
        "L1 lemons: unit failures = nλT(1 + f(m − 1))",
        &params,
        estimate(outs.iter().map(|o| o.row.unit_failures as f64)),
        all,
        4.0,
        all * 1e-4,
    );
    check(
        "L1 lemons: lemon failures = f n (m − 1)λT",
        &params,
        estimate(outs.iter().map(|o| o.row.lemon_failures as f64)),
        FRACTION * UNITS * mu,
        4.0,
        FRACTION * UNITS * mu * 1e-4,
    );
    for o in &outs {
        assert_eq!(o.row.lemons_removed, 0, "no lemon reaches 100 failures in a month");
    }
}

#[test]
fn lemons_found_out_leave_as_the_lemon_count_decays() {
    for (k, survive) in [
        (1, (|mu: f64| (-mu).exp()) as fn(f64) -> f64),
        (2, |mu: f64| (-mu).exp() * (1.0 + mu)),
    ] {
        let s = load("lemons.toml", &[format!("cluster.lemons.detect_after_failures={k}")]);
        let replicas = s.replicas;
        let t = term_hours(&s);
        let mu = (MULTIPLE - 1.0) * LAMBDA_PER_HOUR * t;
        let outs = run(&s, replicas);
        let params = format!("n = 10,000, f = 0.012, μ = (m − 1)λT = {mu:.4}, k = {k}, {replicas} replicas");
        // A lemon leaves at its k-th event of a Poisson(μ) count: L(T) =
        // L0 P(N < k); removed = L0 (1 − P(N < k)).
        let removed = FRACTION * UNITS * (1.0 - survive(mu));
        check(
            &format!("L2 lemons: removed by T = fn(1 − P(Poisson(μ) < {k}))"),
            &params,
            estimate(outs.iter().map(|o| o.row.lemons_removed as f64)),
            removed,
            4.0,
            removed * 1e-4,
        );
        if k == 1 {
            for o in &outs {
                assert_eq!(
                    o.row.lemons_removed, o.row.lemon_failures,
                    "found out at the first failure"
                );
            }
        }
    }
}
