//! Inference provisioned like a service (`[inference.headroom]`, issue 18):
//! granted base × growth(t) × (1 + a_d)(1 + a_w) × (1 + margin) baseline
//! chips at each step (the trend's demand at the cycles' peak plus a latency
//! margin), serving min(demand, held).
//!
//! Verification against closed forms on `tests/data/validation/demand.toml`
//! with deterministic demand (no volatility or noise, so the path is
//! known): the capacity held, the demand served, the served fraction and
//! the headroom column equal the formula summed over the hourly steps,
//! computed here independently of the library; with a cluster too small
//! for the provision, inference holds all of it and serves the demand up to
//! it.

use super::validation::{check_exact, load};
use mortgage_sim::engine::Span;
use mortgage_sim::metrics::Class;
use mortgage_sim::model;
use mortgage_sim::montecarlo::replica_seed;
use std::f64::consts::TAU;

const WEEKS: f64 = 4.0;
const BASE: f64 = 1000.0;
const DRIFT: f64 = 0.4;
const DIURNAL: f64 = 0.2;
const WEEKLY: f64 = 0.08;
const MARGIN: f64 = 0.25;

fn seasonal(t: u64) -> f64 {
    let (day, week) = (Span::DAY.secs() as f64, 7.0 * Span::DAY.secs() as f64);
    (1.0 + DIURNAL * (TAU * t as f64 / day).sin()) * (1.0 + WEEKLY * (TAU * t as f64 / week).sin())
}

/// What the closed form says over the hourly steps of four weeks for a
/// cluster of `cluster_chips` one-speed chips in 16-chip units: (chip-hours
/// held by inference, demand served, demand) in baseline-chip-hours.
fn reference(cluster_chips: f64) -> (f64, f64, f64) {
    let steps = (WEEKS * 7.0 * 24.0) as u64;
    let (mut held, mut served, mut demand) = (0.0, 0.0, 0.0);
    for k in 0..steps {
        let t = k * Span::HOUR.secs();
        let trend = BASE * (DRIFT * t as f64 / Span::YEAR.secs() as f64).exp();
        let granted = trend * (1.0 + DIURNAL) * (1.0 + WEEKLY) * (1.0 + MARGIN);
        let chips = ((granted / 16.0).ceil() * 16.0).min(cluster_chips);
        let d = trend * seasonal(t);
        held += chips;
        served += d.min(chips);
        demand += d;
    }
    (held, served, demand)
}

fn scenario(cluster_chips: u64) -> mortgage_sim::config::Scenario {
    load(
        "demand.toml",
        &[
            format!("contract.term_years={}", WEEKS * 7.0 / 365.25),
            format!("inference.growth.drift_per_year={DRIFT}"),
            "inference.growth.volatility_per_sqrt_year=0".into(),
            "inference.noise_sigma=0".into(),
            format!("cluster.tranches.0.chips={cluster_chips}"),
            format!("inference.headroom={{ latency_margin = {MARGIN} }}"),
        ],
    )
}

#[test]
fn granted_capacity_and_served_demand_match_the_provisioning_formula() {
    for (chips, label) in [(65_536u64, "ample cluster"), (1_152, "cluster below the provision")] {
        let s = scenario(chips);
        let o = model::simulate(&s, 0, replica_seed(s.seed, 0));
        assert_eq!(o.row.unit_failures, 0, "the formula assumes no failures");
        let (held, served, demand) = reference(chips as f64);
        let params = format!("{label} ({chips} chips), base 1,000, μ = 0.4, a_d = 0.2, a_w = 0.08, margin 0.25");
        let held_sim = o.chip_seconds[Class::Inference] as f64 / 3600.0;
        check_exact(
            "4b headroom: inference chip-hours held",
            &params,
            held_sim,
            held,
            1e-9 * held,
        );
        check_exact(
            "4b headroom: served chip-hours",
            &params,
            o.row.inference_served_chip_hours,
            served,
            1e-9 * served,
        );
        check_exact(
            "4b headroom: served fraction",
            &params,
            o.row.inference_served_fraction,
            served / demand,
            1e-9,
        );
        check_exact(
            "4b headroom: headroom chip-hours (held − served)",
            &params,
            o.row.inference_headroom_chip_hours,
            held - served,
            1e-9 * held,
        );
        if chips == 65_536 {
            // Provisioned for the peak, it serves everything.
            assert!((o.row.inference_served_fraction - 1.0).abs() < 1e-12);
        } else {
            // It holds the whole cluster and misses some daily peaks.
            assert_eq!(o.chip_seconds[Class::Idle], 0);
            assert!(
                o.row.inference_served_fraction < 1.0 - 1e-6,
                "{}",
                o.row.inference_served_fraction
            );
        }
    }
}

#[test]
fn without_headroom_inference_is_granted_each_steps_demand() {
    // The same scenario without the table: the grant follows demand hour by
    // hour (whole units), so the headroom is only the rounding to units.
    let mut s = scenario(65_536);
    s.inference.as_mut().unwrap().headroom = None;
    let o = model::simulate(&s, 0, replica_seed(s.seed, 0));
    let steps = (WEEKS * 7.0 * 24.0) as u64;
    let held: f64 = (0..steps)
        .map(|k| {
            let t = k * Span::HOUR.secs();
            let d = BASE * (DRIFT * t as f64 / Span::YEAR.secs() as f64).exp() * seasonal(t);
            (d / 16.0).ceil() * 16.0
        })
        .sum();
    let held_sim = o.chip_seconds[Class::Inference] as f64 / 3600.0;
    check_exact(
        "4b headroom: none, chip-hours held",
        "as above, no headroom",
        held_sim,
        held,
        1e-9 * held,
    );
    assert!(o.row.inference_headroom_chip_hours < 16.0 * steps as f64);
}
