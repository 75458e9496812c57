//! The buyer's side of a scenario, checked: its cash and revenue, and how
//! it behaves as a business — equity rounds (fixed, or raised by rule when
//! its runway runs short), a cost cut, and a restructuring it seeks before
//! it stops paying. Every behaviour is optional: an absent table is a buyer
//! that does not do it. `finance::Buyer` runs these rules month by month.

use super::dist::Dist;
use super::money::{bad, non_negative, positive, probability};
use super::raw::{RawBuyer, RawCostCuts, RawFundraising, RawRestructuring, RawRestructuringKind};
use super::rules;
use super::scenario::KeyError;

/// The buyer's finances and behaviour.
#[derive(Debug, Clone)]
pub struct BuyerSpec {
    /// Cash at the start.
    pub initial_funding_usd: f64,
    /// Revenue per baseline-chip-hour of inference served, at the start.
    pub revenue_per_served_chip_hour_usd: f64,
    /// Yearly decline of that revenue: × (1 − d)^t.
    pub revenue_decline_per_year: f64,
    /// Fixed other costs per month.
    pub other_costs_per_month_usd: f64,
    /// Variable costs per baseline-chip-hour served.
    pub serving_cost_per_served_chip_hour_usd: f64,
    /// Credit line.
    pub credit_line_usd: f64,
    /// Whether the buyer pays what it can of the installment it defaults on.
    pub partial_payments: bool,
    /// Equity rounds at fixed months: (contract month, amount), by month.
    pub funding_rounds: Vec<(u32, f64)>,
    /// Rounds raised by rule.
    pub fundraising: Option<FundraisingRule>,
    /// The cost cut.
    pub cost_cuts: Option<CostCutRule>,
    /// The restructuring sought before a default.
    pub restructuring: Option<RestructuringRule>,
}

/// When and how the buyer raises equity by rule.
#[derive(Debug, Clone)]
pub struct FundraisingRule {
    /// It tries when its runway is shorter than this, months.
    pub runway_threshold_months: f64,
    /// Months of burn averaged for the runway.
    pub burn_window_months: u32,
    /// Months of revenue compared for its growth.
    pub growth_window_months: u32,
    /// Fewest months between attempts.
    pub min_months_between_rounds: u32,
    /// Success probability at flat revenue.
    pub success_probability: f64,
    /// Change of the success log-odds per unit of annualised log growth.
    pub growth_sensitivity: f64,
    /// Valuation ÷ run-rate revenue, drawn per round.
    pub revenue_multiple: Dist,
    /// Share of the valuation sold.
    pub dilution: f64,
}

/// The one cost cut.
#[derive(Debug, Clone, PartialEq)]
pub struct CostCutRule {
    /// Decided when the runway is shorter than this, months.
    pub runway_threshold_months: f64,
    /// Share of the fixed costs cut.
    pub fraction: f64,
    /// Months from the decision to the lower costs.
    pub lag_months: u32,
}

/// The restructuring the buyer seeks, once, instead of defaulting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RestructuringRule {
    /// What it asks for.
    pub kind: Restructuring,
    /// Chance that the provider agrees.
    pub success_probability: f64,
}

/// A restructuring of the remaining installments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Restructuring {
    /// This and the next months' installments (this many in all) are
    /// postponed to the term's last month.
    Deferral {
        /// Installments postponed.
        months: u32,
    },
    /// The remaining installments are cut by this share.
    StepDown {
        /// Share forgiven.
        haircut: f64,
    },
}

impl Restructuring {
    /// Its kind, as named in config and result files.
    pub fn kind(self) -> RawRestructuringKind {
        match self {
            Restructuring::Deferral { .. } => RawRestructuringKind::Deferral,
            Restructuring::StepDown { .. } => RawRestructuringKind::StepDown,
        }
    }
}

/// A whole number of months ≥ 1, or the key's error.
fn whole_months(x: u32, key: &str) -> Result<u32, KeyError> {
    if x >= 1 {
        Ok(x)
    } else {
        Err(bad(key, "is 0; allowed: a whole number of months ≥ 1"))
    }
}

/// A fraction below 1 (a share cut or forgiven): 0 ≤ x < 1.
fn share(x: f64, key: &str) -> Result<f64, KeyError> {
    if (0.0..1.0).contains(&x) {
        Ok(x)
    } else {
        Err(bad(key, format!("is {}; allowed: 0 ≤ share < 1", rules::show(x))))
    }
}

/// Checks `[buyer]`, for a term of `term_months` contract months.
pub(crate) fn buyer(b: &RawBuyer, term_months: usize) -> Result<BuyerSpec, KeyError> {
    let mut funding_rounds = Vec::with_capacity(b.funding_rounds.len());
    for (i, r) in b.funding_rounds.iter().enumerate() {
        let key = |k: &str| format!("buyer.funding_rounds[{i}].{k}");
        if r.month < 1 || r.month as usize > term_months {
            return Err(bad(
                &key("month"),
                format!("is {}; allowed: a contract month from 1 to {term_months}", r.month),
            ));
        }
        funding_rounds.push((r.month, non_negative(r.amount_usd, &key("amount_usd"))?));
    }
    funding_rounds.sort_by_key(|r| r.0);
    Ok(BuyerSpec {
        initial_funding_usd: non_negative(b.initial_funding_usd, "buyer.initial_funding_usd")?,
        revenue_per_served_chip_hour_usd: non_negative(
            b.revenue_per_served_chip_hour_usd,
            "buyer.revenue_per_served_chip_hour_usd",
        )?,
        revenue_decline_per_year: share(b.revenue_decline_per_year, "buyer.revenue_decline_per_year")?,
        other_costs_per_month_usd: non_negative(b.other_costs_per_month_usd, "buyer.other_costs_per_month_usd")?,
        serving_cost_per_served_chip_hour_usd: non_negative(
            b.serving_cost_per_served_chip_hour_usd,
            "buyer.serving_cost_per_served_chip_hour_usd",
        )?,
        credit_line_usd: non_negative(b.credit_line_usd, "buyer.credit_line_usd")?,
        partial_payments: b.partial_payments,
        funding_rounds,
        fundraising: b.fundraising.as_ref().map(fundraising).transpose()?,
        cost_cuts: b.cost_cuts.as_ref().map(cost_cuts).transpose()?,
        restructuring: b.restructuring.as_ref().map(restructuring).transpose()?,
    })
}

fn fundraising(f: &RawFundraising) -> Result<FundraisingRule, KeyError> {
    let key = |k: &str| format!("buyer.fundraising.{k}");
    let sensitivity = f.growth_sensitivity;
    if !(sensitivity.is_finite() && sensitivity.abs() <= 100.0) {
        return Err(bad(
            &key("growth_sensitivity"),
            format!("is {}; allowed: a number from -100 to 100", rules::show(sensitivity)),
        ));
    }
    let multiple_key = key("revenue_multiple");
    let revenue_multiple =
        Dist::try_from(&f.revenue_multiple).map_err(|e| bad(&format!("{multiple_key}.{}", e.param), e.problem))?;
    Ok(FundraisingRule {
        runway_threshold_months: positive(f.runway_threshold_months, &key("runway_threshold_months"))?,
        burn_window_months: whole_months(f.burn_window_months, &key("burn_window_months"))?,
        growth_window_months: whole_months(f.growth_window_months, &key("growth_window_months"))?,
        min_months_between_rounds: whole_months(f.min_months_between_rounds, &key("min_months_between_rounds"))?,
        success_probability: probability(f.success_probability, &key("success_probability"))?,
        growth_sensitivity: sensitivity,
        revenue_multiple,
        dilution: share(f.dilution, &key("dilution"))?,
    })
}

fn cost_cuts(c: &RawCostCuts) -> Result<CostCutRule, KeyError> {
    Ok(CostCutRule {
        runway_threshold_months: positive(c.runway_threshold_months, "buyer.cost_cuts.runway_threshold_months")?,
        fraction: share(c.fraction, "buyer.cost_cuts.fraction")?,
        lag_months: c.lag_months,
    })
}

fn restructuring(r: &RawRestructuring) -> Result<RestructuringRule, KeyError> {
    let kind = match r.kind {
        RawRestructuringKind::Deferral => Restructuring::Deferral {
            months: whole_months(r.deferral_months, "buyer.restructuring.deferral_months")?,
        },
        RawRestructuringKind::StepDown => {
            let haircut = r.haircut;
            if !(haircut > 0.0 && haircut <= 1.0) {
                return Err(bad(
                    "buyer.restructuring.haircut",
                    format!(
                        "is {}; allowed: 0 < haircut ≤ 1 with kind = \"step_down\"",
                        rules::show(haircut)
                    ),
                ));
            }
            Restructuring::StepDown { haircut }
        }
    };
    Ok(RestructuringRule {
        kind,
        success_probability: probability(r.success_probability, "buyer.restructuring.success_probability")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::raw::RawBuyer;

    fn raw(extra: &str) -> RawBuyer {
        let text = format!(
            "initial_funding_usd = 1e9\nrevenue_per_served_chip_hour_usd = 4\nother_costs_per_month_usd = 1e6\n{extra}"
        );
        toml::from_str(&text).expect("valid [buyer] table")
    }

    #[test]
    fn absent_tables_are_a_buyer_that_does_not_act() {
        let b = buyer(&raw(""), 12).unwrap();
        assert!(b.funding_rounds.is_empty() && b.fundraising.is_none());
        assert!(b.cost_cuts.is_none() && b.restructuring.is_none() && !b.partial_payments);
        assert_eq!(
            (b.revenue_decline_per_year, b.serving_cost_per_served_chip_hour_usd),
            (0.0, 0.0)
        );
    }

    #[test]
    fn bad_values_name_their_key_and_what_is_allowed() {
        let cases = [
            (
                "[[funding_rounds]]\nmonth = 13\namount_usd = 1",
                "buyer.funding_rounds[0].month",
                "1 to 12",
            ),
            (
                "[[funding_rounds]]\nmonth = 0\namount_usd = 1",
                "buyer.funding_rounds[0].month",
                "1 to 12",
            ),
            (
                "[restructuring]\nkind = \"deferral\"",
                "buyer.restructuring.deferral_months",
                "≥ 1",
            ),
            (
                "[restructuring]\nkind = \"step_down\"",
                "buyer.restructuring.haircut",
                "0 < haircut",
            ),
            ("[cost_cuts]\nruntime = 1", "", ""),
            (
                "[fundraising]\nrunway_threshold_months = 6\nmin_months_between_rounds = 3\n\
                 success_probability = 1.5\nrevenue_multiple = { dist = \"fixed\", value = 20 }\ndilution = 0.1",
                "buyer.fundraising.success_probability",
                "probability",
            ),
            (
                "[fundraising]\nrunway_threshold_months = 6\nmin_months_between_rounds = 3\n\
                 success_probability = 0.5\nrevenue_multiple = { dist = \"lognormal\", median = 20, sigma = -1 }\n\
                 dilution = 0.1",
                "buyer.fundraising.revenue_multiple.sigma",
                "≥ 0",
            ),
        ];
        for (extra, key, allowed) in cases {
            let text = format!(
                "initial_funding_usd = 1e9\nrevenue_per_served_chip_hour_usd = 4\nother_costs_per_month_usd = 1e6\n{extra}"
            );
            let Ok(parsed) = toml::from_str::<RawBuyer>(&text) else {
                assert!(key.is_empty(), "{extra} should parse");
                continue; // an unknown key is refused by serde, with its name
            };
            let e = buyer(&parsed, 12).unwrap_err();
            assert_eq!(e.key, key, "{extra}");
            assert!(e.problem.contains(allowed), "{}", e.problem);
        }
    }
}
