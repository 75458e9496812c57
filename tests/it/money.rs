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

/// The golden scenario with a default in month 1 and re-marketing of all
/// capacity, one price for both generations, and `extra`.
fn defaulting(extra: &[&str]) -> Scenario {
    let mut all = vec![
        "buyer.initial_funding_usd=0",
        "buyer.credit_line_usd=0",
        "buyer.revenue_per_served_chip_hour_usd=0",
        "provider.remarket_fraction=1",
        "contract.price_per_chip_hour_usd=2",
        "contract.governs=\"commitment\"",
    ];
    all.extend(extra);
    scenario(&all)
}

#[test]
fn re_marketing_earns_the_market_price_which_halves_with_time() {
    // Without [market] the spot price; with a flat market (no halving to
    // speak of, no demand effect) the contract price × the ratio; with a
    // halving every half year the earnings fall.
    let spot = outcomes(&defaulting(&[]), 2);
    let flat = outcomes(
        &defaulting(&["market={ initial_price_ratio = 0.5, halving_years = 1e9, demand_elasticity = 0 }"]),
        2,
    );
    let falling = outcomes(
        &defaulting(&["market={ initial_price_ratio = 0.5, halving_years = 0.5, demand_elasticity = 0 }"]),
        2,
    );
    for ((s, f), h) in spot.iter().zip(&flat).zip(&falling) {
        let hours = s.row.remarketed_chip_hours;
        assert_eq!(hours, f.row.remarketed_chip_hours, "the same capacity is re-marketed");
        assert!((s.row.remarketing_recovery_usd - hours * 1.0).abs() < 1e-6 * hours);
        assert!((f.row.remarketing_recovery_usd - hours * 2.0 * 0.5).abs() < 1e-6 * hours);
        assert!(h.row.remarketing_recovery_usd < 0.8 * f.row.remarketing_recovery_usd);
        let lgd = h.row.loss_given_default.expect("a default");
        assert!((lgd - h.row.loss_usd / h.row.exposure_at_default_usd).abs() < 1e-12);
    }
}

#[test]
fn the_bankruptcy_claim_recovers_its_fraction_after_its_delay() {
    let none = outcomes(&defaulting(&["provider.remarket_fraction=0.2"]), 2);
    let claimed = outcomes(
        &defaulting(&[
            "provider.remarket_fraction=0.2",
            "provider.claim_recovery_fraction=0.4",
            "provider.claim_delay_months=6",
            "contract.discount_rate_per_year=0.1",
        ]),
        2,
    );
    for (a, b) in none.iter().zip(&claimed) {
        let (exposure, remarketing) = (b.row.exposure_at_default_usd, b.row.remarketing_recovery_usd);
        assert_eq!(a.row.claim_recovery_usd, 0.0);
        let claim = 0.4 * (exposure - remarketing);
        assert!((b.row.claim_recovery_usd - claim).abs() < 1e-9 * claim);
        assert!((b.row.recovery_usd - remarketing - claim).abs() < 1e-6 * claim);
        // Paid 6 months after the default in month 1: discounted 7 months.
        let pv_remarketing = b.row.pv_recovery_usd - claim * 1.1f64.powf(-7.0 / 12.0);
        assert!(pv_remarketing > 0.0 && pv_remarketing < remarketing);
        assert!(b.row.loss_usd < a.row.loss_usd);
    }
}

#[test]
fn re_marketing_ramps_up_over_its_months() {
    let at_once = outcomes(&defaulting(&[]), 2);
    let ramped = outcomes(&defaulting(&["provider.remarket_ramp_months=6"]), 2);
    for (a, b) in at_once.iter().zip(&ramped) {
        // A 12-month term defaulting at month 1: the ramp gives up about
        // half of the first six months' re-marketing.
        let (a, b) = (a.row.remarketed_chip_hours, b.row.remarketed_chip_hours);
        assert!(b < 0.9 * a && b > 0.5 * a, "{b} vs {a}");
    }
}

/// The golden scenario's capacity on a fixed schedule (no delivery delays)
/// with the provider's economics: 10,240 "old" chips at $15k from month 0,
/// retired at 9 months; 5,120 "new" at $20k from month 4.5, to the end.
fn provider_deal(extra: &[&str]) -> Scenario {
    let mut all = vec![
        "cluster.tranches=[{ chips = 10240, generation = \"old\", planned_month = 0, delivery_delay_months = { dist = \"fixed\", value = 0 } }, \
         { chips = 5120, generation = \"new\", planned_month = 4.5, delivery_delay_months = { dist = \"fixed\", value = 0 } }]",
        "cluster.generations=[{ name = \"old\", speed = 1.0, service_life_years = 0.75, capex_per_chip_usd = 15000 }, \
         { name = \"new\", speed = 1.5, capex_per_chip_usd = 20000 }]",
        "contract.committed_usd=200e6",
        "contract.discount_rate_per_year=0.05",
        "provider.opex_per_chip_hour_usd=0.2",
        "provider.depreciation_years=5",
        "provider.financing_spread_per_year=0.03",
    ];
    all.extend(extra);
    scenario(&all)
}

#[test]
fn the_providers_npv_of_a_deal_paid_in_full_is_its_hand_computed_cash_flows() {
    let s = provider_deal(&["buyer.initial_funding_usd=1e18"]);
    // Month m's flows at its end, at 5% + 3% a year: a flat payment of
    // 200M/12; capex when chips arrive (old in month 1, new in month 5);
    // opex on delivered chip-hours (a month is 730.5 hours; the new chips
    // serve half of month 5); the new chips' book value after 7.5 of 60
    // months, at the end of month 12.
    let month_hours = 730.5;
    let v = 1.08f64.powf(-1.0 / 12.0);
    let mut npv = 0.0;
    let (mut capex_total, mut opex_total) = (0.0, 0.0);
    for m in 1..=12 {
        let old = if m <= 9 { 10240.0 } else { 0.0 };
        let new = match m {
            1..=4 => 0.0,
            5 => 5120.0 * 0.5,
            _ => 5120.0,
        };
        let capex = match m {
            1 => 10240.0 * 15000.0,
            5 => 5120.0 * 20000.0,
            _ => 0.0,
        };
        let opex = (old + new) * month_hours * 0.2;
        capex_total += capex;
        opex_total += opex;
        npv += (200e6 / 12.0 - capex - opex) * v.powi(m);
    }
    let residual = 5120.0 * 20000.0 * (1.0 - 7.5 / 60.0);
    npv += residual * v.powi(12);
    for o in outcomes(&s, 3) {
        let r = &o.row;
        assert_eq!(r.default_month, None);
        let close = |a: Option<f64>, b: f64| (a.unwrap() - b).abs() <= 1e-6 * b.abs();
        assert!(
            close(r.provider_capex_usd, capex_total),
            "{:?} vs {capex_total}",
            r.provider_capex_usd
        );
        assert!(
            close(r.provider_opex_usd, opex_total),
            "{:?} vs {opex_total}",
            r.provider_opex_usd
        );
        assert!(
            close(r.provider_residual_usd, residual),
            "{:?} vs {residual}",
            r.provider_residual_usd
        );
        assert!(close(r.provider_npv_usd, npv), "{:?} vs {npv}", r.provider_npv_usd);
    }
}

#[test]
fn a_default_costs_the_provider_what_it_does_not_recover() {
    let paid = outcomes(&provider_deal(&["buyer.initial_funding_usd=1e18"]), 2);
    let defaulted = outcomes(
        &provider_deal(&[
            "buyer.initial_funding_usd=50e6",
            "buyer.credit_line_usd=0",
            "buyer.revenue_per_served_chip_hour_usd=0",
            "provider.claim_recovery_fraction=0.4",
        ]),
        2,
    );
    for (a, b) in paid.iter().zip(&defaulted) {
        assert!(b.row.default_month.is_some());
        // The same chips cost the same; after the default the provider
        // runs only the re-marketed ones, and what it saves on the rest is
        // the difference in opex (and comes off the credit loss).
        assert_eq!(a.row.provider_capex_usd, b.row.provider_capex_usd);
        let (spent, saved) = (b.row.provider_opex_usd.unwrap(), b.row.provider_opex_saved_usd.unwrap());
        let all = a.row.provider_opex_usd.unwrap();
        assert!(
            saved > 0.0 && (spent + saved - all).abs() < 1e-9 * all,
            "{spent} + {saved} vs {all}"
        );
        let r = &b.row;
        let loss = r.exposure_at_default_usd - r.recovery_usd - saved;
        assert!((r.loss_usd - loss.max(0.0)).abs() < 1e-6 * r.exposure_at_default_usd);
        let lost = a.row.provider_npv_usd.unwrap() - b.row.provider_npv_usd.unwrap();
        assert!(lost > 0.0 && lost < b.row.pv_exposure_at_default_usd, "{lost}");
    }
    // Without capex there are no economics, and the columns are empty.
    let plain = outcomes(&scenario(&[]), 1);
    assert_eq!(plain[0].row.provider_npv_usd, None);
}

#[test]
fn provider_costs_without_a_capex_are_refused() {
    let path = super::support::repo().join("tests/data/golden.toml");
    let err = config::load_file(&path, &["provider.opex_per_chip_hour_usd=0.2".to_string()]).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("provider.opex_per_chip_hour_usd") && text.contains("capex_per_chip_usd"),
        "{text}"
    );
}

#[test]
fn wrong_way_risk_recovery_is_worst_when_defaults_cluster() {
    // The buyer's revenue follows AI demand, and so does the market price
    // when its elasticity is 1. Without commercial failure the demand
    // factor (growth over its expectation) has mean 1 in every month, so
    // the market is no cheaper on average; but the replicas that default
    // are those whose demand fell, and re-marketing then earns least.
    // Same seeds, so the same replicas default at the same months; the
    // paired rise in loss given default must exceed 4 standard errors.
    let market = |elasticity: f64| {
        defaulting(&[
            "contract.term_years=3",
            "buyer.initial_funding_usd=30e6",
            "buyer.revenue_per_served_chip_hour_usd=3",
            "inference.growth.commercial_failure_probability=0",
            "inference.growth.volatility_per_sqrt_year=0.8",
            "provider.remarket_ramp_months=3",
            &format!("market={{ initial_price_ratio = 0.5, halving_years = 2.1, demand_elasticity = {elasticity} }}"),
        ])
    };
    let (independent, linked) = (outcomes(&market(0.0), 200), outcomes(&market(1.0), 200));
    let diffs: Vec<f64> = independent
        .iter()
        .zip(&linked)
        .filter_map(|(a, b)| {
            assert_eq!(a.row.default_month, b.row.default_month);
            Some(b.row.loss_given_default? - a.row.loss_given_default?)
        })
        .collect();
    let n = diffs.len() as f64;
    let mean = diffs.iter().sum::<f64>() / n;
    let se = (diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0) / n).sqrt();
    eprintln!("defaults {n}, mean LGD change {mean} ± {se}");
    assert!(n >= 30.0, "too few defaults to compare: {n}");
    assert!(mean > 4.0 * se, "LGD rose by {mean} ± {se}");
}

#[test]
fn cva_is_the_expected_pv_loss_when_every_replica_owes_the_same() {
    // Flat installments, late capacity owed: every replica's exposure path
    // is the same, so Σ DF·EE·PD·(1 − R) with R from the same defaults is
    // the mean PV loss exactly. With waivers exposure varies by replica and
    // the identity no longer has to hold.
    use mortgage_sim::metrics::exposure;
    let s = defaulting(&[
        "buyer.initial_funding_usd=120e6",
        "buyer.revenue_per_served_chip_hour_usd=3",
        "contract.discount_rate_per_year=0.08",
        "provider.remarket_fraction=0.5",
        "provider.claim_recovery_fraction=0.3",
        "market={ initial_price_ratio = 0.7, halving_years = 2, demand_elasticity = 1 }",
    ]);
    let o = outcomes(&s, 40);
    let defaults = o.iter().filter(|x| x.row.default_month.is_some()).count();
    assert!(defaults > 5 && defaults < 40, "{defaults} defaults");
    let profile = exposure::profile(&o, 0.08);
    let r = exposure::recovery_rate(&o, 0.08).unwrap();
    let cva = exposure::cva(&profile, 0.08, r);
    let mean_pv_loss = o.iter().map(|x| x.row.pv_loss_usd).sum::<f64>() / o.len() as f64;
    assert!(
        (cva - mean_pv_loss).abs() < 1e-9 * mean_pv_loss,
        "{cva} vs {mean_pv_loss}"
    );
    assert!((profile.last().unwrap().cumulative_pd - defaults as f64 / 40.0).abs() < 1e-12);
}
