//! The mortgage: payments, the buyer's cash, default and the provider's
//! exposure, checked against closed forms.

use mortgage_sim::config::{self, Scenario};
use mortgage_sim::model;
use mortgage_sim::montecarlo::replica_seed;

/// The golden scenario (all workloads, failures, late tranches) with
/// `overrides`, as a 1-year term of 12 monthly payments.
fn scenario(overrides: &[&str]) -> Scenario {
    let path = super::support::repo().join("tests/data/golden.toml");
    let mut all: Vec<String> = vec![
        "contract.payment_schedule=\"flat_monthly\"".into(),
        "contract.price_escalation_per_year=0".into(),
        "contract.undelivered_capacity=\"owed\"".into(),
    ];
    all.extend(overrides.iter().map(|s| s.to_string()));
    config::load_file(&path, &all).expect("valid scenario")
}

fn outcomes(s: &Scenario, replicas: u32) -> Vec<mortgage_sim::metrics::ReplicaOutcome> {
    (0..replicas)
        .map(|r| model::simulate(s, r, replica_seed(s.seed, r)))
        .collect()
}

#[test]
fn zero_revenue_defaults_in_month_floor_f_over_p_plus_one() {
    // Commitment 120M over 12 months: P = 10M. Convention: month k closes
    // at its end and its payment is due then; the default month is the
    // first whose payment cash cannot meet, floor(F/P) + 1 (= ceil(F/P)
    // unless F/P is whole).
    for (funding, month) in [("25e6", 3), ("20e6", 3), ("0", 1), ("119e6", 12)] {
        let s = scenario(&[
            "contract.committed_usd=120e6",
            "buyer.revenue_per_served_chip_hour_usd=0",
            "buyer.other_costs_per_month_usd=0",
            "buyer.credit_line_usd=0",
            &format!("buyer.initial_funding_usd={funding}"),
        ]);
        for o in outcomes(&s, 4) {
            let r = &o.row;
            assert_eq!(r.default_month, Some(month), "funding {funding}");
            assert!((r.payments_usd - 10e6 * (month - 1) as f64).abs() < 1e-3);
            assert!((r.exposure_at_default_usd - 10e6 * (13 - month) as f64).abs() < 1e-3);
            assert!((r.loss_usd - (r.exposure_at_default_usd - r.recovery_usd)).abs() < 1e-3);
            assert!(o.ledger.balance_error() < 1e-3);
        }
    }
}

#[test]
fn unlimited_funding_never_defaults_and_loses_nothing() {
    let s = scenario(&["buyer.initial_funding_usd=1e18"]);
    for o in outcomes(&s, 4) {
        assert_eq!(o.row.default_month, None);
        assert_eq!(o.row.loss_usd, 0.0);
        assert_eq!(o.row.exposure_at_default_usd, 0.0);
        assert!((o.row.payments_usd - s.contract.committed_usd).abs() < 1e-3);
    }
}

#[test]
fn revenue_above_every_payment_never_defaults() {
    // No funding, but each month's inference revenue (thousands of chips
    // served for ~730 hours at $10^4 per chip-hour) far exceeds the 16.7M
    // payment and the costs.
    let s = scenario(&[
        "buyer.initial_funding_usd=0",
        "buyer.credit_line_usd=0",
        "buyer.revenue_per_served_chip_hour_usd=1e4",
    ]);
    for o in outcomes(&s, 4) {
        assert_eq!(o.row.default_month, None);
        assert!(o.row.ending_cash_usd > 0.0);
        assert!(o.ledger.balance_error() < 1e-3 * o.row.revenue_usd.max(1.0));
    }
}

#[test]
fn after_a_default_workloads_stop_and_capacity_is_remarketed() {
    let s = scenario(&[
        "buyer.initial_funding_usd=0",
        "buyer.credit_line_usd=0",
        "buyer.revenue_per_served_chip_hour_usd=0",
        "provider.remarket_fraction=0.5",
    ]);
    let o = model::simulate(&s, 0, replica_seed(s.seed, 0));
    assert_eq!(o.row.default_month, Some(1));
    assert!(o.row.remarketed_chip_hours > 0.0);
    assert!((o.row.recovery_usd - o.row.remarketed_chip_hours * 1.0).abs() < 1e-3);
    // Nothing of the buyer's runs after month 1: its work is at most one
    // month of the whole cluster.
    let month_of_cluster = 15360.0 * 730.5;
    assert!(o.row.busy_chip_hours < month_of_cluster, "{}", o.row.busy_chip_hours);
    assert_eq!(o.chip_seconds.conservation_error(), 0);
}

#[test]
fn waived_late_capacity_comes_off_the_payments() {
    let owed = scenario(&["buyer.initial_funding_usd=1e18"]);
    let waived = scenario(&[
        "buyer.initial_funding_usd=1e18",
        "contract.undelivered_capacity=\"waived\"",
    ]);
    let price = owed.contract.price_per_chip_hour_usd;
    for (a, b) in outcomes(&owed, 3).iter().zip(outcomes(&waived, 3).iter()) {
        assert_eq!(a.row.payments_waived_usd, 0.0);
        let expected = b.row.undelivered_chip_hours * price;
        assert!((b.row.payments_waived_usd - expected).abs() < 1e-6 * expected.max(1.0));
        assert!((a.row.payments_usd - b.row.payments_usd - expected).abs() < 1e-6 * expected.max(1.0));
    }
}
