//! Ramped deliveries (`[cluster.tranches.ramp]`, issue 18): a tranche that
//! arrives in steps over months, its steps' delays a shared tranche delay
//! plus a per-step jitter.
//!
//! Verification against closed forms on `tests/data/validation/ramp.toml`
//! (its header derives them): delivered chip-hours without delays (exact),
//! a retirement per step from its own arrival (exact in every replica, with
//! random delays), the mean delivered and undelivered chip-hours with
//! random delays (k = 4 standard errors, floor 0: delays are rounded to
//! whole seconds, nothing else), and the correlation of two steps' delays,
//! Var S / (Var S + Var J). Then the low-fidelity twin on a ramped
//! reduced baseline: it must see the same deliveries as the full model.

use super::validation::{check, check_exact, estimate, load, run};
use mortgage_sim::config::{self, Scenario};
use mortgage_sim::engine::Span;
use mortgage_sim::model::{self, Streams};
use mortgage_sim::montecarlo::{self, replica_seed};

const CHIP_MONTH_HOURS: f64 = 730.5;

/// Units of each step of tranche 1 (2,048 chips = 128 units in 3 steps).
const T1_STEP_CHIPS: [f64; 3] = [43.0 * 16.0, 43.0 * 16.0, 42.0 * 16.0];

#[test]
fn a_ramp_without_delays_delivers_exactly_its_schedule() {
    let s = load(
        "ramp.toml",
        &[
            r#"cluster.tranches.0.delivery_delay_months={ dist = "fixed", value = 0 }"#.into(),
            r#"cluster.tranches.0.ramp.step_jitter_months={ dist = "fixed", value = 0 }"#.into(),
            r#"cluster.tranches.1.delivery_delay_months={ dist = "fixed", value = 0 }"#.into(),
            r#"cluster.tranches.1.ramp.step_jitter_months={ dist = "fixed", value = 0 }"#.into(),
        ],
    );
    assert_eq!(s.cluster.tranches.len(), 7, "4 + 3 steps");
    let month = Span::MONTH.secs() as u128;
    // Tranche 0: 4 steps of 1,024 chips, each in service 18 months (it
    // retires 18 months after its own arrival, months 0–9 + 18 ≤ 27).
    // Tranche 1: 688, 688 and 672 chips from months 6, 8 and 10 to 36.
    let expected = 4 * 1024 * 18 * month + 688 * 30 * month + 688 * 28 * month + 672 * 26 * month;
    for o in run(&s, 3) {
        check_exact(
            "5b ramp: delivered chip-hours, zero delays",
            "4 × 1,024 chips every 3 months, 18-month life; 688/688/672 chips at months 6/8/10",
            o.chip_seconds.delivered as f64 / 3600.0,
            expected as f64 / 3600.0,
            0.0,
        );
        assert_eq!(o.chip_seconds.delivered, expected, "exact in chip-seconds");
        assert_eq!(o.chip_seconds.undelivered, 0);
    }
}

#[test]
fn random_step_delays_deliver_the_closed_form_mean_and_each_step_retires_on_its_own() {
    let s = load("ramp.toml", &[]);
    let replicas = 4000;
    let outs = run(&s, replicas);
    let hours = |chip_months: f64| chip_months * CHIP_MONTH_HOURS;
    // g(x) = E[(x − J)^+] for J ~ exp(mean m), in months.
    let g_exp = |x: f64, m: f64| x - m * (1.0 - (-x / m).exp());
    let mut delivered = 4.0 * 1024.0 * 18.0;
    let mut undelivered = 4.0 * 1024.0 * (2.0 + 1.0); // E[S] + E[J] per step of tranche 0
    for (j, chips) in T1_STEP_CHIPS.iter().enumerate() {
        let a = 36.0 - 6.0 - 2.0 * j as f64 - 1.0;
        delivered += chips * g_exp(a, 2.0);
        undelivered += chips * (a + 1.0 - g_exp(a, 2.0));
    }
    // Tranche 0's steps arrive by month 15 and retire by month 33: each is
    // delivered exactly 18 months in every replica, whatever its delay.
    let month = Span::MONTH.secs() as u128;
    let t0 = 4 * 1024 * 18 * month;
    let t1_max = (688 * 29 + 688 * 27 + 672 * 25) * month;
    for o in &outs {
        let d = o.chip_seconds.delivered;
        assert!(d > t0 && d <= t0 + t1_max, "replica {}: {d}", o.row.replica);
    }
    let params = format!("shared uniform(0, 4) + jitter uniform(0, 2); fixed 1 + exp(2) jitter; {replicas} replicas");
    check(
        "5b ramp: E[delivered chip-hours]",
        &params,
        estimate(outs.iter().map(|o| o.row.delivered_chip_hours)),
        hours(delivered),
        4.0,
        0.0,
    );
    check(
        "5b ramp: E[undelivered chip-hours]",
        &params,
        estimate(outs.iter().map(|o| o.row.undelivered_chip_hours)),
        hours(undelivered),
        4.0,
        0.0,
    );
}

/// Sample correlation of paired values.
fn correlation(pairs: &[(f64, f64)]) -> f64 {
    let n = pairs.len() as f64;
    let (mx, my) = (
        pairs.iter().map(|p| p.0).sum::<f64>() / n,
        pairs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    sxy / (sxx * syy).sqrt()
}

#[test]
fn step_delays_within_a_tranche_have_the_configured_correlation() {
    // The arrival draws the world makes (`model::deliveries::arrivals`,
    // called by `World::new` and the twin), for 20,000 replica seeds.
    let s = load("ramp.toml", &[]);
    let n = 20_000u32;
    let delays: Vec<Vec<f64>> = (0..n)
        .map(|r| {
            let mut streams = Streams::new(replica_seed(s.seed, r));
            let at = model::deliveries::arrivals(&s.cluster, &mut streams.deliveries);
            at.iter()
                .zip(&s.cluster.tranches)
                .map(|(a, t)| (*a - t.planned).in_units(Span::MONTH))
                .collect()
        })
        .collect();
    // Pearson r's standard error ≈ (1 − ρ²)/√(n − 1) for near-normal data.
    let se = |rho: f64| (1.0 - rho * rho) / f64::from(n - 1).sqrt();
    let cases = [
        ("tranche 0, steps 0 and 1", 0, 1, 0.8, "S ~ U(0, 4), J ~ U(0, 2)"),
        ("tranche 0, steps 1 and 3", 1, 3, 0.8, "S ~ U(0, 4), J ~ U(0, 2)"),
        ("tranche 1, steps 0 and 2", 4, 6, 0.0, "S = 1, J ~ exp(2)"),
    ];
    for (label, a, b, rho, params) in cases {
        let pairs: Vec<(f64, f64)> = delays.iter().map(|d| (d[a], d[b])).collect();
        let r = correlation(&pairs);
        let k = 4.0;
        eprintln!(
            "VALIDATION | 5b ramp: correlation of step delays, {label} | {params}, {n} draws | {r:.4} | {rho:.4} | {:.2} SE (allowed {k}·SE) | {}",
            (r - rho).abs() / se(rho),
            if (r - rho).abs() <= k * se(rho) { "pass" } else { "FAIL" }
        );
        assert!(
            (r - rho).abs() <= k * se(rho),
            "{label}: r = {r}, expected {rho} ± {}",
            k * se(rho)
        );
    }
    // And the means: E[S + J] = 3 months for tranche 0, 1 + 2 for tranche 1.
    for (step, mean, sd) in [(0, 3.0, (20.0f64 / 12.0).sqrt()), (5, 3.0, 2.0)] {
        let m = delays.iter().map(|d| d[step]).sum::<f64>() / f64::from(n);
        assert!(
            (m - mean).abs() < 4.0 * sd / f64::from(n).sqrt(),
            "step {step}: mean {m}"
        );
    }
}

fn reduced_with_ramps() -> Scenario {
    // The reduced baseline with both tranches ramped, late capacity waived
    // and payments following the planned capacity, so that when each step
    // arrives moves money.
    let path = super::support::repo().join("tests/data/reduced.toml");
    let sets = [
        "cluster.tranches.0.ramp={ steps = 4, interval_months = 3, step_jitter_months = { dist = \"exp\", mean = 1 } }",
        "cluster.tranches.1.ramp={ steps = 5, interval_months = 2, step_jitter_months = { dist = \"lognormal\", median = 1, sigma = 0.8 } }",
        "contract.undelivered_capacity=\"waived\"",
        "contract.payment_schedule=\"planned_capacity\"",
    ];
    config::load_file(&path, &sets.map(String::from)).unwrap()
}

#[test]
fn the_low_fidelity_twin_sees_the_same_ramp() {
    let s = reduced_with_ramps();
    assert_eq!(s.cluster.tranches.len(), 9);
    let n = 48;
    let full = montecarlo::run_point(&s, n, &montecarlo::Silent);
    let twins: Vec<_> = (0..n)
        .map(|r| model::lowfi::simulate(&s, replica_seed(s.seed, r)))
        .collect();
    let agree = full
        .iter()
        .zip(&twins)
        .filter(|(f, t)| f.row.default_month.is_some() == t.default_month.is_some())
        .count();
    let defaults = full.iter().filter(|f| f.row.default_month.is_some()).count();
    let pairs: Vec<(f64, f64)> = full
        .iter()
        .zip(&twins)
        .map(|(f, t)| (f.row.loss_usd, t.loss_usd))
        .collect();
    let rho = correlation(&pairs);
    eprintln!("ramped reduced baseline: {agree}/{n} agree on default ({defaults} full defaults), loss ρ = {rho:.4}");
    assert!(defaults >= 3, "too few defaults to compare: {defaults}");
    assert!(agree >= n as usize - 2, "{agree}/{n} agree");
    assert!(rho > 0.95, "loss correlation {rho}");
}
