//! The provider's side of the deal: its cash flows month by month and
//! their net present value at its own cost of capital (the contract's
//! discount rate plus a financing spread).
//!
//! Cash in: the buyer's payments as made, re-marketing earnings after a
//! default, the bankruptcy claim's recovery after its delay, and the book
//! value of the chips still in service at the term's end (straight-line
//! depreciation; retired chips are written off). Cash out: capex when
//! chips arrive (at the end of the month of arrival) and opex on every
//! delivered chip-hour until the default, and after it on the re-marketed
//! ones only: capacity nobody pays for is powered down, and the opex it
//! saves offsets the credit loss. Each month's flows are at its end.

use super::{MonthFlows, ProviderCosts, ReplicaTally};
use crate::finance::{Ledger, discount_factor, present_value};

/// The provider's books of one replica, in nominal USD except the NPV.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProviderBooks {
    /// Capex paid on deliveries.
    pub capex_usd: f64,
    /// Opex on delivered chip-hours (after a default: re-marketed ones).
    pub opex_usd: f64,
    /// Opex saved after a default on capacity powered down.
    pub opex_saved_usd: f64,
    /// Book value at the term's end of the chips then in service.
    pub residual_usd: f64,
    /// Net present value of all of it, at the provider's rate.
    pub npv_usd: f64,
}

impl ProviderBooks {
    /// The provider's books of a replica whose bankruptcy claim recovers
    /// `claim` (paid `claim_delay_months` after the default month).
    pub fn of(t: &ReplicaTally, costs: ProviderCosts, claim: f64, claim_delay_months: f64) -> ProviderBooks {
        let rate = costs.discount_rate_per_year;
        let term_months = t.months.len() as f64;
        let (spent, saved) = opex_by_month(&t.ledger, &t.months, costs);
        let paid = |i: usize| t.ledger.paid.get(i).copied().unwrap_or(0.0);
        let net_monthly =
            (t.months.iter().enumerate()).map(|(i, m)| paid(i) + m.remarketing_usd - m.capex_usd - spent[i]);
        let pv_claim = t
            .ledger
            .default_month
            .map_or(0.0, |d| claim * discount_factor(rate, d as f64 + claim_delay_months));
        ProviderBooks {
            capex_usd: t.months.iter().map(|m| m.capex_usd).sum(),
            opex_usd: spent.iter().sum(),
            opex_saved_usd: saved.iter().sum(),
            residual_usd: t.residual_usd,
            npv_usd: present_value(net_monthly, 1, rate)
                + pv_claim
                + t.residual_usd * discount_factor(rate, term_months),
        }
    }
}

/// Each month's opex spent and saved: on delivered chip-hours until the
/// default month's end; afterwards spent on the re-marketed ones and saved
/// on the rest.
pub fn opex_by_month(ledger: &Ledger, months: &[MonthFlows], costs: ProviderCosts) -> (Vec<f64>, Vec<f64>) {
    let after_default = |i: usize| ledger.default_month.is_some_and(|d| i >= d as usize);
    let c = costs.opex_per_chip_hour_usd;
    (months.iter().enumerate())
        .map(|(i, m)| {
            if after_default(i) {
                (
                    m.remarketed_chip_hours * c,
                    (m.delivered_chip_hours - m.remarketed_chip_hours) * c,
                )
            } else {
                (m.delivered_chip_hours * c, 0.0)
            }
        })
        .unzip()
}
