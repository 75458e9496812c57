//! The contract's money: the price of a chip-hour and what idle capacity
//! costs the buyer. (Cash, default and loss build on this.)

use crate::config::Scenario;
use crate::engine::SimTime;

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

/// The contract figures of a scenario.
pub fn contract_figures(scenario: &Scenario) -> ContractFigures {
    let c = &scenario.contract;
    let months = c.term as f64 / SimTime::MONTH as f64;
    ContractFigures {
        term_years: c.term as f64 / SimTime::YEAR as f64,
        committed_usd: c.committed_usd,
        planned_chip_hours: c.planned_chip_hours,
        price_per_chip_hour_usd: c.price_per_chip_hour_usd,
        price_derived: c.price_derived,
        monthly_payment_usd: c.committed_usd / months,
    }
}

/// What `idle_chip_hours` of committed capacity cost at the contract price.
pub fn idle_cost_usd(scenario: &Scenario, idle_chip_hours: f64) -> f64 {
    idle_chip_hours * scenario.contract.price_per_chip_hour_usd
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let f = contract_figures(&s);
        assert!((f.planned_chip_hours - 1.5e6 * 5.0 * 8766.0).abs() < 1.0);
        assert!(
            (f.price_per_chip_hour_usd - 1.5207).abs() < 1e-3,
            "{}",
            f.price_per_chip_hour_usd
        );
        assert!((f.monthly_payment_usd - 100e9 / 60.0).abs() < 1e-3);
    }
}
