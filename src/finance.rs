//! The deal's money: discounting, the contract's derived figures, the
//! buyer's ledger ([`Ledger`]) and the buyer as a business ([`Buyer`]:
//! equity rounds, cost cuts, restructuring, default).

mod buyer;
mod ledger;

pub use buyer::{Buyer, BuyerEvent, BuyerEventKind, BuyerRecord, MonthInputs};
pub use ledger::Ledger;

use crate::config::scenario::ContractSpec;
use crate::engine::Span;

/// The value at the start of the term of one dollar paid `months` months
/// in (the end of month m is m months in), at an annual effective `rate`:
/// (1 + r)^(−months/12).
pub fn discount_factor(rate: f64, months: f64) -> f64 {
    (1.0 + rate).powf(-months / 12.0)
}

/// The recovery of the provider's unsecured claim in the buyer's
/// bankruptcy: `fraction` of what the exposure leaves after re-marketing.
pub fn claim_recovery(exposure: f64, remarketing: f64, fraction: f64) -> f64 {
    fraction * (exposure - remarketing).max(0.0)
}

/// The present value of monthly cash flows, `flows[i]` paid at the end of
/// month `first + i`.
pub fn present_value(flows: impl IntoIterator<Item = f64>, first: usize, rate: f64) -> f64 {
    flows
        .into_iter()
        .enumerate()
        .map(|(i, f)| f * discount_factor(rate, (first + i) as f64))
        .sum()
}

/// Derived contract figures, for `check` and the manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractFigures {
    /// Term in years.
    pub term_years: f64,
    /// Committed dollars.
    pub committed_usd: f64,
    /// Planned chip-hours in the term (tranche schedule, no delays).
    pub planned_chip_hours: f64,
    /// Price per chip-hour (given or derived).
    pub price_per_chip_hour_usd: f64,
    /// Whether the price was derived from commitment ÷ planned chip-hours.
    pub price_derived: bool,
    /// Flat monthly payment: commitment ÷ months in the term.
    pub monthly_payment_usd: f64,
}

/// The derived figures of a contract.
pub fn contract_figures(c: &ContractSpec) -> ContractFigures {
    let months = c.term.in_units(Span::MONTH);
    ContractFigures {
        term_years: c.term.in_units(Span::YEAR),
        committed_usd: c.committed_usd,
        planned_chip_hours: c.planned_chip_hours,
        price_per_chip_hour_usd: c.price_per_chip_hour_usd,
        price_derived: c.price_derived,
        monthly_payment_usd: c.committed_usd / months,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_present_value_of_a_flat_annuity_is_its_closed_form() {
        // P paid at the end of each of n months at annual rate r: with the
        // monthly factor v = (1 + r)^(-1/12), PV = P v (1 - v^n) / (1 - v).
        let (p, n, r) = (1e9, 60, 0.08);
        let v = (1.0f64 + r).powf(-1.0 / 12.0);
        let closed = p * v * (1.0 - v.powi(n)) / (1.0 - v);
        let pv = present_value(std::iter::repeat_n(p, n as usize), 1, r);
        assert!((pv - closed).abs() < 1e-9 * closed, "{pv} vs {closed}");
        // At r = 0 a present value is the nominal sum.
        assert_eq!(present_value([1.0, 2.0, 3.0], 1, 0.0), 6.0);
        // A dollar a year out at 5% is worth 1/1.05 today.
        assert!((discount_factor(0.05, 12.0) - 1.0 / 1.05).abs() < 1e-15);
        assert_eq!(claim_recovery(10.0, 4.0, 0.5), 3.0);
        assert_eq!(claim_recovery(10.0, 12.0, 0.5), 0.0);
    }

    #[test]
    fn derived_price_is_commitment_over_planned_chip_hours() {
        // 1.5M chips for the whole 5-year term at $100B is the seed
        // article's ~$1.52 per chip-hour.
        let s = crate::config::load_baseline(&[
            "cluster.tranches.0.chips=1500000".into(),
            "cluster.tranches.1.chips=0".into(),
        ]);
        assert!(s.is_err(), "a zero-chip tranche is rejected");
        let mut doc = crate::config::parse_toml(crate::config::BASELINE_TOML, "baseline").unwrap();
        crate::config::apply_override(&mut doc, "cluster.tranches.0.chips=1500000").unwrap();
        doc["cluster"]["tranches"].as_array_mut().unwrap().truncate(1);
        let s = crate::config::from_table(doc, "baseline").unwrap();
        let f = contract_figures(&s.contract);
        assert!((f.planned_chip_hours - 1.5e6 * 5.0 * 8766.0).abs() < 1.0);
        assert!(
            (f.price_per_chip_hour_usd - 1.5207).abs() < 1e-3,
            "{}",
            f.price_per_chip_hour_usd
        );
        assert!((f.monthly_payment_usd - 100e9 / 60.0).abs() < 1e-3);
    }
}
