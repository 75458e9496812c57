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
    for (a, b) in outcomes(&owed, 3).iter().zip(outcomes(&waived, 3).iter()) {
        // The same late capacity (deliveries share their draws): paid for
        // when owed, taken off the payments when waived.
        let expected = a.row.paid_undelivered_usd;
        assert!(expected > 0.0, "the golden scenario's tranches are late");
        assert_eq!(a.row.payments_waived_usd, 0.0);
        assert_eq!(b.row.paid_undelivered_usd, 0.0);
        assert!((b.row.payments_waived_usd - expected).abs() < 1e-6 * expected);
        assert!((a.row.payments_usd - b.row.payments_usd - expected).abs() < 1e-6 * expected);
        assert!((a.row.unused_commitment_usd - a.row.idle_cost_usd - expected).abs() < 1e-6 * expected);
    }
}

#[test]
fn the_buyers_books_end_at_its_default() {
    // A default in month 1: whatever the provider does with the capacity
    // afterwards, the buyer's idle cost and utilization are those of month 1.
    let runs: Vec<_> = ["0", "0.5", "1"]
        .iter()
        .map(|fraction| {
            let s = scenario(&[
                "buyer.initial_funding_usd=0",
                "buyer.credit_line_usd=0",
                "buyer.revenue_per_served_chip_hour_usd=0",
                &format!("provider.remarket_fraction={fraction}"),
            ]);
            model::simulate(&s, 0, replica_seed(s.seed, 0)).row
        })
        .collect();
    for r in &runs {
        assert_eq!(r.default_month, Some(1));
        assert!(
            r.buyer_delivered_chip_hours <= 15360.0 * 730.5 + 1e-6,
            "{}",
            r.buyer_delivered_chip_hours
        );
        assert!(r.buyer_delivered_chip_hours < r.delivered_chip_hours);
        assert_eq!(
            (r.idle_cost_usd, r.utilization, r.buyer_idle_chip_hours),
            (
                runs[0].idle_cost_usd,
                runs[0].utilization,
                runs[0].buyer_idle_chip_hours
            )
        );
    }
    // The provider's side does change: more re-marketed, less idle overall.
    assert!(runs[2].remarketed_chip_hours > runs[1].remarketed_chip_hours);
    assert!(runs[2].idle_chip_hours < runs[0].idle_chip_hours);
    assert_eq!(runs[0].min_year_utilization, None, "no whole year of the buyer's time");
}

#[test]
fn a_credit_loss_is_never_negative() {
    // Re-marketing everything at a spot price above the contract's recovers
    // more than the exposure: the provider gains, but its credit loss is 0.
    let s = scenario(&[
        "buyer.initial_funding_usd=0",
        "buyer.credit_line_usd=0",
        "provider.remarket_fraction=1",
        "provider.spot_price_per_chip_hour_usd=40",
    ]);
    for o in outcomes(&s, 3) {
        assert!(
            o.row.recovery_usd > o.row.exposure_at_default_usd,
            "{:?}",
            o.row.recovery_usd
        );
        assert_eq!(o.row.loss_usd, 0.0);
    }
}

#[test]
fn each_generation_is_priced_by_its_speed_unless_prices_are_given() {
    // Derived: the commitment split in proportion to planned capacity ×
    // speed, so the faster generation's chip-hour costs more and the
    // planned capacity at the prices is the commitment.
    let s = scenario(&[]);
    let c = &s.contract;
    let gens = &s.cluster.generations;
    assert!(c.price_derived);
    let ratio = c.prices[1] / c.prices[0];
    assert!((ratio - gens[1].speed / gens[0].speed).abs() < 1e-12, "{ratio}");
    let end = mortgage_sim::engine::SimTime::at(c.term);
    let valued: f64 = (0..gens.len() as u32)
        .map(|g| {
            let g = mortgage_sim::config::scenario::Gen(g);
            c.prices[g.index()]
                * s.cluster
                    .planned_chip_hours_of(g, mortgage_sim::engine::SimTime::ZERO, end)
        })
        .sum();
    assert!((valued - c.committed_usd).abs() < 1e-6 * c.committed_usd, "{valued}");
    // Given prices are used as given.
    let given = scenario(&[
        "cluster.generations.0.price_per_chip_hour_usd=2",
        "cluster.generations.1.price_per_chip_hour_usd=3",
        "contract.governs=\"commitment\"",
    ]);
    assert_eq!(given.contract.prices, [2.0, 3.0]);
}

#[test]
fn a_given_price_must_agree_with_the_commitment_or_say_which_governs() {
    let path = super::support::repo().join("tests/data/golden.toml");
    let load = |extra: &[&str]| {
        let all: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        config::load_file(&path, &all)
    };
    let e = load(&["contract.price_per_chip_hour_usd=3"]).unwrap_err().to_string();
    assert!(
        e.contains("contract.governs") && e.contains("\"price\"") && e.contains("\"commitment\""),
        "{e}"
    );
    // The price governs: the commitment follows it.
    let s = load(&["contract.price_per_chip_hour_usd=3", "contract.governs=\"price\""]).unwrap();
    let planned = s.contract.planned_chip_hours;
    assert!((s.contract.committed_usd - 3.0 * planned).abs() < 1e-6 * s.contract.committed_usd);
    assert!((s.contract.payments.iter().sum::<f64>() - 3.0 * planned).abs() < 1e-3 * planned);
    // The commitment governs: payments total it; the price values idle time.
    let s = load(&["contract.price_per_chip_hour_usd=3", "contract.governs=\"commitment\""]).unwrap();
    assert_eq!(s.contract.committed_usd, 200e6);
    assert_eq!(s.contract.prices, [3.0, 3.0]);
    // A price that agrees needs no say.
    let agreeing = 200e6 / planned;
    assert!(load(&[&format!("contract.price_per_chip_hour_usd={agreeing}")]).is_ok());
}

#[test]
fn with_no_discounting_every_present_value_is_its_nominal_figure() {
    let s = scenario(&[]);
    assert_eq!(s.contract.discount_rate_per_year, 0.0);
    for o in outcomes(&s, 3) {
        let r = &o.row;
        assert_eq!(r.pv_payments_usd, r.payments_usd);
        assert_eq!(r.pv_exposure_at_default_usd, r.exposure_at_default_usd);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
        assert!(
            close(r.pv_recovery_usd, r.recovery_usd),
            "{} {}",
            r.pv_recovery_usd,
            r.recovery_usd
        );
        assert!(
            close(r.pv_idle_cost_usd, r.idle_cost_usd),
            "{} {}",
            r.pv_idle_cost_usd,
            r.idle_cost_usd
        );
        assert!(close(r.pv_loss_usd, r.loss_usd));
    }
}

#[test]
fn the_payments_present_value_is_the_annuity_closed_form() {
    // A buyer who always pays a flat 10M a month for 12 months, at 8% a
    // year: PV = P v (1 - v^12) / (1 - v) with v = 1.08^(-1/12).
    let s = scenario(&[
        "contract.committed_usd=120e6",
        "buyer.initial_funding_usd=1e18",
        "contract.discount_rate_per_year=0.08",
    ]);
    let v = 1.08f64.powf(-1.0 / 12.0);
    let closed = 10e6 * v * (1.0 - v.powi(12)) / (1.0 - v);
    for o in outcomes(&s, 2) {
        assert_eq!(o.row.default_month, None);
        let pv = o.row.pv_payments_usd;
        assert!((pv - closed).abs() < 1e-6 * closed, "{pv} vs {closed}");
        assert!(pv < o.row.payments_usd);
    }
}
